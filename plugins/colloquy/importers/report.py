"""What an import did, or would do: every item skipped, queued or changed, and why.

Every run writes the whole report as JSON (`--report FILE`, by default
`var/imports/<format>-<timestamp>.json` under the site's folder); the terminal gets a
summary that names the first few items of each reason and points at the file. Text
that came from the export is shown through `text.for_terminal`, so an export cannot
send escape sequences to the author's terminal.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ..files import atomic_write
from ..text import clean, clean_line, for_terminal

SHOWN_PER_REASON = 3
WARNINGS_SHOWN = 20


@dataclass
class Record:
    """One item that did not go in as it came: skipped, queued, changed or kept."""

    status: str          # "skipped", "queued", "changed", "kept"
    reason: str
    source_id: str = ""
    thread_title: str = ""   # the essay or thread, as the export names it
    thread_url: str = ""
    where: str = ""          # file (and item) in the export
    essay: str = ""          # the slug on this site, when there is one
    id: str = ""             # the comment id on this site, when there is one
    detail: str = ""         # what exactly: the parent's id, the new date...
    what: str = "comment"    # or the export's kind of entry: "post", "page", "attachment"...


@dataclass
class Report:
    """Counts for the summary, and a record for every item that needs a word."""

    source: str
    path: str
    dry_run: bool = False
    imported: Counter = field(default_factory=Counter)   # kind -> count
    pending: int = 0
    already: int = 0          # present from an earlier import (file or queue)
    records: list[Record] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    entries_new: list[str] = field(default_factory=list)   # "essays/x.md", "pages/y.md"
    entries_kept: list[str] = field(default_factory=list)
    orphans: int = 0
    written_to: str = ""
    # source id of each skipped item -> its parent's, so its replies can climb past it
    dropped: dict[str, str | None] = field(default_factory=dict)

    def note(self, status: str, reason: str, item=None, **where: str) -> None:
        """Record one item; `item` (an Item or a Comment) fills in what it knows."""
        values = {name: str(getattr(item, name, "") or "") for name in
                  ("source_id", "thread_title", "thread_url", "where", "essay", "id")}
        values.update({k: str(v or "") for k, v in where.items()})
        self.records.append(Record(status=status, reason=clean_line(reason), **{
            k: clean_line(v) for k, v in values.items()}))

    def skip(self, reason: str, item=None, **where: str) -> None:
        self.note("skipped", reason, item, **where)

    def drop(self, source_id: str, parent: str | None, reason: str, **where: str) -> None:
        """Skip one item that replies may point at."""
        # Keyed as Item keys its ids (one clean line), so replies find their parent here.
        self.dropped[clean_line(str(source_id))] = clean_line(str(parent)) if parent else None
        self.skip(reason, source_id=source_id, **where)

    def change(self, reason: str, item=None, **where: str) -> None:
        self.note("changed", reason, item, **where)

    def warn(self, message: str) -> None:
        message = clean(message)  # it may quote the export
        if message not in self.warnings:
            self.warnings.append(message)

    @property
    def skipped(self) -> Counter:
        return Counter(r.reason for r in self.records if r.status == "skipped")

    @property
    def total_imported(self) -> int:
        return sum(self.imported.values())

    @property
    def comments_read(self) -> int:
        """Every comment-like item of the export, each counted once: imported, queued,
        already there, or skipped. An auditor can hold this against the export."""
        skipped = sum(1 for r in self.records if r.status == "skipped" and r.what == "comment")
        return self.total_imported + self.pending + self.already + skipped

    def as_json(self) -> dict:
        return {"format": self.source, "export": self.path, "dry_run": self.dry_run,
                "comments_read": self.comments_read,
                "imported": dict(sorted(self.imported.items())),
                "queued": self.pending, "already_imported": self.already,
                "skipped": sum(self.skipped.values()), "orphans": self.orphans,
                "entries_created": self.entries_new, "entries_kept": self.entries_kept,
                "items": [asdict(r) for r in self.records], "warnings": self.warnings}

    def write(self, path: Path) -> Path:
        self.written_to = str(path)
        return atomic_write(path, json.dumps(self.as_json(), indent=2, ensure_ascii=False) + "\n")

    def render(self) -> str:
        """The terminal summary: counts, the first items of each reason, the report file."""
        verb = "would import" if self.dry_run else "imported"
        lines = [f"colloquy import {self.source} {for_terminal(self.path)}"
                 + (" (dry run: nothing written)" if self.dry_run else "")]
        if self.entries_new or self.entries_kept:
            lines.append(f"  essays and pages: {len(self.entries_new)} "
                         f"{'to create' if self.dry_run else 'created'}, "
                         f"{len(self.entries_kept)} already there (kept as they are)")
        kinds = ", ".join(f"{n} {kind}{'s' if n != 1 else ''}"
                          for kind, n in sorted(self.imported.items()))
        lines.append(f"  {verb}: {self.total_imported}" + (f" ({kinds})" if kinds else ""))
        lines += self._section("queued", f"{'to queue' if self.dry_run else 'queued'} for "
                               "moderation", always=True)
        lines.append(f"  already imported before: {self.already}")
        if self.orphans:
            lines.append(f"  replies whose parent is missing, attached at top level: "
                         f"{self.orphans}")
        lines += self._section("skipped", "skipped", always=True)
        lines += self._section("changed", "changed on the way in")
        lines += self._section("kept", "left as they are")
        if self.warnings:
            lines.append(f"  warnings: {len(self.warnings)}")
            lines += [f"    - {for_terminal(w)}" for w in self.warnings[:WARNINGS_SHOWN]]
            if len(self.warnings) > WARNINGS_SHOWN:
                lines.append(f"    ... and {len(self.warnings) - WARNINGS_SHOWN} more")
        if self.written_to:
            lines.append(f"  every item, with its reason: {for_terminal(self.written_to)}")
        return "\n".join(lines)

    def _section(self, status: str, title: str, always: bool = False) -> list[str]:
        records = [r for r in self.records if r.status == status]
        if not records and not always:
            return []
        lines = [f"  {title}: {len(records)}"]
        by_reason: dict[str, list[Record]] = {}
        for record in records:
            by_reason.setdefault(record.reason, []).append(record)
        for reason, group in sorted(by_reason.items(), key=lambda kv: (-len(kv[1]), kv[0])):
            lines.append(f"    {len(group):>6}  {for_terminal(reason)}")
            for record in group[:SHOWN_PER_REASON]:
                lines.append(f"            {for_terminal(_label(record))}")
            if len(group) > SHOWN_PER_REASON:
                lines.append(f"            ... and {len(group) - SHOWN_PER_REASON} more")
        return lines


def _label(record: Record) -> str:
    thread = record.thread_title or record.thread_url or record.essay
    what = record.source_id or record.where or record.id
    if thread and record.thread_url and record.thread_title:
        thread = f"{record.thread_title} <{record.thread_url}>"
    return f"{what} ({thread})" if thread and what else (what or thread or "(no id)")
