"""Commento (and Commento++) JSON export: comments by page path, in Markdown.

Commento's export (Dashboard → General → Export data) is a gzipped JSON file with
`comments` and `commenters`. Each comment has a `path` on the old domain (matched to an
essay), `markdown` (kept as it is), `parentHex` ("root" for top level), `state`
(approved; unapproved and flagged ones go to the pending queue) and `deleted`.
"""

from __future__ import annotations

from pathlib import Path

from . import EssayFile, ImportFileError, Item, Report, Site, load_json, parse_date
from .htmlmd import html_to_markdown

ANONYMOUS = "anonymous"


def read(path: Path, site: Site, report: Report) -> tuple[list[Item], list[EssayFile]]:
    data = load_json(path, "Commento", "download the export again")
    if not isinstance(data, dict) or not isinstance(data.get("comments"), list):
        raise ImportFileError(path, 1, "not a Commento export (no 'comments' list)",
                              "in Commento use Dashboard → General → Export data")
    commenters = {c.get("commenterHex"): c for c in data.get("commenters") or []
                  if isinstance(c, dict)}
    items: list[Item] = []
    for number, comment in enumerate(data["comments"], 1):
        if not isinstance(comment, dict):
            raise ImportFileError(path, None, f"comment {number} is not an object",
                                  "download the export again")
        source_id = str(comment.get("commentHex") or "")
        parent = comment.get("parentHex")
        parent = None if parent in (None, "", "root") else str(parent)
        if comment.get("deleted"):
            report.drop(source_id, parent, "deleted")
            continue
        state = (comment.get("state") or "approved").lower()
        slug = site.essays.match(comment.get("path"))
        if slug is None:
            report.drop(source_id, parent, "its page matches no essay on this site")
            report.warn(f"Commento page {comment.get('path')!r} matches no essay; add the "
                        "essay (or give it that slug) and import again")
            continue
        hex_id = comment.get("commenterHex") or ANONYMOUS
        person = commenters.get(hex_id, {})
        name = person.get("name") or ("Anonymous" if hex_id == ANONYMOUS else "")
        items.append(Item(
            source_id=source_id, essay=slug, author=name or "Anonymous",
            date=parse_date(comment.get("creationDate")),
            body=(str(comment.get("markdown") or "").replace("\r\n", "\n")
                  or html_to_markdown(str(comment.get("html") or ""))), parent=parent,
            website=person.get("link") if person.get("link") not in ("undefined", "") else None,
            email=person.get("email") or None, pending=state != "approved",
            fallback_date=site.essays.dates.get(slug), where=f"{path.name} comment {number}"))
    return items, []
