"""STAND-IN for the intake store, written on the `importers` branch only.

The real store (WAL, one writer, migrations, moderation) is built on another branch;
at merge time that file replaces this one. The importers use exactly this API and
nothing else:

    Store(path).add_pending(comment, email=None, ip=None) -> bool   # False: already queued
    Store.close()
    default_store_path(pelican_settings) -> Path
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from .comments import Comment

SCHEMA = """
CREATE TABLE IF NOT EXISTS pending (
    id TEXT PRIMARY KEY,
    essay TEXT NOT NULL,
    reply_to TEXT,
    author TEXT NOT NULL,
    website TEXT,
    email TEXT,
    ip TEXT,
    body TEXT NOT NULL,
    kind TEXT NOT NULL DEFAULT 'comment',
    url TEXT,
    source TEXT,
    source_id TEXT,
    created TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending',
    UNIQUE (source, source_id)
)
"""


def default_store_path(pelican_settings: dict) -> Path:
    """COLLOQUY_STORE_PATH, relative to the site folder (the parent of PATH)."""
    value = Path(pelican_settings.get("COLLOQUY_STORE_PATH") or "var/colloquy.sqlite3")
    if value.is_absolute():
        return value
    site = Path(pelican_settings.get("PATH") or "content").resolve().parent
    return site / value


class Store:
    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(self.path, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute(SCHEMA)

    def add_pending(self, comment: Comment, email: str | None = None,
                    ip: str | None = None) -> bool:
        """Queue a comment for moderation. False if (source, source_id) is already queued."""
        with self.db:
            self.db.execute("BEGIN IMMEDIATE")
            cursor = self.db.execute(
                "INSERT OR IGNORE INTO pending (id, essay, reply_to, author, website, email, ip,"
                " body, kind, url, source, source_id, created) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (comment.id, comment.essay, comment.reply_to, comment.author, comment.website,
                 email, ip, comment.body, comment.kind, comment.url, comment.source,
                 comment.source_id, comment.date.isoformat()))
        return cursor.rowcount == 1

    def close(self) -> None:
        self.db.close()
