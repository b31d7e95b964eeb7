"""Conversation bundles: one essay's comments, prepared once, kept on disk.

A build never holds every comment of a big site in memory at once. Each essay's comment
folder is turned into a bundle — parsed, rendered, threaded, with each thread's HTML —
and written to the cache folder; the main process keeps only a small `Summary` per essay
(counts, thread ids, a light record per comment). Essay pages, thread pages and feeds load
one bundle at a time. A folder whose files have not changed since the last build reuses
its bundle without reading a single comment file.
"""

from __future__ import annotations

import os
import pickle
import struct
import sys
from dataclasses import dataclass, field, fields
from operator import attrgetter
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, NamedTuple

from . import markup, substance
from .background import Batches
from .comments import Comment, parse_comment
from .errors import CommentFileError
from .threads import Conversation, build_conversations

EXCERPT_CHARS = 280
FOLDER_BATCH = 5  # comment folders claimed at a time when both processes prepare
FORMAT = 6  # of the bundle files: part of the site's key, so older caches are not read
# A missing, torn or foreign cache file only costs a slower build.
UNREADABLE = (OSError, EOFError, pickle.UnpicklingError, AttributeError, ValueError, TypeError,
              struct.error)


class Record(NamedTuple):
    """One comment, light enough to keep for every comment of the site."""

    id: str
    essay: str
    author: str
    date: datetime
    kind: str
    thread_id: str
    parent_id: str | None
    is_author: bool
    website: str | None
    url: str | None
    permalink: str
    # Substance signals and score (substance.py), so the digest needs no bundle.
    own_words: int = 0
    links: int = 0
    replies_drawn: int = 0
    author_replied: bool = False
    substance: float = 0.0
    reshare: bool = False


@dataclass
class Summary:
    """What the main process keeps of one essay's conversation."""

    essay: str
    key: str
    ids: list[str] = field(default_factory=list)
    sections: dict[str, list[str]] = field(default_factory=dict)  # section → root ids
    fingerprints: dict[str, str] = field(default_factory=dict)    # root id → content hash
    likes: int = 0
    reposts: int = 0
    problems: list[CommentFileError] = field(default_factory=list)
    records: list[Record] = field(default_factory=list)
    tallies: list[tuple[str, datetime]] = field(default_factory=list)  # (like|repost, date)
    # Comments with words in them (everything but likes and reposts): kept apart from
    # the records, which the build lets go of once the digest has read them.
    count: int = 0

    # A big site has tens of thousands of records, pickled between the build's processes
    # and into the cache: as plain tuples, which pickle works through in C, where a
    # class would cost a Python call each.
    def __getstate__(self):
        return self.__dict__ | {"records": [tuple(r) for r in self.records]}

    def __setstate__(self, state):
        # Each tuple is replaced as soon as its record is made, so the next record takes
        # its place in memory: no holes are left among the records, which a forked
        # process would fill, copying the pages it shares with Pelican's. Names repeat
        # across a site (one per person): interned, each is kept once.
        records = state["records"]
        for number, row in enumerate(records):
            records[number] = Record(row[0], row[1], sys.intern(row[2]), *row[3:])
        self.__dict__.update(state)


@dataclass
class Bundle:
    """Everything one essay's pages and feeds need. Threads are rebuilt on load."""

    comments: list[Comment]
    page_html: dict[str, str]    # root id → thread as the essay page shows it (capped)
    thread_html: dict[str, str]  # root id → the whole thread, where it differs from that
    markup_version: str = markup.MARKUP_VERSION
    # Comment id → (its own words, quotes, code and URLs left out; whether they were cut
    # short), for the digest: read only for the few comments a digest shows, so that the
    # records, kept for every comment of the site, stay light.
    excerpts: dict[str, tuple[str, bool]] = field(default_factory=dict)

    def whole_thread(self, root_id: str) -> str:
        return self.thread_html.get(root_id) or self.page_html[root_id]

    def conversation(self, essay: str) -> Conversation:
        return build_conversations(self.comments, {essay})[0].get(essay) or Conversation(essay)


def comment_files(folder: Path) -> list[os.DirEntry]:
    """The folder's comment files (`*.md`, not hidden), sorted by name."""
    try:
        return sorted((e for e in os.scandir(folder)
                       if e.name.endswith(".md") and not e.name.startswith(".")),
                      key=lambda e: e.name)
    except FileNotFoundError:
        return []


def folder_key(files: list[os.DirEntry], site_key: str) -> str:
    """Changes whenever a comment file of the folder is added, removed or touched."""
    entries = [(e.name, e.stat().st_mtime_ns, e.stat().st_size) for e in files]
    return markup.body_key(repr((site_key, entries)))


class BundleStore:
    """Bundles in one folder (Pelican's cache folder, or a temporary one).

    A bundle file holds four pickles, each read only by what needs it: the folder's
    summary (read when the next build checks whether the folder changed), the excerpts
    (for the digest), what the essay page shows (its threads' HTML), and the comments and
    whole threads, which only thread pages and feeds need. It starts with the offsets of
    the second and third and the file's whole length, so that each part is read without
    the ones before it, and a file cut short is not mistaken for a folder's bundle. The
    process that prepares a folder saves its bundle at once: there is no index to gather
    and save at the end.
    """

    def __init__(self, directory: Path):
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)

    def path(self, essay: str) -> Path:
        return self.directory / f"{essay}.pickle"

    def load_summary(self, essay: str) -> Summary | None:
        """The folder's summary, or None when its bundle is missing, foreign or not whole
        (then the folder is prepared again)."""
        try:
            with self.path(essay).open("rb") as handle:
                length = _HEADER.unpack(handle.read(_HEADER.size))[_LENGTH]
                if length != os.fstat(handle.fileno()).st_size:
                    return None
                summary = pickle.load(handle)
        except UNREADABLE:
            return None
        return summary if isinstance(summary, Summary) else None

    def load_excerpts(self, essay: str) -> dict[str, tuple[str, bool]]:
        """Comment id → its excerpt for the digest; {} when the bundle is unreadable."""
        excerpts = self._load_part(essay, _EXCERPTS)
        return excerpts if isinstance(excerpts, dict) else {}

    def load_page_html(self, essay: str) -> dict[str, str]:
        """Root id → the thread as the essay page shows it; read without the comments."""
        part = self._load_part(essay, _PAGE)  # (markup version, page HTML)
        if isinstance(part, tuple) and len(part) == 2 and isinstance(part[1], dict):
            return part[1]
        return {}

    def _load_part(self, essay: str, offset: int):
        """The part that starts at the header's `offset`-th field; None if unreadable."""
        try:
            with self.path(essay).open("rb") as handle:
                handle.seek(_HEADER.unpack(handle.read(_HEADER.size))[offset])
                return pickle.load(handle)
        except UNREADABLE:
            return None

    def load(self, essay: str) -> Bundle | None:
        try:
            with self.path(essay).open("rb") as handle:
                handle.seek(_HEADER.unpack(handle.read(_HEADER.size))[_PAGE])
                version, page_html = pickle.load(handle)
                comments, thread_html = pickle.load(handle)
        except UNREADABLE:
            return None
        return Bundle(comments, page_html, thread_html, version)

    def save(self, summary: Summary, bundle: Bundle) -> None:
        """Atomically. Each part is a pickle of its own, read on its own: the memo is
        cleared between them. Within a part the memo (a folder's worth, so small) has each
        class and time zone written, and looked up on load, once instead of once per
        comment and date: that halves the time to save and load a bundle."""
        target = self.path(summary.essay)
        tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        parts = (summary, bundle.excerpts, (bundle.markup_version, bundle.page_html),
                 (bundle.comments, bundle.thread_html))
        with tmp.open("wb") as handle:
            pickler = pickle.Pickler(handle, protocol=pickle.HIGHEST_PROTOCOL)
            handle.write(_HEADER.pack(0, 0, 0))
            offsets = []
            for part in parts:
                offsets.append(handle.tell())
                pickler.clear_memo()
                pickler.dump(part)
            length = handle.tell()
            handle.seek(0)
            handle.write(_HEADER.pack(offsets[1], offsets[2], length))
        tmp.replace(target)


# Where the excerpts and the essay page's part start; the file's length.
_HEADER = struct.Struct("<QQQ")
_EXCERPTS, _PAGE, _LENGTH = range(3)


@dataclass
class Preparer:
    """Turns comment folders into bundles and summaries.

    `decorate(conversation)` adds what pages need (permalinks, local dates, scores);
    `render_thread(root)` renders a thread's HTML with the theme's macros: as the essay
    page shows it (capped at COLLOQUY_MAX_DEPTH) and whole, for the thread page.
    """

    store: BundleStore
    site_key: str
    max_depth: int
    decorate: Callable[[Conversation], None]
    render_thread: Callable[[Comment], tuple[str, str]]

    def prepare_all(self, comments_root: Path, batches: Batches) -> dict[str, Summary]:
        """Summaries of the comment folders this process claims from `batches` (all of
        them when it is the only one): unchanged folders reuse last build's bundle."""
        summaries = {}
        folders = []
        if comments_root.is_dir():
            folders = sorted(p for p in comments_root.iterdir()
                             if p.is_dir() and not p.name.startswith("."))
        while (start := batches.claim(FOLDER_BATCH)) < len(folders):
            for folder in folders[start:start + FOLDER_BATCH]:
                files = comment_files(folder)
                key = folder_key(files, self.site_key)
                old = self.store.load_summary(folder.name)
                if old is not None and old.key == key:
                    summaries[folder.name] = old
                else:
                    summaries[folder.name] = self.prepare(folder, key, files=files)
        return summaries

    def prepare(self, folder: Path, key: str, exclude: frozenset[str] = frozenset(),
                files: list[os.DirEntry] | None = None) -> Summary:
        essay = folder.name
        problems: list[CommentFileError] = []
        comments = []
        for entry in comment_files(folder) if files is None else files:
            if entry.name[:-3] in exclude:
                continue
            try:
                comments.append(parse_comment(entry.path, essay, problems))
            except CommentFileError as exc:
                problems.append(exc)
        self._render_bodies(essay, comments)
        conversation, thread_problems = build_conversations(comments, {essay})
        conversation = conversation.get(essay) or Conversation(essay)
        self.decorate(conversation)
        summary = Summary(essay, key, problems=problems + thread_problems,
                          ids=[c.id for c in comments], likes=len(conversation.likes),
                          reposts=len(conversation.reposts))
        bundle = Bundle(comments, {}, {})
        summary.sections = {name: [c.id for c in getattr(conversation, name)]
                            for name in ("responses", "threads", "mentions")}
        for root in conversation.roots:
            summary.fingerprints[root.id] = root.fingerprint = thread_fingerprint(root)
            capped, whole = self.render_thread(root)
            bundle.page_html[root.id] = capped
            if whole != capped:  # kept once when the essay page shows the whole thread
                bundle.thread_html[root.id] = whole
        summary.records, bundle.excerpts, summary.tallies = digest_facts(conversation)
        summary.count = len(summary.records)
        for comment in comments:  # flat on disk: deep threads would overflow pickle's stack
            comment.parent, comment.replies = None, []
        self.store.save(summary, bundle)
        return summary

    def _render_bodies(self, essay: str, comments: list[Comment]) -> None:
        # Bodies unchanged since the last bundle keep their HTML: only new text is rendered.
        old = self.store.load(essay)
        reusable = old is not None and old.markup_version == markup.MARKUP_VERSION
        known = {markup.body_key(c.body): c.html for c in old.comments} if reusable else {}
        for comment in comments:
            key = markup.body_key(comment.body)
            comment.html = known.get(key) or markup.render(comment.body)
            known[key] = comment.html


def digest_facts(conversation: Conversation) -> tuple[list[Record],
                                                     dict[str, tuple[str, bool]],
                                                     list[tuple[str, datetime]]]:
    """What the digest and the site's comments feed read of a scored conversation: a
    record per written comment, each one's excerpt by id, and the tallies' kinds and
    dates (in UTC). The build and the command line (site.py) both take them from here."""
    written = conversation.written
    return ([record(c) for c in written], {c.id: excerpt(c) for c in written},
            [(c.kind, c.date.astimezone(timezone.utc))
             for c in conversation.likes + conversation.reposts])


def record(comment: Comment) -> Record:
    # In UTC: one shared time zone object instead of one per record.
    return Record(comment.id, comment.essay, comment.author,
                  comment.date.astimezone(timezone.utc), comment.kind,
                  comment.thread_id, comment.parent.id if comment.parent else None,
                  comment.is_author, comment.website, comment.url, comment.permalink,
                  comment.own_words, comment.links, comment.replies_drawn,
                  comment.author_replied, comment.substance, comment.reshare)


def excerpt(comment: Comment) -> tuple[str, bool]:
    """The comment's own words as one line, and whether they were cut at EXCERPT_CHARS."""
    text = substance.analyse(comment.body).text
    cut = len(text) > EXCERPT_CHARS
    if cut:  # no ellipsis stored: one non-ASCII character would double the string's size
        text = text[:EXCERPT_CHARS].rsplit(" ", 1)[0]
    return text, cut


# What a thread shows of each comment: every field but its links and its source text.
_SHOWN_FIELDS = attrgetter(*(f.name for f in fields(Comment)
                             if f.name not in {"parent", "replies", "path", "body"}),
                           "permalink")


def thread_fingerprint(root: Comment) -> str:
    """A hash of everything a thread's HTML and feed show, to reuse or skip unchanged ones."""
    return markup.body_key(repr([_SHOWN_FIELDS(c) for c in root.walk()]))
