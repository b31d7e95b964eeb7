"""The site being imported into: its essays and pages by the slug Pelican gives them.

Slugs come from `colloquy.slugs` (Pelican's own readers, metadata and `slugify` with the
site's slug settings), so a comment folder written here is the folder the build looks
for: `cancel_dajie` stays `cancel_dajie`, "Don't Panic" without a `Slug:` line is
`dont-panic`. Threads of an export are matched to those entries by the old URL's last
meaningful segment, a slug, a file name or a title.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone, tzinfo
from pathlib import Path
from urllib.parse import unquote, urlsplit

from .. import slugs

_IGNORED_SEGMENTS = re.compile(r"(index(\.\w+)?|amp|feed|comments|comment-page-\d+|trackback)$",
                               re.IGNORECASE)
_EXTENSION = re.compile(r"\.(html?|php|md)$", re.IGNORECASE)


class Site:
    """Where an import writes, and what is already there."""

    def __init__(self, settings: dict):
        from .. import settings as colloquy_settings

        self.settings = settings
        self.content = Path(settings.get("PATH") or "content")
        self.comments_root = colloquy_settings.comments_root(settings)
        self.max_body = int(colloquy_settings.resolve_one(settings, "COLLOQUY_MAX_BODY_CHARS"))
        self.essays_dir = self.content / _first(settings.get("ARTICLE_PATHS"), "essays")
        self.pages_dir = self.content / _first(settings.get("PAGE_PATHS"), "pages")
        self.timezone = colloquy_settings.site_timezone(settings)
        self.essays = EssayIndex(slugs.site_entries(settings) if self.content.is_dir() else {},
                                 settings, self.timezone)

    def slugify(self, value: str) -> str:
        return slugs.slugify(value, self.settings)

    def store_path(self) -> Path:
        from ..store import default_store_path

        return default_store_path(self.settings)

    def var_path(self, relative: str) -> Path:
        from ..store import site_path

        return site_path(self.settings, relative)


def _first(paths, default: str) -> str:
    return (list(paths or []) or [default])[0] or default


class EssayIndex:
    """The essays and pages of the site, found by slug, file stem, title or old URL."""

    def __init__(self, entries: dict, settings: dict, zone: tzinfo = timezone.utc):
        self.settings = settings
        self.slugs: set[str] = set()
        self.aliases: dict[str, str] = {}
        self.dates: dict[str, datetime] = {}
        self.titles: dict[str, str] = {}
        self.kinds: dict[str, str] = {}
        # Essays first: they win a title or file name that a page shares.
        for entry in sorted(entries.values(), key=lambda e: (e.kind != "essay", e.slug)):
            self.add(entry.slug, title=entry.title, stem=entry.path.stem, kind=entry.kind)
            if entry.date is not None:
                when = entry.date if entry.date.tzinfo else entry.date.replace(tzinfo=zone)
                self.dates[entry.slug] = when.astimezone(timezone.utc)

    def add(self, slug: str, title: str | None = None, stem: str | None = None,
            kind: str = "essay") -> None:
        self.slugs.add(slug)
        self.titles.setdefault(slug, title or slug)
        self.kinds.setdefault(slug, kind)
        for alias in (slug, slug.casefold(), stem, stem and self._slug(stem),
                      title and self._slug(title)):
            if alias:
                self.aliases.setdefault(alias, slug)

    def _slug(self, value: str) -> str:
        return slugs.slugify(value, self.settings)

    def __contains__(self, slug: str) -> bool:
        return slug in self.slugs

    def match(self, *candidates: str | None) -> str | None:
        """The slug of the first candidate (URL, path, slug or title) naming an entry."""
        for candidate in candidates:
            for key in self._keys(candidate):
                if key in self.aliases:
                    return self.aliases[key]
        return None

    def _keys(self, candidate: str | None):
        """Slug-like keys from a URL, a path or free text, most specific first.

        Only a URL's last meaningful segment counts (".../2019/04/<slug>/amp/" gives
        <slug>): earlier segments are years, sections and the like, never the essay.
        """
        if not candidate or not str(candidate).strip():
            return
        value = str(candidate).strip()
        # Disqus's WordPress plugin writes thread ids as "<post id> <guid>".
        if re.match(r"\d+ \S+$", value):
            value = value.split(" ", 1)[1]
        if "/" in value and " " not in value:
            try:
                parts = urlsplit(value)
            except ValueError:  # "http://[broken": not a URL, so no path to match
                return
            path = unquote(parts.path if (parts.scheme or value.startswith("/")) else value)
            segments = [s for s in path.split("/") if s and not _IGNORED_SEGMENTS.match(s)]
            if not segments or segments[-1].isdigit():
                return
            value = segments[-1]
        stem = _EXTENSION.sub("", value)
        yield from (key for key in (value, stem, stem.casefold(), self._slug(stem)) if key)
