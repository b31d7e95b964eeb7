"""Commento (and Commento++) JSON export: comments by page URL, in Markdown.

Commento's export (Dashboard → General → Export data) is a gzipped JSON object
`{"version": 1, "comments": [...], "commenters": [...]}`. Each comment names its page in
`url` (the path on the old domain, with `domain` beside it; older hand-made files say
`path`), has `markdown` (kept as it is; `html` is empty in exports), `parentHex`
("root" for top level), `state` (`approved`; `unapproved` and `flagged` go to the
pending queue) and `creationDate` (RFC 3339 with nanoseconds). Comments by people who
did not log in name the commenter `anonymous`, who is not in `commenters` (a commenter
appears once per comment there, so repeats are normal). A commenter's `link` is
"undefined" when they gave none. The export leaves out whether a comment was deleted:
Commento replaces a deleted comment's text with "[deleted]", and that is what is read.
"""

from __future__ import annotations

from pathlib import Path

from .essays import Site
from .htmlmd import html_to_markdown
from .inputs import load_json
from .items import EntryFile, ImportFileError, Item, field_text, parse_date
from .report import Report

ANONYMOUS = "anonymous"
DELETED = "[deleted]"


def read(path: Path, site: Site, report: Report) -> tuple[list[Item], list[EntryFile]]:
    data = load_json(path, "Commento", "download the export again")
    if not isinstance(data, dict) or not isinstance(data.get("comments"), list):
        raise ImportFileError(path, 1, "not a Commento export (no 'comments' list)",
                              "in Commento use Dashboard → General → Export data")
    if data.get("version") not in (None, 1):
        report.warn(f"{path.name}: Commento export version {str(data.get('version'))[:20]}; "
                    "read as version 1")
    commenters = {field_text(c.get("commenterHex")): c for c in _list(data.get("commenters"))
                  if isinstance(c, dict)}
    items: list[Item] = []
    for number, comment in enumerate(data["comments"], 1):
        if not isinstance(comment, dict):
            raise ImportFileError(path, None, f"comment {number} is not an object",
                                  "download the export again")
        item = _item(comment, commenters, site, report, f"{path.name} comment {number}")
        if item is not None:
            items.append(item)
    return items, []


def _list(value) -> list:
    return value if isinstance(value, list) else []


def _item(comment: dict, commenters: dict, site: Site, report: Report, where: str):
    source_id = field_text(comment.get("commentHex"))
    parent = field_text(comment.get("parentHex"))
    parent = None if parent in ("", "root") else parent
    page = field_text(comment.get("url")) or field_text(comment.get("path"))
    domain = field_text(comment.get("domain"))
    thread = {"thread_url": f"{domain}{page}" if domain and page.startswith("/") else page,
              "where": where}
    # Commento's export leaves `deleted` out (false); a deleted comment is one whose text
    # Commento replaced by "[deleted]" (api/comment_delete.go).
    if comment.get("deleted") is True or comment.get("markdown") == DELETED:
        report.drop(source_id, parent, "deleted", **thread)
        return None
    slug = site.essays.match(page)
    if slug is None:
        report.drop(source_id, parent, "its page matches no essay on this site", **thread)
        return None
    person = commenters.get(field_text(comment.get("commenterHex")) or ANONYMOUS, {})
    link = field_text(person.get("link"))
    state = (field_text(comment.get("state")) or "approved").lower()
    return Item(
        source_id=source_id, essay=slug, author=field_text(person.get("name")),
        date=parse_date(comment.get("creationDate")),
        body=field_text(comment.get("markdown")) or html_to_markdown(field_text(comment.get("html"))),
        parent=parent, website=link if link not in ("undefined", "") else None,
        email=field_text(person.get("email")) or None, pending=state != "approved",
        fallback_date=site.essays.dates.get(slug), **thread)
