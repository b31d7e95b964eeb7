"""Every COLLOQUY_* setting, declared once as data: default, type and help.

Pelican settings are a plain dict; `resolve()`, the one entry, checks the user's values
against these declarations and merges them over the defaults, so the rest of the plugin
reads `settings["COLLOQUY_X"]` without guessing. A value of the wrong type is logged,
naming the key, the value and the fix, and the default is used (as Pelican's own plugins
do); the intake server asks for `strict=True` and refuses to start instead.
docs/settings.md documents each one (a test keeps the two in step).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Callable
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .errors import SettingError

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Kind:
    """What values a setting takes: a test, and how to say it to a person."""

    accepts: Callable[[Any], bool]
    says: str


TEXT = Kind(lambda v: isinstance(v, str) and v.strip() != "", "a non-empty string")
OPTIONAL_TEXT = Kind(lambda v: v is None or TEXT.accepts(v), "a non-empty string, or None")
FLAG = Kind(lambda v: isinstance(v, bool), "True or False")
COUNT = Kind(lambda v: isinstance(v, int) and not isinstance(v, bool) and v >= 0,
             "a whole number, 0 or more")
POSITIVE = Kind(lambda v: isinstance(v, int) and not isinstance(v, bool) and v >= 1,
                "a whole number, 1 or more")
NUMBER = Kind(lambda v: isinstance(v, (int, float)) and not isinstance(v, bool) and v >= 0,
              "a number, 0 or more")
PORT = Kind(lambda v: v is None or (isinstance(v, int) and not isinstance(v, bool)
                                   and 0 < v < 65536), "a port number (1 to 65535), or None")
TLS_MODE = Kind(lambda v: v in ("starttls", "tls", "none"),
                "'starttls' (port 587), 'tls' (implicit TLS, port 465) or 'none' (a relay on "
                "the same machine)")
STRINGS = Kind(lambda v: isinstance(v, (list, tuple)) and all(isinstance(x, str) for x in v),
               "a list of strings, e.g. ['127.0.0.1']")


def _is_moment(value: Any) -> bool:
    if value is None or isinstance(value, datetime):
        return True
    try:
        datetime.fromisoformat(str(value))
    except ValueError:
        return False
    return True


MOMENT = Kind(_is_moment, "an ISO 8601 moment such as '2026-09-21T08:00:00+02:00', or None")


@dataclass(frozen=True)
class Setting:
    name: str
    default: Any
    help: str
    kind: Kind = TEXT

SETTINGS: tuple[Setting, ...] = (
    Setting("COLLOQUY_COMMENTS_DIR", "comments",
            "Folder under the content path holding one sub-folder of comment files per essay.",
            kind=TEXT),
    Setting("COLLOQUY_DIGESTS_DIR", "digests",
            "Folder under the content path holding the author's weekly digest notes.",
            kind=TEXT),
    Setting("COLLOQUY_DIGEST_NOW", None,
            "The moment the digest takes as 'now' (ISO 8601, e.g. '2026-09-21T08:00:00+02:00'): "
            "weeks ending after it are not published yet. Default: the clock. Set it in tests "
            "and for reproducible builds.",
            kind=MOMENT),
    Setting("COLLOQUY_DIGEST_THREADS", 10,
            "Threads a week's digest shows with excerpts, best first; other active threads "
            "are listed as links.",
            kind=COUNT),
    Setting("COLLOQUY_DIGEST_FEED_ITEMS", 12,
            "Weeks in the digest feed, newest first (each entry carries a whole week).",
            kind=COUNT),
    Setting("COLLOQUY_STRICT", False,
            "Fail the build when any comment file has a problem (otherwise log and go on).",
            kind=FLAG),
    Setting("COLLOQUY_MAX_DEPTH", 4,
            "Reply depth shown on an essay page; deeper replies get a 'continue this thread' link.",
            kind=POSITIVE),
    Setting("COLLOQUY_TAG_AUTHORITY", None,
            "Authority of the tag: URIs used as feed ids, e.g. 'example.org,2026'. Set it once and "
            "never change it. Default: SITEURL's host and the year of the oldest essay (which "
            "moves if an older essay is added); pelicanconf.py sets it.",
            kind=OPTIONAL_TEXT),
    Setting("COLLOQUY_FEED_ITEMS", 50,
            "Most entries in the site-wide essay and comment feeds.",
            kind=COUNT),
    Setting("COLLOQUY_WORKERS", 2,
            "2: a worker process prepares comments and writes thread pages and feeds beside "
            "Pelican (see docs/building.md); 1: everything in Pelican's process.",
            kind=POSITIVE),
    Setting("COLLOQUY_INTAKE_URL", "/intake",
            "Where reply forms post: the intake server's base URL (same origin by default).",
            kind=TEXT),
    # -- intake server and moderation (docs/intake.md, docs/moderation.md) ----------------
    Setting("COLLOQUY_ENV", "development",
            "'development' (safe local defaults, secret generated into var/) or 'production' "
            "(every secret must come from the environment). The COLLOQUY_ENV environment "
            "variable overrides this setting.",
            kind=TEXT),
    Setting("COLLOQUY_SITE_DIR", None,
            "The site folder, from which var/ paths are taken. Default: the folder of the "
            "settings file given to `colloquy` (else the parent of PATH).",
            kind=OPTIONAL_TEXT),
    Setting("COLLOQUY_STORE_PATH", "var/colloquy.sqlite3",
            "The intake store (SQLite, WAL). A relative path is taken from the site folder, "
            "the one holding pelicanconf.py.",
            kind=TEXT),
    Setting("COLLOQUY_SECRET_FILE", "var/colloquy-secret",
            "Development only: where a generated form-token secret is kept when the "
            "COLLOQUY_SECRET environment variable is not set (relative to the site folder).",
            kind=TEXT),
    Setting("COLLOQUY_MIN_FILL_SECONDS", 3,
            "A form posted sooner than this after its page was served is refused as a bot.",
            kind=NUMBER),
    Setting("COLLOQUY_TOKEN_MAX_AGE", 2 * 24 * 3600,
            "Seconds a form token stays valid; older forms get a 'confirm your comment' page.",
            kind=NUMBER),
    Setting("COLLOQUY_RATE_LIMIT", 5,
            "Comments one address may send per COLLOQUY_RATE_WINDOW seconds (0 turns the "
            "per-address limit off, e.g. for benchmarks).",
            kind=COUNT),
    Setting("COLLOQUY_RATE_WINDOW", 600,
            "Length in seconds of the per-address rate-limit window.",
            kind=NUMBER),
    Setting("COLLOQUY_MAX_LINKS", 3,
            "Most links a comment body may contain.",
            kind=COUNT),
    Setting("COLLOQUY_MAX_BODY_CHARS", 10000,
            "Longest comment body, in characters.",
            kind=COUNT),
    Setting("COLLOQUY_MAX_NAME_CHARS", 80,
            "Longest author name, in characters.",
            kind=COUNT),
    Setting("COLLOQUY_MAX_REQUEST_BYTES", 64 * 1024,
            "Largest request body the intake reads; bigger posts get 413.",
            kind=COUNT),
    Setting("COLLOQUY_DUPLICATE_WINDOW", 7 * 24 * 3600,
            "Seconds during which the same text sent again to the same essay is refused (409).",
            kind=NUMBER),
    Setting("COLLOQUY_CHECK_ORIGIN", True,
            "Refuse posts whose Origin (or Referer) header names another site.",
            kind=FLAG),
    Setting("COLLOQUY_ALLOWED_ORIGINS", [],
            "Extra origins allowed to post, e.g. ['https://www.example.org']. The request's own "
            "host and SITEURL's origin are always allowed.",
            kind=STRINGS),
    Setting("COLLOQUY_TRUSTED_PROXIES", [],
            "Addresses of reverse proxies whose X-Forwarded-For header is believed, e.g. "
            "['127.0.0.1']. Empty: the peer address is the client's.",
            kind=STRINGS),
    Setting("COLLOQUY_AUTO_APPROVE_AFTER", 2,
            "A commenter (matched by e-mail address) with this many approved comments is "
            "published without waiting for moderation; 0 turns auto-approval off.",
            kind=COUNT),
    Setting("COLLOQUY_REBUILD", False,
            "Rebuild the site after `colloquy approve` (same as --rebuild) and after the "
            "intake auto-approves a comment.",
            kind=FLAG),
    Setting("COLLOQUY_RETENTION_DAYS", 30,
            "Days after moderation when a comment's e-mail and IP address are erased from the "
            "store and rejected comments are deleted.",
            kind=NUMBER),
    # -- webmention (docs/webmention.md) ---------------------------------------------------
    Setting("COLLOQUY_WEBMENTION_ALLOW_PRIVATE", False,
            "Let webmention fetches and sends reach private, loopback and link-local "
            "addresses (tests, intranets). Off: such sources are refused, such endpoints skipped.",
            kind=FLAG),
    Setting("COLLOQUY_WEBMENTION_MAX_BYTES", 1_000_000,
            "Most bytes read from a webmention source or a discovered page; larger is refused.",
            kind=POSITIVE),
    Setting("COLLOQUY_WEBMENTION_TIMEOUT", 10,
            "Seconds one fetch or send may take in all, redirects included.",
            kind=NUMBER),
    Setting("COLLOQUY_WEBMENTION_MAX_REDIRECTS", 5,
            "Redirects followed when fetching a source or discovering an endpoint; each hop "
            "is checked like the first.",
            kind=COUNT),
    Setting("COLLOQUY_WEBMENTION_MAX_ATTEMPTS", 6,
            "Tries at fetching a source that fails with a network error, 404 or 5xx before "
            "the webmention is refused.",
            kind=POSITIVE),
    Setting("COLLOQUY_WEBMENTION_RETRY_SECONDS", 60,
            "Wait before the second try; it doubles with each further try (1, 2, 4... minutes).",
            kind=NUMBER),
    Setting("COLLOQUY_WEBMENTION_RATE_LIMIT", 30,
            "Webmentions one address may send per COLLOQUY_RATE_WINDOW seconds (0: no limit).",
            kind=COUNT),
    Setting("COLLOQUY_WEBMENTION_SOURCE_RATE_LIMIT", 30,
            "Webmentions naming sources on one host accepted per COLLOQUY_RATE_WINDOW seconds "
            "(0: no limit).",
            kind=COUNT),
    Setting("COLLOQUY_WEBMENTION_BLOCKLIST", [],
            "Domains whose webmentions are refused (403), subdomains included, e.g. "
            "['spam.example'].",
            kind=STRINGS),
    Setting("COLLOQUY_WEBMENTION_TRUST_DOMAINS", True,
            "Publish a webmention at once when its source's host had one approved by the "
            "author before (like a returning commenter).",
            kind=FLAG),
    Setting("COLLOQUY_WEBMENTION_PUBLISH_TALLIES", False,
            "Publish likes and reposts (no text, only a name) without moderation. Off: they "
            "wait in `colloquy pending` like everything else.",
            kind=FLAG),
    Setting("COLLOQUY_WEBMENTION_EXCERPT_CHARS", 600,
            "Longest excerpt kept of a response's text; the full post is one click away.",
            kind=POSITIVE),
    Setting("COLLOQUY_WEBMENTION_CONCURRENCY", 4,
            "Sources verified at once by the server, and sends in flight at once for "
            "`colloquy webmention send`.",
            kind=POSITIVE),
    # -- notifications and web moderation (docs/notifications.md) -------------------------
    Setting("COLLOQUY_SMTP_HOST", None,
            "The SMTP server that sends notification mail. Not set: nothing is mailed.",
            kind=OPTIONAL_TEXT),
    Setting("COLLOQUY_SMTP_PORT", None,
            "Its port. Default: 587 for 'starttls', 465 for 'tls', 25 for 'none'.",
            kind=PORT),
    Setting("COLLOQUY_SMTP_TLS", "starttls",
            "'starttls' (upgrade a plain connection), 'tls' (implicit TLS from the first "
            "byte) or 'none' (only to a relay on the same machine).",
            kind=TLS_MODE),
    Setting("COLLOQUY_SMTP_USER", None,
            "The SMTP login name; not set: no login.",
            kind=OPTIONAL_TEXT),
    Setting("COLLOQUY_SMTP_PASSWORD_ENV", "COLLOQUY_SMTP_PASSWORD",
            "The environment variable holding the SMTP password (never put the password "
            "itself in a settings file).",
            kind=TEXT),
    Setting("COLLOQUY_SMTP_PASSWORD_FILE", None,
            "A file holding the SMTP password instead (e.g. a systemd credential); relative "
            "paths are taken from the site folder. Read at each delivery.",
            kind=OPTIONAL_TEXT),
    Setting("COLLOQUY_MAIL_FROM", None,
            "The address mail is sent from, e.g. 'comments@example.org'; the site's name is "
            "shown with it.",
            kind=OPTIONAL_TEXT),
    Setting("COLLOQUY_NOTIFY_EMAIL", None,
            "The author's address: new comments and webmentions are mailed here.",
            kind=OPTIONAL_TEXT),
    Setting("COLLOQUY_NOTIFY_BATCH_SECONDS", 120,
            "The author's mail waits this long after the first new item, and carries every "
            "item that arrived meanwhile (0: one mail per item, at once).",
            kind=NUMBER),
    Setting("COLLOQUY_LINK_MAX_AGE", 7 * 24 * 3600,
            "Seconds an approve or reject link in a mail or the private feed stays valid.",
            kind=NUMBER),
    Setting("COLLOQUY_OUTBOX_RETRY_SECONDS", 60,
            "First wait after a failed delivery; it doubles with each failure, up to an hour.",
            kind=NUMBER),
    Setting("COLLOQUY_OUTBOX_GIVE_UP", 2 * 24 * 3600,
            "Seconds after which an undeliverable message is marked failed (see `colloquy "
            "outbox`).",
            kind=NUMBER),
)

DEFAULTS = {s.name: s.default for s in SETTINGS}


def resolve(pelican_settings: dict, strict: bool = False) -> dict:
    """The COLLOQUY_* settings, the user's values over the defaults, each checked.

    A value of the wrong kind is logged (key, value, fix) and its default used; with
    `strict`, SettingError names the first one instead.
    """
    resolved = dict(DEFAULTS)
    for setting in SETTINGS:
        if setting.name not in pelican_settings:
            continue
        value = pelican_settings[setting.name]
        if setting.kind.accepts(value):
            resolved[setting.name] = value
            continue
        message = (f"Invalid '{setting.name}' value: {value!r}; it must be "
                   f"{setting.kind.says}")
        if strict:
            raise SettingError(f"{message} (default {setting.default!r})")
        logger.error("colloquy: %s; using the default, %r", message, setting.default)
    # Settings Colloquy does not declare (another feature's, or a typo) pass through.
    resolved.update((k, v) for k, v in pelican_settings.items()
                    if k.startswith("COLLOQUY_") and k not in DEFAULTS)
    return resolved


def site_timezone(settings: dict):
    """The site's TIMEZONE as a time zone; a name Python does not know is logged and UTC
    used instead."""
    name = settings.get("TIMEZONE") or "UTC"
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        logger.error("colloquy: TIMEZONE '%s' is not a known time zone; using UTC. "
                     "Use an IANA name such as Europe/Berlin", name)
        return ZoneInfo("UTC")


def comments_root(settings: dict) -> Path:
    """The folder holding one folder of comment files per essay."""
    return Path(settings.get("PATH") or "content") / resolve_one(settings, "COLLOQUY_COMMENTS_DIR")


def resolve_one(settings: dict, name: str) -> Any:
    """One setting's checked value (without logging the others')."""
    setting = next(s for s in SETTINGS if s.name == name)
    value = settings.get(name, setting.default)
    return value if setting.kind.accepts(value) else setting.default
