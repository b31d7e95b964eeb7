"""Atom and RSS feeds, made with feedgen.

Entry ids are stable tag: URIs and a feed's `updated` is its newest entry's date, so
rebuilding unchanged content writes byte-identical files. Comment entries carry
RFC 4685 `thr:in-reply-to` pointing at the comment (or essay) they answer; essay entries
carry RFC 4685 `replies` links to their conversation. Every feed names the theme's XSLT
stylesheet (`<?xml-stylesheet?>`), so a browser shows it as a page that says what a feed
is and how to subscribe, while feed readers ignore the instruction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Iterable

from feedgen.entry import FeedEntry
from feedgen.ext.base import BaseEntryExtension, BaseExtension
from feedgen.feed import FeedGenerator
from lxml import etree

THR_NS = "http://purl.org/syndication/thread/1.0"
STYLESHEET = "theme/feed.xsl"  # under the site's root; theme/static/feed.xsl


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
    replies: tuple[Replies, ...] = ()  # RFC 4685: where the answers to this entry are
    related: str | None = None         # a post elsewhere it stands for (a response's own)


@dataclass(frozen=True)
class Replies:
    """An RFC 4685 `replies` link: a feed or page of the answers, and how many there are."""

    href: str
    type: str
    count: int


class _ThreadFeedExtension(BaseExtension):
    def extend_ns(self):
        return {"thr": THR_NS}


class _ThreadEntryExtension(BaseEntryExtension):
    """RFC 4685: <thr:in-reply-to ref=... href=... type="text/html"/> on an answer, and
    <link rel="replies" href=... type=... thr:count=.../> on what was answered."""

    def __init__(self):
        self.reply = None
        self.replies = ()
        self.related = None  # not RFC 4685, but written here: feedgen 1.0 drops link rels

    def extend_atom(self, entry):
        if self.reply:
            ref, href = self.reply
            etree.SubElement(entry, f"{{{THR_NS}}}in-reply-to",
                             ref=ref, href=href, type="text/html")
        for link in self.replies:
            etree.SubElement(entry, "link", {  # feedgen writes Atom unqualified
                "rel": "replies", "href": link.href, "type": link.type,
                f"{{{THR_NS}}}count": str(link.count)})
        if self.related:
            etree.SubElement(entry, "link", rel="related", href=self.related, type="text/html")
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
        if threaded:
            fe.thr.reply = entry.in_reply_to
            fe.thr.replies = entry.replies
            fe.thr.related = entry.related
    return fg


def replies_links(info: FeedInfo, page: str, feed: str, count: int) -> tuple[Replies, ...]:
    """An essay entry's RFC 4685 `replies` links: its comments feed and its conversation
    (`page` and `feed` relative to the site, as SiteUrls gives them)."""
    return (Replies(info.url(feed), "application/atom+xml", count),
            Replies(info.url(page) + "#conversation", "text/html", count))


def with_stylesheet(info: FeedInfo, self_url: str, data: bytes) -> bytes:
    """The feed with an <?xml-stylesheet?> instruction after its XML declaration. The
    stylesheet's address is relative to the feed's, so it is on the same origin (which
    browsers require) wherever the site is served from."""
    path = self_url.removeprefix(info.site_url).lstrip("/")
    href = "../" * path.count("/") + STYLESHEET
    declaration, newline, rest = data.partition(b"\n")
    if not declaration.startswith(b"<?xml "):  # feedgen always writes one; keep it valid
        declaration, newline, rest = b"<?xml version='1.0' encoding='UTF-8'?>", b"\n", data
    instruction = f'<?xml-stylesheet href="{href}" type="text/xsl"?>'.encode()
    return declaration + newline + instruction + b"\n" + rest


def browser_page(data: bytes, stylesheet: Path) -> bytes:
    """The HTML page a browser shows for a feed, made here rather than in the browser (for
    a server answering a browser's request, as browsers drop XSLT): the same stylesheet,
    so the same page. Its links are relative to the feed's address, as in the browser."""
    transform = _transforms.get(stylesheet)
    if transform is None:
        transform = _transforms[stylesheet] = etree.XSLT(etree.parse(str(stylesheet)))
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    return bytes(transform(etree.fromstring(data, parser)))


_transforms: dict[Path, etree.XSLT] = {}


def atom(info: FeedInfo, *, feed_id: str, title: str, page_url: str, self_url: str,
         subtitle: str, entries: Iterable[Entry], fallback_updated: datetime,
         threaded: bool = False, shared: dict[str, FeedEntry] | None = None) -> bytes:
    """One Atom feed. Feeds written one after another may pass the same `shared` dict:
    an entry with the same id is then built once (it must be the same entry)."""
    entries = sorted(entries, key=lambda e: (e.updated, e.id), reverse=True)
    fg = _generator(info, feed_id, title, page_url, self_url, subtitle, entries,
                    fallback_updated, threaded, shared=shared)
    return with_stylesheet(info, self_url, fg.atom_str(pretty=True))


def atom_and_rss(info: FeedInfo, *, feed_id: str, title: str, page_url: str, atom_url: str,
                 rss_url: str, subtitle: str, entries: Iterable[Entry],
                 fallback_updated: datetime) -> tuple[bytes, bytes]:
    entries = sorted(entries, key=lambda e: (e.published, e.id), reverse=True)
    threaded = any(e.replies or e.in_reply_to for e in entries)
    fg = _generator(info, feed_id, title, page_url, atom_url, subtitle, entries,
                    fallback_updated, threaded=threaded)
    atom_bytes = with_stylesheet(info, atom_url, fg.atom_str(pretty=True))
    # RSS's channel link is the site page; its self link is the RSS file itself.
    fg.link(href=rss_url, rel="self", replace=True)
    fg.link(href=page_url, rel="alternate", replace=False)
    return atom_bytes, with_stylesheet(info, rss_url, fg.rss_str(pretty=True))
