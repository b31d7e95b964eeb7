"""What importers produce: `Item`s (one comment, pingback, like...) and `EntryFile`s
(an essay or page to create, WordPress only), their ids and their dates.

Every format module reads its export into these; everything after that is shared.
Text is cleaned here, on the way in, by the one rule for text from outside
(`colloquy.text`): an export can hold anything.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import date, datetime, timezone, tzinfo
from email.utils import parsedate_to_datetime

from .. import text
from ..comments import is_http_url
from ..errors import FileProblem


class ImportFileError(FileProblem):
    """An export cannot be read as it is. Raised before anything is written."""

    def __init__(self, path, line: int | None, problem: str, fix: str, fatal: bool = True):
        super().__init__(str(path), line, problem, fix, fatal)
        # The message may quote the export (or its file names): never let it drive the
        # author's terminal.
        self.args = (text.for_terminal(str(self)),)


@dataclass
class Item:
    """One comment-like thing read from an export, before ids and structure are settled."""

    source_id: str
    essay: str
    author: str
    date: datetime | None
    body: str = ""                 # Markdown
    kind: str = "comment"
    parent: str | None = None      # the parent's source id
    reply_to_id: str | None = None # or: the id of a comment already on this site
    url: str | None = None
    website: str | None = None
    email: str | None = None       # kept for the intake store only, never written to content/
    ip: str | None = None
    role: str | None = None
    pending: bool = False
    fallback_date: datetime | None = None   # used (with a warning) when `date` is missing
    where: str = ""                # "file:line" or "file" for messages
    thread_title: str = ""         # the essay or thread as the export names it (report)
    thread_url: str = ""
    wanted_id: str | None = None   # an id the export asks for (Colloquy's own WXR)
    id: str = ""                   # set by plan()

    def __post_init__(self):
        self.source_id = text.clean_line(str(self.source_id or ""))
        self.author = text.clean_name(str(self.author or ""))
        self.body = text.clean(str(self.body or ""))
        self.thread_title = text.clean_line(str(self.thread_title or ""))
        self.thread_url = text.clean_line(str(self.thread_url or ""))
        for name in ("url", "website", "role", "parent"):
            value = getattr(self, name)
            setattr(self, name, text.clean_line(str(value)) or None if value else None)


@dataclass
class EntryFile:
    """An essay or page to create under content/ (WordPress only)."""

    slug: str
    text: str
    kind: str = "essay"            # or "page"
    title: str = ""
    date: datetime | None = None
    source_id: str = ""
    url: str = ""


def field_text(value) -> str:
    """A JSON or YAML field's text; a list, object or boolean where text belongs counts as
    missing (exports are hand-edited, and hostile ones put anything anywhere)."""
    return "" if value is None or isinstance(value, (dict, list, bool)) else str(value)


# -- ids ---------------------------------------------------------------------------------------


def short_hash(*parts: object, size: int = 4) -> str:
    joined = "\x1f".join("" if p is None else str(p) for p in parts)
    return hashlib.blake2b(joined.encode("utf-8"), digest_size=size).hexdigest()


def make_id(source: str, source_id: str) -> str:
    """`<source>-<source id made safe>`: stable, [a-z0-9-], at most 80 characters.

    When making it safe loses anything (case, punctuation, length) a hash of the exact
    source id is appended, so two different source ids never share a comment id.
    """
    raw = str(source_id)
    safe = re.sub(r"[^a-z0-9]+", "-", raw.lower()).strip("-")
    base = f"{source}-{safe}" if safe else source
    if safe == raw and len(base) <= 80:
        return base
    digest = short_hash(raw)
    return f"{base[:80 - len(digest) - 1].rstrip('-')}-{digest}"


def clean_website(value: str | None) -> str | None:
    value = text.clean_line(value or "")
    if not value:
        return None
    if not re.match(r"[a-z][a-z0-9+.-]*:", value, re.IGNORECASE) and "." in value \
            and " " not in value:
        value = "http://" + value  # "example.org" as commenters often type it
    return value if is_http_url(value) else None


# -- dates -------------------------------------------------------------------------------------

_EPOCH_RE = re.compile(r"-?\d{9,13}(?:\.\d+)?$")
_LAYOUTS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d", "%Y/%m/%d %H:%M:%S",
            "%Y/%m/%d %H:%M", "%Y/%m/%d", "%d.%m.%Y %H:%M", "%d.%m.%Y")


def parse_date(value: object, naive_tz: tzinfo = timezone.utc) -> datetime | None:
    """A date from any export as an aware datetime in UTC; None when there is none.

    Accepts ISO 8601 (with `Z` or an offset, or naive), RFC 822, Unix timestamps in
    seconds or milliseconds, and a few common naive layouts. Naive values are read in
    `naive_tz`. WordPress's "0000-00-00 00:00:00" means no date. Only scalars are read:
    a list or mapping (a YAML file can hold one) is no date.
    """
    if value is None or value == "" or isinstance(value, bool):
        return None
    when: datetime | None = None
    if isinstance(value, datetime):
        when = value
    elif isinstance(value, date):
        when = datetime(value.year, value.month, value.day)
    elif isinstance(value, (int, float)):
        when = _from_epoch(float(value))
    elif isinstance(value, str):
        value = value.strip()
        if not value or value.startswith("0000-00-00") or len(value) > 100:
            return None
        when = _from_epoch(float(value)) if _EPOCH_RE.match(value) else _from_text(value)
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=naive_tz)
    try:
        return when.astimezone(timezone.utc).replace(microsecond=0)
    except (OverflowError, ValueError):
        return None


def _from_epoch(seconds: float) -> datetime | None:
    if abs(seconds) > 1e11:  # milliseconds
        seconds /= 1000
    try:
        return datetime.fromtimestamp(seconds, tz=timezone.utc)
    except (OverflowError, OSError, ValueError):
        return None


def _from_text(value: str) -> datetime | None:
    iso = re.sub(r"(\d)[Zz]$", r"\1+00:00", value)
    iso = re.sub(r"([+-]\d\d)(\d\d)$", r"\1:\2", iso)  # +0200 -> +02:00
    # Go writes nanoseconds (Commento: 2019-04-02T08:30:00.123456789Z); Python reads six.
    iso = re.sub(r"(\.\d{6})\d+", r"\1", iso)
    try:
        return datetime.fromisoformat(iso)
    except ValueError:
        pass
    try:
        return parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        pass
    for layout in _LAYOUTS:
        try:
            return datetime.strptime(value, layout)
        except ValueError:
            continue
    try:  # Pelican's own fallback, for whatever else people typed
        from dateutil import parser

        return parser.parse(value)
    except (ValueError, OverflowError, ImportError):
        return None
