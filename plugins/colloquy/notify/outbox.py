"""The outbox: what is to be mailed, durable in the intake store, and its sender.

A row says which message (kind), about which comment (ref), to whom (the author, or a
subscription). It is written by the hooks in notify/__init__.py in the same transaction
as its cause, and its `key` is unique, so an event that fires twice queues one message.

The sender, a task inside `colloquy serve`, looks for due rows every second. It writes
each mail when it sends it (letters.py), from the store as it is then: a comment moderated
meanwhile is left out, an unsubscribed address gets nothing. The author's notices are
batched: the first new item waits COLLOQUY_NOTIFY_BATCH_SECONDS, and everything that
arrived by then goes out in one mail.

Delivery is at least once: a row is marked sent after the SMTP server accepted the mail.
A failure is retried with exponential backoff (COLLOQUY_OUTBOX_RETRY_SECONDS, doubling,
at most an hour apart) until COLLOQUY_OUTBOX_GIVE_UP seconds after the row was written;
then it is marked failed with a log line, and `colloquy outbox --retry` queues it again.
A permanent refusal (a 5xx for the recipient or the message) fails at once.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
from dataclasses import dataclass, field
from email.message import EmailMessage

from . import smtp

logger = logging.getLogger("colloquy.notify")

POLL_SECONDS = 1.0
MAX_DELAY = 3600.0


def enqueue(conn: sqlite3.Connection, kind: str, ref: str, subscription: int | None,
            now: float) -> None:
    """Queue one message; a second call for the same event adds nothing."""
    conn.execute("INSERT OR IGNORE INTO outbox (kind, ref, subscription, key, created, due) "
                 "VALUES (?, ?, ?, ?, ?, ?)",
                 (kind, ref, subscription, f"{kind}:{ref}:{subscription or ''}", now, now))


@dataclass
class Batch:
    """Rows that become one mail."""

    kind: str
    rows: list[sqlite3.Row]
    message: EmailMessage | None = None
    dropped: str = ""  # why nothing is sent (the comment was moderated meanwhile, ...)
    ids: list[int] = field(default_factory=list)

    def __post_init__(self):
        self.ids = [row["id"] for row in self.rows]


def due(conn: sqlite3.Connection, now: float, window: float) -> list[Batch]:
    """The batches to send now: the author's pending notices as one, others one by one."""
    rows = conn.execute("SELECT * FROM outbox WHERE status = 'waiting' ORDER BY id").fetchall()
    author = [row for row in rows if row["kind"] == "pending"]
    batches = []
    if author and min(r["created"] for r in author) + window <= now \
            and max(r["due"] for r in author) <= now:
        batches.append(Batch("pending", author))
    batches += [Batch(row["kind"], [row]) for row in rows
                if row["kind"] != "pending" and row["due"] <= now]
    return batches


def mark(conn: sqlite3.Connection, ids: list[int], status: str, now: float,
         error: str | None = None) -> None:
    marks = ",".join("?" * len(ids))
    conn.execute(f"UPDATE outbox SET status = ?, done = ?, error = ?, attempts = attempts + "
                 f"{int(status != 'dropped')} WHERE id IN ({marks}) AND status = 'waiting'",
                 (status, now, error, *ids))


def postpone(conn: sqlite3.Connection, ids: list[int], now: float, base: float,
             error: str) -> float:
    """After a temporary failure: the next try, `base` seconds doubling per attempt."""
    attempts = conn.execute(f"SELECT max(attempts) FROM outbox WHERE id IN "
                            f"({','.join('?' * len(ids))})", ids).fetchone()[0] or 0
    delay = min(base * 2 ** attempts, MAX_DELAY)
    conn.execute(f"UPDATE outbox SET attempts = attempts + 1, due = ?, error = ? WHERE id IN "
                 f"({','.join('?' * len(ids))})", (now + delay, error, *ids))
    return delay


def listing(conn: sqlite3.Connection, include_sent: bool = False) -> list[sqlite3.Row]:
    where = "" if include_sent else "WHERE status IN ('waiting', 'failed')"
    return conn.execute(f"SELECT * FROM outbox {where} ORDER BY id").fetchall()


def retry(conn: sqlite3.Connection, now: float, ids: list[int] | None = None) -> int:
    """Queue failed rows again (all, or those named), as if written now."""
    sql = ("UPDATE outbox SET status = 'waiting', due = ?, created = ?, attempts = 0, "
           "done = NULL WHERE status = 'failed'")
    args: list = [now, now]
    if ids:
        sql += f" AND id IN ({','.join('?' * len(ids))})"
        args += ids
    return conn.execute(sql, args).rowcount


class Sender:
    """Delivers the outbox from inside `colloquy serve`, one mail at a time.

    Store access goes through the intake's writer thread (the store's one connection);
    SMTP runs in a worker thread so the server keeps answering meanwhile.
    """

    def __init__(self, intake, smtp_config: smtp.SmtpConfig | None, compose):
        self.intake = intake
        self.smtp = smtp_config
        self.compose = compose  # (conn, batch) -> None: fills batch.message or .dropped
        cfg = intake.cfg
        self.window = float(cfg["COLLOQUY_NOTIFY_BATCH_SECONDS"])
        self.base = float(cfg["COLLOQUY_OUTBOX_RETRY_SECONDS"])
        self.give_up = float(cfg["COLLOQUY_OUTBOX_GIVE_UP"])
        self.task: asyncio.Task | None = None
        self.stopping = asyncio.Event()

    def start(self) -> "Sender":
        self.task = asyncio.create_task(self._loop())
        return self

    async def close(self) -> None:
        """Stop after the mail being sent, so it is recorded (never sent twice)."""
        self.stopping.set()
        if self.task:
            try:
                await asyncio.wait_for(self.task, timeout=35)
            except (asyncio.TimeoutError, asyncio.CancelledError):
                pass

    async def _loop(self) -> None:
        while not self.stopping.is_set():
            try:
                await self.send_due()
            except Exception:
                logger.exception("outbox: sending failed; trying again shortly")
            try:
                await asyncio.wait_for(self.stopping.wait(), POLL_SECONDS)
            except asyncio.TimeoutError:
                pass

    async def run(self, fn):
        return await self.intake.writer.run(fn)

    async def send_due(self) -> int:
        """One pass: send what is due; returns how many mails were accepted."""
        now = time.time()
        batches = await self.run(lambda store: self._prepare(store.conn, now))
        sent = 0
        for batch in batches:
            if self.stopping.is_set():
                break
            if batch.message is None:
                await self.run(lambda s, b=batch: mark(s.conn, b.ids, "dropped", now,
                                                       b.dropped))
                continue
            try:
                await asyncio.to_thread(smtp.deliver, self.smtp, batch.message)
            except smtp.Permanent as exc:
                logger.error("outbox: %s mail %s refused for good: %s", batch.kind,
                             batch.ids, exc)
                await self.run(lambda s, b=batch, e=str(exc): mark(s.conn, b.ids, "failed",
                                                                   time.time(), e))
            except smtp.Temporary as exc:
                await self._failed(batch, str(exc))
            else:
                sent += 1
                await self.run(lambda s, b=batch: mark(s.conn, b.ids, "sent", time.time()))
        return sent

    def _prepare(self, conn: sqlite3.Connection, now: float) -> list[Batch]:
        batches = due(conn, now, self.window)
        if self.smtp is None:  # mail is off: nothing piles up to be sent months later
            for batch in batches:
                batch.dropped = "COLLOQUY_SMTP_HOST is not set"
            return batches
        for batch in batches:
            try:
                self.compose(conn, batch)
            except Exception as exc:  # one bad row must not hold up the others
                logger.exception("outbox: cannot write %s mail %s", batch.kind, batch.ids)
                batch.message, batch.dropped = None, f"could not be written: {exc}"[:300]
        return batches

    async def _failed(self, batch: Batch, error: str) -> None:
        now = time.time()
        oldest = min(row["created"] for row in batch.rows)
        if now - oldest >= self.give_up:
            logger.error("outbox: gave up on %s mail %s after %d s: %s", batch.kind,
                         batch.ids, int(now - oldest), error)
            await self.run(lambda s: mark(s.conn, batch.ids, "failed", now, error))
            return
        delay = await self.run(lambda s: postpone(s.conn, batch.ids, now, self.base, error))
        logger.warning("outbox: %s mail %s not sent (%s); next try in %d s", batch.kind,
                       batch.ids, error, delay)
