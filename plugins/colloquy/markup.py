"""Comment Markdown → sanitised HTML.

Comment text is hostile. It is rendered with cmark-gfm (GitHub's CommonMark, in C) in
its safe mode — raw HTML is omitted and `javascript:`-style links are emptied — with the
autolink extension so pasted URLs become links; the result is then cleaned by nh3 against
a small allowlist, which is the real guarantee: Markdown is not a sanitiser.

Essays are the author's own trusted text and keep Pelican's Python-Markdown. Comments use
cmark-gfm because a site has many more comments than essays: it renders a typical comment
about fifteen times faster (see docs/benchmarks.md), and its dialect is specified.
"""

from __future__ import annotations

import hashlib
import html
import re

import cmarkgfm
import nh3
from cmarkgfm.cmark import Options

# Bump when rendering changes so HTML cached by an older version is not reused.
MARKUP_VERSION = "2"

ALLOWED_TAGS = {
    "p", "br", "em", "strong", "del", "code", "pre", "blockquote",
    "ul", "ol", "li", "a", "hr",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}}
LINK_REL = "nofollow ugc noopener"
EXTENSIONS = ["autolink", "strikethrough"]

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
    """Render one comment body to safe HTML. Headings become paragraphs of strong text."""
    rendered = cmarkgfm.markdown_to_html_with_extensions(
        body, options=Options.CMARK_OPT_DEFAULT, extensions=EXTENSIONS)
    rendered = _HEADING_RE.sub(lambda m: "</strong></p>" if m.group(1) else "<p><strong>",
                               rendered)
    return sanitise(rendered).strip()


def body_key(body: str) -> str:
    return hashlib.blake2b(body.encode("utf-8"), digest_size=16).hexdigest()


def text_of(safe_html: str) -> str:
    """Plain text of already-sanitised HTML (for excerpts and titles)."""
    return html.unescape(_TAG_RE.sub(" ", safe_html))
