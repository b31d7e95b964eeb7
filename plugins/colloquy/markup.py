"""Comment Markdown → sanitised HTML.

Markdown is not a sanitiser: raw HTML handling is switched off in the Markdown parser
(so `<script>` becomes visible text) and the output is then cleaned by nh3 against a
small allowlist. Rendering is pure and keyed by the body's hash, so a persistent cache
skips it for unchanged comments.
"""

from __future__ import annotations

import hashlib
import html
import re
import xml.etree.ElementTree as etree

import markdown
import nh3
from markdown.inlinepatterns import InlineProcessor

# Bump when rendering changes so cached HTML from an older version is not reused.
MARKUP_VERSION = "1"

ALLOWED_TAGS = {
    "p", "br", "em", "strong", "del", "code", "pre", "blockquote",
    "ul", "ol", "li", "a", "hr",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}}
LINK_REL = "nofollow ugc noopener"

_BARE_URL_RE = r"(?<![\w/\"'<(=])(https?://[^\s<>\"'`]+[^\s<>\"'`.,;:!?)\]])"
_HEADING_RE = re.compile(r"<(/?)h[1-6]>")
_TAG_RE = re.compile(r"<[^>]*>")


class _BareUrlProcessor(InlineProcessor):
    """Turn a bare http(s) URL into a link: commenters paste them, Markdown would not."""

    def handleMatch(self, m, data):  # noqa: N802 (Markdown's API name)
        link = etree.Element("a", {"href": m.group(1)})
        link.text = m.group(1)
        return link, m.start(0), m.end(0)


def _new_markdown() -> markdown.Markdown:
    md = markdown.Markdown(extensions=[], output_format="html")
    # Untrusted text: no raw HTML blocks, no inline tags, no images (they track readers).
    md.preprocessors.deregister("html_block")
    md.inlinePatterns.deregister("html")
    md.inlinePatterns.deregister("image_link")
    md.inlinePatterns.deregister("image_reference")
    md.inlinePatterns.deregister("short_image_ref")
    md.inlinePatterns.register(_BareUrlProcessor(_BARE_URL_RE, md), "bare_url", 115)
    return md


_md: markdown.Markdown | None = None
_cleaner = nh3.Cleaner(
    tags=ALLOWED_TAGS,
    clean_content_tags={"script", "style"},
    attributes=ALLOWED_ATTRIBUTES,
    link_rel=LINK_REL,
    url_schemes={"http", "https"},
    url_relative="deny",
)


def sanitise(html: str) -> str:
    """Clean HTML against the allowlist (used for imported HTML bodies too)."""
    return _cleaner.clean(html)


def render(body: str) -> str:
    """Render one comment body to safe HTML. Headings become paragraphs of strong text."""
    global _md
    if _md is None:
        _md = _new_markdown()
    html = _md.reset().convert(body)
    html = _HEADING_RE.sub(lambda m: "</strong></p>" if m.group(1) else "<p><strong>", html)
    return sanitise(html)


def body_key(body: str) -> str:
    return hashlib.blake2b(body.encode("utf-8"), digest_size=16).hexdigest()


def text_of(safe_html: str) -> str:
    """Plain text of already-sanitised HTML (for excerpts and titles)."""
    return html.unescape(_TAG_RE.sub(" ", safe_html))
