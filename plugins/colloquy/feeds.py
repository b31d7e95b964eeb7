"""Atom and RSS feeds, made with feedgen.

Entry ids are stable tag: URIs and a feed's `updated` is its newest entry's date, so
rebuilding unchanged content writes byte-identical files. Comment entries carry
RFC 4685 `thr:in-reply-to` pointing at the comment (or essay) they answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Iterable

from feedgen.entry import FeedEntry
from feedgen.ext.base import BaseEntryExtension, BaseExtension
from feedgen.feed import FeedGenerator
from lxml import etree

THR_NS = "http://purl.org/syndication/thread/1.0"


@dataclass(frozen=True)
class FeedInfo:
    """What every feed of the site shares."""

    site_name: str
    site_url: str          # absolute, no trailing slash
    author: str
    tag_authority: str     # e.g. "example.org,2026"

    def tag(self, path: str) -> str:
        return f"tag:{self.tag_authority}:{path}"

    def url(self, path: str) -> str:
        return f"{self.site_url}/{path}"


@dataclass(frozen=True)
class Entry:
    """One feed entry, already resolved to strings and dates."""

    id: str
    title: str
    link: str
    published: datetime
    updated: datetime
    content_html: str
    author: str
    summary_html: str | None = None
    in_reply_to: tuple[str, str] | None = None  # (ref tag URI, href)
    categories: tuple[str, ...] = ()


class _ThreadFeedExtension(BaseExtension):
    def extend_ns(self):
        return {"thr": THR_NS}


class _ThreadEntryExtension(BaseEntryExtension):
    """RFC 4685: <thr:in-reply-to ref=... href=... type="text/html"/>."""

    def __init__(self):
        self.reply = None

    def extend_atom(self, entry):
        if self.reply:
            ref, href = self.reply
            etree.SubElement(entry, f"{{{THR_NS}}}in-reply-to",
                             ref=ref, href=href, type="text/html")
        return entry

    def extend_rss(self, item):
        return item


class _SharedEntry(FeedEntry):
    """An entry that is in more than one feed (a comment is in its thread's feed and in its
    essay's): its XML is built once. The element moves into each feed's tree in turn, which
    is safe because a feed is serialized before the next one is built."""

    _element = None

    def atom_entry(self, extensions=True):
        if self._element is None:
            self._element = super().atom_entry(extensions)
        return self._element


def _generator(info: FeedInfo, feed_id: str, title: str, page_url: str, self_url: str,
               subtitle: str, entries: list[Entry], fallback_updated: datetime,
               threaded: bool, rss_url: str | None = None,
               shared: dict[str, FeedEntry] | None = None) -> FeedGenerator:
    fg = FeedGenerator()
    if threaded:
        fg.register_extension("thr", _ThreadFeedExtension, _ThreadEntryExtension, rss=False)
    fg.id(feed_id)
    fg.title(title)
    fg.subtitle(subtitle)
    fg.author({"name": info.author})
    fg.link(href=page_url, rel="alternate", type="text/html")
    fg.link(href=self_url, rel="self")
    if rss_url:
        fg.link(href=rss_url, rel="alternate", type="application/rss+xml")
    fg.language("en")
    fg.generator("Colloquy", uri="https://pypi.org/project/colloquy/")
    newest = max((e.updated for e in entries), default=fallback_updated)
    fg.updated(newest)
    fg.lastBuildDate(newest)
    shared = {} if shared is None else shared  # a feed on its own shares with none
    for entry in entries:  # newest first, as readers expect
        fe = shared.get(entry.id)
        if fe is not None:
            fg.add_entry(fe, order="append")
            continue
        fe = shared[entry.id] = fg.add_entry(_SharedEntry(), order="append")
        fe.id(entry.id)
        fe.guid(entry.id, permalink=False)
        fe.title(entry.title)
        fe.link(href=entry.link, rel="alternate", type="text/html")
        fe.published(entry.published)
        fe.updated(entry.updated)
        fe.author({"name": entry.author})
        fe.content(entry.content_html, type="html")
        if entry.summary_html:
            fe.summary(entry.summary_html, type="html")
        for term in entry.categories:
            fe.category(term=term)
        if threaded and entry.in_reply_to:
            fe.thr.reply = entry.in_reply_to
    return fg


def atom(info: FeedInfo, *, feed_id: str, title: str, page_url: str, self_url: str,
         subtitle: str, entries: Iterable[Entry], fallback_updated: datetime,
         threaded: bool = False, shared: dict[str, FeedEntry] | None = None) -> bytes:
    """One Atom feed. Feeds written one after another may pass the same `shared` dict:
    an entry with the same id is then built once (it must be the same entry)."""
    entries = sorted(entries, key=lambda e: (e.updated, e.id), reverse=True)
    fg = _generator(info, feed_id, title, page_url, self_url, subtitle, entries,
                    fallback_updated, threaded, shared=shared)
    return fg.atom_str(pretty=True)


def atom_and_rss(info: FeedInfo, *, feed_id: str, title: str, page_url: str, atom_url: str,
                 rss_url: str, subtitle: str, entries: Iterable[Entry],
                 fallback_updated: datetime) -> tuple[bytes, bytes]:
    entries = sorted(entries, key=lambda e: (e.published, e.id), reverse=True)
    fg = _generator(info, feed_id, title, page_url, atom_url, subtitle, entries,
                    fallback_updated, threaded=False)
    atom_bytes = fg.atom_str(pretty=True)
    # RSS's channel link is the site page; its self link is the RSS file itself.
    fg.link(href=rss_url, rel="self", replace=True)
    fg.link(href=page_url, rel="alternate", replace=False)
    return atom_bytes, fg.rss_str(pretty=True)
