"""`colloquy check`: every problem in the comment files, without building the site."""

from __future__ import annotations

from pathlib import Path

from pelican.readers import Readers

from . import settings as colloquy_settings
from .comments import load_comments
from .errors import CommentFileError
from .threads import build_conversations


def essay_slugs(settings: dict) -> set[str]:
    """Slugs of every essay, read with Pelican's own readers so slugs match the build."""
    from pelican.utils import slugify

    readers = Readers(settings)
    slugs = set()
    content = Path(settings["PATH"])
    for folder in settings.get("ARTICLE_PATHS") or [""]:
        for path in sorted((content / folder).rglob("*")):
            if path.suffix.lstrip(".") not in readers.extensions or not path.is_file():
                continue
            _, metadata = readers.readers[path.suffix.lstrip(".")].read(str(path))
            slug = metadata.get("slug") or slugify(
                str(metadata.get("title", path.stem)),
                regex_subs=settings.get("SLUG_REGEX_SUBSTITUTIONS", []))
            slugs.add(str(slug))
    return slugs


def check_site(settings: dict) -> list[CommentFileError]:
    colloquy = colloquy_settings.resolve(settings)
    comments_root = Path(settings["PATH"]) / colloquy["COLLOQUY_COMMENTS_DIR"]
    comments, problems = load_comments(comments_root)
    _, thread_problems = build_conversations(comments, essay_slugs(settings))
    return problems + thread_problems
