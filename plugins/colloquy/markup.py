"""Comment Markdown → sanitised HTML.

Markdown is not a sanitiser: raw HTML handling is switched off in the Markdown parser
(so `<script>` becomes visible text) and the output is then cleaned by nh3 against a
small allowlist. Rendering is pure and keyed by the body's hash, so a persistent cache
skips it for unchanged comments and a process pool can share it on a cold build.
"""

from __future__ import annotations

import hashlib
import re
import xml.etree.ElementTree as etree
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context

import markdown
import nh3
from markdown.inlinepatterns import InlineProcessor

from .cache import BuildCache

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


def new_cache(path) -> BuildCache:
    return BuildCache(path, f"markup-{MARKUP_VERSION}")


def _render_many(bodies: list[str]) -> list[str]:
    return [render(body) for body in bodies]


def render_all(bodies: list[str], cache: BuildCache, workers: int = 1) -> list[str]:
    """HTML for each body, rendering only the ones not cached, in parallel if many."""
    keys = [body_key(body) for body in bodies]
    found = [cache.get(key) for key in keys]
    missing = {key: body for key, body, html in zip(keys, bodies, found) if html is None}
    for key, html in zip(missing, _render_parallel(list(missing.values()), workers)):
        cache.put(key, html)
    return [cache.used[key] for key in keys]


def _render_parallel(bodies: list[str], workers: int) -> list[str]:
    # A pool costs ~50 ms to start; below a few hundred bodies one core is faster.
    if workers <= 1 or len(bodies) < 400:
        return _render_many(bodies)
    size = -(-len(bodies) // (workers * 4))
    chunks = [bodies[i:i + size] for i in range(0, len(bodies), size)]
    with ProcessPoolExecutor(workers, mp_context=get_context("fork")) as pool:
        return [html for part in pool.map(_render_many, chunks) for html in part]
