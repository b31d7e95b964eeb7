"""The comment file: parse and validate one, write one atomically.

A comment file is UTF-8 text: `key: value` header lines, a blank line, then the
Markdown body. This module knows that format and nothing else: threading, rendering
and scoring happen downstream, on the `Comment` objects it returns.
"""

from __future__ import annotations

import ipaddress
import os
import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Collection

from .errors import CommentFileError

ID_RE = re.compile(r"[a-z0-9][a-z0-9-]{0,79}")
KEY_RE = re.compile(r"([A-Za-z][A-Za-z0-9_-]*):(?:[ \t]+(.*)|)$")
KINDS = ("comment", "response", "mention", "like", "repost")
TALLY_KINDS = ("like", "repost")
SOURCES = ("web", "wordpress", "disqus", "isso", "webmention", "staticman", "commento", "pcs")
REQUIRED = ("id", "author", "date")
# Keys written first, in this order; any other key follows alphabetically.
KEY_ORDER = ("id", "author", "date", "reply-to", "kind", "url", "website", "role",
             "source", "source-id")

EMAIL_RE = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# Candidates only; ipaddress decides (so times like 12:30:45 are left alone).
IP_CANDIDATE_RE = re.compile(r"(?<![\w.:])[0-9A-Fa-f]*[:.][0-9A-Fa-f:.]*[0-9A-Fa-f](?:%\w+)?(?![\w:])")
REDACTED = "[address removed]"


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

    Problems with optional fields do not stop the comment: the field is dropped and a
    CommentFileError is appended to `warnings` instead.
    """
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise CommentFileError(path, 1, f"cannot read the file ({exc.strerror})",
                               "check its permissions") from None
    return parse_comment_bytes(raw, path, essay or path.parent.name, warnings)


def parse_comment_bytes(raw: bytes, path: Path, essay: str,
                        warnings: list[CommentFileError] | None = None) -> Comment:
    text = _decode(raw, path)
    lines = text.split("\n")
    found = read_header(lines, path)
    if found.problems:
        raise found.problems[0]
    header, body_start = found.fields, found.body_start
    fields = {key: value for key, (value, _) in header.items()}
    line_of = {key: line for key, (_, line) in header.items()}
    warnings = warnings if warnings is not None else []

    for key in REQUIRED:
        if not fields.get(key):
            raise CommentFileError(path, len(header) + 1, f"missing required key '{key}'",
                                   f"add a '{key}: ...' line to the header")
    comment_id = fields.pop("id")
    if not ID_RE.fullmatch(comment_id):
        raise CommentFileError(path, line_of["id"], f"id '{comment_id}' is not valid",
                               "use 1-80 lower-case letters, digits and hyphens")
    if comment_id != path.stem:
        raise CommentFileError(path, line_of["id"],
                               f"id '{comment_id}' does not match the file name '{path.name}'",
                               f"rename the file to '{comment_id}.md' or fix the id")
    date = _parse_date(fields.pop("date"), path, line_of["date"])
    kind = fields.pop("kind", "comment") or "comment"
    if kind not in KINDS:
        raise CommentFileError(path, line_of["kind"], f"unknown kind '{kind}'",
                               f"use one of: {', '.join(KINDS)}")
    url = fields.pop("url", None)
    if kind in ("response", "mention") and not (url and is_http_url(url)):
        raise CommentFileError(path, line_of.get("url", len(header) + 1),
                               f"a {kind} needs the http(s) URL of the post it stands for",
                               "add 'url: https://...' to the header")
    if url and not is_http_url(url):
        warnings.append(CommentFileError(path, line_of["url"], f"url '{url}' is not http(s)",
                                         "dropped it; use an http:// or https:// address",
                                         fatal=False))
        url = None
    website = fields.pop("website", None)
    if website and not is_http_url(website):
        warnings.append(CommentFileError(path, line_of["website"],
                                         f"website '{website}' is not http(s)",
                                         "dropped it; use an http:// or https:// address",
                                         fatal=False))
        website = None
    reply_to = fields.pop("reply-to", None) or None
    if reply_to is not None and not ID_RE.fullmatch(reply_to):
        raise CommentFileError(path, line_of["reply-to"], f"reply-to '{reply_to}' is not an id",
                               "give the id of the parent comment on the same essay")
    if reply_to == comment_id:
        raise CommentFileError(path, line_of["reply-to"], "the comment replies to itself",
                               "remove 'reply-to' or name the parent comment's id")
    source = fields.pop("source", None)
    if source is not None and source not in SOURCES:
        warnings.append(CommentFileError(path, line_of["source"], f"unknown source '{source}'",
                                         f"kept as is; known sources: {', '.join(SOURCES)}",
                                         fatal=False))
    return Comment(
        id=comment_id,
        essay=essay,
        author=" ".join(fields.pop("author").split()),
        date=date,
        body="\n".join(lines[body_start:]).strip("\n"),
        reply_to=reply_to,
        kind=kind,
        url=url,
        website=website,
        role=fields.pop("role", None),
        source=source,
        source_id=fields.pop("source-id", None),
        extra=fields,
        path=str(path),
    )


def _decode(raw: bytes, path: Path) -> str:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise CommentFileError(path, line, f"invalid UTF-8 (byte {exc.start})",
                               "re-save the file as UTF-8") from None
    return text.removeprefix("\ufeff").replace("\r\n", "\n")


@dataclass
class Header:
    """The `key: value` lines at the top of a file, as `read_header` found them."""

    fields: dict[str, tuple[str, int]]   # key → (value, line number, counting from 1)
    body_start: int                      # index in `lines` of the first body line
    problems: list[CommentFileError]     # every problem, in line order; empty when usable


def read_header(lines: list[str], path: str | Path, *, known: Collection[str] | None = None,
                pattern: re.Pattern = KEY_RE, fold_case: bool = False, start: int = 0
                ) -> Header:
    """Read the header of a comment file, a digest note or an imported file.

    A header is `key: value` lines from `lines[start]` to the first blank line. Every
    problem is listed (with its line), none raised: a line that is not `key: value`, a
    key that is not lower-case (with `fold_case`, keys are lower-cased instead), a key
    given twice, no header, a header that never ends. With `known`, the header is
    optional and holds only those keys: the first other line begins the body.
    `pattern` matches one line into (key, value); the default is the comment file's.
    """
    fields: dict[str, tuple[str, int]] = {}
    problems: list[CommentFileError] = []
    for index in range(start, len(lines)):
        line, number = lines[index], index + 1
        match = pattern.match(line)
        key = match and (match.group(1).strip().lower() if fold_case else match.group(1))
        if known is not None and (not match or key.lower() not in known):
            skip = 1 if fields and not line.strip() else 0
            return Header(fields, index + skip if fields else start, problems)
        if not line.strip():
            if fields:
                return Header(fields, index + 1, problems)
            break
        if not match:
            if not fields:
                break
            problems.append(CommentFileError(
                path, number, f"header line is not 'key: value': {line[:60]!r}",
                "end the header with one blank line before the body"))
            continue
        value = (match.group(2) or "").strip()
        if key != key.lower():
            problems.append(CommentFileError(path, number, f"key '{key}' is not lower-case",
                                             f"write '{key.lower()}:'"))
        elif key in fields:
            problems.append(CommentFileError(
                path, number, f"key '{key}' given twice (first on line {fields[key][1]})",
                "keep one of the two lines"))
        else:
            fields[key] = (value, number)
    else:
        if known is not None or not fields:
            return Header(fields, len(lines), problems)
        problems.append(CommentFileError(path, len(lines), "the header never ends",
                                         "put one blank line between the header and the body"))
        return Header(fields, len(lines), problems)
    problems.insert(0, CommentFileError(
        path, start + 1, "no header", "start the file with 'id:', 'author:' and 'date:' "
        "lines, then a blank line, then the body"))
    return Header(fields, start, problems)


def _parse_date(value: str, path: Path, line: int) -> datetime:
    try:
        date = datetime.fromisoformat(value)
    except ValueError:
        date = None
    if date is None or date.tzinfo is None:
        problem = f"date '{value}' is not ISO 8601 with a UTC offset"
        raise CommentFileError(path, line, problem, "write it like 2026-09-14T08:30:00+02:00")
    return date


def redact_addresses(text: str) -> str:
    """Replace e-mail and IP addresses: none may ever be written into content/."""
    text = EMAIL_RE.sub(REDACTED, text)
    return IP_CANDIDATE_RE.sub(_redact_ip, text)


def _redact_ip(match: re.Match) -> str:
    text = match.group(0)
    host, _, port = text.rpartition(":")
    for candidate, rest in ((text.split("%")[0], ""), (host, f":{port}")):
        try:
            ipaddress.ip_address(candidate)
        except ValueError:
            continue
        return REDACTED + rest  # an IPv4 address with a port keeps the port
    return text


def format_comment(comment: Comment) -> str:
    """The file text for a comment, header keys in a stable order."""
    values = {
        "id": comment.id,
        "author": comment.author,
        "date": comment.date.isoformat(),
        "reply-to": comment.reply_to,
        "kind": None if comment.kind == "comment" else comment.kind,
        "url": comment.url,
        "website": comment.website,
        "role": comment.role,
        "source": comment.source,
        "source-id": comment.source_id,
    }
    values.update(sorted(comment.extra.items()))
    lines = []
    for key, value in values.items():
        if value is None or value == "":
            continue
        one_line = " ".join(redact_addresses(str(value)).split())
        lines.append(f"{key}: {one_line}")
    body = redact_addresses(comment.body.strip("\n"))
    return "\n".join(lines) + "\n\n" + body + "\n"


def comment_path(comments_root: str | Path, essay: str, comment_id: str) -> Path:
    return Path(comments_root) / essay / f"{comment_id}.md"


def write_comment(comments_root: str | Path, comment: Comment, overwrite: bool = False) -> Path:
    """Write a comment file atomically (files.atomic_write), with the umask's mode.

    Refuses to replace an existing file unless `overwrite`: a second import or a second
    approval must never clobber what the author may have edited by hand.
    """
    if not ID_RE.fullmatch(comment.id) or not ID_RE.fullmatch(comment.essay):
        raise ValueError(f"unsafe comment id or essay slug: {comment.essay}/{comment.id}")
    target = comment_path(comments_root, comment.essay, comment.id)
    from .files import atomic_write  # the one atomic write: the umask's mode, fsynced

    return atomic_write(target, format_comment(comment), exclusive=not overwrite)


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def load_comments(comments_root: str | Path) -> tuple[list[Comment], list[CommentFileError]]:
    """Parse every `<essay>/<id>.md` under comments_root.

    Returns the usable comments and every problem found (fatal ones and warnings);
    a broken file never stops the others.
    """
    root = Path(comments_root)
    comments: list[Comment] = []
    problems: list[CommentFileError] = []
    if not root.is_dir():
        return comments, problems
    for folder in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")):
        for path in sorted(folder.glob("*.md")):
            if path.name.startswith("."):
                continue
            try:
                comments.append(parse_comment(path, folder.name, problems))
            except CommentFileError as exc:
                problems.append(exc)
    return comments, problems
