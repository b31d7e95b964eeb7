"""pelican-comment-system comment folders: `<comments>/<article-slug>/<name>.md`.

Each file is a Pelican Markdown file: `key: value` metadata (author, date, website,
email, replyto), a blank line, the Markdown body. The file name without extension is
the comment's identifier, and `replyto` names the parent's identifier (older versions
wrote it slugified, e.g. "1md" for "1.md"; both are understood). Dates without an
offset are read in the site's TIMEZONE, as Pelican read them. reStructuredText comment
files (`:author: ...` fields) are read the same way; their body is kept as text.
"""

from __future__ import annotations

import re
from pathlib import Path

from ..comments import read_header
from .essays import Site
from .inputs import decode_utf8, progress_bar, read_bytes, wants_progress
from .items import EntryFile, ImportFileError, Item, parse_date
from .report import Report

MARKDOWN = (".md", ".markdown", ".mdown", ".mkd")
SUFFIXES = MARKDOWN + (".rst",)
MD_KEY = re.compile(r"([A-Za-z][A-Za-z0-9_ -]*):\s*(.*)$")
RST_KEY = re.compile(r":([A-Za-z][A-Za-z0-9_ -]*):\s*(.*)$")


def read(path: Path, site: Site, report: Report) -> tuple[list[Item], list[EntryFile]]:
    if not path.is_dir():
        raise ImportFileError(path, None, "not a folder",
                              "give the pelican-comment-system folder (PELICAN_COMMENT_SYSTEM_DIR, "
                              "e.g. content/comments) holding one folder per article")
    if path.resolve() == site.comments_root.resolve():
        raise ImportFileError(path, None, "this is the folder Colloquy writes comments into",
                              f"move it aside first (e.g. `mv {path} old-comments`) and "
                              "import from there")
    folders = sorted(p for p in path.iterdir() if p.is_dir() and not p.name.startswith("."))
    files = {folder: sorted(f for f in folder.iterdir()
                            if f.suffix.lower() in SUFFIXES and f.is_file()) for folder in folders}
    total = sum(len(f) for f in files.values())
    if not total:
        raise ImportFileError(path, None, "no comment files found",
                              "give the folder that holds one sub-folder per article")
    items: list[Item] = []
    with progress_bar("reading", total, wants_progress(items=total)) as bar:
        for folder, comment_files in files.items():
            parsed = [(file, *_read_file(file)) for file in comment_files]
            bar.advance(len(comment_files))
            slug = site.essays.match(folder.name)
            if slug is None:
                for file, _, _ in parsed:
                    report.skip("its article matches no essay on this site",
                                source_id=f"{folder.name}/{file.stem}", thread_url=folder.name,
                                where=str(file))
                continue
            items += _folder_items(folder, parsed, slug, site)
    return items, []


def _read_file(file: Path) -> tuple[dict[str, str], str]:
    lines = decode_utf8(read_bytes(file), file).replace("\r\n", "\n").split("\n")
    rst = file.suffix.lower() == ".rst"
    pattern = RST_KEY if rst else MD_KEY
    # A reStructuredText comment may open with a title (and its over-line) before the fields.
    start = next((i for i, line in enumerate(lines) if pattern.match(line)), 0) if rst else 0
    header = read_header(lines, file, pattern=pattern, fold_case=True, start=start)
    for problem in header.problems:
        if problem.problem.startswith("header line is not"):
            raise ImportFileError(file, problem.line,
                                  problem.problem.replace("header line", "metadata line"),
                                  "end the metadata with one blank line before the text")
    meta = {key: value for key, (value, _) in header.fields.items()}
    if "date" not in meta and "author" not in meta:
        raise ImportFileError(file, 1, "no metadata (no 'author:' or 'date:')",
                              "this does not look like a pelican-comment-system comment; "
                              "move it out of the folder")
    return meta, "\n".join(lines[header.body_start:]).strip("\n")


def _folder_items(folder: Path, parsed, slug: str, site: Site) -> list[Item]:
    # Comment ids keep their own rule: pelican-comment-system slugified a `replyto` with
    # Pelican's slugify, so the same function (and the site's slug settings) reads it back.
    slugify = site.slugify
    names: dict[str, str] = {}
    for file, _, _ in parsed:
        source_id = f"{folder.name}/{file.stem}"
        for alias in (file.stem, file.name, file.name.replace(".", ""), slugify(file.stem)):
            names.setdefault(alias, source_id)
    items = []
    for file, meta, body in parsed:
        reply = meta.get("replyto", "").strip()
        parent = names.get(reply) or names.get(slugify(reply)) or (
            f"{folder.name}/{reply}" if reply else None)
        items.append(Item(
            source_id=f"{folder.name}/{file.stem}", essay=slug,
            author=meta.get("author") or "",
            date=parse_date(meta.get("date"), site.timezone), body=body, parent=parent,
            website=meta.get("website") or meta.get("url"), email=meta.get("email") or None,
            fallback_date=parse_date(file.stat().st_mtime), where=str(file),
            thread_url=folder.name))
    return items
