"""Pelican integration: a generator that reads comments and writes conversations.

Pelican runs every generator's `generate_context` before any `generate_output`.
ColloquyGenerator is registered after the articles generator, so by the time its
context step runs the essays are known, and the conversations it attaches to them are
there when the articles generator writes essay pages.

Speed and memory: comment folders become bundles (see bundles.py) in a second process
while Pelican reads the essays; unchanged folders reuse last build's bundle. The main
process keeps a small summary per essay and loads one bundle at a time to write a page.
Thread pages and feeds are written by both processes while Pelican writes its pages.
Every file is skipped when nothing it shows has changed (see outputs.py, cache.py).
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from urllib.parse import urlparse

from jinja2 import FileSystemBytecodeCache
from markupsafe import Markup
from pelican import __version__ as pelican_version
from pelican.generators import Generator
from pelican.writers import Writer

from . import __version__, bundles, digest_pages, feeds, markup, substance, settings as colloquy_settings
from .background import Batches, Forked, can_fork
from .bundles import BundleStore, Preparer, Summary
from .cache import site_key
from .comments import Comment
from .errors import ColloquyError, CommentFileError, log_problems
from .outputs import OutputCache, ThreadOutput, newest_records, write_site_feeds
from .threads import Conversation, folder_problems
from .slugs import site_entries
from .urls import SiteUrls

UNCAPPED = 10**6
BATCH = 5  # essays claimed at a time when both processes write thread pages: small,
# so that neither process is left with much to do alone at the end


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
        page_html = self._store.load_page_html(self.summary.essay)  # {} if unreadable
        return {name: [Markup(page_html[root]) for root in roots if root in page_html]
                for name, roots in self.summary.sections.items()}


def shows_conversation(page) -> bool:
    """A page shows a conversation (and has thread pages and a comments feed) once its
    folder has comments, or when its metadata says `Comments: open`."""
    conversation = page.conversation
    return bool(conversation.count or conversation.likes or conversation.reposts
                or str(getattr(page, "comments", "")).lower() == "open")


class ColloquyGenerator(Generator):
    """Reads content/comments, threads them onto essays, writes thread pages and feeds."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.colloquy = colloquy_settings.resolve(self.settings)
        # Refuses URL settings it cannot honour. Pages have conversations too: the few
        # page files are read now, so a page's comments are placed below its URL.
        self.urls = SiteUrls(self.settings, pages=site_entries(self.settings, kinds=("page",)))
        self.context["colloquy_urls"] = self.urls
        # Each build makes a new generator and environment: no template changes under it,
        # so rendering a page need not stat every template it extends or includes.
        self.env.auto_reload = False
        self.comments_root = colloquy_settings.comments_root(self.settings)
        self.parallel = can_fork(self.colloquy["COLLOQUY_WORKERS"])
        self.site_key = site_key(self.settings, self._template_dirs(), __version__,
                                 pelican_version, markup.MARKUP_VERSION,
                                 substance.SCORE_VERSION, bundles.FORMAT)
        self.site_zone = colloquy_settings.site_timezone(self.settings)
        self.max_depth = self.colloquy["COLLOQUY_MAX_DEPTH"]
        self.summaries: dict[str, Summary] = {}
        self.problems: list[CommentFileError] = []
        self._macro_module = None
        self._temporary = None
        self.store = BundleStore(self._bundle_dir())
        self.preparer = Preparer(self.store, self.site_key, self.max_depth,
                                 self.decorate, self._render_thread)
        # Generators are all made before any reads content: prepare the comments now,
        # in a second process, while Pelican reads the essays; once Pelican has read
        # them, its process prepares what the worker has not reached yet.
        self._folders = Batches(shared=self.parallel)
        self._reading = Forked(self.parallel, self._prepare)
        self._writing: Forked | None = None

    def _bundle_dir(self) -> Path:
        cache_path = self.settings.get("CACHE_PATH")
        if cache_path and self.settings.get("CACHE_CONTENT", True):
            return Path(cache_path) / "colloquy"
        self._temporary = tempfile.mkdtemp(prefix="colloquy-")  # still one bundle at a time
        return Path(self._temporary)

    def _template_dirs(self) -> list[Path]:
        return [Path(self.theme) / "templates",
                *(Path(p) for p in self.settings.get("THEME_TEMPLATES_OVERRIDES") or [])]

    # -- context -----------------------------------------------------------------------

    def _prepare(self) -> dict[str, Summary]:
        return self.preparer.prepare_all(self.comments_root, self._folders)

    def generate_context(self):
        essays = {essay.slug: essay for essay in self._essays()}
        mine = self._prepare() if self.parallel else {}  # help the worker finish
        try:
            theirs = self._reading.result()
        except ChildProcessError as exc:
            raise ColloquyError(f"colloquy: {exc}") from None
        self.summaries = dict(sorted((theirs | mine).items()))
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
        self.digest = digest_pages.prepare(self.context, self.summaries, self.settings,
                                           self.path, self.store.load_excerpts)
        # The records have served: the digest keeps those it shows, the site's comments
        # feed the newest. Let go of the rest before the writer forks, so that neither
        # process carries a record per comment of the site through the writing.
        published = {page.slug for name in ("articles", "pages")
                     for page in self.context.get(name, [])}
        self.newest = newest_records(
            [s for slug, s in self.summaries.items() if slug in published],
            self.colloquy["COLLOQUY_FEED_ITEMS"])
        for summary in self.summaries.values():
            summary.records = []
        # Everything thread pages and feeds need is known: write them alongside Pelican.
        # The writer and its templates are made before the fork, so the second process
        # shares them instead of compiling the templates again into memory of its own.
        self._batches = Batches(shared=self.parallel)
        self._output = self._thread_output()
        if self.parallel:
            self._writing = Forked(True, self._write_threads, self._output)

    def _essays(self):
        # Drafts and hidden essays count as known essays: their comments are not "unknown".
        names = ("articles", "drafts", "hidden_articles", "pages", "hidden_pages", "draft_pages")
        return [a for name in names for a in self.context.get(name, [])]

    def _cross_folder_problems(self, essays) -> list[CommentFileError]:
        """Folders that are not essays, and ids used in two folders (the later one yields)."""
        root = str(self.comments_root)  # joined as text: a Path per comment costs 10 µs
        files = [(essay, comment_id, f"{root}/{essay}/{comment_id}.md")
                 for essay in sorted(self.summaries) for comment_id in self.summaries[essay].ids]
        problems, rejected = folder_problems(files, set(essays))
        taken: dict[str, set[str]] = {}
        for position in rejected:
            essay, comment_id, _ = files[position]
            taken.setdefault(essay, set()).add(comment_id)
        for essay, ids in taken.items():
            if essay not in essays:
                del self.summaries[essay]
            else:  # rare: prepare this folder again without the duplicates
                self.summaries[essay] = self.preparer.prepare(
                    self.comments_root / essay, "", exclude=frozenset(ids))
        return problems

    def decorate(self, conversation: Conversation) -> None:
        """What pages need beyond the files: permalinks and dates in the site's zone."""
        for comment in conversation.by_id.values():
            comment.permalink = self.urls.permalink(comment, self.max_depth)
            comment.local_date = comment.date.astimezone(self.site_zone)
            # How its reply form names this comment ("Replying to …").
            comment.first_words = markup.first_words(comment.html)
        # Scores are per essay; set before threads render (reshares are marked there).
        substance.score_conversation(conversation)

    def _render_thread(self, root: Comment) -> tuple[str, str]:
        """The thread as the essay page shows it (capped), and whole for its own page."""
        if self._macro_module is None:
            values = {k: v for k, v in self.settings.items() if k.isupper()} | self.colloquy
            values["colloquy_urls"] = self.urls
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
        output = self._output
        keys = self._write_threads(output)
        if self._writing is not None:
            try:
                keys.update(self._writing.result())
            except ChildProcessError as exc:
                raise ColloquyError(f"colloquy: {exc}") from None
        # Once the worker is gone: pages it wrote are remembered with the main process's.
        outputs = output.outputs
        outputs.keys.used.update(keys)
        outputs.keys.changed = True
        info = self._feed_info()
        write_site_feeds(info, self.urls, list(self.context.get("articles", [])), self.store,
                         self.colloquy["COLLOQUY_FEED_ITEMS"], outputs, self.newest,
                         pages=list(self.context.get("pages", [])))
        digest_pages.write_pages(self.digest.weeks, self.get_template, self.context,  # digest/
                                 output.writer, outputs, info,
                                 self.colloquy["COLLOQUY_DIGEST_FEED_ITEMS"])
        outputs.save()
        if self._temporary:
            shutil.rmtree(self._temporary, ignore_errors=True)

    def _thread_output(self) -> ThreadOutput:
        """The writer of thread pages and feeds, with what their templates see: settings
        and Colloquy's own context, not every article (copying the whole context per page
        would also copy shared pages in the worker)."""
        context = {k: v for k, v in self.context.items()
                   if k.isupper() or k.startswith("colloquy_")}
        cache_file = None if self._temporary else self.store.directory / "colloquy-outputs.pickle"
        outputs = OutputCache(cache_file, self.output_path, self.site_key)
        return ThreadOutput(Writer(self.output_path, settings=self.settings),
                            self.get_template("thread"), context, self.store, outputs, self.urls)

    def _write_threads(self, output: ThreadOutput) -> dict[str, str]:
        """Thread pages and per-essay and per-thread feeds, unchanged ones skipped.

        Both processes run this: each claims the next batch of essays until none is left.
        Returns the input hash of every file it wrote or kept.
        """
        info = self._feed_info()
        essays = list(self.context.get("articles", [])) + [
            page for page in self.context.get("pages", []) if shows_conversation(page)]
        while (start := self._batches.claim(BATCH)) < len(essays):
            for essay in essays[start:start + BATCH]:
                output.write_essay(essay, essay.conversation.summary, info, self.digest.marks)
        return output.outputs.keys.used

    def _feed_info(self) -> feeds.FeedInfo:
        site_url = (self.settings.get("FEED_DOMAIN") or self.settings.get("SITEURL")
                    or "http://localhost:8000").rstrip("/")
        authority = self.colloquy["COLLOQUY_TAG_AUTHORITY"]
        if not authority:
            first_year = min((a.date.year for a in self.context.get("articles", [])),
                             default=None)
            host = urlparse(site_url).hostname or "localhost"
            authority = f"{host},{first_year or 2026}"
        return feeds.FeedInfo(self.settings.get("SITENAME", ""), site_url,
                              self.settings.get("AUTHOR", ""), authority)


def get_generators(pelican):
    return ColloquyGenerator


def require_autoescape(pelican):
    """Comment fields are hostile text: templates must escape by default."""
    env = dict(pelican.settings.get("JINJA_ENVIRONMENT") or {})
    env["autoescape"] = True
    pelican.settings["JINJA_ENVIRONMENT"] = env


def cache_templates(pelican):
    """Keep compiled templates in the cache folder: a rebuild then loads them instead of
    compiling every template again (a tenth of a warm build). Jinja keys each by its
    source, so an edited template is compiled afresh."""
    cache_path = pelican.settings.get("CACHE_PATH")
    if not cache_path or not pelican.settings.get("CACHE_CONTENT", True):
        return
    env = dict(pelican.settings.get("JINJA_ENVIRONMENT") or {})
    if "bytecode_cache" not in env:
        folder = Path(cache_path) / "colloquy" / "templates"
        folder.mkdir(parents=True, exist_ok=True)
        env["bytecode_cache"] = FileSystemBytecodeCache(str(folder))
        pelican.settings["JINJA_ENVIRONMENT"] = env
