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
    Setting("COLLOQUY_DIGEST_FEED_ITEMS", 12,
            "Weeks in the digest feed, newest first (each entry carries a whole week)."),
    Setting("COLLOQUY_STRICT", False,
            "Fail the build when any comment file has a problem (otherwise log and go on)."),
    Setting("COLLOQUY_MAX_DEPTH", 4,
            "Reply depth shown on an essay page; deeper replies get a 'continue this thread' link."),
    Setting("COLLOQUY_TAG_AUTHORITY", None,
            "Authority of the tag: URIs used as feed ids, e.g. 'example.org,2026'. Set it once and "
            "never change it. Default: SITEURL's host and the year of the oldest essay (which "
            "moves if an older essay is added); pelicanconf.py sets it."),
    Setting("COLLOQUY_FEED_ITEMS", 50,
            "Most entries in the site-wide essay and comment feeds."),
    Setting("COLLOQUY_WORKERS", 2,
            "2: a worker process prepares comments and writes thread pages and feeds beside "
            "Pelican (see docs/building.md); 1: everything in Pelican's process."),
    Setting("COLLOQUY_INTAKE_URL", "/intake",
            "Where reply forms post: the intake server's base URL (same origin by default)."),
    # -- intake server and moderation (docs/intake.md, docs/moderation.md) ----------------
    Setting("COLLOQUY_ENV", "development",
            "'development' (safe local defaults, secret generated into var/) or 'production' "
            "(every secret must come from the environment). The COLLOQUY_ENV environment "
            "variable overrides this setting."),
    Setting("COLLOQUY_SITE_DIR", None,
            "The site folder, from which var/ paths are taken. Default: the folder of the "
            "settings file given to `colloquy` (else the parent of PATH)."),
    Setting("COLLOQUY_STORE_PATH", "var/colloquy.sqlite3",
            "The intake store (SQLite, WAL). A relative path is taken from the site folder, "
            "the one holding pelicanconf.py."),
    Setting("COLLOQUY_SECRET_FILE", "var/colloquy-secret",
            "Development only: where a generated form-token secret is kept when the "
            "COLLOQUY_SECRET environment variable is not set (relative to the site folder)."),
    Setting("COLLOQUY_MIN_FILL_SECONDS", 3,
            "A form posted sooner than this after its page was served is refused as a bot."),
    Setting("COLLOQUY_TOKEN_MAX_AGE", 2 * 24 * 3600,
            "Seconds a form token stays valid; older forms get a 'confirm your comment' page."),
    Setting("COLLOQUY_RATE_LIMIT", 5,
            "Comments one address may send per COLLOQUY_RATE_WINDOW seconds (0 turns the "
            "per-address limit off, e.g. for benchmarks)."),
    Setting("COLLOQUY_RATE_WINDOW", 600,
            "Length in seconds of the per-address rate-limit window."),
    Setting("COLLOQUY_MAX_LINKS", 3,
            "Most links a comment body may contain."),
    Setting("COLLOQUY_MAX_BODY_CHARS", 10000,
            "Longest comment body, in characters."),
    Setting("COLLOQUY_MAX_NAME_CHARS", 80,
            "Longest author name, in characters."),
    Setting("COLLOQUY_MAX_REQUEST_BYTES", 64 * 1024,
            "Largest request body the intake reads; bigger posts get 413."),
    Setting("COLLOQUY_DUPLICATE_WINDOW", 7 * 24 * 3600,
            "Seconds during which the same text sent again to the same essay is refused (409)."),
    Setting("COLLOQUY_CHECK_ORIGIN", True,
            "Refuse posts whose Origin (or Referer) header names another site."),
    Setting("COLLOQUY_ALLOWED_ORIGINS", [],
            "Extra origins allowed to post, e.g. ['https://www.example.org']. The request's own "
            "host and SITEURL's origin are always allowed."),
    Setting("COLLOQUY_TRUSTED_PROXIES", [],
            "Addresses of reverse proxies whose X-Forwarded-For header is believed, e.g. "
            "['127.0.0.1']. Empty: the peer address is the client's."),
    Setting("COLLOQUY_AUTO_APPROVE_AFTER", 2,
            "A commenter (matched by e-mail address) with this many approved comments is "
            "published without waiting for moderation; 0 turns auto-approval off."),
    Setting("COLLOQUY_REBUILD", False,
            "Rebuild the site after `colloquy approve` (same as --rebuild) and after the "
            "intake auto-approves a comment."),
    Setting("COLLOQUY_RETENTION_DAYS", 30,
            "Days after moderation when a comment's e-mail and IP address are erased from the "
            "store and rejected comments are deleted."),
    # -- notifications and web moderation (docs/notifications.md) -------------------------
    Setting("COLLOQUY_SMTP_HOST", None,
            "The SMTP server that sends notification mail. Not set: nothing is mailed."),
    Setting("COLLOQUY_SMTP_PORT", None,
            "Its port. Default: 587 for 'starttls', 465 for 'tls', 25 for 'none'."),
    Setting("COLLOQUY_SMTP_TLS", "starttls",
            "'starttls' (upgrade a plain connection), 'tls' (implicit TLS from the first "
            "byte) or 'none' (only to a relay on the same machine)."),
    Setting("COLLOQUY_SMTP_USER", None,
            "The SMTP login name; not set: no login."),
    Setting("COLLOQUY_SMTP_PASSWORD_ENV", "COLLOQUY_SMTP_PASSWORD",
            "The environment variable holding the SMTP password (never put the password "
            "itself in a settings file)."),
    Setting("COLLOQUY_SMTP_PASSWORD_FILE", None,
            "A file holding the SMTP password instead (e.g. a systemd credential); relative "
            "paths are taken from the site folder. Read at each delivery."),
    Setting("COLLOQUY_MAIL_FROM", None,
            "The address mail is sent from, e.g. 'comments@example.org'; the site's name is "
            "shown with it."),
    Setting("COLLOQUY_NOTIFY_EMAIL", None,
            "The author's address: new comments and webmentions are mailed here."),
    Setting("COLLOQUY_NOTIFY_BATCH_SECONDS", 120,
            "The author's mail waits this long after the first new item, and carries every "
            "item that arrived meanwhile (0: one mail per item, at once)."),
    Setting("COLLOQUY_LINK_MAX_AGE", 7 * 24 * 3600,
            "Seconds an approve or reject link in a mail or the private feed stays valid."),
    Setting("COLLOQUY_OUTBOX_RETRY_SECONDS", 60,
            "First wait after a failed delivery; it doubles with each failure, up to an hour."),
    Setting("COLLOQUY_OUTBOX_GIVE_UP", 2 * 24 * 3600,
            "Seconds after which an undeliverable message is marked failed (see `colloquy "
            "outbox`)."),
)

DEFAULTS = {s.name: s.default for s in SETTINGS}


def resolve(pelican_settings: dict) -> dict:
    """Return the COLLOQUY_* settings, user values over defaults."""
    resolved = dict(DEFAULTS)
    resolved.update({k: v for k, v in pelican_settings.items() if k.startswith("COLLOQUY_")})
    return resolved
