"""Pelican integration: a generator that reads comments and writes conversations.

Pelican runs every generator's `generate_context` before any `generate_output`.
ColloquyGenerator is registered after the articles generator, so by the time its
context step runs the essays are known, and the conversations it attaches to them are
there when the articles generator writes essay pages.
"""

from __future__ import annotations

import hashlib
import html
import logging
import os
import pickle
from dataclasses import fields
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urlparse
from zoneinfo import ZoneInfo

from pelican.generators import Generator

from . import digest, feeds, markup, settings as colloquy_settings
from .comments import Comment, load_comments
from .errors import ColloquyError, CommentFileError
from .threads import Conversation, build_conversations

logger = logging.getLogger(__name__)

EPOCH = datetime(2000, 1, 1, tzinfo=timezone.utc)


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

    # -- context -----------------------------------------------------------------------

    def generate_context(self):
        essays = self._essays()
        by_slug = {essay.slug: essay for essay in essays}
        comments_root = Path(self.path) / self.colloquy["COLLOQUY_COMMENTS_DIR"]
        comments, problems = load_comments(comments_root)
        self._render(comments)
        self.conversations, thread_problems = build_conversations(comments, set(by_slug))
        self.problems = problems + thread_problems
        log_problems(self.problems)
        if self.colloquy["COLLOQUY_STRICT"] and self.problems:
            raise ColloquyError(
                f"colloquy: {len(self.problems)} problem(s) in comment files and "
                "COLLOQUY_STRICT is on; fix them (see `colloquy check`) or turn it off")
        max_depth = self.colloquy["COLLOQUY_MAX_DEPTH"]
        site_zone = ZoneInfo(self.settings.get("TIMEZONE") or "UTC")
        for slug, essay in by_slug.items():
            conversation = self.conversations.get(slug) or Conversation(slug)
            self.conversations[slug] = conversation
            essay.conversation = conversation
            for comment in conversation.by_id.values():
                comment.permalink = self._permalink(comment, max_depth)
                # Shown in the site's time zone so a thread reads in order.
                comment.local_date = comment.date.astimezone(site_zone)
        self.context["colloquy_conversations"] = self.conversations
        self.context["colloquy_problems"] = self.problems
        self.context["colloquy_max_depth"] = max_depth
        # Substance scores, follow-up links and the digest weeks, before any page is
        # written: essay and thread pages show reshares, follow-ups and "featured" marks.
        self.digest = digest.prepare(self)

    def _essays(self):
        # Drafts and hidden essays count as known essays: their comments are not "unknown".
        names = ("articles", "drafts", "hidden_articles")
        return [a for name in names for a in self.context.get(name, [])]

    def _render(self, comments: list[Comment]) -> None:
        cache = markup.RenderCache(self._cache_file("colloquy-markup.pickle"))
        rendered = cache.render_all([c.body for c in comments], self.colloquy["COLLOQUY_WORKERS"])
        for comment, html in zip(comments, rendered):
            comment.html = html
        cache.save()

    def _permalink(self, comment: Comment, max_depth: int) -> str:
        # Comments deeper than the essay page shows live on their thread page.
        page = (essay_url(comment.essay) if comment.depth < max_depth
                else thread_url(comment.essay, comment.thread_id))
        return f"{page}#{comment.anchor}"

    def _cache_file(self, name: str) -> Path | None:
        if not (self.cache_dir and self.settings.get("CACHE_CONTENT", True)):
            return None
        return self.cache_dir / name

    # -- output ------------------------------------------------------------------------

    def generate_output(self, writer):
        outputs = OutputCache(self._cache_file("colloquy-outputs.pickle"), self.output_path,
                              self._site_fingerprint())
        info = self._feed_info()
        essays = [a for a in self.context.get("articles", [])]
        template = self.get_template("thread")
        for essay in essays:
            conversation = essay.conversation
            essay_key = []
            for root in conversation.roots:
                key = thread_fingerprint(root, essay)
                essay_key.append(key)
                page = thread_url(essay.slug, root.id)
                if outputs.stale(page + "index.html", key):
                    writer.write_file(page + "index.html", template, self.context,
                                      article=essay, essay=essay, thread=root,
                                      conversation=conversation,
                                      page_feeds=thread_page_feeds(essay, root))
                if outputs.stale(page + "feed.atom.xml", key):
                    outputs.write(page + "feed.atom.xml", self._thread_feed(info, essay, root))
            key = _hash(essay_key + [essay.title, essay.slug])
            name = essay_url(essay.slug) + "comments.atom.xml"
            if outputs.stale(name, key):
                outputs.write(name, self._essay_comments_feed(info, essay))
        self._write_site_feeds(info, essays, outputs)
        digest.write_output(self, writer, outputs, info, self.digest)  # digest/, feeds/digest.*
        outputs.save()

    def _site_fingerprint(self) -> str:
        # Anything that changes every page: templates, site identity, plugin version.
        theme = Path(self.theme) / "templates"
        stamps = sorted((p.name, p.stat().st_mtime_ns) for p in theme.glob("*.html"))
        keys = ("SITENAME", "SITEURL", "AUTHOR", "TIMEZONE", "DEFAULT_LANG")
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
                           updated=utc(comment.date), content_html=content, author=comment.author,
                           in_reply_to=reply)

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


def thread_fingerprint(root: Comment, essay) -> str:
    """A hash of everything a thread page or feed shows, to skip unchanged ones."""
    names = [f.name for f in fields(Comment) if f.name not in _SKIP_FIELDS]
    rows = [[getattr(c, n) for n in names] for c in root.walk()]
    return _hash([rows, essay.title, essay.slug, str(essay.date)])


def _hash(value) -> str:
    return hashlib.blake2b(repr(value).encode("utf-8"), digest_size=16).hexdigest()


class OutputCache:
    """Remembers the input hash of each generated file, to skip rewriting unchanged ones."""

    def __init__(self, path: Path | None, output_path: str, site_key: str):
        self.path = path
        self.output = Path(output_path)
        self.site_key = site_key
        self.previous: dict[str, str] = {}
        self.current: dict[str, str] = {}
        if path and path.exists():
            try:
                with path.open("rb") as handle:
                    stored_site_key, self.previous = pickle.load(handle)
                if stored_site_key != site_key:
                    self.previous = {}
            except Exception:  # a torn cache only costs a full write
                self.previous = {}

    def stale(self, name: str, key: str) -> bool:
        self.current[name] = key
        return self.previous.get(name) != key or not (self.output / name).exists()

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
        if not self.path:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("wb") as handle:
            pickle.dump((self.site_key, self.current), handle)


def get_generators(pelican):
    return ColloquyGenerator


def require_autoescape(pelican):
    """Comment fields are hostile text: templates must escape by default."""
    env = dict(pelican.settings.get("JINJA_ENVIRONMENT") or {})
    env["autoescape"] = True
    pelican.settings["JINJA_ENVIRONMENT"] = env
