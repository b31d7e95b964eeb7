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
    # -- webmention (docs/webmention.md) ---------------------------------------------------
    Setting("COLLOQUY_WEBMENTION_ALLOW_PRIVATE", False,
            "Let webmention fetches and sends reach private, loopback and link-local "
            "addresses (tests, intranets). Off: such sources are refused, such endpoints skipped."),
    Setting("COLLOQUY_WEBMENTION_MAX_BYTES", 1_000_000,
            "Most bytes read from a webmention source or a discovered page; larger is refused."),
    Setting("COLLOQUY_WEBMENTION_TIMEOUT", 10,
            "Seconds one fetch or send may take in all, redirects included."),
    Setting("COLLOQUY_WEBMENTION_MAX_REDIRECTS", 5,
            "Redirects followed when fetching a source or discovering an endpoint; each hop "
            "is checked like the first."),
    Setting("COLLOQUY_WEBMENTION_MAX_ATTEMPTS", 6,
            "Tries at fetching a source that fails with a network error, 404 or 5xx before "
            "the webmention is refused."),
    Setting("COLLOQUY_WEBMENTION_RETRY_SECONDS", 60,
            "Wait before the second try; it doubles with each further try (1, 2, 4... minutes)."),
    Setting("COLLOQUY_WEBMENTION_RATE_LIMIT", 30,
            "Webmentions one address may send per COLLOQUY_RATE_WINDOW seconds (0: no limit)."),
    Setting("COLLOQUY_WEBMENTION_SOURCE_RATE_LIMIT", 30,
            "Webmentions naming sources on one host accepted per COLLOQUY_RATE_WINDOW seconds "
            "(0: no limit)."),
    Setting("COLLOQUY_WEBMENTION_BLOCKLIST", [],
            "Domains whose webmentions are refused (403), subdomains included, e.g. "
            "['spam.example']."),
    Setting("COLLOQUY_WEBMENTION_TRUST_DOMAINS", True,
            "Publish a webmention at once when its source's host had one approved by the "
            "author before (like a returning commenter)."),
    Setting("COLLOQUY_WEBMENTION_PUBLISH_TALLIES", False,
            "Publish likes and reposts (no text, only a name) without moderation. Off: they "
            "wait in `colloquy pending` like everything else."),
    Setting("COLLOQUY_WEBMENTION_EXCERPT_CHARS", 600,
            "Longest excerpt kept of a response's text; the full post is one click away."),
    Setting("COLLOQUY_WEBMENTION_CONCURRENCY", 4,
            "Sources verified at once by the server, and sends in flight at once for "
            "`colloquy webmention send`."),
)

DEFAULTS = {s.name: s.default for s in SETTINGS}


def resolve(pelican_settings: dict) -> dict:
    """Return the COLLOQUY_* settings, user values over defaults."""
    resolved = dict(DEFAULTS)
    resolved.update({k: v for k, v in pelican_settings.items() if k.startswith("COLLOQUY_")})
    return resolved
