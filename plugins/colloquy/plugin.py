"""Pelican integration: a generator that reads comments and writes conversations.

Pelican runs every generator's `generate_context` before any `generate_output`.
ColloquyGenerator is registered after the articles generator, so by the time its
context step runs the essays are known, and the conversations it attaches to them are
there when the articles generator writes essay pages.

Speed and memory: comment folders become bundles (see bundles.py) in a second process
while Pelican reads the essays; unchanged folders reuse last build's bundle. Pelican tells
that process about each essay it reads, and with its bundles done it writes those essays'
thread pages and feeds while Pelican is still reading. The main process keeps a small
summary per essay and loads one bundle at a time to write a page; what the worker did
not reach is written by both processes while Pelican writes its pages. Every file is
skipped when nothing it shows has changed (see outputs.py).
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import weakref
from multiprocessing import get_context
from pathlib import Path
from urllib.parse import urlparse
from zoneinfo import ZoneInfo

from markupsafe import Markup
from pelican import signals
from pelican.contents import Article
from pelican.generators import Generator
from pelican.writers import Writer

from . import bundles, digest, feeds, markup, substance, settings as colloquy_settings
from .background import Channel, Forked, can_fork
from .bundles import BundleStore, Preparer, Record, Summary
from .comments import Comment
from .errors import ColloquyError, CommentFileError
from .outputs import (EssayFacts, NotKnownYet, NotKnownYetValue, OutputCache, ThreadOutput,
                      comment_entry, essay_url, input_hash, thread_url)
from .threads import Conversation

logger = logging.getLogger(__name__)

UNCAPPED = 10**6
BATCH = 25  # essays claimed at a time when both processes write thread pages
# Context entries made only once every essay is read (digest.prepare).
LATE_CONTEXT = ("colloquy_digest_weeks",)


def display_path(path: str) -> str:
    """Relative to the working folder when inside it (as authors type paths), else absolute."""
    relative = os.path.relpath(path)
    return path if relative.startswith("..") else relative


def log_problems(problems: list[CommentFileError]) -> None:
    for problem in problems:
        line = f"colloquy: {display_path(problem.path)}:{problem.line}: {problem.problem}; {problem.fix}"
        # Errors are above Pelican's duplicate filter, so each shows on every rebuild.
        logger.error(line) if problem.fatal else logger.warning(line)


class EssayConversation:
    """`article.conversation` in templates: counts at hand, the threads loaded on demand."""

    def __init__(self, summary: Summary, store: BundleStore):
        self.summary = summary
        self._store = store

    @property
    def count(self) -> int:
        return self.summary.count

    @property
    def likes(self) -> int:
        return self.summary.likes

    @property
    def reposts(self) -> int:
        return self.summary.reposts

    @property
    def records(self) -> list[Record]:
        return self.summary.records

    def tallies(self) -> list[Comment]:
        """The likes and reposts themselves (who, when, from where), oldest first, for the
        theme's list of them; read from the bundle only when the essay has any."""
        if not (self.summary.likes or self.summary.reposts):
            return []
        bundle = self._store.load(self.summary.essay)
        return sorted((c for c in bundle.comments if c.is_tally),
                      key=lambda c: (c.date, c.id)) if bundle else []

    def sections(self) -> dict[str, list[Markup]]:
        """Each section's threads as HTML, read from the bundle (not kept afterwards)."""
        if not self.summary.ids:
            return {name: [] for name in ("responses", "threads", "mentions")}
        page_html = self._store.load_page_html(self.summary.essay)
        return {name: [Markup(page_html[root]) for root in roots]
                for name, roots in self.summary.sections.items()}


class ColloquyGenerator(Generator):
    """Reads content/comments, threads them onto essays, writes thread pages and feeds."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.colloquy = colloquy_settings.resolve(self.settings)
        # Each build makes a new generator and environment: no template changes under it,
        # so rendering a page need not stat every template it extends or includes.
        self.env.auto_reload = False
        self.comments_root = Path(self.path) / self.colloquy["COLLOQUY_COMMENTS_DIR"]
        self.parallel = can_fork(self.colloquy["COLLOQUY_WORKERS"])
        self.site_key = self._site_fingerprint()
        self.site_zone = ZoneInfo(self.settings.get("TIMEZONE") or "UTC")
        self.max_depth = self.colloquy["COLLOQUY_MAX_DEPTH"]
        self.summaries: dict[str, Summary] = {}
        self.problems: list[CommentFileError] = []
        self._macro_module = None
        self._temporary = None
        self.store = BundleStore(self._bundle_dir())
        self.preparer = Preparer(self.store, self.site_key, self.max_depth,
                                 self.decorate, self._render_thread)
        # Generators are all made before any reads content: prepare the comments now,
        # in a second process, while Pelican reads the essays; Pelican tells that process
        # about each essay it reads, so it can write their thread pages next.
        # The child leaves its summaries on disk and exits when Pelican is done reading.
        self._channel = Channel() if self.parallel else None
        if self._channel is not None:
            signals.content_object_init.connect(self._tell_worker)
            # If reading fails (as it may in `pelican --autoreload`), the worker must not
            # wait for essays forever.
            weakref.finalize(self, self._channel.stop)
        self._reading = Forked(self.parallel, self._prepare_and_write_ahead)
        if self._channel is not None:
            self._channel.close_receiving_end()
        self._written_early: dict[str, str] = {}
        self._writing: Forked | None = None

    def _bundle_dir(self) -> Path:
        cache_path = self.settings.get("CACHE_PATH")
        if cache_path and self.settings.get("CACHE_CONTENT", True):
            return Path(cache_path) / "colloquy"
        self._temporary = tempfile.mkdtemp(prefix="colloquy-")  # still one bundle at a time
        return Path(self._temporary)

    # -- context -----------------------------------------------------------------------

    def _tell_worker(self, instance) -> None:
        """content_object_init: what the worker needs of an essay Pelican has just read."""
        if isinstance(instance, Article) and instance.status == "published":
            facts = [getattr(instance, name, None) for name in ("slug", "title", "date")]
            if all(facts):  # one without is invalid: Pelican says so, and skips it
                self._channel.send(tuple(facts))

    def _prepare_and_write_ahead(self) -> dict[str, str]:
        """Bundles for every comment folder, then (in the worker) the thread pages and
        feeds of each essay Pelican reads, until it has read them all. Returns the name
        and input hash of each file written."""
        self.summaries = self.preparer.prepare_all(self.comments_root)
        if self._channel is None:
            return {}
        output, written, first_year = None, {}, None
        for slug, title, date in self._channel.receive():
            if output is None:  # set up at the first essay: a warm build reads none
                output = self._thread_output(early=True)
                marks = output.context["colloquy_featured"]
            first_year = min(first_year or date.year, date.year)
            essay = EssayFacts(slug, title, date)
            summary = self.summaries.get(slug) or Summary(slug, "")
            try:
                written.update(output.write_essay(essay, summary, self._feed_info(first_year),
                                                  marks))
            except NotKnownYet as unknown:  # the theme needs more: leave it all to later
                logger.debug("colloquy: thread pages wait for Pelican: %s", unknown)
                break
        return written

    def generate_context(self):
        essays = {essay.slug: essay for essay in self._essays()}
        if self._channel is not None:
            signals.content_object_init.disconnect(self._tell_worker)
            self._channel.stop()
        try:
            self._written_early = self._reading.result()
        except ChildProcessError as exc:
            raise ColloquyError(f"colloquy: {exc}") from None
        if self.parallel:  # the worker left its summaries in the store
            self.summaries = self.store.load_index()
        self.problems = self._cross_folder_problems(essays)
        for summary in self.summaries.values():
            self.problems.extend(summary.problems)
        self.problems.sort(key=lambda p: (p.path, p.line))
        log_problems(self.problems)
        if self.colloquy["COLLOQUY_STRICT"] and self.problems:
            raise ColloquyError(
                f"colloquy: {len(self.problems)} problem(s) in comment files and "
                "COLLOQUY_STRICT is on; fix them (see `colloquy check`) or turn it off")
        for slug, essay in essays.items():
            summary = self.summaries.get(slug) or Summary(slug, "")
            essay.conversation = EssayConversation(summary, self.store)
        # Follow-up links, the digest weeks and "featured" marks, from the summaries'
        # scored records; before the writer forks, so both processes see them.
        self.digest = digest.prepare(self)
        # Everything thread pages and feeds need is known: write them alongside Pelican.
        self._queue = get_context("fork").Value("i", 0)
        if self.parallel:
            self._writing = Forked(True, self._write_threads)

    def _essays(self):
        # Drafts and hidden essays count as known essays: their comments are not "unknown".
        names = ("articles", "drafts", "hidden_articles")
        return [a for name in names for a in self.context.get(name, [])]

    def _cross_folder_problems(self, essays) -> list[CommentFileError]:
        """Folders that are not essays, and ids used in two folders (the later one yields)."""
        problems, owner = [], {}
        for essay in sorted(self.summaries):
            summary = self.summaries[essay]
            if essay not in essays:
                for comment_id in summary.ids:
                    problems.append(CommentFileError(
                        self.comments_root / essay / f"{comment_id}.md", 1,
                        f"no essay has the slug '{essay}'",
                        "move the file into the folder of an existing essay (or add that essay)"))
                del self.summaries[essay]
                continue
            taken = [i for i in summary.ids if i in owner]
            for comment_id in taken:
                problems.append(CommentFileError(
                    self.comments_root / essay / f"{comment_id}.md", 1,
                    f"duplicate id '{comment_id}' (also in "
                    f"{display_path(str(self.comments_root / owner[comment_id] / comment_id))}.md)",
                    "give one of the two comments a new id and file name"))
            if taken:  # rare: prepare this folder again without the duplicates
                folder = self.comments_root / essay
                summary = self.summaries[essay] = self.preparer.prepare(
                    folder, "", exclude=frozenset(taken))
            owner.update((i, essay) for i in summary.ids)
        return problems

    def decorate(self, conversation: Conversation) -> None:
        """What pages need beyond the files: permalinks and dates in the site's zone."""
        for comment in conversation.by_id.values():
            # Comments deeper than the essay page shows live on their thread page.
            page = (essay_url(comment.essay) if comment.depth < self.max_depth
                    else thread_url(comment.essay, comment.thread_id))
            comment.permalink = f"{page}#{comment.anchor}"
            comment.local_date = comment.date.astimezone(self.site_zone)
            # How the reply form names this comment ("Replying to …").
            comment.snippet = " ".join(comment.body[:120].split())[:60]
        # Scores are per essay; set before threads render (reshares are marked there).
        substance.score_conversation(conversation)

    def _render_thread(self, root: Comment) -> tuple[str, str]:
        """The thread as the essay page shows it (capped), and whole for its own page."""
        if self._macro_module is None:
            values = {k: v for k, v in self.settings.items() if k.isupper()} | self.colloquy
            self._macro_module = self.env.get_template("_conversation.html").make_module(values)
        macros, essay = self._macro_module, {"slug": root.essay}
        messages = {c.id: macros.message(c, essay) for c in root.walk()}  # each made once
        # The thread page differs from the essay page even when nothing is capped: it
        # carries each comment's reply form and no link to itself.
        return (str(macros.thread(root, essay, self.max_depth, messages=messages)),
                str(macros.thread(root, essay, UNCAPPED, messages=messages, page="thread")))

    # -- output ------------------------------------------------------------------------

    def generate_output(self, writer):
        # Pelican has written its pages; help the second process finish the threads.
        output = self._thread_output()
        keys = self._write_threads(output)
        if self._writing is not None:
            try:
                keys.update(self._writing.result())
            except ChildProcessError as exc:
                raise ColloquyError(f"colloquy: {exc}") from None
        # What the worker wrote for an essay that turned out not to be published.
        outputs = output.outputs
        for name in self._written_early.keys() - keys.keys():
            outputs.remove(name)
        # Once the worker is gone: pages written while it lives are copied into both.
        outputs.keys.used.update(keys)
        outputs.keys.changed = True
        info = self._feed_info(self._first_year())
        self._write_site_feeds(info, list(self.context.get("articles", [])), outputs)
        digest.write_output(self, output.writer, outputs, info, self.digest)  # digest/
        outputs.save()
        if self._temporary:
            shutil.rmtree(self._temporary, ignore_errors=True)

    def _cache_file(self, name: str) -> Path | None:
        return None if self._temporary else self.store.directory / name

    def _thread_output(self, early: bool = False) -> ThreadOutput:
        """The writer of thread pages and feeds, with what their templates see: settings
        and Colloquy's own context, not every article (copying the whole context per page
        would also copy shared pages in the worker)."""
        context = {k: v for k, v in self.context.items()
                   if k.isupper() or k.startswith("colloquy_")}
        if early:  # featured marks are guessed, and in each page's input hash
            context["colloquy_featured"] = digest.likely_marks(self, self.summaries)
            context.update((name, NotKnownYetValue(name)) for name in LATE_CONTEXT)
        outputs = OutputCache(self._cache_file("colloquy-outputs.pickle"), self.output_path,
                              self.site_key)
        return ThreadOutput(Writer(self.output_path, settings=self.settings),
                            self.get_template("thread"), context, self.store, outputs)

    def _write_threads(self, output: ThreadOutput | None = None) -> dict[str, str]:
        """Thread pages and per-essay and per-thread feeds, unchanged ones skipped.

        Both processes run this: each claims the next batch of essays from a shared
        counter until none is left. Returns the input hash of every file it wrote or kept.
        """
        output = output or self._thread_output()
        output.outputs.keys.stored.update(self._written_early)
        info = self._feed_info(self._first_year())
        essays = list(self.context.get("articles", []))
        while True:
            with self._queue.get_lock():
                start = self._queue.value
                self._queue.value += BATCH
            if start >= len(essays):
                return output.outputs.keys.used
            for essay in essays[start:start + BATCH]:
                output.write_essay(essay, essay.conversation.summary, info, self.digest.marks)

    def _site_fingerprint(self) -> str:
        # Anything that changes every page: templates, site identity, plugin version.
        theme = Path(self.theme) / "templates"
        stamps = sorted((p.name, p.stat().st_mtime_ns) for p in theme.glob("*.html"))
        keys = ("SITENAME", "SITEURL", "AUTHOR", "TIMEZONE", "DEFAULT_LANG", "FEED_DOMAIN")
        # The digest's settings change no comment page: digest pages have their own keys.
        colloquy = sorted((k, v) for k, v in self.colloquy.items()
                          if not k.startswith("COLLOQUY_DIGEST"))
        return input_hash([stamps, [self.settings.get(k) for k in keys], colloquy,
                           markup.MARKUP_VERSION, substance.SCORE_VERSION, bundles.FORMAT,
                           __package__])

    def _first_year(self) -> int | None:
        return min((a.date.year for a in self.context.get("articles", [])), default=None)

    def _feed_info(self, first_year: int | None) -> feeds.FeedInfo:
        site_url = (self.settings.get("FEED_DOMAIN") or self.settings.get("SITEURL")
                    or "http://localhost:8000").rstrip("/")
        authority = self.colloquy["COLLOQUY_TAG_AUTHORITY"]
        if not authority:
            host = urlparse(site_url).hostname or "localhost"
            authority = f"{host},{first_year or 2026}"
        return feeds.FeedInfo(self.settings.get("SITENAME", ""), site_url,
                              self.settings.get("AUTHOR", ""), authority)

    def _write_site_feeds(self, info, essays, outputs: "OutputCache") -> None:
        limit = self.colloquy["COLLOQUY_FEED_ITEMS"]
        recent = sorted(essays, key=lambda a: (a.date, a.slug), reverse=True)[:limit]
        entries = [feeds.Entry(
            id=info.tag(f"essays/{a.slug}"), title=a.title, link=info.url(essay_url(a.slug)),
            published=a.date, updated=getattr(a, "modified", None) or a.date,
            content_html=a.content, summary_html=a.summary,
            author=", ".join(str(x) for x in getattr(a, "authors", [])) or info.author,
            categories=tuple(str(t) for t in getattr(a, "tags", [])),
            replies=feeds.replies_links(info, a.slug, a.conversation.count)) for a in recent]
        atom_bytes, rss_bytes = feeds.atom_and_rss(
            info, feed_id=info.tag("feeds/essays"), title=info.site_name,
            page_url=info.url(""), atom_url=info.url("feeds/essays.atom.xml"),
            rss_url=info.url("feeds/essays.rss.xml"), subtitle="New essays",
            entries=entries, fallback_updated=digest.EPOCH)
        outputs.write("feeds/essays.atom.xml", atom_bytes)
        outputs.write("feeds/essays.rss.xml", rss_bytes)
        outputs.write("feeds/comments.atom.xml", self._site_comments_feed(info, essays, limit))

    def _site_comments_feed(self, info, essays, limit: int) -> bytes:
        by_slug = {a.slug: a for a in essays}
        newest = sorted((r for a in essays for r in a.conversation.records),
                        key=lambda r: (r.date, r.id), reverse=True)[:limit]
        entries = []
        for slug in {r.essay for r in newest}:  # one bundle at a time, for the few needed
            conversation = self.store.load(slug).conversation(slug)  # decorated when prepared
            wanted = {r.id for r in newest if r.essay == slug}
            entries += [comment_entry(info, by_slug[slug], c)
                        for c in conversation.written if c.id in wanted]
        return feeds.atom(
            info, feed_id=info.tag("feeds/comments"), title=f"Comments on {info.site_name}",
            page_url=info.url(""), self_url=info.url("feeds/comments.atom.xml"),
            subtitle="Every new comment, reply and response", entries=entries,
            fallback_updated=digest.EPOCH, threaded=True)


def get_generators(pelican):
    return ColloquyGenerator


def require_autoescape(pelican):
    """Comment fields are hostile text: templates must escape by default."""
    env = dict(pelican.settings.get("JINJA_ENVIRONMENT") or {})
    env["autoescape"] = True
    pelican.settings["JINJA_ENVIRONMENT"] = env
