"""Comment Markdown → sanitised HTML.

Comment text is hostile. It is rendered with cmark-gfm (GitHub's CommonMark, in C) in
its safe mode — raw HTML is omitted and `javascript:`-style links are emptied — with the
autolink extension so pasted URLs become links; the result is then cleaned by nh3 against
a small allowlist, which is the real guarantee: Markdown is not a sanitiser.

Essays are the author's own trusted text and keep Pelican's Python-Markdown. Comments use
cmark-gfm because a site has many more comments than essays: it renders a typical comment
7 to 11 times faster (benchmarks/render.py), and its dialect is specified.
"""

from __future__ import annotations

import ctypes
import hashlib
import html
import re

import nh3
from cmarkgfm import _cmark
from cmarkgfm.cmark import Options

# Bump when rendering changes so HTML cached by an older version is not reused.
MARKUP_VERSION = "3"

ALLOWED_TAGS = {
    "p", "br", "em", "strong", "del", "code", "pre", "blockquote",
    "ul", "ol", "li", "a", "hr",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}}
LINK_REL = "nofollow ugc noopener"
EXTENSIONS = ["autolink", "strikethrough"]

# cmarkgfm's high-level wrapper never frees the parsed document nor the rendered string
# (about 15 KB a call); the wrapper below frees both, through the library's own exports.
_lib, _ffi = _cmark.lib, _cmark.ffi
_so = ctypes.CDLL(_cmark.__file__)
_so.cmark_node_free.argtypes = [ctypes.c_void_p]
_libc = ctypes.CDLL(None)  # cmark's default allocator is the C library's
_libc.free.argtypes = [ctypes.c_void_p]
_lib.cmark_gfm_core_extensions_ensure_registered()
_EXTENSIONS = [_lib.cmark_find_syntax_extension(name.encode()) for name in EXTENSIONS]
# SMART: curly quotes, dashes and ellipses, as Python-Markdown's smarty gives the essays.
_OPTIONS = Options.CMARK_OPT_DEFAULT | Options.CMARK_OPT_SMART

# Block containers opened on one line (`> > > …`, `- - - …`) past this depth are dropped
# before cmark-gfm sees them: its cost grows with the square of such a run (`> ` 100,000
# times took 39 s), and no reader follows a quote nested deeper than this.
MAX_NESTING = 16
# A comment longer than this (ten times the intake's default limit; only a hand-written
# file can be) is shown cut here, with "[…]". The cap bounds the cost of one body: nh3's
# HTML parser grows faster than linearly on long runs of `&amp;`-like references.
MAX_RENDER_CHARS = 100_000
CUT_MARK = "\n\n[…]"
_MARKER = r"[ \t]*(?:>|[-+*][ \t]|\d{1,9}[.)][ \t])"  # no two ways to match: no backtracking
_DEEP_MARKERS = re.compile(rf"^((?:{_MARKER}){{{MAX_NESTING}}})(?:{_MARKER})++", re.MULTILINE)

_HEADING_RE = re.compile(r"<(/?)h[1-6][^>]*>")
_TAG_RE = re.compile(r"<[^>]*>")

_cleaner = nh3.Cleaner(
    tags=ALLOWED_TAGS,
    clean_content_tags={"script", "style"},
    attributes=ALLOWED_ATTRIBUTES,
    link_rel=LINK_REL,
    url_schemes={"http", "https"},
    url_relative="deny",
)


def sanitise(markup: str) -> str:
    """Clean HTML against the allowlist (used for imported HTML bodies too)."""
    return _cleaner.clean(markup)


def render(body: str) -> str:
    """Render one comment body to safe HTML. Headings become paragraphs of strong text.
    Linear in the body's length, and bounded: see MAX_NESTING and MAX_RENDER_CHARS."""
    if len(body) > MAX_RENDER_CHARS:
        body = (body[:MAX_RENDER_CHARS].rsplit(None, 1) or [""])[0] + CUT_MARK  # at a space
    rendered = _HEADING_RE.sub(lambda m: "</strong></p>" if m.group(1) else "<p><strong>",
                               _cmark_html(cap_nesting(body)))
    return sanitise(rendered).strip()


def cap_nesting(body: str) -> str:
    """The body with block markers past MAX_NESTING on a line removed. Linear."""
    return _DEEP_MARKERS.sub(r"\1 ", body)


def _address(pointer) -> int:
    return int(_ffi.cast("uintptr_t", pointer))


def _cmark_html(text: str) -> str:
    """cmark-gfm in safe mode with the autolink and strikethrough extensions."""
    data = text.encode("utf-8")
    parser = _lib.cmark_parser_new(_OPTIONS)
    try:
        for extension in _EXTENSIONS:
            _lib.cmark_parser_attach_syntax_extension(parser, extension)
        _lib.cmark_parser_feed(parser, data, len(data))
        root = _lib.cmark_parser_finish(parser)
        try:
            raw = _lib.cmark_render_html(root, _OPTIONS,
                                         _lib.cmark_parser_get_syntax_extensions(parser))
            try:
                return _ffi.string(raw).decode("utf-8")
            finally:
                _libc.free(_address(raw))
        finally:
            _so.cmark_node_free(_address(root))
    finally:
        _lib.cmark_parser_free(parser)


def body_key(body: str) -> str:
    return hashlib.blake2b(body.encode("utf-8"), digest_size=16).hexdigest()


def text_of(safe_html: str) -> str:
    """Plain text of already-sanitised HTML (for excerpts and titles)."""
    return html.unescape(_TAG_RE.sub(" ", safe_html))


_QUOTE_RE = re.compile(r"(<blockquote>)|</blockquote>")


def unquoted(safe_html: str) -> str:
    """The HTML without its quoted passages (nested ones too)."""
    kept, depth, start = [], 0, 0
    for tag in _QUOTE_RE.finditer(safe_html):
        if depth == 0:
            kept.append(safe_html[start:tag.start()])
        depth = depth + 1 if tag.group(1) else max(depth - 1, 0)
        start = tag.end()
    if depth == 0:
        kept.append(safe_html[start:])
    return " ".join(kept)


def first_words(safe_html: str, length: int = 90) -> str:
    """A comment's own first words as plain text, for "Replying to …": quoted passages
    left out (unless it is nothing but quotes), cut at a word to at most `length`."""
    def words(markup: str) -> str:  # tags go without a space: blocks end in a newline
        return " ".join(html.unescape(_TAG_RE.sub("", markup)).split())

    text = words(unquoted(safe_html)) or words(safe_html)
    if len(text) <= length:
        return text
    return text[:length - 1].rsplit(" ", 1)[0] + "…"
