"""Every URL Colloquy makes, from the site's own URL settings.

An essay's conversation lives in a folder named after the essay's URL: with
ARTICLE_URL = 'essays/{slug}/' its thread pages are at `essays/<slug>/threads/<id>/` and
its comments feed at `essays/<slug>/comments.atom.xml`; with Pelican's default
'{slug}.html', at `<slug>/threads/<id>/` and `<slug>/comments.atom.xml`. Comments are
prepared before Pelican has read the essays, knowing only the folder name, so the URL
must be made from `{slug}` alone, and saved where it points. A site whose ARTICLE_URL
cannot be honoured is refused when the build starts, naming the setting and the fix; one
whose PAGE_URL cannot is refused when a page has comments.
Templates see these URLs as `colloquy_urls` (e.g. `colloquy_urls.thread(slug, id)`).
"""

from __future__ import annotations

import re
from string import Formatter
from typing import Collection

from .errors import SettingError

PAGE = "page"


def _pattern(settings: dict, prefix: str) -> tuple[str | None, str | None]:
    """(the URL pattern, None) when usable, else (None, why not and the fix)."""
    url = settings.get(f"{prefix}_URL") or ""
    save_as = settings.get(f"{prefix}_SAVE_AS") or ""
    fields = {name for _, name, _, _ in Formatter().parse(url) if name is not None}
    example = "essays/{slug}/" if prefix == "ARTICLE" else "{slug}/"
    fix = (f"set {prefix}_URL = '{example}' and {prefix}_SAVE_AS = '{example}index.html' "
           "(or another URL made from {slug} alone, saved where it points)")
    if fields != {"slug"} or url.startswith("/"):
        return None, (f"{prefix}_URL = {url!r} cannot be honoured: comments are placed "
                      f"knowing only the slug, so the URL must be made from {{slug}} alone; "
                      f"{fix}")
    if save_as != (url + "index.html" if url.endswith("/") else url):
        return None, (f"{prefix}_SAVE_AS = {save_as!r} does not match {prefix}_URL = {url!r}: "
                      f"the essay would not be found at its URL; {fix}")
    return url, None


class SiteUrls:
    """The site's URLs (relative to SITEURL, as Pelican's `article.url` is)."""

    def __init__(self, settings: dict, pages: Collection[str] = ()):
        self._essay, problem = _pattern(settings, "ARTICLE")
        if problem:
            raise SettingError(problem)
        self._page, self._page_problem = _pattern(settings, "PAGE")
        self.pages = frozenset(pages)  # slugs of the site's pages: their URLs are PAGE_URL's

    def essay(self, slug: str, kind: str | None = None) -> str:
        """The URL of an essay (or, with kind='page' or a slug of `pages`, a page) with a
        conversation."""
        if kind == PAGE or (kind is None and slug in self.pages):
            if self._page is None:
                raise SettingError(self._page_problem)
            return self._page.format(slug=slug)
        return self._essay.format(slug=slug)

    def saved_as(self, slug: str, kind: str | None = None) -> str:
        """The file the essay's page is built to, relative to OUTPUT_PATH."""
        url = self.essay(slug, kind)
        return url + "index.html" if url.endswith("/") else url

    def folder(self, slug: str, kind: str | None = None) -> str:
        """Where the essay's conversation lives: its URL when that is a folder, else the
        URL without its extension ('a-slug.html' → 'a-slug/')."""
        url = self.essay(slug, kind)
        if url.endswith("/"):
            return url
        head, _, last = url.rpartition("/")
        return f"{head}/{last.split('.')[0]}/" if head else f"{last.split('.')[0]}/"

    def thread(self, slug: str, thread_id: str, kind: str | None = None) -> str:
        return f"{self.folder(slug, kind)}threads/{thread_id}/"

    def essay_feed(self, slug: str, kind: str | None = None) -> str:
        """The feed of every comment on one essay."""
        return self.folder(slug, kind) + "comments.atom.xml"

    def thread_feed(self, slug: str, thread_id: str, kind: str | None = None) -> str:
        return self.thread(slug, thread_id, kind) + "feed.atom.xml"

    def permalink(self, comment, max_depth: int, kind: str | None = None) -> str:
        """Where a comment is shown: on its essay's page, or on its thread page when it
        is deeper than the essay page shows (COLLOQUY_MAX_DEPTH)."""
        page = (self.essay(comment.essay, kind) if comment.depth < max_depth
                else self.thread(comment.essay, comment.thread_id, kind))
        return f"{page}#{comment.anchor}"

    def locate(self, path: str) -> tuple[str, str] | None:
        """(slug, thread id or '') of the essay or thread page at a URL path (the reverse
        of `essay` and `thread`), or None. With or without the leading slash and a
        trailing `index.html`; the slug is returned as it appears (still %-quoted)."""
        path = path.lstrip("/")
        if path.endswith("/index.html"):
            path = path[: -len("index.html")]
        for pattern, has_thread in ((self._essay_re, False), (self._thread_re, True)):
            found = pattern.fullmatch(path)
            if found:
                return found.group(1), found.group(2) if has_thread else ""
        return None

    @property
    def _essay_re(self) -> re.Pattern:
        return _regex(self._essay)

    @property
    def _thread_re(self) -> re.Pattern:
        return _regex(self.folder("{slug}", "essay") + "threads/", r"([^/]+)/")


def _regex(pattern: str, tail: str = "") -> re.Pattern:
    """A URL pattern made from {slug} as a regex whose first group is the slug."""
    head, _, rest = pattern.partition("{slug}")
    return re.compile(re.escape(head) + r"([^/]+?)" + re.escape(rest) + tail)

