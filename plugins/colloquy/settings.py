"""Every COLLOQUY_* setting, declared once as data with its default and help.

Pelican settings are a plain dict; `resolve()` merges the user's values over these
defaults so the rest of the plugin can read `settings["COLLOQUY_X"]` without guessing.
docs/settings.md documents each one (a test keeps the two in step).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Setting:
    name: str
    default: Any
    help: str


SETTINGS: tuple[Setting, ...] = (
    Setting("COLLOQUY_COMMENTS_DIR", "comments",
            "Folder under the content path holding one sub-folder of comment files per essay."),
    Setting("COLLOQUY_DIGESTS_DIR", "digests",
            "Folder under the content path holding the author's weekly digest notes."),
    Setting("COLLOQUY_DIGEST_NOW", None,
            "The moment the digest takes as 'now' (ISO 8601, e.g. '2026-09-21T08:00:00+02:00'): "
            "weeks ending after it are not published yet. Default: the clock. Set it in tests "
            "and for reproducible builds."),
    Setting("COLLOQUY_DIGEST_THREADS", 10,
            "Threads a week's digest shows with excerpts, best first; other active threads "
            "are listed as links."),
    Setting("COLLOQUY_STRICT", False,
            "Fail the build when any comment file has a problem (otherwise log and go on)."),
    Setting("COLLOQUY_MAX_DEPTH", 4,
            "Reply depth shown on an essay page; deeper replies get a 'continue this thread' link."),
    Setting("COLLOQUY_TAG_AUTHORITY", None,
            "Authority of the tag: URIs used as feed ids, e.g. 'example.org,2026'. Set it once and "
            "never change it. Default: SITEURL's host and the year of the oldest essay."),
    Setting("COLLOQUY_FEED_ITEMS", 50,
            "Most entries in the site-wide essay and comment feeds."),
    Setting("COLLOQUY_WORKERS", 2,
            "Processes used to render comment Markdown on a cold build (1 disables the pool)."),
    Setting("COLLOQUY_INTAKE_URL", "/intake",
            "Where reply forms post: the intake server's base URL (same origin by default)."),
)

DEFAULTS = {s.name: s.default for s in SETTINGS}


def resolve(pelican_settings: dict) -> dict:
    """Return the COLLOQUY_* settings, user values over defaults."""
    resolved = dict(DEFAULTS)
    resolved.update({k: v for k, v in pelican_settings.items() if k.startswith("COLLOQUY_")})
    return resolved
