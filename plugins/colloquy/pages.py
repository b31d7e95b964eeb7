"""Conversations on Pelican pages: which comment folders name a page, and its URL.

A comment folder may name a page (an About page, a guestbook) as well as an essay. The
page's conversation lives below the page's own URL (PAGE_URL, or the page's `url:`
metadata), as an essay's lives below its URL: `<page url>threads/<id>/`,
`<page url>comments.atom.xml`. Pages are few, so every build and every `colloquy check`
reads them first (with Pelican's own readers, see slugs.py) and registers their URLs
here; `outputs.essay_url` then gives a page's URL for its slug.
"""

from __future__ import annotations

from pelican.contents import Page

from .slugs import Entry, site_entries

_urls: dict[str, str] = {}  # page slug → its URL, relative to SITEURL


def page_url(entry: Entry, settings: dict) -> str:
    """The URL Pelican gives this page: its `url:` metadata, or PAGE_URL filled in."""
    metadata = dict(entry.metadata, slug=entry.slug, title=entry.title)
    return Page("", metadata=metadata, settings=settings, source_path=str(entry.path)).url


def register(settings: dict, entries: dict[str, Entry] | None = None) -> dict[str, str]:
    """Read the site's pages (or take them from `entries`) and remember their URLs."""
    if entries is None:
        entries = site_entries(settings, kinds=("page",))
    _urls.clear()
    _urls.update((slug, page_url(entry, settings)) for slug, entry in entries.items()
                 if entry.kind == "page")
    return dict(_urls)


def url_of(slug: str) -> str | None:
    """The registered page's URL for a comment folder, or None when it is not a page."""
    return _urls.get(slug)
