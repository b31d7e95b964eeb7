"""The intake store: comments waiting for moderation, in one SQLite file.

SQLite in WAL mode with `synchronous=FULL`: a COMMIT returns only after the WAL is
fsynced, so a comment the server has acknowledged survives a killed process (and a
power cut on an honest disk). All writes go through one connection, inside
`BEGIN IMMEDIATE`; the intake server funnels them through one writer thread
(`writer.Writer`) that commits a batch of concurrent posts at once and answers each post only
after that commit. Schema changes are named migrations, recorded in `migrations`.

Web comments and imported ones share the `comments` table: imports carry
(source, source_id), which is unique, so running an import twice adds nothing.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import sqlite3
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from . import notify, text
from .comments import Comment
from .schema import MIGRATIONS  # the tables, as named migrations

STATUSES = ("pending", "approved", "rejected")


def site_dir(pelican_settings: dict) -> Path:
    """The site folder: the one holding pelicanconf.py.

    `colloquy` records it as COLLOQUY_SITE_DIR when it reads the settings file; otherwise
    it is taken to be the parent of the content folder (PATH).
    """
    explicit = pelican_settings.get("COLLOQUY_SITE_DIR")
    if explicit:
        return Path(explicit)
    content = pelican_settings.get("PATH")
    return Path(content).resolve().parent if content else Path.cwd()


def site_path(pelican_settings: dict, value: str | Path) -> Path:
    path = Path(value)
    return path if path.is_absolute() else site_dir(pelican_settings) / path


def default_store_path(pelican_settings: dict) -> Path:
    """COLLOQUY_STORE_PATH, default var/colloquy.sqlite3 under the site folder."""
    return site_path(pelican_settings,
                     pelican_settings.get("COLLOQUY_STORE_PATH") or "var/colloquy.sqlite3")


def new_comment_id(when: datetime) -> str:
    """`<yyyymmdd>-<hhmmss>-<6 hex>` in UTC, the form new comments take (docs/comments.md)."""
    return when.astimezone(timezone.utc).strftime("%Y%m%d-%H%M%S-") + secrets.token_hex(3)


@dataclass
class StoredComment:
    """One row of the store."""

    id: str
    essay: str
    author: str
    body: str
    date: str
    created: float
    status: str = "pending"
    reply_to: str | None = None
    website: str | None = None
    email: str | None = None
    ip: str | None = None
    email_hash: str | None = None
    kind: str = "comment"
    url: str | None = None
    role: str | None = None
    source: str = "web"
    source_id: str | None = None
    extra: dict[str, str] = field(default_factory=dict)
    moderated: float | None = None
    auto: bool = False

    def to_comment(self) -> Comment:
        """The published form: never carries the e-mail or IP address."""
        return Comment(id=self.id, essay=self.essay, author=self.author,
                       date=datetime.fromisoformat(self.date), body=self.body,
                       reply_to=self.reply_to, kind=self.kind, url=self.url,
                       website=self.website, role=self.role, source=self.source,
                       source_id=self.source_id, extra=dict(self.extra))


@dataclass
class Submission:
    """A comment sent through the form, already validated by the server's guards."""

    essay: str
    author: str
    body: str
    reply_to: str | None = None
    website: str | None = None
    email: str | None = None
    ip: str | None = None
    notify: bool = False  # "E-mail me when someone replies" (needs email)


@dataclass
class Limits:
    rate_limit: int = 5          # posts per address per window; 0: no limit
    rate_window: float = 600
    duplicate_window: float = 7 * 24 * 3600
    auto_approve_after: int = 0  # approved comments that make a commenter trusted; 0: off


class RateLimited(Exception):
    """Too many comments from one address in the window; `wait` seconds until the next."""

    def __init__(self, limit: int, window: float, wait: int):
        super().__init__(f"{limit} comments in {window} s; retry in {wait} s")
        self.limit, self.window, self.wait = limit, window, wait


class Duplicate(Exception):
    """The same text was already sent to this essay within the duplicate window."""


class Store:
    """The SQLite intake store. One instance, one writer connection."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.conn = sqlite3.connect(str(self.path), isolation_level=None,
                                    check_same_thread=False, timeout=10)
        self.conn.row_factory = sqlite3.Row
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA synchronous=FULL")
        self.conn.execute("PRAGMA busy_timeout=10000")
        self._migrate()
        self.salt = self._salt()

    # -- plumbing -------------------------------------------------------------------------

    def close(self) -> None:
        self.conn.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    @contextmanager
    def transaction(self):
        """BEGIN IMMEDIATE … COMMIT: the write lock is taken up front, never upgraded."""
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

    def _migrate(self) -> None:
        self.conn.execute("CREATE TABLE IF NOT EXISTS migrations "
                          "(name TEXT PRIMARY KEY, applied TEXT NOT NULL)")
        done = {row[0] for row in self.conn.execute("SELECT name FROM migrations")}
        for name, sql in MIGRATIONS:
            if name in done:
                continue
            with self.transaction():
                if self.conn.execute("SELECT 1 FROM migrations WHERE name = ?",
                                     (name,)).fetchone():
                    continue  # another process migrated meanwhile
                for statement in sql.split(";"):
                    if statement.strip():
                        self.conn.execute(statement)
                self.conn.execute("INSERT INTO migrations VALUES (?, ?)",
                                  (name, datetime.now(timezone.utc).isoformat()))

    def _salt(self) -> str:
        row = self.conn.execute("SELECT value FROM meta WHERE key = 'salt'").fetchone()
        if row:
            return row[0]
        with self.transaction():
            self.conn.execute("INSERT OR IGNORE INTO meta VALUES ('salt', ?)",
                              (secrets.token_hex(16),))
        return self.conn.execute("SELECT value FROM meta WHERE key = 'salt'").fetchone()[0]

    def email_hash(self, email: str | None) -> str | None:
        if not email:
            return None
        return hashlib.sha256((self.salt + email.strip().casefold()).encode("utf-8")).hexdigest()

    def body_hash(self, essay: str, body: str) -> str:
        return hashlib.sha256(f"{essay}\n{text.comparable(body)}".encode("utf-8")).hexdigest()

    # -- writing --------------------------------------------------------------------------

    def add_pending(self, comment: Comment, email: str | None = None,
                    ip: str | None = None, created: float | None = None,
                    notify_author: bool = False) -> bool:
        """Queue a comment (typically an imported one) for moderation.

        Returns False, adding nothing, when a row with the same (source, source_id) or the
        same id is already there: imports are idempotent. Imports tell the author nothing
        unless `notify_author` asks for it.
        """
        with self.transaction():
            added = self.insert(comment, email, ip, created)
            if added and notify_author:
                notify.pending_added(self, comment.id)
            return added

    def insert(self, comment: Comment, email, ip, created: float | None,
               status: str = "pending") -> bool:
        """Add one comment row inside the caller's transaction; False, adding nothing,
        when its id or its (source, source_id) is taken."""
        created = datetime.now(timezone.utc).timestamp() if created is None else created
        date = comment.date if comment.date.tzinfo else comment.date.replace(tzinfo=timezone.utc)
        cursor = self.conn.execute(
            "INSERT INTO comments (id, essay, reply_to, author, website, email, ip, "
            "email_hash, body, body_hash, kind, url, role, source, source_id, extra, date, "
            "created, status) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT DO NOTHING",
            (comment.id, comment.essay, comment.reply_to, comment.author, comment.website,
             email or None, ip or None, self.email_hash(email), comment.body,
             self.body_hash(comment.essay, comment.body), comment.kind, comment.url,
             comment.role, comment.source or "web", comment.source_id,
             json.dumps(comment.extra, sort_keys=True), date.isoformat(), created,
             status))
        return cursor.rowcount == 1

    def intake(self, sub: Submission, limits: Limits, now: float) -> tuple[str, bool]:
        """Check the stateful guards and queue one web comment. Call inside a transaction.

        Returns (comment id, whether the returning-commenter rule approves it). Raises
        RateLimited for the per-address rate limit and Duplicate for a text already sent.
        """
        if limits.rate_limit and sub.ip:
            since = now - limits.rate_window
            rows = self.conn.execute(
                "SELECT created FROM comments WHERE ip = ? AND created >= ? "
                "ORDER BY created LIMIT ?", (sub.ip, since, limits.rate_limit)).fetchall()
            if len(rows) >= limits.rate_limit:
                wait = int(rows[0][0] + limits.rate_window - now) + 1
                raise RateLimited(limits.rate_limit, limits.rate_window, wait)
        digest = self.body_hash(sub.essay, sub.body)
        if self.conn.execute("SELECT 1 FROM comments WHERE body_hash = ? AND created >= ? "
                             "LIMIT 1", (digest, now - limits.duplicate_window)).fetchone():
            raise Duplicate(sub.essay)
        auto = False
        email_hash = self.email_hash(sub.email)
        if limits.auto_approve_after and email_hash:
            row = self.conn.execute("SELECT approved FROM commenters WHERE email_hash = ?",
                                    (email_hash,)).fetchone()
            auto = bool(row and row[0] >= limits.auto_approve_after)
        when = datetime.fromtimestamp(now, timezone.utc).replace(microsecond=0)
        for _ in range(20):  # ids share a second: retry on the rare 24-bit collision
            comment = Comment(id=new_comment_id(when), essay=sub.essay, author=sub.author,
                              date=when, body=sub.body, reply_to=sub.reply_to,
                              website=sub.website, source="web")
            if self.insert(comment, sub.email, sub.ip, now):
                notify.pending_added(self, comment.id, subscribe=sub.notify)
                return comment.id, auto
        raise RuntimeError("could not find a free comment id")

    def set_status(self, comment_id: str, status: str, now: float, auto: bool = False) -> None:
        """Mark a comment approved or rejected; approving counts toward its commenter."""
        assert status in STATUSES
        row = self.get(comment_id)
        self.conn.execute("UPDATE comments SET status = ?, moderated = ?, auto = ? "
                          "WHERE id = ?", (status, now, int(auto), comment_id))
        if status == "approved" and row and row.email_hash and row.status != "approved":
            self.conn.execute(
                "INSERT INTO commenters (email_hash, approved, last_approved) VALUES (?, 1, ?) "
                "ON CONFLICT (email_hash) DO UPDATE SET approved = approved + 1, "
                "last_approved = excluded.last_approved", (row.email_hash, now))

    def purge(self, retention_days: float, now: float) -> tuple[int, int]:
        """Erase e-mail and IP of comments moderated more than `retention_days` ago and
        delete rejected ones. Returns (rows erased, rows deleted). Call in a transaction."""
        cutoff = now - retention_days * 86400
        deleted = self.conn.execute("DELETE FROM comments WHERE status = 'rejected' AND "
                                    "moderated < ?", (cutoff,)).rowcount
        erased = self.conn.execute(
            "UPDATE comments SET email = NULL, ip = NULL WHERE status != 'pending' AND "
            "moderated < ? AND (email IS NOT NULL OR ip IS NOT NULL)", (cutoff,)).rowcount
        notify.purge(self, retention_days, now)
        return erased, deleted

    # -- reading --------------------------------------------------------------------------

    def get(self, comment_id: str) -> StoredComment | None:
        row = self.conn.execute("SELECT * FROM comments WHERE id = ?",
                                (comment_id,)).fetchone()
        return _stored(row) if row else None

    def list(self, status: str | None = "pending", essay: str | None = None
             ) -> list[StoredComment]:
        sql, args = "SELECT * FROM comments WHERE 1=1", []
        if status:
            sql += " AND status = ?"
            args.append(status)
        if essay:
            sql += " AND essay = ?"
            args.append(essay)
        rows = self.conn.execute(sql + " ORDER BY created, id", args).fetchall()
        return [_stored(row) for row in rows]

    def ids(self) -> set[str]:
        return {row[0] for row in self.conn.execute("SELECT id FROM comments")}

    def count(self, status: str | None = None) -> int:
        if status:
            return self.conn.execute("SELECT count(*) FROM comments WHERE status = ?",
                                     (status,)).fetchone()[0]
        return self.conn.execute("SELECT count(*) FROM comments").fetchone()[0]


def _stored(row: sqlite3.Row) -> StoredComment:
    values = dict(row)
    values.pop("body_hash", None)
    values["extra"] = json.loads(values.get("extra") or "{}")
    values["auto"] = bool(values.get("auto"))
    return StoredComment(**values)


