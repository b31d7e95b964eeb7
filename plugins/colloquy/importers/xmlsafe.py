"""Safe XML for exports: no entity bombs, no external entities, clear errors, recovery.

Exports are parsed with defusedxml, which refuses entity declarations (the
"billion laughs" bomb) and external references. WordPress.com has produced files that
use namespace prefixes (`wp:`, `excerpt:`...) without declaring them; those are not
well-formed XML, but nothing is lost by declaring the missing prefixes, so they are
recovered with a warning instead of refused.
"""

from __future__ import annotations

import io
import re
from pathlib import Path
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException, EntitiesForbidden
from defusedxml.ElementTree import iterparse

from .inputs import decode_utf8, progress_bar, wants_progress
from .items import ImportFileError
from .report import Report

# Expat's error code for "unbound prefix".
UNBOUND_PREFIX = 27
KNOWN_NAMESPACES = {
    "wp": "http://wordpress.org/export/1.2/",
    "excerpt": "http://wordpress.org/export/1.2/excerpt/",
    "content": "http://purl.org/rss/1.0/modules/content/",
    "dc": "http://purl.org/dc/elements/1.1/",
    "wfw": "http://wellformedweb.org/CommentAPI/",
    "atom": "http://www.w3.org/2005/Atom",
    "media": "http://search.yahoo.com/mrss/",
    "dsq": "http://disqus.com/disqus-internals",
}
UNDECLARED = "urn:colloquy:undeclared:"


class _Counting(io.BytesIO):
    """A byte stream that advances a progress bar as the parser reads it."""

    def __init__(self, data: bytes, bar):
        super().__init__(data)
        self.bar = bar

    def read(self, size: int = -1) -> bytes:
        chunk = super().read(size)
        self.bar.advance(len(chunk))
        return chunk


def parse(path: Path, raw: bytes, report: Report, what: str) -> Element:
    """The root element of an XML export, parsed safely; errors name the file and line."""
    encoding = _declared_encoding(raw)
    if encoding in ("utf-8", "utf8", None):
        decode_utf8(raw, path)  # invalid UTF-8 is reported with its line, not as "invalid token"
    try:
        return _parse(raw)
    except EntitiesForbidden:
        raise ImportFileError(path, _line_of(raw, b"<!ENTITY"),
                              "refused: the file declares XML entities "
                              "(possible entity-expansion bomb)",
                              f"a genuine {what} export never declares entities; "
                              "export it again from the old site") from None
    except DefusedXmlException as exc:
        raise ImportFileError(path, _line_of(raw, b"<!"), f"refused: {exc}",
                              f"a genuine {what} export needs no DTD or external references"
                              ) from None
    except ParseError as exc:
        if exc.code != UNBOUND_PREFIX:
            raise _parse_error(path, exc, what) from None
    fixed, prefixes = declare_missing_prefixes(raw)
    if not prefixes:
        raise _parse_error(path, ParseError("unbound prefix"), what)
    report.warn(f"{path}: not well-formed XML: namespace prefix(es) "
                f"{', '.join(sorted(prefixes))} used without a declaration (a known "
                "WordPress.com export fault); recovered by declaring them")
    try:
        return _parse(fixed)
    except ParseError as exc:
        raise _parse_error(path, exc, what) from None


def _parse(raw: bytes) -> Element:
    enabled = wants_progress(size=len(raw))
    with progress_bar("reading", len(raw), enabled) as bar:
        events = iterparse(_Counting(raw, bar), events=("end",), forbid_dtd=False,
                           forbid_entities=True, forbid_external=True)
        for _ in events:
            pass
        return events.root


def _parse_error(path: Path, exc: ParseError, what: str) -> ImportFileError:
    line = exc.position[0] if getattr(exc, "position", None) else None
    message = str(exc).split(":")[0].strip() or "not well-formed"
    if "no element found" in message or "unclosed token" in message:
        fix = f"the file ends too early (truncated?); export the {what} file again"
    else:
        fix = f"the {what} file is damaged there; export it again or repair that line"
    return ImportFileError(path, line, f"not well-formed XML ({message})", fix)


def _declared_encoding(raw: bytes) -> str | None:
    match = re.match(rb"\s*<\?xml[^>]*encoding\s*=\s*[\"']([A-Za-z0-9._-]+)[\"']", raw[:200])
    return match.group(1).decode("ascii").lower() if match else None


def _line_of(raw: bytes, needle: bytes) -> int | None:
    index = raw.find(needle)
    return raw[:index].count(b"\n") + 1 if index >= 0 else None


_USED = re.compile(rb"</?([A-Za-z_][\w.-]*):[A-Za-z_]")
_USED_ATTR = re.compile(rb"\s([A-Za-z_][\w.-]*):[A-Za-z_][\w.-]*\s*=\s*[\"']")
_DECLARED = re.compile(rb"xmlns:([A-Za-z_][\w.-]*)\s*=")
_ROOT = re.compile(rb"<(?![?!])[A-Za-z_][\w.:-]*")


def declare_missing_prefixes(raw: bytes) -> tuple[bytes, set[str]]:
    """Add xmlns declarations for prefixes that are used but never declared."""
    used = {m.decode() for m in _USED.findall(raw)} | {m.decode() for m in _USED_ATTR.findall(raw)}
    declared = {m.decode() for m in _DECLARED.findall(raw)}
    missing = used - declared - {"xml", "xmlns"}
    root = _skip_prolog(raw)
    if not missing or root is None:
        return raw, set()
    declarations = "".join(
        f' xmlns:{prefix}="{KNOWN_NAMESPACES.get(prefix, UNDECLARED + prefix)}"'
        for prefix in sorted(missing)).encode()
    return raw[:root] + declarations + raw[root:], missing


def _skip_prolog(raw: bytes) -> int | None:
    """The offset just after the root element's name (past declarations and comments)."""
    position = 0
    while True:
        match = _ROOT.search(raw, position)
        if match is None:
            return None
        before = raw[:match.start()]
        # Inside a comment or CDATA? Skip past its end.
        if before.rfind(b"<!--") > before.rfind(b"-->"):
            position = raw.find(b"-->", match.start()) + 3
            continue
        return match.end()


def canonical(tag: str) -> str:
    """`prefix:local` for a namespaced tag, whatever URI (http, https, 1.0-1.2) it used."""
    if not tag.startswith("{"):
        return tag
    uri, local = tag[1:].split("}", 1)
    lowered = uri.lower()
    if "wordpress.org/export" in lowered:
        prefix = "excerpt" if "excerpt" in lowered else "wp"
    elif "purl.org/rss/1.0/modules/content" in lowered:
        prefix = "content"
    elif "purl.org/dc/elements" in lowered:
        prefix = "dc"
    elif "wellformedweb.org" in lowered:
        prefix = "wfw"
    elif "disqus.com/disqus-internals" in lowered:
        prefix = "dsq"
    elif "disqus.com" in lowered:
        return local
    elif lowered.startswith(UNDECLARED):
        prefix = uri[len(UNDECLARED):]
    else:
        prefix = "ns"
    return f"{prefix}:{local}"


def children(element: Element) -> dict[str, Element]:
    """First child of each canonical name."""
    found: dict[str, Element] = {}
    for child in element:
        found.setdefault(canonical(child.tag), child)
    return found


def text_of(element: Element | None) -> str:
    if element is None:
        return ""
    return "".join(element.itertext()).strip()


def attribute(element: Element | None, name: str) -> str:
    """An attribute by canonical name (`dsq:id`) or plain name."""
    if element is None:
        return ""
    for key, value in element.attrib.items():
        if key == name or canonical(key) == name:
            return value.strip()
    return ""
