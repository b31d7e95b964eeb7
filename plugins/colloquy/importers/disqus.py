"""Disqus XML export: threads matched to essays, posts as comments.

A Disqus thread is matched to an essay by its link (URL path), then by its `<id>`
(which in the wild is a path, a "<post id> <guid>" pair from the WordPress plugin, free
text or empty), then by its title. One article often appears as several threads (http
and https, with and without a trailing slash, a query string...): their posts are merged
onto the one essay. Messages are HTML and are sanitised. Deleted and spam posts are
skipped; posts whose thread is missing from the export are reported and skipped.
"""

from __future__ import annotations

import html
from collections import defaultdict
from pathlib import Path

from .essays import Site
from .htmlmd import html_to_markdown
from .inputs import read_export
from .items import EntryFile, ImportFileError, Item, parse_date
from .report import Report
from .xmlsafe import attribute, canonical, children, parse, text_of

TRUE = ("true", "1", "yes")


def read(path: Path, site: Site, report: Report) -> tuple[list[Item], list[EntryFile]]:
    raw = read_export(path)
    root = parse(path, raw, report, "Disqus")
    if canonical(root.tag) != "disqus":
        raise ImportFileError(path, 1, f"not a Disqus export (root element <{root.tag}>)",
                              "in Disqus use Admin → Moderation → Export, then unpack the "
                              ".xml.gz file")
    threads: dict[str, str | None] = {}      # dsq:id -> essay slug (None: no match)
    labels: dict[str, str] = {}
    named: dict[str, dict[str, str]] = {}     # dsq:id -> title and URL, for the report
    for element in root:
        if canonical(element.tag) != "thread":
            continue
        fields = children(element)
        dsq_id = attribute(element, "dsq:id")
        link, ident, title = (text_of(fields.get(name)) for name in ("link", "id", "title"))
        threads[dsq_id] = site.essays.match(link, ident, html.unescape(title))
        labels[dsq_id] = link or ident or title or dsq_id
        named[dsq_id] = {"thread_title": html.unescape(title), "thread_url": link or ident}

    merged: dict[str, set[str]] = defaultdict(set)
    for dsq_id, slug in threads.items():
        if slug:
            merged[slug].add(dsq_id)
    for slug, ids in sorted(merged.items()):
        if len(ids) > 1:
            report.warn(f"{len(ids)} Disqus threads are the same essay '{slug}'; merged: "
                        + ", ".join(sorted(labels[i] for i in ids)))

    items: list[Item] = []
    unmatched: dict[str, int] = defaultdict(int)
    for element in root:
        if canonical(element.tag) != "post":
            continue
        fields = children(element)
        dsq_id = attribute(element, "dsq:id") or text_of(fields.get("id"))
        parent = attribute(fields.get("parent"), "dsq:id") or None
        thread = attribute(fields.get("thread"), "dsq:id")
        where = dict(named.get(thread, {}), where=f"{path.name} post")
        if text_of(fields.get("isSpam")).lower() in TRUE:
            report.drop(dsq_id, parent, "spam", **where)
            continue
        if text_of(fields.get("isDeleted")).lower() in TRUE:
            report.drop(dsq_id, parent, "deleted", **where)
            continue
        if thread not in threads:
            report.drop(dsq_id, parent, "its thread is missing from the export",
                        detail=f"thread {thread or '(none)'}", **where)
            continue
        slug = threads[thread]
        if slug is None:
            unmatched[thread] += 1
            report.drop(dsq_id, parent, "its thread matches no essay on this site", **where)
            continue
        author = children(fields["author"]) if "author" in fields else {}
        name = text_of(author.get("name")) or text_of(author.get("username"))
        approved = text_of(fields.get("isApproved")).lower()
        items.append(Item(
            source_id=dsq_id, essay=slug, author=html.unescape(name),
            date=parse_date(text_of(fields.get("createdAt"))),
            body=html_to_markdown(text_of(fields.get("message")), plain_text_breaks=True),
            parent=parent, email=text_of(author.get("email")) or None,
            ip=text_of(fields.get("ipAddress")) or None,
            pending=approved in ("false", "0"), fallback_date=site.essays.dates.get(slug),
            **where))
    for thread, count in sorted(unmatched.items(), key=lambda kv: -kv[1]):
        report.warn(f"thread {labels.get(thread, thread)!r} ({count} post(s)) matches no essay; "
                    "add the essay (or give it that slug) and import again")
    return items, []
