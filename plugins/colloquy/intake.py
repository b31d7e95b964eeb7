"""The intake: a site's settings resolved once for `colloquy serve`.

`Intake(settings)` checks every intake setting at start (a malformed one is named, with
its fix, before the server listens), finds the site's folders, and owns the store, the
writer thread and the background rebuilder. `SiteIndex` answers "does this essay (or
comment) exist?" from the built site and the comment files, cheaply.
"""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path

from . import guards, settings as colloquy_settings, tokens
from .errors import SettingError
from .pages import Shell
from .store import Limits, Store, default_store_path, site_path
from .urls import PAGE, SiteUrls
from .writer import Writer

logger = logging.getLogger("colloquy.intake")
LAYOUT = {"ARTICLE_URL": "essays/{slug}/", "ARTICLE_SAVE_AS": "essays/{slug}/index.html",
          "PAGE_URL": "{slug}/", "PAGE_SAVE_AS": "{slug}/index.html"}


class Intake:
    """Everything the intake needs, resolved once from the site's settings."""

    def __init__(self, settings: dict):
        self.settings = settings
        self.cfg = colloquy_settings.resolve(settings, strict=True)
        self.env = os.environ.get("COLLOQUY_ENV") or self.cfg["COLLOQUY_ENV"]
        if self.env not in ("development", "production"):
            raise SettingError(f"COLLOQUY_ENV is '{self.env}'; use 'development' or "
                               "'production'")
        site_url = (settings.get("SITEURL") or "").rstrip("/")
        self.site_origin = guards.origin_of(site_url) if site_url else None
        if self.env == "production":
            missing = []
            if not self.site_origin:
                missing.append("SITEURL must be the site's public address (e.g. "
                               "'https://example.org'): set it in publishconf.py and serve "
                               "with --settings publishconf.py")
            if not os.environ.get(tokens.SECRET_ENV):
                missing.append(f"{tokens.SECRET_ENV} is not set: put a long random string "
                               "in the server's environment, e.g. `python -c 'import "
                               "secrets; print(secrets.token_hex(32))'`")
            if missing:
                raise SettingError("COLLOQUY_ENV is 'production' but " + "; and ".join(missing))
        self.secret = tokens.load_secret(self.env, site_path(settings,
                                                            self.cfg["COLLOQUY_SECRET_FILE"]))
        self.output = Path(settings.get("OUTPUT_PATH") or "output")
        self.comments_root = colloquy_settings.comments_root(settings)
        self.intake_url = "/" + self.cfg["COLLOQUY_INTAKE_URL"].strip("/")
        if self.intake_url == "/" or "://" in self.intake_url:
            raise SettingError("COLLOQUY_INTAKE_URL must be a path on this server such as "
                               f"'/intake', not '{self.cfg['COLLOQUY_INTAKE_URL']}'")
        self.allowed_origins = {o.rstrip("/").lower()
                                for o in self.cfg["COLLOQUY_ALLOWED_ORIGINS"]}
        if self.site_origin:
            self.allowed_origins.add(self.site_origin)
        self.trusted = frozenset(self.cfg["COLLOQUY_TRUSTED_PROXIES"])
        self.limits = Limits(rate_limit=int(self.cfg["COLLOQUY_RATE_LIMIT"]),
                             rate_window=float(self.cfg["COLLOQUY_RATE_WINDOW"]),
                             duplicate_window=float(self.cfg["COLLOQUY_DUPLICATE_WINDOW"]),
                             auto_approve_after=int(self.cfg["COLLOQUY_AUTO_APPROVE_AFTER"]))
        # An ARTICLE_URL it cannot honour is refused here, as the build refuses it; a
        # settings dict made by hand (not by read_settings) gets this site's layout.
        self.urls = SiteUrls({**LAYOUT, **settings})
        self.index = SiteIndex(self.output, self.comments_root, self.urls)
        self.shell = Shell(self.output)
        self.author_name = str(settings.get("AUTHOR") or "")
        self.store = Store(default_store_path(settings))
        self.writer: Writer | None = None
        self.rebuilder = None

    def start(self) -> None:
        from .moderation import Rebuilder

        with self.store.transaction():
            erased, deleted = self.store.purge(self.cfg["COLLOQUY_RETENTION_DAYS"], tokens.now())
        if erased or deleted:
            logger.info("retention: erased addresses of %d comment(s), deleted %d rejected",
                        erased, deleted)
        self.writer = Writer(self.store)
        if self.cfg["COLLOQUY_REBUILD"]:
            self.rebuilder = Rebuilder(self.settings)

    def stop(self) -> None:
        if self.writer:
            self.writer.close()
            self.writer = None
        self.store.close()


class SiteIndex:
    """Which essays and comment ids exist, re-read when their folders change.

    Essays are the built pages, found where the site's URL settings put them
    (urls.SiteUrls: `essays/<slug>/index.html` here), and pages that show a conversation
    (their comments feed is built): exactly what readers can see and answer. Comment ids are the file names in content/comments/<slug>/.
    A folder is listed again only when its modification time changes; a name found in the
    cache is trusted for FRESH seconds without even a stat(), a name not found always
    re-checks the folder (so a new essay or approval counts at once).
    """

    FRESH = 1.0

    def __init__(self, output: Path, comments_root: Path, urls: SiteUrls | None = None):
        self.output = output
        self.comments_root = comments_root
        self.urls = urls or SiteUrls(LAYOUT)
        self._folders: dict[Path, tuple[float, int, set[str]]] = {}

    def _names(self, folder: Path, list_names, known: str) -> bool:
        checked, stamp, names = self._folders.get(folder, (0.0, -1, set()))
        now = time.monotonic()
        if known in names and now - checked < self.FRESH:
            return True
        try:
            current = folder.stat().st_mtime_ns
        except OSError:
            current = 0
        if current != stamp:
            names = list_names(folder) if current else set()
        self._folders[folder] = (now, current, names)
        return known in names

    def has_essay(self, slug: str) -> bool:
        return self._built(slug) is not None

    def url_of(self, slug: str) -> str | None:
        """The path of the built essay (or page) with this slug, e.g. '/essays/a-slug/'."""
        found = self._built(slug)
        return "/" + self.urls.essay(slug, found) if found else None

    def folder_of(self, slug: str) -> str | None:
        """Where its thread pages live, e.g. '/essays/a-slug/' ('/a-slug/' for 'a-slug.html')."""
        found = self._built(slug)
        return "/" + self.urls.folder(slug, found) if found else None

    def _built(self, slug: str) -> str | None:
        """'essay' when the essay's page is built, 'page' when a Pelican page with this
        slug shows a conversation (its comments feed is built: docs/comments.md), else
        None. A stat() or two."""
        url = self.urls.essay(slug)
        if (self.output / (url + "index.html" if url.endswith("/") else url)).is_file():
            return "essay"
        try:
            folder = self.urls.folder(slug, PAGE)
        except SettingError:  # a PAGE_URL comments cannot follow: no page conversations
            return None
        return PAGE if (self.output / folder / "comments.atom.xml").is_file() else None

    def has_comment(self, essay: str, comment_id: str) -> bool:
        return self._names(self.comments_root / essay,
                           lambda folder: {p.stem for p in folder.glob("*.md")}, comment_id)
