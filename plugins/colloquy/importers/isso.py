"""Isso's SQLite database (comments.db): threads by URI, comments in Markdown.

Isso stores each comment's text as the Markdown its author typed, so the body is kept
as it is. `mode` 1 is published, 2 is waiting in moderation (queued as pending), 4 is
deleted (Isso keeps a deleted comment as a placeholder when it has replies; the
replies climb to the deleted comment's parent). The database is opened read-only.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from .essays import Site
from .items import EntryFile, ImportFileError, Item, parse_date
from .report import Report

ACCEPTED, PENDING, DELETED = 1, 2, 4


def read(path: Path, site: Site, report: Report) -> tuple[list[Item], list[EntryFile]]:
    if not path.is_file():
        raise ImportFileError(path, None, "no such file",
                              "give the path of Isso's database (the [general] dbpath)")
    with path.open("rb") as handle:
        magic = handle.read(16)
    if magic != b"SQLite format 3\x00":
        raise ImportFileError(path, 1, "not an SQLite database",
                              "give the path of Isso's database file (often comments.db)")
    threads, rows = _query(path)

    essays = {tid: site.essays.match(uri, title) for tid, (uri, title) in threads.items()}
    items: list[Item] = []
    for cid, tid, parent, created, mode, text, author, website, email, ip in rows:
        source_id = str(cid)
        parent = str(parent) if parent else None
        uri, title = threads.get(tid, (None, None))
        where = {"thread_url": uri or "", "thread_title": title or "",
                 "where": f"{path.name} comment"}
        if mode == DELETED:
            report.drop(source_id, parent, "deleted", **where)
            continue
        if tid not in threads:
            report.drop(source_id, parent, "its thread is missing from the database",
                        detail=f"thread {tid}", **where)
            continue
        slug = essays[tid]
        if slug is None:
            report.drop(source_id, parent, "its thread matches no essay on this site", **where)
            continue
        items.append(Item(
            source_id=source_id, essay=slug, author=author or "",
            date=parse_date(created), body=(text or "").replace("\r\n", "\n"),
            parent=parent, website=website, email=email or None,
            ip=ip if ip and ip != "0.0.0.0" else None, pending=mode == PENDING,
            fallback_date=site.essays.dates.get(slug), **where))
    return items, []


def _query(path: Path):
    """Threads and comments, read-only; text columns decoded strictly."""
    last_error = None
    # Read-only first (sees a live WAL); immutable when the folder is not writable.
    for options in ("mode=ro", "mode=ro&immutable=1"):
        try:
            db = sqlite3.connect(f"{path.resolve().as_uri()}?{options}", uri=True)
            db.text_factory = bytes
            try:
                threads = {tid: (_text(uri, path, f"thread {tid}"),
                                 _text(title, path, f"thread {tid}"))
                           for tid, uri, title in db.execute("SELECT id, uri, title FROM threads")}
                rows = [(cid, tid, parent, created, mode,
                         *(_text(v, path, f"comment {cid}") for v in rest))
                        for cid, tid, parent, created, mode, *rest in db.execute(
                            "SELECT id, tid, parent, created, mode, text, author, website, "
                            "email, remote_addr FROM comments ORDER BY id")]
                return threads, rows
            finally:
                db.close()
        except sqlite3.OperationalError as exc:
            last_error = exc
            if "no such table" in str(exc) or "no such column" in str(exc):
                break
        except sqlite3.DatabaseError as exc:
            last_error = exc
            break
    raise ImportFileError(path, None, f"not an Isso database ({last_error})",
                          "give the path of Isso's comments.db (a copy made with "
                          "sqlite3 comments.db \".backup copy.db\" is best)")


def _text(value, path: Path, what: str) -> str | None:
    if value is None or isinstance(value, str):
        return value
    if not isinstance(value, bytes):
        return str(value)
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError:
        raise ImportFileError(path, None, f"{what} has text that is not valid UTF-8",
                              "fix or delete that row with sqlite3, then import again") from None
