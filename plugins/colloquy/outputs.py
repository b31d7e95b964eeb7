"""What one essay's conversation writes besides its essay page: thread pages and feeds.

Every file written here has an input hash: a file whose hash matches last build's (or
the hash the forked worker wrote it with earlier in this build) is not written again.
The essay is either Pelican's article or, while Pelican is still reading, `EssayFacts`:
the few facts the worker was told about it (see plugin.py). A page that needs more than
those facts raises `NotKnownYet`, and is left to the main process.
"""

from __future__ import annotations

import html
import logging
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from markupsafe import Markup

from . import feeds, markup
from .bundles import BundleStore, Summary
from .cache import BuildCache
from .comments import Comment
from .threads import Conversation

logger = logging.getLogger(__name__)


def essay_url(slug: str) -> str:
    return f"essays/{slug}/"


def thread_url(essay: str, thread_id: str) -> str:
    return f"essays/{essay}/threads/{thread_id}/"


def input_hash(value) -> str:
    return markup.body_key(repr(value))


def utc(moment: datetime) -> datetime:
    return moment.astimezone(timezone.utc)


class OutputCache:
    """Remembers the input hash of each generated file, to skip rewriting unchanged ones."""

    def __init__(self, path: Path | None, output_path: str, site_key: str):
        self.output = Path(output_path)
        self.keys = BuildCache(path, site_key)

    def stale(self, name: str, key: str) -> bool:
        unchanged = self.keys.get(name) == key and (self.output / name).exists()
        self.keys.put(name, key)
        return not unchanged

    def write(self, name: str, data: bytes) -> None:
        """Write bytes only when they differ, so unchanged feeds keep their mtime."""
        target = self.output / name
        try:
            if target.read_bytes() == data:
                return
        except FileNotFoundError:
            pass
        try:
            target.write_bytes(data)
        except FileNotFoundError:  # only then create the folder: one system call saved per file
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        logger.info("Writing %s", target)

    def remove(self, name: str) -> None:
        """Delete one written file, and the folders it leaves empty."""
        target = self.output / name
        target.unlink(missing_ok=True)
        for folder in target.parents:
            if folder == self.output:
                return
            try:
                folder.rmdir()
            except OSError:  # not empty: something else lives there
                return

    def save(self) -> None:
        self.keys.save()


class NotKnownYet(Exception):
    """A template asked for something about an essay that Pelican has not finished."""


@dataclass(frozen=True, slots=True)
class EssayFacts:
    """An essay as the worker knows it while Pelican is still reading: what thread pages
    and feeds show of it. Follow-ups are known only once every essay is read, so none."""

    slug: str
    title: str
    date: datetime
    followups: tuple = ()

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):  # Python's and Jinja's own probes: plainly absent
            raise AttributeError(name)
        raise NotKnownYet(f"essay.{name}")


class NotKnownYetValue:
    """Stands in for a context entry that exists only once every essay is read."""

    def __init__(self, name: str):
        self._name = name

    def _refuse(self, *args, **kwargs):
        raise NotKnownYet(self._name)

    __getattr__ = __getitem__ = __iter__ = __len__ = __bool__ = __str__ = _refuse
    __html__ = __contains__ = __eq__ = _refuse
    __hash__ = object.__hash__


def thread_notes(essay, thread_id: str, marks: dict) -> str:
    """What a thread page shows beyond its thread: follow-up essays and digest mentions."""
    followups = [f for f in getattr(essay, "followups", None) or () if f.thread_id == thread_id]
    featured = [m for m in marks.get(essay.slug, ()) if m.thread_id == thread_id]
    return repr((followups, featured))


def comment_entry(info: feeds.FeedInfo, essay, comment: Comment) -> feeds.Entry:
    if comment.parent is not None:
        parent = comment.parent
        reply = (info.tag(f"comment/{parent.id}"), info.url(parent.permalink))
        title = f"{comment.author} replied to {parent.author} on “{essay.title}”"
    else:
        reply = (info.tag(f"essays/{essay.slug}"), info.url(essay_url(essay.slug)))
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


def thread_page_feeds(essay, root: Comment) -> list[tuple[str, str]]:
    return [(f"Thread started by {root.author}", thread_url(essay.slug, root.id) + "feed.atom.xml"),
            (f"Comments on “{essay.title}”", essay_url(essay.slug) + "comments.atom.xml")]


@dataclass
class ThreadOutput:
    """Writes one essay's thread pages, thread feeds and comments feed, skipping the
    unchanged. `context` is what every thread page's template sees besides the essay."""

    writer: Any               # pelican.writers.Writer
    template: Any             # the theme's thread.html
    context: dict
    store: BundleStore
    outputs: OutputCache

    def write_essay(self, essay, summary: Summary, info: feeds.FeedInfo,
                    marks: dict) -> dict[str, str]:
        """Write what is stale; returns the name and input hash of each file written."""
        essay_key = input_hash([essay.title, essay.slug, str(essay.date), summary.key])
        feed_key = input_hash([essay_key, info])
        names = {}
        for root_id, fingerprint in summary.fingerprints.items():
            page = thread_url(essay.slug, root_id)
            notes = thread_notes(essay, root_id, marks)
            names[page + "index.html"] = input_hash([fingerprint, essay_key, notes])
            names[page + "feed.atom.xml"] = input_hash([fingerprint, feed_key])
        names[essay_url(essay.slug) + "comments.atom.xml"] = feed_key
        stale = {name: key for name, key in names.items() if self.outputs.stale(name, key)}
        if not stale:
            return {}  # nothing this essay's threads show has changed: no bundle to load
        bundle = self.store.load(essay.slug)
        # Bundles keep what `decorate` added (permalinks, local dates, scores).
        conversation = bundle.conversation(essay.slug) if bundle else Conversation(essay.slug)
        shared = {}  # each comment's feed entry, built once for its thread's and essay's feed
        for root in conversation.roots:
            page = thread_url(essay.slug, root.id)
            if page + "index.html" in stale:
                self.writer.write_file(page + "index.html", self.template, self.context,
                                       article=essay, essay=essay, thread=root,
                                       thread_html=Markup(bundle.whole_thread(root.id)),
                                       page_feeds=thread_page_feeds(essay, root))
            if page + "feed.atom.xml" in stale:
                self.outputs.write(page + "feed.atom.xml",
                                   thread_feed(info, essay, root, shared))
        name = essay_url(essay.slug) + "comments.atom.xml"
        if name in stale:
            self.outputs.write(name, essay_comments_feed(info, essay, conversation, shared))
        return stale


def thread_feed(info: feeds.FeedInfo, essay, root: Comment, shared=None) -> bytes:
    page = thread_url(essay.slug, root.id)
    return feeds.atom(
        info, feed_id=info.tag(f"thread/{root.id}"),
        title=f"Thread started by {root.author} on “{essay.title}”",
        page_url=info.url(page), self_url=info.url(page + "feed.atom.xml"),
        subtitle=f"Every reply in this thread on {info.site_name}",
        entries=[comment_entry(info, essay, c) for c in root.walk()],
        fallback_updated=root.date, threaded=True, shared=shared)


def essay_comments_feed(info: feeds.FeedInfo, essay, conversation: Conversation,
                        shared=None) -> bytes:
    page = essay_url(essay.slug)
    return feeds.atom(
        info, feed_id=info.tag(f"essays/{essay.slug}/comments"),
        title=f"Comments on “{essay.title}”", page_url=info.url(page),
        self_url=info.url(page + "comments.atom.xml"),
        subtitle=f"The conversation on {info.site_name}",
        entries=[comment_entry(info, essay, c) for c in conversation.written],
        fallback_updated=essay.date, threaded=True, shared=shared)
