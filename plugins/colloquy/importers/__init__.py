"""Importers: bring an old blog's conversations over, completely and only once.

Every format module turns its export into `Item`s (one a comment, pingback, like...)
and, for WordPress, `EssayFile`s. Everything after that is shared and lives here:

1. `plan()` validates the items and builds the whole import in memory: stable ids made
   from the source's ids, reply structure (orphans attached at top level and reported),
   dates normalised, items already imported recognised, unapproved items set aside for
   the pending queue. Nothing is written until every input has been read and checked.
2. `apply()` writes the plan: essays and comment files one atomic file each, never over
   an existing file, and pending items into the intake store. `--dry-run` stops before.
3. `Report` counts what was imported, queued, skipped and why, and the warnings.

A malformed input raises `ImportFileError` naming the file and line, before any write.
"""

from __future__ import annotations

import hashlib
import os
import re
import sys
import tempfile
import unicodedata
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timezone, tzinfo
from email.utils import parsedate_to_datetime
from pathlib import Path
from urllib.parse import unquote, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ..comments import ID_RE, KEY_RE, Comment, is_http_url, write_comment
from ..errors import ColloquyError

FORMATS = ("wordpress", "disqus", "isso", "webmention", "staticman", "commento", "pcs")
# Inputs at least this big get a progress bar (when stderr is a terminal).
PROGRESS_MIN_BYTES = 2_000_000
PROGRESS_MIN_ITEMS = 2_000


class ImportFileError(ColloquyError):
    """An export cannot be read as it is. Raised before anything is written."""

    def __init__(self, path: str | Path, line: int | None, problem: str, fix: str):
        self.path = str(path)
        self.line = line
        self.problem = problem
        self.fix = fix
        where = f"{self.path}:{line}" if line else self.path
        super().__init__(f"{where}: {problem}; {fix}")


# -- what importers produce ----------------------------------------------------------------


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
    id: str = ""                   # set by plan()


@dataclass
class EssayFile:
    """An essay to create under content/essays (WordPress only)."""

    slug: str
    text: str
    title: str = ""
    date: datetime | None = None


@dataclass
class Report:
    """What an import did, or would do, and why anything was left out."""

    source: str
    path: str
    dry_run: bool = False
    imported: Counter = field(default_factory=Counter)   # kind -> count
    pending: int = 0
    already: int = 0          # present from an earlier import (file or queue)
    skipped: Counter = field(default_factory=Counter)    # reason -> count
    warnings: list[str] = field(default_factory=list)
    essays_new: list[str] = field(default_factory=list)
    essays_kept: list[str] = field(default_factory=list)
    orphans: int = 0
    # source id of each skipped item -> its parent's, so its replies can climb past it
    dropped: dict[str, str | None] = field(default_factory=dict)

    def skip(self, reason: str, count: int = 1) -> None:
        self.skipped[reason] += count

    def drop(self, source_id: str, parent: str | None, reason: str) -> None:
        """Skip one item that replies may point at."""
        self.dropped[str(source_id)] = str(parent) if parent else None
        self.skip(reason)

    def warn(self, message: str) -> None:
        if message not in self.warnings:
            self.warnings.append(message)

    @property
    def total_imported(self) -> int:
        return sum(self.imported.values())

    def render(self) -> str:
        verb = "would import" if self.dry_run else "imported"
        lines = [f"colloquy import {self.source} {self.path}"
                 + (" (dry run: nothing written)" if self.dry_run else "")]
        if self.essays_new or self.essays_kept:
            lines.append(f"  essays: {len(self.essays_new)} {'to create' if self.dry_run else 'created'}"
                         f", {len(self.essays_kept)} already there (kept as they are)")
        kinds = ", ".join(f"{n} {kind}{'s' if n != 1 else ''}"
                          for kind, n in sorted(self.imported.items()))
        lines.append(f"  {verb}: {self.total_imported}" + (f" ({kinds})" if kinds else ""))
        lines.append(f"  {'to queue' if self.dry_run else 'queued'} for moderation: "
                     f"{self.pending}")
        lines.append(f"  already imported before: {self.already}")
        if self.orphans:
            lines.append(f"  replies whose parent is missing, attached at top level: "
                         f"{self.orphans}")
        lines.append(f"  skipped: {sum(self.skipped.values())}")
        for reason, count in sorted(self.skipped.items(), key=lambda kv: (-kv[1], kv[0])):
            lines.append(f"    {count:>6}  {reason}")
        if self.warnings:
            lines.append(f"  warnings: {len(self.warnings)}")
            shown = self.warnings[:50]
            lines += [f"    - {w}" for w in shown]
            if len(self.warnings) > len(shown):
                lines.append(f"    ... and {len(self.warnings) - len(shown)} more")
        return "\n".join(lines)


@dataclass
class Plan:
    essays: list[EssayFile] = field(default_factory=list)
    comments: list[Comment] = field(default_factory=list)
    pending: list[tuple[Comment, str | None, str | None]] = field(default_factory=list)


# -- the site being imported into ----------------------------------------------------------


class Site:
    """Where an import writes, and what is already there."""

    def __init__(self, settings: dict):
        from .. import settings as colloquy_settings

        self.settings = settings
        self.content = Path(settings.get("PATH") or "content")
        colloquy = colloquy_settings.resolve(settings)
        self.comments_root = self.content / colloquy["COLLOQUY_COMMENTS_DIR"]
        paths = settings.get("ARTICLE_PATHS") or ["essays"]
        self.essays_dir = self.content / (paths[0] or "essays")
        self.timezone = site_timezone(settings.get("TIMEZONE"))
        self.essays = EssayIndex(self.essays_dir, self.timezone)

    def store_path(self) -> Path:
        from ..store import default_store_path

        return default_store_path(self.settings)


def site_timezone(name: str | None) -> tzinfo:
    if not name:
        return timezone.utc
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return timezone.utc


HEADER_RE = re.compile(r"([A-Za-z][A-Za-z0-9_ -]*):\s*(.*)$")


def read_metadata(path: Path) -> dict[str, str]:
    """The `Key: value` header of a Pelican Markdown file, keys lower-cased."""
    meta: dict[str, str] = {}
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return meta
    for line in text.replace("\r\n", "\n").split("\n"):
        if not line.strip():
            break
        match = HEADER_RE.match(line)
        if not match:
            break
        meta.setdefault(match.group(1).strip().lower(), match.group(2).strip())
    return meta


class EssayIndex:
    """The essays of the site, found by slug, file stem, title or old URL."""

    SUFFIXES = (".md", ".markdown", ".mdown", ".rst", ".html", ".htm")

    def __init__(self, folder: Path, zone: tzinfo = timezone.utc):
        self.slugs: set[str] = set()
        self.aliases: dict[str, str] = {}
        self.dates: dict[str, datetime] = {}
        if not folder.is_dir():
            return
        for path in sorted(folder.rglob("*")):
            if path.suffix.lower() not in self.SUFFIXES or not path.is_file():
                continue
            meta = read_metadata(path) if path.suffix.lower() != ".html" else {}
            slug = meta.get("slug") or slugify(meta.get("title", "")) or slugify(path.stem)
            self.add(slug, title=meta.get("title"), stem=path.stem)
            when = parse_date(meta.get("date"), zone)  # naive: the site's TIMEZONE
            if when:
                self.dates[slug] = when

    def add(self, slug: str, title: str | None = None, stem: str | None = None) -> None:
        self.slugs.add(slug)
        for alias in (slug, stem and slugify(stem), title and slugify(title)):
            if alias:
                self.aliases.setdefault(alias, slug)

    def __contains__(self, slug: str) -> bool:
        return slug in self.slugs

    def match(self, *candidates: str | None) -> str | None:
        """The slug of the first candidate (URL, path, slug or title) naming an essay."""
        for candidate in candidates:
            for key in _candidate_keys(candidate):
                if key in self.aliases:
                    return self.aliases[key]
        return None


_IGNORED_SEGMENTS = re.compile(r"(index(\.\w+)?|amp|feed|comments|comment-page-\d+|trackback)$",
                               re.IGNORECASE)


def _candidate_keys(candidate: str | None):
    """Slug-like keys from a URL, a path or free text, most specific first.

    Only a URL's last meaningful segment counts (".../2019/04/<slug>/amp/" gives
    <slug>): earlier segments are years, sections and the like, never the essay.
    """
    if not candidate or not str(candidate).strip():
        return
    text = str(candidate).strip()
    # Disqus's WordPress plugin writes thread ids as "<post id> <guid>".
    if re.match(r"\d+ \S+$", text):
        text = text.split(" ", 1)[1]
    if "/" in text and " " not in text:
        parts = urlsplit(text)
        path = unquote(parts.path if (parts.scheme or text.startswith("/")) else text)
        segments = [s for s in path.split("/") if s and not _IGNORED_SEGMENTS.match(s)]
        if segments:
            key = slugify(re.sub(r"\.(html?|php|md)$", "", segments[-1], flags=re.IGNORECASE))
            if key and not key.isdigit():
                yield key
        return
    key = slugify(re.sub(r"\.(html?|php|md)$", "", text, flags=re.IGNORECASE))
    if key:
        yield key


def slugify(text: str | None) -> str:
    """ASCII lower-case slug of [a-z0-9-], as essay folders need."""
    if not text:
        return ""
    text = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode("ascii")
    text = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return text[:80].rstrip("-")


# -- ids, dates, text ----------------------------------------------------------------------


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


_EPOCH_RE = re.compile(r"-?\d{9,13}(?:\.\d+)?$")
_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d", "%Y/%m/%d %H:%M:%S",
            "%Y/%m/%d %H:%M", "%Y/%m/%d", "%d.%m.%Y %H:%M", "%d.%m.%Y")


def parse_date(value: object, naive_tz: tzinfo = timezone.utc) -> datetime | None:
    """A date from any export as an aware datetime in UTC; None when there is none.

    Accepts ISO 8601 (with `Z` or an offset, or naive), RFC 822, Unix timestamps in
    seconds or milliseconds, and a few common naive layouts. Naive values are read in
    `naive_tz`. WordPress's "0000-00-00 00:00:00" means no date.
    """
    if value is None or value == "":
        return None
    when: datetime | None = None
    if isinstance(value, datetime):
        when = value
    elif isinstance(value, date):
        when = datetime(value.year, value.month, value.day)
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        when = _from_epoch(float(value))
    else:
        text = str(value).strip()
        if not text or text.startswith("0000-00-00"):
            return None
        if _EPOCH_RE.match(text):
            when = _from_epoch(float(text))
        else:
            when = _from_text(text)
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=naive_tz)
    return when.astimezone(timezone.utc).replace(microsecond=0)


def _from_epoch(seconds: float) -> datetime | None:
    if abs(seconds) > 1e11:  # milliseconds
        seconds /= 1000
    try:
        return datetime.fromtimestamp(seconds, tz=timezone.utc)
    except (OverflowError, OSError, ValueError):
        return None


def _from_text(text: str) -> datetime | None:
    iso = re.sub(r"(\d)[Zz]$", r"\1+00:00", text)
    iso = re.sub(r"([+-]\d\d)(\d\d)$", r"\1:\2", iso)  # +0200 -> +02:00
    try:
        return datetime.fromisoformat(iso)
    except ValueError:
        pass
    try:
        return parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        pass
    for layout in _FORMATS:
        try:
            return datetime.strptime(text, layout)
        except ValueError:
            continue
    try:  # Pelican's own fallback, for whatever else people typed
        from dateutil import parser

        return parser.parse(text)
    except (ValueError, OverflowError, ImportError):
        return None


def one_line(text: str | None) -> str:
    return " ".join((text or "").split())


def clean_website(value: str | None) -> str | None:
    value = (value or "").strip()
    if not value:
        return None
    if not re.match(r"[a-z][a-z0-9+.-]*:", value, re.IGNORECASE) and "." in value \
            and " " not in value:
        value = "http://" + value  # "example.org" as commenters often type it
    return value if is_http_url(value) else None


MAX_UNPACKED = 2_000_000_000


def read_export(path: Path) -> bytes:
    """An export file's bytes, unpacked when gzipped (Disqus and Commento send .gz files)."""
    import gzip
    import io

    raw = read_bytes(path)
    if raw[:2] != b"\x1f\x8b":
        return raw
    try:
        unpacked = gzip.GzipFile(fileobj=io.BytesIO(raw)).read(MAX_UNPACKED + 1)
    except (OSError, EOFError) as exc:
        raise ImportFileError(path, None, f"a damaged gzip file ({exc})",
                              "download the export again") from None
    if len(unpacked) > MAX_UNPACKED:
        raise ImportFileError(path, None, "refused: it unpacks to more than 2 GB "
                              "(possible gzip bomb)", "unpack it yourself and check it")
    return unpacked


def read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except IsADirectoryError:
        raise ImportFileError(path, None, "is a folder, not an export file",
                              "give the path of the exported file") from None
    except FileNotFoundError:
        raise ImportFileError(path, None, "no such file", "check the path") from None
    except OSError as exc:
        raise ImportFileError(path, None, f"cannot read it ({exc.strerror})",
                              "check its permissions") from None


def decode_utf8(raw: bytes, path: Path) -> str:
    """The text of a UTF-8 file; invalid bytes are an error naming the line."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ImportFileError(path, line, f"invalid UTF-8 (byte {exc.start})",
                              "export the file again, or re-save it as UTF-8") from None


def load_json(path: Path, what: str, hint: str, raw: bytes | None = None):
    """JSON from a file (or its unpacked bytes), errors naming the line and column."""
    import json

    text = decode_utf8(read_export(path) if raw is None else raw, path)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        at_end = exc.pos >= len(text.rstrip()) or exc.msg.startswith("Unterminated string")
        fix = (f"the file ends too early (truncated?) or a quote is never closed; {hint}"
               if at_end else f"the {what} file is damaged there; {hint}")
        raise ImportFileError(path, exc.lineno, f"not valid JSON ({exc.msg}, column "
                              f"{exc.colno})", fix) from None
    except RecursionError:
        raise ImportFileError(path, None, "refused: the JSON is nested too deeply",
                              f"a genuine {what} export is shallow; {hint}") from None


# -- progress ------------------------------------------------------------------------------


class _NoProgress:
    def advance(self, amount: int = 1) -> None:
        pass


class _RichProgress:
    def __init__(self, progress, task):
        self.progress, self.task = progress, task

    def advance(self, amount: int = 1) -> None:
        self.progress.advance(self.task, amount)


def wants_progress(size: int = 0, items: int = 0) -> bool:
    return sys.stderr.isatty() and (size >= PROGRESS_MIN_BYTES or items >= PROGRESS_MIN_ITEMS)


@contextmanager
def progress_bar(description: str, total: int, enabled: bool):
    """A rich progress bar on stderr, or nothing when not wanted (pipes, small inputs)."""
    if not enabled:
        yield _NoProgress()
        return
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn

    with Progress(TextColumn("{task.description}"), BarColumn(), TaskProgressColumn(),
                  console=Console(stderr=True), transient=True) as progress:
        yield _RichProgress(progress, progress.add_task(description, total=total))


# -- plan: ids, structure, idempotency -----------------------------------------------------


def existing_imports(comments_root: Path) -> dict[tuple[str, str], tuple[str, str]]:
    """(source, source-id) -> (essay, comment id) for every comment file already there.

    Reads headers only, so a comment file that is broken elsewhere still counts.
    """
    found: dict[tuple[str, str], tuple[str, str]] = {}
    if not comments_root.is_dir():
        return found
    for path in comments_root.glob("*/*.md"):
        header: dict[str, str] = {}
        try:
            with path.open(encoding="utf-8", errors="replace") as handle:
                for line in handle:
                    match = KEY_RE.match(line.rstrip("\r\n"))
                    if not match:
                        break
                    header.setdefault(match.group(1), (match.group(2) or "").strip())
        except OSError:
            continue
        if header.get("source") and header.get("source-id"):
            found[(header["source"], header["source-id"])] = (path.parent.name, path.stem)
    return found


def existing_ids(comments_root: Path) -> set[str]:
    if not comments_root.is_dir():
        return set()
    return {p.stem for p in comments_root.glob("*/*.md")}


def plan(source: str, items: list[Item], site: Site, report: Report,
         essays: list[EssayFile] | None = None) -> Plan:
    """Validate items and settle ids, structure and what goes where. Writes nothing."""
    result = Plan(essays=list(essays or []))
    known_essays = set(site.essays.slugs) | {e.slug for e in result.essays}
    items = _dedupe(source, items, report)

    previous = existing_imports(site.comments_root)
    taken = existing_ids(site.comments_root)
    by_source: dict[str, Item] = {}
    for item in items:
        if item.essay not in known_essays or not ID_RE.fullmatch(item.essay):
            report.skip("its essay is not on this site")
            continue
        if item.kind in ("response", "mention") and not is_http_url(item.url or ""):
            if item.kind == "mention":
                report.skip("a mention without an http(s) URL")
                continue
            item.kind = "comment"
        earlier = previous.get((source, item.source_id))
        if earlier:
            item.id = earlier[1]
        else:
            item.id = make_id(source, item.source_id)
            while item.id in taken:  # a hand-made file or a hash clash holds it
                item.id = make_id(source, f"{item.source_id}~{short_hash(item.id)}")
            taken.add(item.id)
        by_source[item.source_id] = item

    for item in by_source.values():
        if (source, item.source_id) in previous:
            report.already += 1
            continue
        if item.date is None:
            item.date = item.fallback_date or site.essays.dates.get(item.essay)
            if item.date is None:
                item.date = datetime(1970, 1, 1, tzinfo=timezone.utc)
            report.warn(f"{item.where or source} {item.source_id}: no date; used "
                        f"{item.date.isoformat()} (the essay's date or the file's)")
        reply_to = _resolve_parent(item, by_source, previous, source, report,
                                   site.comments_root)
        comment = Comment(
            id=item.id, essay=item.essay, author=one_line(item.author) or "Anonymous",
            date=item.date, body=item.body.strip("\n"), reply_to=reply_to, kind=item.kind,
            url=item.url if item.kind in ("response", "mention") else None,
            website=clean_website(item.website), role=item.role, source=source,
            source_id=item.source_id)
        if item.pending:
            result.pending.append((comment, item.email or None, item.ip or None))
        else:
            result.comments.append(comment)
    _break_cycles(result.comments + [c for c, _, _ in result.pending], report, source)
    return result


def _break_cycles(comments: list[Comment], report: Report, source: str) -> None:
    """A chain of reply-to that comes back on itself is cut at its oldest comment."""
    by_id = {c.id: c for c in comments}
    done: set[str] = set()
    for start in comments:
        path: list[Comment] = []
        position: dict[str, int] = {}
        node: Comment | None = start
        while node is not None and node.id not in done:
            if node.id in position:
                cycle = path[position[node.id]:]
                oldest = min(cycle, key=lambda c: (c.date, c.id))
                oldest.reply_to = None
                report.orphans += 1
                report.warn(f"{source} {oldest.source_id}: its replies form a cycle "
                            f"({' → '.join(c.source_id or c.id for c in cycle)}); "
                            "attached at top level")
                break
            position[node.id] = len(path)
            path.append(node)
            node = by_id.get(node.reply_to) if node.reply_to else None
        done.update(c.id for c in path)


def _dedupe(source: str, items: list[Item], report: Report) -> list[Item]:
    """Give empty ids a stable one; drop exact duplicates; split clashing ids."""
    seen: dict[str, Item] = {}
    out: list[Item] = []
    for item in items:
        fingerprint = short_hash(item.essay, item.author, item.date, item.body, size=6)
        if not str(item.source_id or "").strip():
            item.source_id = f"h{fingerprint}"
            report.warn(f"{item.where or source}: an item without an id was given the stable "
                        f"id {item.source_id} (from its essay, author, date and text)")
        item.source_id = one_line(str(item.source_id))
        first = seen.get(item.source_id)
        if first is not None:
            if short_hash(first.essay, first.author, first.date, first.body, size=6) == fingerprint:
                report.skip("a duplicate of another item in the export")
                continue
            new_id = f"{item.source_id}-{fingerprint}"
            report.warn(f"{item.where or source}: id {item.source_id} is used twice for "
                        f"different comments; the second is imported as {new_id}")
            item.source_id = new_id
        seen[item.source_id] = item
        out.append(item)
    return out


def _resolve_parent(item: Item, by_source: dict[str, Item], previous: dict, source: str,
                    report: Report, comments_root: Path) -> str | None:
    """The comment id an item replies to, or None (top level), reporting orphans.

    A published reply to an unapproved comment climbs to the nearest published
    ancestor; tallies never thread; a parent on another essay or a cycle makes an orphan.
    """
    if item.kind in ("like", "repost"):
        return None
    if item.reply_to_id:
        if (comments_root / item.essay / f"{item.reply_to_id}.md").exists():
            return item.reply_to_id
        report.orphans += 1
        report.warn(f"{item.where or source} {item.source_id}: replies to comment "
                    f"{item.reply_to_id}, which is not on this essay; attached at top level")
        return None
    if not item.parent:
        return None
    seen = {item.source_id}
    parent_sid = str(item.parent)
    while True:
        parent = by_source.get(parent_sid)
        if parent is None and parent_sid in report.dropped and parent_sid not in seen:
            # The parent was skipped (deleted, spam...): climb to its own parent.
            seen.add(parent_sid)
            grandparent = report.dropped[parent_sid]
            if grandparent:
                parent_sid = str(grandparent)
                continue
            report.orphans += 1
            report.warn(f"{item.where or source} {item.source_id}: its parent {parent_sid} was "
                        "skipped; attached at top level")
            return None
        if parent is None:
            earlier = previous.get((source, parent_sid))
            if earlier and earlier[0] == item.essay:
                return earlier[1]
            report.orphans += 1
            report.warn(f"{item.where or source} {item.source_id}: its parent {parent_sid} is "
                        "not in the export; attached at top level")
            return None
        if parent.essay != item.essay or parent_sid in seen:
            report.orphans += 1
            why = "is on another essay" if parent.essay != item.essay else "forms a reply cycle"
            report.warn(f"{item.where or source} {item.source_id}: its parent {parent_sid} {why}; "
                        "attached at top level")
            return None
        if item.pending or not parent.pending:
            return parent.id
        seen.add(parent_sid)
        if not parent.parent:
            report.warn(f"{item.where or source} {item.source_id}: replies to an unapproved "
                        "comment; attached at top level")
            return None
        parent_sid = str(parent.parent)


# -- apply: the only place that writes -----------------------------------------------------


def apply(result: Plan, site: Site, report: Report, dry_run: bool) -> None:
    """Write essays, comment files and pending rows. Each file atomic; nothing overwritten."""
    try:
        _apply(result, site, report, dry_run)
    except OSError as exc:
        where = exc.filename or site.content
        raise ColloquyError(f"{where}: cannot write ({exc.strerror or exc}); fix the folder's "
                            "permissions or free space, then run the import again (what was "
                            "written is kept and will not be written twice)") from None


def _apply(result: Plan, site: Site, report: Report, dry_run: bool) -> None:
    for essay in result.essays:
        target = site.essays_dir / f"{essay.slug}.md"
        if essay.slug in site.essays or target.exists():
            report.essays_kept.append(essay.slug)
            continue
        report.essays_new.append(essay.slug)
        if not dry_run:
            write_text_atomic(target, essay.text)
    enabled = wants_progress(items=len(result.comments) + len(result.pending))
    with progress_bar("writing comments", len(result.comments) + len(result.pending),
                      enabled and not dry_run) as bar:
        for comment, written in _write_all(result.comments, site, dry_run):
            bar.advance()
            if not written:
                report.already += 1
                report.warn(f"{comment.essay}/{comment.id}.md already exists without "
                            "matching source keys; left as it is")
                continue
            report.imported[comment.kind] += 1
        if result.pending and not dry_run:
            from ..store import Store

            store = Store(site.store_path())
            try:
                for comment, email, ip in result.pending:
                    if store.add_pending(comment, email=email, ip=ip):
                        report.pending += 1
                    else:
                        report.already += 1
                    bar.advance()
            finally:
                store.close()
        elif dry_run:
            report.pending += len(result.pending)


WRITERS = 8  # fsync waits on the disk, not the CPU: a few threads overlap those waits


def _write_all(comments: list[Comment], site: Site, dry_run: bool):
    """Yield (comment, written) for each comment, writing each atomically via write_comment."""
    if dry_run:
        yield from ((comment, True) for comment in comments)
        return

    def write(comment: Comment) -> bool:
        try:
            write_comment(site.comments_root, comment)
        except FileExistsError:
            return False
        return True

    if len(comments) < 50:
        yield from ((comment, write(comment)) for comment in comments)
        return
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(WRITERS) as pool:
        yield from zip(comments, pool.map(write, comments))


def write_text_atomic(target: Path, text: str) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=target.suffix, dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        if target.exists():  # appeared meanwhile: never replace an essay
            raise FileExistsError(target)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def run(source: str, path: str | Path, settings: dict, dry_run: bool = False) -> Report:
    """Read an export of `source` format at `path` into the site of `settings`."""
    from importlib import import_module

    if source not in FORMATS:
        raise ColloquyError(f"unknown import format '{source}'; use one of: {', '.join(FORMATS)}")
    module = import_module(f".{source}", __name__)
    site = Site(settings)
    report = Report(source=source, path=str(path), dry_run=dry_run)
    items, essays = module.read(Path(path), site, report)
    result = plan(source, items, site, report, essays)
    apply(result, site, report, dry_run)
    return report


__all__ = ["FORMATS", "EssayFile", "ImportFileError", "Item", "Plan", "Report", "Site",
           "apply", "make_id", "parse_date", "plan", "run"]
