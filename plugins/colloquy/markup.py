"""Comment Markdown → sanitised HTML.

Markdown is not a sanitiser: raw HTML handling is switched off in the Markdown parser
(so `<script>` becomes visible text) and the output is then cleaned by nh3 against a
small allowlist. Rendering is pure and keyed by the body's hash, so a persistent cache
skips it for unchanged comments and a process pool can share it on a cold build.
"""

from __future__ import annotations

import hashlib
import pickle
import re
import xml.etree.ElementTree as etree
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

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


def _render_many(bodies: list[str]) -> list[str]:
    return [render(body) for body in bodies]


class RenderCache:
    """Rendered HTML keyed by body hash, kept between builds in Pelican's cache folder."""

    def __init__(self, path: str | Path | None):
        self.path = Path(path) if path else None
        self.entries: dict[str, str] = {}
        self.dirty = False
        if self.path and self.path.exists():
            try:
                with self.path.open("rb") as handle:
                    version, entries = pickle.load(handle)
                if version == MARKUP_VERSION:
                    self.entries = entries
            except Exception:  # a stale or torn cache is only a slower build
                self.entries = {}

    def render_all(self, bodies: list[str], workers: int = 1) -> list[str]:
        """HTML for each body, rendering only the ones not cached, in parallel if many."""
        keys = [body_key(body) for body in bodies]
        missing = {key: body for key, body in zip(keys, bodies) if key not in self.entries}
        if missing:
            self.entries.update(zip(missing, _render_parallel(list(missing.values()), workers)))
            self.dirty = True
        used = set(keys)
        if len(self.entries) > 2 * len(used) + 1000:  # forget bodies long gone
            self.entries = {key: self.entries[key] for key in used}
            self.dirty = True
        return [self.entries[key] for key in keys]

    def save(self) -> None:
        if not (self.path and self.dirty):
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        with tmp.open("wb") as handle:
            pickle.dump((MARKUP_VERSION, self.entries), handle, protocol=pickle.HIGHEST_PROTOCOL)
        tmp.replace(self.path)
        self.dirty = False


def _render_parallel(bodies: list[str], workers: int) -> list[str]:
    # A pool costs ~50 ms to start; below a few hundred bodies one core is faster.
    if workers <= 1 or len(bodies) < 400:
        return _render_many(bodies)
    size = -(-len(bodies) // (workers * 4))
    chunks = [bodies[i:i + size] for i in range(0, len(bodies), size)]
    with ProcessPoolExecutor(workers, mp_context=get_context("fork")) as pool:
        return [html for part in pool.map(_render_many, chunks) for html in part]
