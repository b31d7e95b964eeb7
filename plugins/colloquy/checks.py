"""`colloquy check`: every problem in comment, essay and digest files, without building."""

from __future__ import annotations

from pathlib import Path

from pelican.readers import Readers

from .errors import CommentFileError


def essay_slugs(settings: dict) -> set[str]:
    """Slugs of every essay, read with Pelican's own readers so slugs match the build."""
    return set(essay_metadata(settings))


def essay_metadata(settings: dict) -> dict[str, tuple[Path, dict]]:
    """Every essay's slug → (file, metadata as Pelican's readers see it)."""
    from pelican.utils import slugify

    readers = Readers(settings)
    essays = {}
    content = Path(settings["PATH"])
    for folder in settings.get("ARTICLE_PATHS") or [""]:
        for path in sorted((content / folder).rglob("*")):
            if path.suffix.lstrip(".") not in readers.extensions or not path.is_file():
                continue
            _, metadata = readers.readers[path.suffix.lstrip(".")].read(str(path))
            slug = metadata.get("slug") or slugify(
                str(metadata.get("title", path.stem)),
                regex_subs=settings.get("SLUG_REGEX_SUBSTITUTIONS", []))
            essays[str(slug)] = (path, metadata)
    return essays


def check_site(settings: dict) -> list[CommentFileError]:
    """Every problem in comment files, essays' follow-up lines and the author's digest files."""
    from .site import load_site  # comments → threads → scores → follow-ups → weeks

    return load_site(settings).problems
