"""The comment file: parse and validate one, write one atomically.

A comment file is UTF-8 text: `key: value` header lines, a blank line, then the
Markdown body. This module knows that format and nothing else: threading, rendering
and scoring happen downstream, on the `Comment` objects it returns.
"""

from __future__ import annotations

import difflib
import os
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Collection, NamedTuple

from .addresses import EMAIL_RE, REDACTED, redact_addresses  # noqa: F401 (importers)
from .errors import CommentFileError
from .files import atomic_write, inside
from .slugs import is_folder_name
from .text import clean, clean_line, clean_name, for_terminal, unclean_lines

ID_RE = re.compile(r"[a-z0-9][a-z0-9-]{0,79}")
KEY_RE = re.compile(r"([A-Za-z][A-Za-z0-9_-]*):(?:[ \t]+(.*)|)$")
KINDS = ("comment", "response", "mention", "like", "repost")
TALLY_KINDS = ("like", "repost")
SOURCES = ("web", "wordpress", "disqus", "isso", "webmention", "staticman", "commento", "pcs")
MIN_YEAR, MAX_YEAR = 2, 9998  # a day from either end: every time zone can show the date
# Keys written first, in this order; any other key follows alphabetically.
KEY_ORDER = ("id", "author", "date", "reply-to", "kind", "url", "website", "role",
             "source", "source-id")



@dataclass
class Comment:
    """One approved comment, as its file says, plus what threading adds later."""

    id: str
    essay: str
    author: str
    date: datetime
    body: str = ""
    reply_to: str | None = None
    kind: str = "comment"
    url: str | None = None
    website: str | None = None
    role: str | None = None
    source: str | None = None
    source_id: str | None = None
    extra: dict[str, str] = field(default_factory=dict)
    path: str = ""
    lines: dict[str, int] = field(default_factory=dict, repr=False)  # header key → line
    # Filled downstream: rendered body, thread structure, substance.
    html: str = ""
    parent: Comment | None = field(default=None, repr=False)
    replies: list[Comment] = field(default_factory=list, repr=False)
    depth: int = 0
    thread_id: str = ""
    orphaned: bool = False
    # Creation over resharing (substance.py): the signals, then the score.
    own_words: int = 0
    links: int = 0
    replies_drawn: int = 0
    author_replied: bool = False
    substance: float = 0.0
    reshare: bool = False

    @property
    def is_author(self) -> bool:
        return self.role == "author"

    @property
    def is_tally(self) -> bool:
        return self.kind in TALLY_KINDS

    @property
    def anchor(self) -> str:
        return f"c-{self.id}"

    def walk(self):
        """This comment and every reply below it, depth first, oldest first."""
        stack = [self]
        while stack:  # iterative: a hostile thread may be thousands deep
            node = stack.pop()
            yield node
            stack.extend(reversed(node.replies))


def is_http_url(value: str) -> bool:
    return bool(re.match(r"https?://[^\s/?#]+\S*$", value, re.IGNORECASE))


def parse_comment(path: str | Path, essay: str | None = None,
                  warnings: list[CommentFileError] | None = None) -> Comment:
    """Read one comment file. Raise CommentFileError when it cannot be used.

    Every other problem found in the same pass (further errors, and warnings about
    fields dropped or text cleaned) is appended to `warnings`.
    """
    comment, problems = read_comment(path, essay)
    fatal = next((p for p in problems if p.fatal), None)
    if warnings is not None:
        warnings.extend(p for p in problems if p is not fatal)
    if fatal is not None:
        raise fatal
    return comment


def read_comment(path: str | Path, essay: str | None = None
                 ) -> tuple[Comment | None, list[CommentFileError]]:
    """Read one comment file in one pass: the comment (None when it cannot be used) and
    every problem in it, each at its own line, in line order. Never raises for content."""
    path = str(path)  # a Path per file costs more than reading a short one
    try:
        with open(path, "rb") as handle:
            raw = handle.read()
    except OSError as exc:
        return None, [CommentFileError(path, 1, f"cannot read the file ({exc.strerror})",
                                       "check its permissions")]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        return None, [CommentFileError(path, line, f"invalid UTF-8 (byte {exc.start})",
                                       "re-save the file as UTF-8")]
    # A lone CR ends a line, as editors show it: line numbers then match what one sees.
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    raw_lines = text.split("\n")
    problems = [_unclean_warning(path, number, raw_lines[number - 1])
                for number in unclean_lines(text)]
    lines = [clean(line) for line in raw_lines] if problems else raw_lines
    header, body_start, header_problems = read_header(lines, path)
    problems += header_problems
    essay = essay or os.path.basename(os.path.dirname(path))
    # With no header, its absence is the one problem to report.
    comment = _comment(header, lines, body_start, path, essay, problems) if header else None
    problems.sort(key=lambda p: p.line)
    return comment, problems


def _unclean_warning(path: str, number: int, line: str) -> CommentFileError:
    """Which characters of a line the text rule removed or changed, and how to fix it."""
    removed = sorted(ch for ch in set(line) if clean(ch) != ch)  # each character once
    kept = "".join(ch for ch in line if ch not in removed)
    what = []
    if removed:
        codes = ", ".join(f"U+{ord(ch):04X}" for ch in removed)
        what.append(f"control characters or noncharacters ({codes}) that feeds (XML) "
                    "cannot carry")
    if not unicodedata.is_normalized("NFC", kept):
        what.append("text not in Unicode NFC")
    return CommentFileError(path, number, f"the line holds {' and '.join(what)}",
                            "they were removed (or normalised) when read and the comment "
                            "still shows; delete them from the file to silence this",
                            fatal=False)


class Header(NamedTuple):
    """The `key: value` lines at the top of a file, as `read_header` found them."""

    fields: dict[str, tuple[str, int]]  # key → (value, line number counting from 1)
    body_start: int                     # index in `lines` of the first body line
    problems: list[CommentFileError]    # every problem, in line order


def read_header(lines: list[str], path: str | Path, *, known: Collection[str] | None = None,
                pattern: re.Pattern = KEY_RE, fold_case: bool = False, start: int = 0,
                resembling: Collection[str] = KEY_ORDER) -> Header:
    """The `key: value` lines (`pattern`) from `lines[start]` to the first blank line of a
    comment file, digest note or import, read in one pass; never raises for a bad line.

    Problems: no header; a line not `key: value` (with no blank line at all, it starts
    the body); an upper-case key (still read; `fold_case` lower-cases keys instead); a
    key given twice (the first kept); no end; a key resembling one of `resembling`
    (`replyto` → `reply-to`, a warning). With `known` the header is optional and holds
    only those keys: the first other line begins the body."""
    fields: dict[str, tuple[str, int]] = {}
    problems: list[CommentFileError] = []
    end = next((i for i in range(start, len(lines)) if not lines[i].strip()), None)
    for index in range(start, len(lines) if end is None else end):
        line, number = lines[index], index + 1
        match = pattern.match(line)
        key = match and (match.group(1).strip().lower() if fold_case else match.group(1))
        if known is not None and (not match or key.lower() not in known):
            return Header(fields, index, problems)  # an optional header ends here
        if not match and not fields:
            break
        if not match:
            problem = f"header line is not 'key: value': {line[:60]!r}"
            if end is None:  # no blank line: the body starts here, without one
                problems.append(CommentFileError(
                    path, number, problem, "end the header with one blank line before the body"))
                return Header(fields, index, problems)
            problems.append(CommentFileError(path, number, problem, "write it as 'key: value', "
                                             "or end the header with one blank line before the body"))
            continue
        problems += _key_problems(path, number, key, fields, () if known else resembling)
        fields.setdefault(key.lower(), ((match.group(2) or "").strip(), number))
    else:  # the loop reached the blank line, or the end of the text
        if fields and end is not None:
            return Header(fields, end + 1, problems)
        if fields and known is None:
            problems.append(CommentFileError(path, len(lines), "the header never ends",
                                             "put one blank line between the header and the body"))
        if fields or known is not None:
            return Header(fields, len(lines) if fields else start, problems)
    problems.insert(0, CommentFileError(
        path, start + 1, "no header", "start the file with 'id:', 'author:' and 'date:' "
        "lines, then a blank line, then the body"))
    return Header(fields, start, problems)


def _key_problems(path, number: int, key: str, fields: dict, resembling: Collection[str]
                  ) -> list[CommentFileError]:
    """One key's problems: its case, a repeat, or a look of a misspelt known key (any
    other unknown key is the author's own, passed to templates)."""
    if key != key.lower():
        return [CommentFileError(path, number, f"key '{key}' is not lower-case",
                                 f"write '{key.lower()}:'")]
    if key in fields:
        return [CommentFileError(path, number, f"key '{key}' given twice (first on line "
                                 f"{fields[key][1]})", "keep one of the two lines")]
    close = [] if key in resembling else difflib.get_close_matches(key, resembling, 1, 0.75)
    return [CommentFileError(path, number, f"unknown key '{key}' (did you mean '{known}'?)",
                             f"write '{known}:'; meanwhile '{key}' is kept as an extra "
                             "field and means nothing to Colloquy", fatal=False)
            for known in close]


class _Fields:
    """A header being checked: values by key, each problem at the line of its key."""

    def __init__(self, header, path: str, end_line: int, problems: list[CommentFileError]):
        self.values = {key: value for key, (value, _) in header.items()}
        self.line = {key: line for key, (_, line) in header.items()}
        self.path, self.end_line, self.problems = path, end_line, problems

    def error(self, key: str, problem: str, fix: str, fatal: bool = True) -> None:
        line = self.line.get(key, self.end_line)
        self.problems.append(CommentFileError(self.path, line, problem, fix, fatal=fatal))

    def required(self, key: str) -> str:
        if key not in self.values:
            self.error(key, f"missing required key '{key}'", f"add a '{key}: ...' line to the header")
        elif not self.values[key]:
            self.error(key, f"key '{key}' is empty", f"write a value after '{key}:'")
        return self.values.pop(key, "")

    def http(self, key: str) -> str | None:
        value = self.values.pop(key, None) or None
        if value and not is_http_url(value):
            self.error(key, f"{key} '{for_terminal(value)}' is not http(s)",
                       "dropped it; use an http:// or https:// address", fatal=False)
            return None
        return value

    def comment_id(self) -> str:
        comment_id = self.required("id")
        name = os.path.basename(self.path)
        if comment_id and not ID_RE.fullmatch(comment_id):
            self.error("id", f"id '{for_terminal(comment_id)}' is not valid",
                       "use 1-80 lower-case letters, digits and hyphens")
        elif comment_id and comment_id != os.path.splitext(name)[0]:
            self.error("id", f"id '{comment_id}' does not match the file name "
                       f"'{for_terminal(name)}'",
                       f"rename the file to '{comment_id}.md' or fix the id")
        return comment_id

    def author(self) -> str:
        raw = self.required("author")
        author = clean_name(raw)
        if raw and not author:
            self.error("author", "the author name has no visible character (only spaces, "
                       "invisible or control characters)", "write a name readers can see")
        elif author != clean_line(raw):
            self.error("author", "the author name holds invisible or bidirectional control "
                       "characters", "they were removed; delete them from the file to "
                       "silence this", fatal=False)
        return author

    def kind(self) -> str:
        kind = self.values.pop("kind", "") or "comment"
        if kind not in KINDS:
            self.error("kind", f"unknown kind '{for_terminal(kind)}'",
                       f"use one of: {', '.join(KINDS)}")
        if kind in ("response", "mention") and not is_http_url(self.values.get("url") or ""):
            self.error("url", f"a {kind} needs the http(s) URL of the post it stands for",
                       "add 'url: https://...' to the header")
        return kind

    def reply_to(self, comment_id: str) -> str | None:
        reply_to = self.values.pop("reply-to", None) or None
        if reply_to is not None and not ID_RE.fullmatch(reply_to):
            self.error("reply-to", f"reply-to '{for_terminal(reply_to)}' is not an id",
                       "give the id of the parent comment on the same essay")
        elif reply_to is not None and reply_to == comment_id:
            self.error("reply-to", "the comment replies to itself",
                       "remove 'reply-to' or name the parent comment's id")
        return reply_to

    def source(self) -> str | None:
        source = self.values.pop("source", None)
        if source is not None and source not in SOURCES:
            self.error("source", f"unknown source '{for_terminal(source)}'",
                       f"kept as is; known sources: {', '.join(SOURCES)}", fatal=False)
        return source


def _comment(header, lines: list[str], body_start: int, path: str, essay: str,
             problems: list[CommentFileError]) -> Comment | None:
    """Check every field of a read header, adding each problem; the Comment, or None."""
    fields = _Fields(header, path, max(body_start, 1), problems)
    comment_id, author = fields.comment_id(), fields.author()
    date = _parse_date(fields.required("date"), fields)
    kind = fields.kind()
    url, website = fields.http("url"), fields.http("website")
    reply_to, source = fields.reply_to(comment_id), fields.source()
    if any(p.fatal for p in problems):
        return None
    return Comment(
        id=comment_id, essay=essay, author=author, date=date,
        body="\n".join(lines[body_start:]).strip("\n"),
        reply_to=reply_to, kind=kind, url=url, website=website,
        role=fields.values.pop("role", None), source=source,
        source_id=fields.values.pop("source-id", None),
        extra={key: clean_line(value) for key, value in fields.values.items()},
        path=str(path), lines=dict(fields.line))


def _parse_date(value: str, fields: _Fields) -> datetime | None:
    if not value:
        return None  # reported as missing or empty
    try:
        date = datetime.fromisoformat(value)
    except ValueError:
        date = None
    if date is None or date.tzinfo is None:
        fields.error("date", f"date '{for_terminal(value)}' is not ISO 8601 with a UTC offset",
                     "write it like 2026-09-14T08:30:00+02:00")
        return None
    if not MIN_YEAR <= date.replace(tzinfo=None).year <= MAX_YEAR:
        # Near year 1 or 9999, moving the time to another zone (UTC, the site's) overflows.
        fields.error("date", f"date '{value}' is outside the years {MIN_YEAR}-{MAX_YEAR}",
                     "write the date the comment was made, like 2026-09-14T08:30:00+02:00")
        return None
    return date


def format_comment(comment: Comment) -> str:
    """The file text for a comment, header keys in a stable order, by the text rule
    (text.py) and with no e-mail or IP address."""
    values = {"id": comment.id, "author": comment.author, "date": comment.date.isoformat(),
              "reply-to": comment.reply_to,
              "kind": None if comment.kind == "comment" else comment.kind,
              "url": comment.url, "website": comment.website, "role": comment.role,
              "source": comment.source, "source-id": comment.source_id}
    values.update(sorted(comment.extra.items()))
    lines = [f"{key}: {clean_line(redact_addresses(str(value)))}"
             for key, value in values.items() if value is not None and value != ""]
    body = clean(redact_addresses(comment.body.strip("\n")))
    return "\n".join(lines) + "\n\n" + body + "\n"


def comment_path(comments_root: str | Path, essay: str, comment_id: str) -> Path:
    return inside(comments_root, essay, f"{comment_id}.md")  # never outside comments_root


def write_comment(comments_root: str | Path, comment: Comment, overwrite: bool = False) -> Path:
    """Write a comment file atomically (temp file, fsync, rename). Return its path.

    Refuses to replace an existing file unless `overwrite`: a second import or a second
    approval must never clobber what the author may have edited by hand. The folder is
    the slug Pelican gives the essay or page, whatever characters Pelican allows there.
    """
    if not ID_RE.fullmatch(comment.id) or not is_folder_name(comment.essay):
        raise ValueError(f"unsafe comment id or essay slug: {comment.essay!r}/{comment.id!r}")
    target = comment_path(comments_root, comment.essay, comment.id)
    return atomic_write(target, format_comment(comment), exclusive=not overwrite)


def load_comments(comments_root: str | Path) -> tuple[list[Comment], list[CommentFileError]]:
    """Every `<essay>/<id>.md` under comments_root: the usable comments and every problem
    found (fatal ones and warnings); a broken file never stops the others."""
    root = Path(comments_root)
    comments: list[Comment] = []
    problems: list[CommentFileError] = []
    folders = root.iterdir() if root.is_dir() else ()
    for folder in sorted(p for p in folders if p.is_dir() and not p.name.startswith(".")):
        for path in sorted(folder.glob("*.md")):
            if path.name.startswith("."):
                continue
            comment, found = read_comment(path, folder.name)
            problems += found
            if comment is not None:
                comments.append(comment)
    return comments, problems
