"""Isso's SQLite database (comments.db): threads by URI, comments in Markdown.

Isso stores each comment's text as the Markdown its author typed, so the body is kept
as it is. `mode` 1 is published, 2 is waiting in moderation (queued as pending), 4 is
deleted (Isso keeps a deleted comment as a placeholder when it has replies; the
replies climb to the deleted comment's parent). The database is opened read-only.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from . import EssayFile, ImportFileError, Item, Report, Site, parse_date

ACCEPTED, PENDING, DELETED = 1, 2, 4


def read(path: Path, site: Site, report: Report) -> tuple[list[Item], list[EssayFile]]:
    if not path.is_file():
        raise ImportFileError(path, None, "no such file",
                              "give the path of Isso's database (the [general] dbpath)")
    with path.open("rb") as handle:
        magic = handle.read(16)
    if magic != b"SQLite format 3\x00":
        raise ImportFileError(path, 1, "not an SQLite database",
                              "give the path of Isso's database file (often comments.db)")
    try:
        db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro&immutable=1", uri=True)
    except sqlite3.Error as exc:
        raise ImportFileError(path, None, f"cannot open the database ({exc})",
                              "check the file and its permissions") from None
    try:
        threads = {tid: (uri, title) for tid, uri, title in
                   db.execute("SELECT id, uri, title FROM threads")}
        rows = db.execute(
            "SELECT id, tid, parent, created, mode, text, author, website, email, remote_addr "
            "FROM comments ORDER BY id").fetchall()
    except sqlite3.DatabaseError as exc:
        raise ImportFileError(path, None, f"not an Isso database ({exc})",
                              "give the path of Isso's comments.db") from None
    finally:
        db.close()

    essays = {tid: site.essays.match(uri, title) for tid, (uri, title) in threads.items()}
    items: list[Item] = []
    for cid, tid, parent, created, mode, text, author, website, email, ip in rows:
        source_id = str(cid)
        parent = str(parent) if parent else None
        if mode == DELETED:
            report.drop(source_id, parent, "deleted")
            continue
        if tid not in threads:
            report.drop(source_id, parent, "its thread is missing from the database")
            continue
        slug = essays[tid]
        if slug is None:
            report.drop(source_id, parent, "its thread matches no essay on this site")
            report.warn(f"Isso thread {threads[tid][0]!r} matches no essay; add the essay "
                        "(or give it that slug) and import again")
            continue
        items.append(Item(
            source_id=source_id, essay=slug, author=author or "Anonymous",
            date=parse_date(created), body=(text or "").replace("\r\n", "\n"),
            parent=parent, website=website, email=email or None,
            ip=ip if ip and ip != "0.0.0.0" else None, pending=mode == PENDING,
            fallback_date=site.essays.dates.get(slug), where=f"{path.name} comment"))
    return items, []
