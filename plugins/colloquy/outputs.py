"""What conversations write besides the essay pages: thread pages and feeds.

Every file written here has an input hash: a file whose hash matches last build's is not
written again. Each hash holds the site's key (cache.site_key: every setting, template
and version), so a file is kept only when nothing it shows can have changed.
"""

from __future__ import annotations

import heapq
import html
import logging
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from markupsafe import Markup

from . import feeds, markup
from .bundles import BundleStore, Record, Summary
from .cache import BuildCache
from .comments import Comment
from .threads import Conversation
from .urls import SiteUrls

logger = logging.getLogger(__name__)
EPOCH = datetime(2000, 1, 1, tzinfo=timezone.utc)  # a feed's date when it has no entry


def input_hash(value) -> str:
    return markup.body_key(repr(value))


def utc(moment: datetime) -> datetime:
    return moment.astimezone(timezone.utc)


def _date(essay) -> datetime:
    """An essay's date; a page may have none (an empty feed then says EPOCH)."""
    return getattr(essay, "date", None) or EPOCH


class OutputCache:
    """Remembers the input hash of each generated file, to skip rewriting unchanged ones.

    Each hash is kept with the modification time and size the file had once written: a
    file is skipped only when the one on disk is that file. The cache folder is shared by
    every build of the site, and a build may write into a copy of the output taken
    earlier (`colloquy build` does, see builds.py) while another rewrites the original
    in place: the copy's older pages no longer match what was recorded, and are written
    again instead of kept.
    """

    def __init__(self, path: Path | None, output_path: str, site_key: str):
        self.output = Path(output_path)
        self.keys = BuildCache(path, site_key)  # name → (hash, mtime in ns, size)

    def stale(self, name: str, key: str) -> bool:
        recorded = self.keys.get(name)
        if recorded is not None and recorded[0] == key and recorded[1:] == _stamp(
                self.output / name):
            self.keys.put(name, recorded)
            return False
        self.keys.put(name, key)  # stamped when saved, once written
        return True

    def write(self, name: str, data: bytes) -> None:
        """Write bytes only when they differ, so unchanged feeds keep their mtime."""
        target = self.output / name
        try:
            if target.read_bytes() == data:
                self.written(name)
                return
        except FileNotFoundError:
            pass
        try:
            target.write_bytes(data)
        except FileNotFoundError:  # only then create the folder: one system call saved per file
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        logger.info("Writing %s", target)
        self.written(name)

    def written(self, name: str) -> None:
        """Stamp a file this build has just written, by whichever process wrote it (so
        the stamps are taken while both processes write, not one by one at the end)."""
        value = self.keys.used.get(name)
        if isinstance(value, str):
            self.keys.used[name] = (value, *_stamp(self.output / name))

    def save(self) -> None:
        """Record the stamp of each file written this build that is not stamped yet (the
        pages written through Pelican's writer elsewhere, such as the digest's)."""
        for name in list(self.keys.used):
            self.written(name)
        self.keys.save()


def _stamp(path: Path) -> tuple[int, int] | tuple[None, None]:
    """A file's modification time (ns) and size; (None, None) when it does not exist."""
    try:
        stat = path.stat()
    except OSError:
        return None, None
    return stat.st_mtime_ns, stat.st_size


def thread_notes(essay, thread_id: str, marks: dict) -> str:
    """What a thread page shows beyond its thread: follow-up essays and digest mentions."""
    followups = [f for f in getattr(essay, "followups", None) or () if f.thread_id == thread_id]
    featured = [m for m in marks.get(essay.slug, ()) if m.thread_id == thread_id]
    return repr((followups, featured))


# Feed entry ids are tag: URIs that never change, whatever the URL settings: they are
# built from the slug, not from URLs.

def comment_entry(info: feeds.FeedInfo, urls: SiteUrls, essay, comment: Comment
                  ) -> feeds.Entry:
    if comment.parent is not None:
        parent = comment.parent
        reply = (info.tag(f"comment/{parent.id}"), info.url(parent.permalink))
        title = f"{comment.author} replied to {parent.author} on “{essay.title}”"
    else:
        reply = (info.tag(f"essays/{essay.slug}"), info.url(urls.essay(essay.slug)))
        verb = {"response": "responded to", "mention": "mentioned"}.get(comment.kind, "on")
        title = f"{comment.author} {verb} “{essay.title}”"
    content = comment.html
    if comment.url:  # hostile text like the body: escape before it joins the HTML
        url = html.escape(comment.url, quote=True)
        content += f'<p><a href="{url}" rel="nofollow ugc noopener">{url}</a></p>'
    return feeds.Entry(id=info.tag(f"comment/{comment.id}"), title=title,
                       link=info.url(comment.permalink), published=utc(comment.date),
                       updated=utc(comment.date), content_html=content,
                       author=comment.author, in_reply_to=reply, related=comment.url)


@dataclass
class ThreadOutput:
    """Writes one essay's thread pages, thread feeds and comments feed, skipping the
    unchanged. `context` is what every thread page's template sees besides the essay."""

    writer: Any               # pelican.writers.Writer
    template: Any             # the theme's thread.html
    context: dict
    store: BundleStore
    outputs: OutputCache
    urls: SiteUrls

    def write_essay(self, essay, summary: Summary, info: feeds.FeedInfo,
                    marks: dict) -> dict[str, str]:
        """Write what is stale; returns the name and input hash of each file written."""
        urls, slug = self.urls, essay.slug
        essay_key = input_hash([essay.title, slug, str(_date(essay)), summary.key])
        feed_key = input_hash([essay_key, info])
        names = {}
        for root_id, fingerprint in summary.fingerprints.items():
            notes = thread_notes(essay, root_id, marks)
            names[urls.thread(slug, root_id) + "index.html"] = \
                input_hash([fingerprint, essay_key, notes])
            names[urls.thread_feed(slug, root_id)] = input_hash([fingerprint, feed_key])
        names[urls.essay_feed(slug)] = feed_key
        stale = {name: key for name, key in names.items() if self.outputs.stale(name, key)}
        if not stale:
            return {}  # nothing this essay's threads show has changed: no bundle to load
        bundle = self.store.load(slug)
        # Bundles keep what `decorate` added (permalinks, local dates, scores).
        conversation = bundle.conversation(slug) if bundle else Conversation(slug)
        shared = {}  # each comment's feed entry, built once for its thread's and essay's feed
        for root in conversation.roots:
            page = urls.thread(slug, root.id) + "index.html"
            if page in stale:
                page_feeds = [(f"Thread started by {root.author}", urls.thread_feed(slug, root.id)),
                              (f"Comments on “{essay.title}”", urls.essay_feed(slug))]
                self.writer.write_file(page, self.template, self.context,
                                       article=essay, essay=essay, thread=root,
                                       thread_html=Markup(bundle.whole_thread(root.id)),
                                       page_feeds=page_feeds)
                self.outputs.written(page)
            if urls.thread_feed(slug, root.id) in stale:
                self.outputs.write(urls.thread_feed(slug, root.id),
                                   thread_feed(info, urls, essay, root, shared))
        if urls.essay_feed(slug) in stale:
            self.outputs.write(urls.essay_feed(slug),
                               essay_comments_feed(info, urls, essay, conversation, shared))
        return stale


def thread_feed(info: feeds.FeedInfo, urls: SiteUrls, essay, root: Comment,
                shared=None) -> bytes:
    return feeds.atom(
        info, feed_id=info.tag(f"thread/{root.id}"),
        title=f"Thread started by {root.author} on “{essay.title}”",
        page_url=info.url(urls.thread(essay.slug, root.id)),
        self_url=info.url(urls.thread_feed(essay.slug, root.id)),
        subtitle=f"Every reply in this thread on {info.site_name}",
        entries=[comment_entry(info, urls, essay, c) for c in root.walk()],
        fallback_updated=root.date, threaded=True, shared=shared)


def essay_comments_feed(info: feeds.FeedInfo, urls: SiteUrls, essay,
                        conversation: Conversation, shared=None) -> bytes:
    return feeds.atom(
        info, feed_id=info.tag(f"essays/{essay.slug}/comments"),
        title=f"Comments on “{essay.title}”", page_url=info.url(urls.essay(essay.slug)),
        self_url=info.url(urls.essay_feed(essay.slug)),
        subtitle=f"The conversation on {info.site_name}",
        entries=[comment_entry(info, urls, essay, c) for c in conversation.written],
        fallback_updated=_date(essay), threaded=True, shared=shared)


def newest_records(summaries: list[Summary], limit: int) -> list[Record]:
    """The newest comments of these summaries, for the site's comments feed."""
    return heapq.nlargest(limit, (r for s in summaries for r in s.records),
                          key=lambda r: (r.date, r.id))


def write_site_feeds(info: feeds.FeedInfo, urls: SiteUrls, essays: list, store: BundleStore,
                     limit: int, outputs: OutputCache, newest: list[Record],
                     pages: list = ()) -> None:
    """The site-wide feeds: newest essays (Atom and RSS) and the `newest` comments (Atom),
    on `pages` too."""
    recent = sorted(essays, key=lambda a: (a.date, a.slug), reverse=True)[:limit]
    entries = [feeds.Entry(
        id=info.tag(f"essays/{a.slug}"), title=a.title, link=info.url(urls.essay(a.slug)),
        published=a.date, updated=getattr(a, "modified", None) or a.date,
        content_html=a.content, summary_html=a.summary,
        author=", ".join(str(x) for x in getattr(a, "authors", [])) or info.author,
        categories=tuple(str(t) for t in getattr(a, "tags", [])),
        replies=feeds.replies_links(info, urls.essay(a.slug), urls.essay_feed(a.slug),
                                    a.conversation.count)) for a in recent]
    atom_bytes, rss_bytes = feeds.atom_and_rss(
        info, feed_id=info.tag("feeds/essays"), title=info.site_name,
        page_url=info.url(""), atom_url=info.url("feeds/essays.atom.xml"),
        rss_url=info.url("feeds/essays.rss.xml"), subtitle="New essays",
        entries=entries, fallback_updated=EPOCH)
    outputs.write("feeds/essays.atom.xml", atom_bytes)
    outputs.write("feeds/essays.rss.xml", rss_bytes)
    outputs.write("feeds/comments.atom.xml",
                  _site_comments_feed(info, urls, [*essays, *pages], store, newest))


def _site_comments_feed(info, urls: SiteUrls, essays, store: BundleStore,
                        newest: list[Record]) -> bytes:
    by_slug = {a.slug: a for a in essays}
    entries = []
    for slug in {r.essay for r in newest}:  # one bundle at a time, for the few needed
        bundle = store.load(slug)
        if bundle is None:
            continue   # its cache file was damaged during the build: left out this time
        conversation = bundle.conversation(slug)  # decorated when prepared
        wanted = {r.id for r in newest if r.essay == slug}
        entries += [comment_entry(info, urls, by_slug[slug], c)
                    for c in conversation.written if c.id in wanted]
    return feeds.atom(
        info, feed_id=info.tag("feeds/comments"), title=f"Comments on {info.site_name}",
        page_url=info.url(""), self_url=info.url("feeds/comments.atom.xml"),
        subtitle="Every new comment, reply and response", entries=entries,
        fallback_updated=EPOCH, threaded=True)
