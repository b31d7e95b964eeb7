"""Staticman data folders: one folder per page, one YAML (or JSON) file per comment.

PATH is the data folder Staticman commits to (`_data/comments` for Jekyll, `data/comments`
for Hugo), holding one sub-folder per page named after its slug; or one page's folder.
The message is Markdown and is kept as it is. Replies come in two shapes in the wild:
`replying_to_uid` (or `replying_to` holding an `_id`) names the parent directly, while
the popular Jekyll theme's `replying_to: "3"` is a *position*: the 3rd top-level comment
on the page, counting from 1 in the order the page shows them (by date, then file name).
Staticman only commits approved comments, so nothing is pending. The `email` field
(often an MD5 hash) is never written.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import yaml

from .essays import Site
from .inputs import decode_utf8, load_yaml, progress_bar, read_bytes, wants_progress
from .items import EntryFile, ImportFileError, Item, parse_date
from .report import Report

SUFFIXES = (".yml", ".yaml", ".json", ".md")  # .md: Staticman's "frontmatter" format
MESSAGE_KEYS = ("message", "comment", "body", "text")
PARENT_KEYS = ("replying_to_uid", "replying_to", "reply_to", "parent", "parent_id")


def read(path: Path, site: Site, report: Report) -> tuple[list[Item], list[EntryFile]]:
    if not path.is_dir():
        raise ImportFileError(path, None, "not a folder",
                              "give Staticman's data folder (e.g. _data/comments), which "
                              "holds one folder per page")
    pages = _pages(path)
    if not pages:
        raise ImportFileError(path, None, "no comment files (.yml, .yaml, .json) found",
                              "give Staticman's data folder (e.g. _data/comments)")
    total = sum(len(files) for files in pages.values())
    entries: dict[str, list[tuple[Path, dict]]] = {}
    with progress_bar("reading", total, wants_progress(items=total)) as bar:
        for folder, files in pages.items():
            entries[folder] = [(file, _load(file)) for file in files]
            bar.advance(len(files))

    items: list[Item] = []
    for folder, records in sorted(entries.items()):
        slug = site.essays.match(folder) or _match_parent_field(records, site)
        if slug is None:
            for file, data in records:
                report.skip("its page matches no essay on this site",
                            source_id=_field(data, "_id", "id") or file.stem,
                            thread_url=folder, where=f"{file.parent.name}/{file.name}")
            continue
        items += _page_items(records, slug, site, report, folder)
    return items, []


def _pages(path: Path) -> dict[str, list[Path]]:
    direct = sorted(p for p in path.iterdir() if p.suffix.lower() in SUFFIXES and p.is_file())
    if direct:
        return {path.name: direct}
    pages = {}
    for folder in sorted(p for p in path.iterdir() if p.is_dir() and not p.name.startswith(".")):
        files = sorted(p for p in folder.rglob("*") if p.suffix.lower() in SUFFIXES and p.is_file())
        if files:
            pages[folder.name] = files
    return pages


def _load(file: Path) -> dict:
    text = decode_utf8(read_bytes(file), file)
    content = None
    if file.suffix.lower() == ".md":
        # `---\n<YAML fields>---\n<the message>\n`: the field the site's `transforms`
        # mark `frontmatterContent` is the body below the fields.
        head, sep, content = text.removeprefix("---\n").partition("\n---\n")
        text = head if sep else text
    try:
        data = json.loads(text) if file.suffix.lower() == ".json" else load_yaml(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = str(exc.problem or exc.context)
        fix = ("Staticman never writes aliases; write the value out in full, or move the "
               "file aside (a file of nested aliases is a known way to exhaust memory)"
               if "alias" in problem else "repair that line (it is one comment's file)")
        raise ImportFileError(file, mark.line + 1 if mark else None,
                              problem if problem.startswith("refused") else
                              f"not valid YAML ({problem})", fix) from None
    except yaml.YAMLError as exc:
        raise ImportFileError(file, None, f"not valid YAML ({exc})",
                              "repair the file (it is one comment's file)") from None
    except json.JSONDecodeError as exc:
        raise ImportFileError(file, exc.lineno, f"not valid JSON ({exc.msg})",
                              "repair that line (it is one comment's file)") from None
    except RecursionError:
        raise ImportFileError(file, None, "refused: nested too deeply",
                              "a Staticman comment is flat key: value fields") from None
    if not isinstance(data, dict):
        raise ImportFileError(file, 1, "not a Staticman comment (expected key: value fields)",
                              "remove the file from the folder, or repair it")
    if content and content.strip() and not _field(data, *MESSAGE_KEYS):
        data["message"] = content.strip("\n")
    return data


def _field(data: dict, *names: str) -> str:
    for name in names:
        value = data.get(name)
        if isinstance(value, (str, int, float)) and not isinstance(value, bool) \
                and str(value).strip():
            return str(value).strip()
    return ""


def _match_parent_field(records, site: Site) -> str | None:
    for _, data in records:
        slug = site.essays.match(_field(data, "_parent", "slug", "page", "permalink"))
        if slug:
            return slug
    return None


def _page_items(records, slug: str, site: Site, report: Report,
                folder: str) -> list[Item]:
    by_uid: dict[str, str] = {}
    rows = []
    for file, data in records:
        # Staticman's _id is a UUID, unique on its own; without one, the page and file name.
        source_id = _field(data, "_id", "id") or f"{slug}/{file.stem}"
        by_uid[_field(data, "_id", "id") or file.stem] = source_id
        when = parse_date(data.get("date")) or parse_date(_field(data, "date"), site.timezone)
        rows.append((file, data, source_id, when))
    # Top-level comments in page order, for positional `replying_to`.
    top = sorted((r for r in rows if not _field(r[1], *PARENT_KEYS)),
                 key=lambda r: (r[3] is None, r[3] or 0, r[0].name))
    items = []
    for file, data, source_id, when in rows:
        reference = _field(data, *PARENT_KEYS)
        parent = None
        if reference in by_uid:
            parent = by_uid[reference]
        elif reference.isdigit():
            position = int(reference)
            if 1 <= position <= len(top):
                parent = top[position - 1][2]
            else:
                parent = f"{slug}/position-{position}"  # reported as an orphan
        elif reference:
            parent = f"{slug}/{reference}"
        items.append(Item(
            source_id=source_id, essay=slug, author=_field(data, "name", "author"),
            date=when, body=_field(data, *MESSAGE_KEYS),
            parent=parent, website=_field(data, "url", "website") or None,
            fallback_date=(_name_date(file) or site.essays.dates.get(slug)
                           or parse_date(file.stat().st_mtime)),
            where=f"{file.parent.name}/{file.name}", thread_url=folder))
    return items


def _name_date(file: Path):
    """Staticman names files after the time they were posted: comment-1502565162123.yml."""
    match = re.search(r"(\d{10,13})", file.stem)
    return parse_date(match.group(1)) if match else None
