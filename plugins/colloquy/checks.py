"""`colloquy check`: every problem in comment, essay and digest files, without building."""

from __future__ import annotations

from pathlib import Path

from .errors import CommentFileError


def essay_slugs(settings: dict) -> set[str]:
    """Slugs of every essay, read with Pelican's own readers so slugs match the build."""
    return set(essay_metadata(settings))


def essay_metadata(settings: dict) -> dict[str, tuple[Path, dict]]:
    """Every essay's and page's slug → (file, metadata as Pelican's readers see it), with
    the slugs Pelican gives them (slugs.py); page URLs are registered on the way."""
    from . import pages
    from .slugs import site_entries

    entries = site_entries(settings)
    pages.register(settings, entries)
    return {slug: (entry.path, entry.metadata) for slug, entry in entries.items()}


def check_site(settings: dict) -> list[CommentFileError]:
    """Every problem in comment files, essays' follow-up lines and the author's digest files."""
    from .digest import load_site  # comments → threads → scores → follow-ups → weeks

    # One file's problems together, in line order: the header's and the thread's.
    return sorted(load_site(settings).problems, key=lambda p: (p.path, p.line))
