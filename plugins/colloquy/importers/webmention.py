"""webmention.io JF2 export (`/api/mentions.jf2?domain=...&token=...`).

What each mention becomes:

| wm-property | with content | kind |
|---|---|---|
| in-reply-to | yes | response (a post on their own site answering the essay) |
| in-reply-to | no  | mention |
| mention-of  |     | mention |
| like-of     |     | like (tally) |
| repost-of   |     | repost (tally) |
| bookmark-of |     | repost (tally): a public bookmark passes the link on to the |
|             |     | bookmarker's readers, which is resharing, not approval |
| rsvp        |     | skipped: an RSVP is not part of a conversation |

A reply whose `in-reply-to` names a comment on this site (`...#c-<id>`) is threaded under
that comment. Private mentions (`wm-private`) are skipped.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from ..comments import ID_RE
from .essays import Site
from .htmlmd import html_to_markdown
from .inputs import load_json
from .items import EntryFile, ImportFileError, Item, field_text, parse_date
from .report import Report

KINDS = {"like-of": "like", "repost-of": "repost", "bookmark-of": "repost",
         "mention-of": "mention", "in-reply-to": "response"}


def read(path: Path, site: Site, report: Report) -> tuple[list[Item], list[EntryFile]]:
    data = load_json(path, "webmention.io", "download the JF2 export again")
    if isinstance(data, dict) and "links" in data and "children" not in data:
        raise ImportFileError(path, 1, "this is webmention.io's older JSON API format",
                              "download /api/mentions.jf2?domain=...&token=... instead")
    entries = data.get("children") if isinstance(data, dict) else data
    if not isinstance(entries, list):
        raise ImportFileError(path, 1, "not a JF2 feed (no 'children' list)",
                              "download /api/mentions.jf2?domain=...&token=... from "
                              "webmention.io")
    items: list[Item] = []
    for number, entry in enumerate(entries, 1):
        if not isinstance(entry, dict):
            raise ImportFileError(path, None, f"entry {number} is not an object",
                                  "download the JF2 export again")
        source_id = field_text(entry.get("wm-id"))
        prop = field_text(entry.get("wm-property"))
        target = entry.get("wm-target") or entry.get(prop) or ""
        target = field_text(target[0] if isinstance(target, list) and target else target)
        where = {"thread_url": target, "where": f"{path.name} entry {number}"}
        if entry.get("wm-private"):
            report.drop(source_id, None, "a private webmention", **where)
            continue
        if prop == "rsvp":
            report.drop(source_id, None, "an RSVP, not part of a conversation", **where)
            continue
        if prop not in KINDS:
            report.drop(source_id, None, "an unknown webmention property",
                        detail=prop or "(none)", **where)
            continue
        slug = site.essays.match(_without_fragment(target))
        if slug is None:
            report.drop(source_id, None, "its target matches no essay on this site", **where)
            continue
        content = entry.get("content") or {}
        if not isinstance(content, dict):
            content = {"text": str(content)}
        body = html_to_markdown(field_text(content.get("html"))) if content.get("html") \
            else html_to_markdown(_escape(field_text(content.get("text"))))
        kind = KINDS[prop]
        if kind == "response" and not body.strip():
            kind = "mention"
        reply_to_id = _anchor(entry.get("in-reply-to")) if kind == "response" else None
        author = entry.get("author") if isinstance(entry.get("author"), dict) else {}
        url = field_text(entry.get("url")) or field_text(entry.get("wm-source"))
        items.append(Item(
            source_id=source_id, essay=slug,
            author=field_text(author.get("name")) or _host(url) or "Someone",
            date=parse_date(entry.get("published")) or parse_date(entry.get("wm-received")),
            body=body if kind in ("response", "mention") else "", kind=kind, reply_to_id=reply_to_id,
            url=url, website=field_text(author.get("url")) or None,
            fallback_date=site.essays.dates.get(slug), **where))
    return items, []


def _without_fragment(url: str) -> str:
    return str(url).split("#", 1)[0]


def _anchor(in_reply_to) -> str | None:
    """The id of a comment on this site that a reply names by its `#c-<id>` anchor."""
    if isinstance(in_reply_to, list):
        in_reply_to = in_reply_to[0] if in_reply_to else None
    fragment = str(in_reply_to or "").partition("#")[2]
    return fragment[2:] if fragment.startswith("c-") and ID_RE.fullmatch(fragment[2:]) else None


def _host(url: str | None) -> str:
    try:
        return urlsplit(url or "").hostname or ""
    except ValueError:  # "http://[broken"
        return ""


def _escape(text: str) -> str:
    import html

    return html.escape(text)
