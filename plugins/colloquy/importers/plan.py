"""The plan: every item validated and settled in memory before anything is written.

Stable ids made from the source's ids, reply structure (orphans attached at top level
and reported), dates normalised, bodies held to the intake's length cap, items already
imported recognised, unapproved items set aside for the pending queue.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from itertools import takewhile
from pathlib import Path

from ..comments import ID_RE, Comment, is_http_url, read_header
from ..files import UnsafePath, inside
from ..slugs import is_folder_name
from ..threads import reply_cycles
from .essays import Site
from .items import EntryFile, Item, clean_website, make_id, short_hash
from .report import Report

CUT = "\n\n[…]"  # marks a body cut to the length cap


@dataclass
class Plan:
    entries: list[EntryFile] = field(default_factory=list)
    comments: list[Comment] = field(default_factory=list)
    pending: list[tuple[Comment, str | None, str | None]] = field(default_factory=list)
    items: dict[str, Item] = field(default_factory=dict)   # comment id -> its item


def existing_imports(comments_root: Path) -> dict[tuple[str, str], tuple[str, str]]:
    """(source, source-id) -> (essay, comment id) for every comment file already there.

    Reads headers only, so a comment file that is broken elsewhere still counts.
    """
    found: dict[tuple[str, str], tuple[str, str]] = {}
    if not comments_root.is_dir():
        return found
    for path in comments_root.glob("*/*.md"):
        try:
            with path.open(encoding="utf-8", errors="replace") as handle:
                lines = list(takewhile(str.strip, (line.rstrip("\r\n") for line in handle)))
        except OSError:
            continue
        fields = read_header(lines + [""], path).fields
        source, source_id = (fields.get(key, ("", 0))[0] for key in ("source", "source-id"))
        if source and source_id:
            found[(source, source_id)] = (path.parent.name, path.stem)
    return found


def existing_ids(comments_root: Path) -> set[str]:
    if not comments_root.is_dir():
        return set()
    return {p.stem for p in comments_root.glob("*/*.md")}


def plan(source: str, items: list[Item], site: Site, report: Report,
         entries: list[EntryFile] | None = None) -> Plan:
    """Validate items and settle ids, structure and what goes where. Writes nothing."""
    result = Plan(entries=list(entries or []))
    known = set(site.essays.slugs) | {e.slug for e in result.entries}
    items = _dedupe(source, items, report)

    previous = existing_imports(site.comments_root)
    taken = existing_ids(site.comments_root)
    by_source: dict[str, Item] = {}
    for item in items:
        if item.essay not in known or not is_folder_name(item.essay):
            report.skip("its essay is not on this site", item)
            continue
        if item.kind in ("response", "mention") and not is_http_url(item.url or ""):
            if item.kind == "mention":
                report.skip("a mention without an http(s) URL", item)
                continue
            item.kind = "comment"
            report.change("a response without an http(s) URL, imported as a comment", item)
        earlier = previous.get((source, item.source_id))
        if earlier:
            item.id = earlier[1]
        else:
            item.id = _new_id(source, item, taken)
            taken.add(item.id)
        by_source[item.source_id] = item

    for item in by_source.values():
        if (source, item.source_id) in previous:
            report.already += 1
            continue
        _settle(item, site, report)
        reply_to = _resolve_parent(item, by_source, previous, source, report,
                                   site.comments_root)
        comment = Comment(
            id=item.id, essay=item.essay, author=item.author or "Anonymous",
            date=item.date, body=item.body.strip("\n"), reply_to=reply_to, kind=item.kind,
            url=item.url if item.kind != "comment" and is_http_url(item.url or "") else None,
            website=clean_website(item.website), role=item.role, source=source,
            source_id=item.source_id)
        result.items[comment.id] = item
        if item.pending:
            result.pending.append((comment, item.email or None, item.ip or None))
        else:
            result.comments.append(comment)
    _break_cycles(result.comments + [c for c, _, _ in result.pending], report, source)
    return result


def _new_id(source: str, item: Item, taken: set[str]) -> str:
    """The export's own id when it asks for a free, valid one (Colloquy's WXR does);
    else `<source>-<source id>`, made unique against a hand-made file or a hash clash."""
    if item.wanted_id and ID_RE.fullmatch(item.wanted_id) and item.wanted_id not in taken:
        return item.wanted_id
    new = make_id(source, item.source_id)
    while new in taken:
        new = make_id(source, f"{item.source_id}~{short_hash(new)}")
    return new


def _settle(item: Item, site: Site, report: Report) -> None:
    """A date for an item without one, and the intake's length cap on its body."""
    if item.date is None:
        item.date = item.fallback_date or site.essays.dates.get(item.essay) \
            or datetime(1970, 1, 1, tzinfo=timezone.utc)
        report.change("no date; given its essay's (or its file's)", item,
                      detail=item.date.isoformat())
    if len(item.body) > site.max_body:
        report.change("body longer than COLLOQUY_MAX_BODY_CHARS; cut", item,
                      detail=f"{len(item.body)} characters cut to {site.max_body}")
        item.body = item.body[:site.max_body - len(CUT)].rstrip() + CUT


def _break_cycles(comments: list[Comment], report: Report, source: str) -> None:
    """A chain of reply-to that comes back on itself is cut at its oldest comment, as the
    build cuts it (`threads.reply_cycles` finds them for both)."""
    by_id = {c.id: c for c in comments}
    for cycle in reply_cycles(comments, lambda c: by_id.get(c.reply_to) if c.reply_to else None):
        oldest = min(cycle, key=lambda c: (c.date, c.id))
        oldest.reply_to = None
        report.orphans += 1
        report.change("its replies form a cycle; attached at top level", oldest,
                      detail=" → ".join(c.source_id or c.id for c in cycle))


def _dedupe(source: str, items: list[Item], report: Report) -> list[Item]:
    """Give empty ids a stable one; drop exact duplicates; split clashing ids."""
    seen: dict[str, Item] = {}
    out: list[Item] = []
    for item in items:
        fingerprint = short_hash(item.essay, item.author, item.date, item.body, size=6)
        if not str(item.source_id or "").strip():
            item.source_id = f"h{fingerprint}"
            report.change("no id in the export; given a stable one (from its essay, author, "
                          "date and text)", item)
        first = seen.get(item.source_id)
        if first is not None:
            if short_hash(first.essay, first.author, first.date, first.body, size=6) == fingerprint:
                report.skip("a duplicate of another item in the export", item)
                continue
            new_id = f"{item.source_id}-{fingerprint}"
            report.change("its id is used twice for different comments; imported under "
                          "a new one", item, detail=f"{item.source_id} → {new_id}")
            item.source_id = new_id
        seen[item.source_id] = item
        out.append(item)
    return out


def _resolve_parent(item: Item, by_source: dict[str, Item], previous: dict, source: str,
                    report: Report, comments_root: Path) -> str | None:
    """The comment id an item replies to, or None (top level), reporting orphans.

    A published reply to an unapproved comment climbs to the nearest published
    ancestor; tallies never thread; a parent on another essay or a cycle makes an orphan.
    """
    if item.kind in ("like", "repost"):
        return None
    if item.reply_to_id:
        try:
            if inside(comments_root, item.essay, f"{item.reply_to_id}.md").exists():
                return item.reply_to_id
        except UnsafePath:
            pass
        return _orphan(report, item, "replies to a comment that is not on this essay",
                       item.reply_to_id)
    if not item.parent:
        return None
    seen = {item.source_id}
    parent_sid = str(item.parent)
    while True:
        parent = by_source.get(parent_sid)
        if parent is None and parent_sid in report.dropped and parent_sid not in seen:
            # The parent was skipped (deleted, spam...): climb to its own parent.
            seen.add(parent_sid)
            grandparent = report.dropped[parent_sid]
            if grandparent:
                parent_sid = str(grandparent)
                continue
            return _orphan(report, item, "its parent was skipped", parent_sid)
        if parent is None:
            earlier = previous.get((source, parent_sid))
            if earlier and earlier[0] == item.essay:
                return earlier[1]
            return _orphan(report, item, "its parent is not in the export", parent_sid)
        if parent.essay != item.essay:
            return _orphan(report, item, "its parent is on another essay", parent_sid)
        if parent_sid in seen:
            return _orphan(report, item, "its parents form a reply cycle", parent_sid)
        if item.pending or not parent.pending:
            return parent.id
        seen.add(parent_sid)
        if not parent.parent:
            return _orphan(report, item, "replies to an unapproved comment", parent_sid,
                           count=False)
        parent_sid = str(parent.parent)


def _orphan(report: Report, item: Item, reason: str, parent: str,
            count: bool = True) -> None:
    """Attach a reply at top level, saying why (nothing is dropped)."""
    report.orphans += count
    report.change(f"{reason}; attached at top level", item, detail=f"parent {parent}")
    return None
