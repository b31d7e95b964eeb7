"""Essay and page slugs, as Pelican itself gives them: the one source of truth.

A comment folder is named after the slug Pelican gives its essay or page. The build
knows that slug from Pelican's own objects; everything that runs without a build
(`colloquy check`, the importers, the intake, `colloquy export`) reads the content with
Pelican's readers and file rules here, so all of them agree with the build: a `Slug:`
line wins, otherwise Pelican's `slugify` of the title (or the file name, with
`SLUGIFY_SOURCE = "basename"`) under the site's slug settings. Slugs may hold whatever
Pelican allows (capitals, underscores, Unicode with SLUGIFY_USE_UNICODE); only names
that cannot be a folder are refused (`is_folder_name`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from pelican.generators import Generator
from pelican.readers import Readers
from pelican.utils import slugify as pelican_slugify


@dataclass(frozen=True)
class Entry:
    """One essay (a Pelican article) or page, as Pelican's readers see its file."""

    slug: str
    kind: str  # "essay" or "page"
    path: Path
    title: str
    date: datetime | None
    status: str
    metadata: dict = field(default_factory=dict, compare=False, repr=False)


def slugify(text: str, settings: dict) -> str:
    """Pelican's slugify with the site's slug settings."""
    return pelican_slugify(
        str(text),
        regex_subs=settings.get("SLUG_REGEX_SUBSTITUTIONS", []),
        preserve_case=settings.get("SLUGIFY_PRESERVE_CASE", False),
        use_unicode=settings.get("SLUGIFY_USE_UNICODE", False),
    )


def slug_of(metadata: dict, path: str | Path, settings: dict) -> str:
    """The slug Pelican gives content with this metadata read from `path`."""
    if metadata.get("slug"):
        return str(metadata["slug"])
    if settings.get("SLUGIFY_SOURCE", "title") == "basename":
        return slugify(os.path.splitext(os.path.basename(path))[0], settings)
    if metadata.get("title"):
        return slugify(metadata["title"], settings)
    return ""


def is_folder_name(slug: str) -> bool:
    """True when a slug can name a comment folder: not empty, not hidden, no path
    separator or control character. Anything else Pelican allows, we allow."""
    return bool(slug) and not slug.startswith(".") and "/" not in slug and "\\" not in slug \
        and not any(ord(ch) < 32 or ord(ch) == 127 for ch in slug)


def site_entries(settings: dict, kinds: tuple[str, ...] = ("page", "essay")
                 ) -> dict[str, Entry]:
    """Every essay and page of the site by slug, read as Pelican reads them (same
    paths, excludes, ignored files and readers). Essays win a slug both use.
    `kinds=("page",)` reads the pages alone (they are few: cheap at every build)."""
    readers = Readers(settings)
    files = Generator(context={}, settings=settings, path=settings["PATH"],
                      theme=settings["THEME"], output_path=settings["OUTPUT_PATH"])
    entries: dict[str, Entry] = {}
    for kind, prefix in (("page", "PAGE"), ("essay", "ARTICLE")):
        if kind not in kinds:
            continue
        found = files.get_files(settings.get(f"{prefix}_PATHS") or [],
                                exclude=settings.get(f"{prefix}_EXCLUDES") or [],
                                extensions=readers.extensions)
        for relative in sorted(found):
            path = Path(settings["PATH"]) / relative
            extension = path.suffix.lstrip(".")
            try:
                _, metadata = readers.readers[extension].read(str(path))
            except Exception:  # Pelican reports a file it cannot read; so does check
                continue
            slug = slug_of(metadata, path, settings)
            if not slug:
                continue
            date = metadata.get("date")
            entries[slug] = Entry(
                slug=slug, kind=kind, path=path, title=str(metadata.get("title", slug)),
                date=date if isinstance(date, datetime) else None,
                status=str(metadata.get("status", "published")).lower(), metadata=metadata)
    return entries
