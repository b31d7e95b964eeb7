"""Pelican integration: a generator that reads comments and writes conversations.

Pelican runs every generator's `generate_context` before any `generate_output`.
ColloquyGenerator is registered after the articles generator, so by the time its
context step runs the essays are known, and the conversations it attaches to them are
there when the articles generator writes essay pages.

Speed: comment files are read and rendered in a second process while Pelican reads the
essays; each thread's HTML is rendered once (and cached by content) for both the essay
page and the thread page; thread pages and feeds are written by a second process while
Pelican writes the essay pages, and skipped when their inputs have not changed.
"""

from __future__ import annotations

import hashlib
import html
import logging
import os
from multiprocessing import get_context
from dataclasses import dataclass, fields
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urlparse
from zoneinfo import ZoneInfo

from markupsafe import Markup
from pelican.generators import Generator
from pelican.writers import Writer

from . import feeds, markup, settings as colloquy_settings
from .background import Forked, can_fork
from .cache import BuildCache
from .comments import Comment, load_comments
from .errors import ColloquyError, CommentFileError
from .threads import Conversation, build_conversations

logger = logging.getLogger(__name__)

EPOCH = datetime(2000, 1, 1, tzinfo=timezone.utc)
UNCAPPED = 10**6


def utc(moment: datetime) -> datetime:
    return moment.astimezone(timezone.utc)


def essay_url(slug: str) -> str:
    return f"essays/{slug}/"


def thread_url(essay: str, thread_id: str) -> str:
    return f"essays/{essay}/threads/{thread_id}/"


def display_path(path: str) -> str:
    """Relative to the working folder when inside it (as authors type paths), else absolute."""
    relative = os.path.relpath(path)
    return path if relative.startswith("..") else relative


def log_problems(problems: list[CommentFileError]) -> None:
    for problem in problems:
        line = f"colloquy: {display_path(problem.path)}:{problem.line}: {problem.problem}; {problem.fix}"
        # Errors are above Pelican's duplicate filter, so each shows on every rebuild.
        logger.error(line) if problem.fatal else logger.warning(line)


class ColloquyGenerator(Generator):
    """Reads content/comments, threads them onto essays, writes thread pages and feeds."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.colloquy = colloquy_settings.resolve(self.settings)
        self.conversations: dict[str, Conversation] = {}
        self.problems: list[CommentFileError] = []
        cache_path = self.settings.get("CACHE_PATH")
        self.cache_dir = Path(cache_path) if cache_path else None
        self.parallel = can_fork(self.colloquy["COLLOQUY_WORKERS"])
        self.site_key = self._site_fingerprint()
        self.site_zone = ZoneInfo(self.settings.get("TIMEZONE") or "UTC")
        self.max_depth = self.colloquy["COLLOQUY_MAX_DEPTH"]
        self._macro_module = None
        # Generators are all made before any reads content: start on the comments now,
        # in a second process, while Pelican reads the essays.
        self._reading = Forked(self.parallel, self._read_comments)
        self._writing: Forked | None = None

    # -- context -----------------------------------------------------------------------

    def generate_context(self):
        essays = self._essays()
        by_slug = {essay.slug: essay for essay in essays}
        comments, problems, prepared = self._reading.result()
        self.fragments = BuildCache(self._cache_file("colloquy-fragments.pickle"), self.site_key,
                                    stored=prepared)
        self.conversations, thread_problems = build_conversations(comments, set(by_slug))
        self.problems = problems + thread_problems
        log_problems(self.problems)
        if self.colloquy["COLLOQUY_STRICT"] and self.problems:
            raise ColloquyError(
                f"colloquy: {len(self.problems)} problem(s) in comment files and "
                "COLLOQUY_STRICT is on; fix them (see `colloquy check`) or turn it off")
        for slug, essay in by_slug.items():
            conversation = self.conversations.get(slug) or Conversation(slug)
            self.conversations[slug] = conversation
            essay.conversation = conversation
            self._decorate(conversation)
            self._attach_fragments(conversation)
        self.fragments.save()
        self.context["colloquy_conversations"] = self.conversations
        self.context["colloquy_problems"] = self.problems
        self.context["colloquy_max_depth"] = self.max_depth
        # Everything thread pages and feeds need is known: write them alongside Pelican.
        self._queue = get_context("fork").Value("i", 0)
        if self.parallel:
            self._writing = Forked(True, self._write_threads)

    def _read_comments(self):
        """Parse, render and thread every comment file, and render each thread's HTML.

        Runs in a second process on big sites, before the essays are known: threads are
        built per folder here and again (cheaply) in the main process once essays are read;
        fragments are keyed by content, so the main process reuses every one that matches.
        """
        comments, problems = load_comments(Path(self.path) / self.colloquy["COLLOQUY_COMMENTS_DIR"])
        cache = markup.new_cache(self._cache_file("colloquy-markup.pickle"))
        for comment, body_html in zip(comments, markup.render_all([c.body for c in comments], cache)):
            comment.html = body_html
        cache.save()
        conversations, _ = build_conversations(comments, {c.essay for c in comments})
        self.fragments = BuildCache(self._cache_file("colloquy-fragments.pickle"), self.site_key)
        for conversation in conversations.values():
            self._decorate(conversation)
            self._attach_fragments(conversation)
        for comment in comments:  # flat for pickling: the main process re-threads
            comment.parent, comment.replies = None, []
        return comments, problems, self.fragments.used

    def _decorate(self, conversation: Conversation) -> None:
        for comment in conversation.by_id.values():
            comment.permalink = self._permalink(comment)
            # Shown in the site's time zone so a thread reads in order.
            comment.local_date = comment.date.astimezone(self.site_zone)

    def _essays(self):
        # Drafts and hidden essays count as known essays: their comments are not "unknown".
        names = ("articles", "drafts", "hidden_articles")
        return [a for name in names for a in self.context.get(name, [])]

    def _permalink(self, comment: Comment) -> str:
        # Comments deeper than the essay page shows live on their thread page.
        page = (essay_url(comment.essay) if comment.depth < self.max_depth
                else thread_url(comment.essay, comment.thread_id))
        return f"{page}#{comment.anchor}"

    def _attach_fragments(self, conversation: Conversation) -> None:
        """Render each thread's HTML once, for the essay page and the thread page.

        `conversation.html[root.id]` is the thread as the essay page shows it (replies
        capped at COLLOQUY_MAX_DEPTH); `conversation.full_html[root.id]` is the whole thread
        for its own page — the same string unless the thread is deeper than the cap.
        """
        conversation.html, conversation.full_html = {}, {}
        for root in conversation.roots:
            root.fingerprint = thread_fingerprint(root)
            capped = max(c.depth for c in root.walk()) >= self.max_depth
            for depth, target in ((self.max_depth, conversation.html),
                                  (UNCAPPED, conversation.full_html)):
                if depth == UNCAPPED and not capped:
                    target[root.id] = conversation.html[root.id]
                    continue
                key = f"{root.fingerprint}:{depth}"
                fragment = self.fragments.get(key)
                if fragment is None:
                    fragment = Markup(self._macros().comment(root, EssayRef(root.essay), depth))
                self.fragments.put(key, fragment)
                target[root.id] = fragment

    def _macros(self):
        if self._macro_module is None:
            values = {k: v for k, v in self.settings.items() if k.isupper()} | self.colloquy
            self._macro_module = self.env.get_template("_conversation.html").make_module(values)
        return self._macro_module

    def _cache_file(self, name: str) -> Path | None:
        if not (self.cache_dir and self.settings.get("CACHE_CONTENT", True)):
            return None
        return self.cache_dir / name

    # -- output ------------------------------------------------------------------------

    def generate_output(self, writer):
        # Pelican has written its pages; help the second process finish the threads.
        keys = self._write_threads()
        if self.parallel:
            try:
                keys.update(self._writing.result())
            except ChildProcessError as exc:
                raise ColloquyError(f"colloquy: {exc}") from None
        outputs = OutputCache(self._cache_file("colloquy-outputs.pickle"), self.output_path,
                              self.site_key)
        outputs.keys.used.update(keys)
        outputs.keys.changed = True
        self._write_site_feeds(self._feed_info(), list(self.context.get("articles", [])), outputs)
        outputs.save()

    def _write_threads(self) -> dict[str, str]:
        """Thread pages and per-essay and per-thread feeds, unchanged ones skipped.

        Both processes run this: each claims the next batch of essays from a shared
        counter until none is left. Returns the input hash of every file it owns.
        """
        outputs = OutputCache(self._cache_file("colloquy-outputs.pickle"), self.output_path,
                              self.site_key)
        writer = Writer(self.output_path, settings=self.settings)
        info = self._feed_info()
        essays = list(self.context.get("articles", []))
        template = self.get_template("thread")
        batch = 25
        while True:
            with self._queue.get_lock():
                start = self._queue.value
                self._queue.value += batch
            if start >= len(essays):
                break
            for essay in essays[start:start + batch]:
                self._write_essay_threads(essay, writer, template, info, outputs)
        return outputs.keys.used

    def _write_essay_threads(self, essay, writer, template, info, outputs) -> None:
        conversation = essay.conversation
        essay_key = _hash([essay.title, essay.slug, str(essay.date)])
        for root in conversation.roots:
            page = thread_url(essay.slug, root.id)
            key = _hash([root.fingerprint, essay_key])
            if outputs.stale(page + "index.html", key):
                writer.write_file(page + "index.html", template, self.context,
                                  article=essay, essay=essay, thread=root,
                                  thread_html=conversation.full_html[root.id],
                                  conversation=conversation,
                                  page_feeds=thread_page_feeds(essay, root))
            if outputs.stale(page + "feed.atom.xml", key):
                outputs.write(page + "feed.atom.xml", self._thread_feed(info, essay, root))
        key = _hash([r.fingerprint for r in conversation.roots] + [essay_key])
        name = essay_url(essay.slug) + "comments.atom.xml"
        if outputs.stale(name, key):
            outputs.write(name, self._essay_comments_feed(info, essay))

    def _site_fingerprint(self) -> str:
        # Anything that changes every page: templates, site identity, plugin version.
        theme = Path(self.theme) / "templates"
        stamps = sorted((p.name, p.stat().st_mtime_ns) for p in theme.glob("*.html"))
        keys = ("SITENAME", "SITEURL", "AUTHOR", "TIMEZONE", "DEFAULT_LANG", "FEED_DOMAIN")
        return _hash([stamps, [self.settings.get(k) for k in keys],
                      sorted(self.colloquy.items(), key=lambda kv: kv[0]),
                      markup.MARKUP_VERSION, __package__])

    def _feed_info(self) -> feeds.FeedInfo:
        site_url = (self.settings.get("FEED_DOMAIN") or self.settings.get("SITEURL")
                    or "http://localhost:8000").rstrip("/")
        authority = self.colloquy["COLLOQUY_TAG_AUTHORITY"]
        if not authority:
            years = [a.date.year for a in self.context.get("articles", [])]
            host = urlparse(site_url).hostname or "localhost"
            authority = f"{host},{min(years, default=2026)}"
        return feeds.FeedInfo(self.settings.get("SITENAME", ""), site_url,
                              self.settings.get("AUTHOR", ""), authority)

    def _comment_entry(self, info: feeds.FeedInfo, essay, comment: Comment) -> feeds.Entry:
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
                           author=comment.author, in_reply_to=reply)

    def _thread_feed(self, info, essay, root: Comment) -> bytes:
        page = thread_url(essay.slug, root.id)
        return feeds.atom(
            info, feed_id=info.tag(f"thread/{root.id}"),
            title=f"Thread started by {root.author} on “{essay.title}”",
            page_url=info.url(page), self_url=info.url(page + "feed.atom.xml"),
            subtitle=f"Every reply in this thread on {info.site_name}",
            entries=[self._comment_entry(info, essay, c) for c in root.walk()],
            fallback_updated=root.date, threaded=True)

    def _essay_comments_feed(self, info, essay) -> bytes:
        page = essay_url(essay.slug)
        return feeds.atom(
            info, feed_id=info.tag(f"essays/{essay.slug}/comments"),
            title=f"Comments on “{essay.title}”", page_url=info.url(page),
            self_url=info.url(page + "comments.atom.xml"),
            subtitle=f"The conversation on {info.site_name}",
            entries=[self._comment_entry(info, essay, c) for c in essay.conversation.written],
            fallback_updated=essay.date, threaded=True)

    def _write_site_feeds(self, info, essays, outputs: "OutputCache") -> None:
        limit = self.colloquy["COLLOQUY_FEED_ITEMS"]
        recent = sorted(essays, key=lambda a: (a.date, a.slug), reverse=True)[:limit]
        entries = [feeds.Entry(
            id=info.tag(f"essays/{a.slug}"), title=a.title, link=info.url(essay_url(a.slug)),
            published=a.date, updated=getattr(a, "modified", None) or a.date,
            content_html=a.content, summary_html=a.summary,
            author=", ".join(str(x) for x in getattr(a, "authors", [])) or info.author,
            categories=tuple(str(t) for t in getattr(a, "tags", []))) for a in recent]
        atom_bytes, rss_bytes = feeds.atom_and_rss(
            info, feed_id=info.tag("feeds/essays"), title=info.site_name,
            page_url=info.url(""), atom_url=info.url("feeds/essays.atom.xml"),
            rss_url=info.url("feeds/essays.rss.xml"), subtitle="New essays",
            entries=entries, fallback_updated=EPOCH)
        outputs.write("feeds/essays.atom.xml", atom_bytes)
        outputs.write("feeds/essays.rss.xml", rss_bytes)
        by_slug = {a.slug: a for a in essays}
        written = [c for a in essays for c in a.conversation.written]
        written.sort(key=lambda c: (c.date, c.id), reverse=True)
        outputs.write("feeds/comments.atom.xml", feeds.atom(
            info, feed_id=info.tag("feeds/comments"), title=f"Comments on {info.site_name}",
            page_url=info.url(""), self_url=info.url("feeds/comments.atom.xml"),
            subtitle="Every new comment, reply and response",
            entries=[self._comment_entry(info, by_slug[c.essay], c) for c in written[:limit]],
            fallback_updated=EPOCH, threaded=True))


def thread_page_feeds(essay, root: Comment) -> list[tuple[str, str]]:
    return [(f"Thread started by {root.author}", thread_url(essay.slug, root.id) + "feed.atom.xml"),
            (f"Comments on “{essay.title}”", essay_url(essay.slug) + "comments.atom.xml")]


_SKIP_FIELDS = {"parent", "replies", "path", "body"}


def thread_fingerprint(root: Comment) -> str:
    """A hash of everything a thread's HTML and feed show, to reuse or skip unchanged ones."""
    names = [f.name for f in fields(Comment) if f.name not in _SKIP_FIELDS]
    return _hash([[getattr(c, n) for n in names] for c in root.walk()])


@dataclass(frozen=True)
class EssayRef:
    """What a thread's HTML needs of its essay: the slug (its title may not be read yet)."""

    slug: str


def _hash(value) -> str:
    return hashlib.blake2b(repr(value).encode("utf-8"), digest_size=16).hexdigest()


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
        except OSError:
            pass
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        logger.info("Writing %s", target)

    def save(self) -> None:
        self.keys.save()


def get_generators(pelican):
    return ColloquyGenerator


def require_autoescape(pelican):
    """Comment fields are hostile text: templates must escape by default."""
    env = dict(pelican.settings.get("JINJA_ENVIRONMENT") or {})
    env["autoescape"] = True
    pelican.settings["JINJA_ENVIRONMENT"] = env
