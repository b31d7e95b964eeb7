"""The durable verification queue: received webmentions in the store, and its worker.

`POST /webmention` only records (source, target) in the `webmentions` table and answers;
`Worker`, a task in the server's lifespan, verifies what is due: fetch the source, check
the link, read the h-entry, store the response (responses.py). Network errors, timeouts,
404 and 5xx are tried again with doubling waits, at most COLLOQUY_WEBMENTION_MAX_ATTEMPTS
times; a 410 or a source that no longer links withdraws what was stored. A job is only
marked done in the same transaction that stores its result, so a server stopped halfway
verifies it again after the restart.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from ..comments import comment_path
from ..store import Store
from ..text import for_terminal as shown
from . import fetch, responses, verify
from .targets import COMMENT_FRAGMENT, Target

logger = logging.getLogger("colloquy.intake")


@dataclass
class Job:
    id: int
    token: str
    source: str
    target: str
    essay: str
    reply_to: str
    source_host: str
    status: str
    reason: str
    attempts: int
    received: float
    comment_id: str | None = None


def enqueue(store: Store, source: str, target: str, match: Target, now: float) -> str:
    """Queue (source, target) for verification; the same pair again is re-queued and keeps
    its status URL. Returns the status token. Call inside a transaction."""
    host = (urlsplit(source).hostname or "").lower()
    row = store.conn.execute("SELECT token FROM webmentions WHERE source = ? AND essay = ? "
                             "AND reply_to = ?", (source, match.essay, match.reply_to)).fetchone()
    if row:
        store.conn.execute(
            "UPDATE webmentions SET target = ?, status = 'queued', reason = '', attempts = 0, "
            "next_try = ?, received = ?, updated = ? WHERE token = ?",
            (target, now, now, now, row[0]))
        return row[0]
    token = secrets.token_urlsafe(12)
    store.conn.execute(
        "INSERT INTO webmentions (token, source, target, essay, reply_to, source_host, "
        "next_try, received, updated) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (token, source, target, match.essay, match.reply_to, host, now, now, now))
    return token


def due(store: Store, now: float, limit: int, busy: set[int]) -> list[Job]:
    rows = store.conn.execute(
        "SELECT id, token, source, target, essay, reply_to, source_host, status, reason, "
        "attempts, received, comment_id FROM webmentions WHERE status = 'queued' AND "
        "next_try <= ? ORDER BY next_try LIMIT ?", (now, limit + len(busy))).fetchall()
    return [Job(*row) for row in rows if row[0] not in busy][:limit]


def next_due(store: Store) -> float | None:
    return store.conn.execute("SELECT min(next_try) FROM webmentions "
                              "WHERE status = 'queued'").fetchone()[0]


def finish(store: Store, job: Job, status: str, reason: str, now: float,
           comment_id: str | None = None) -> bool:
    """Record a job's end, unless it was sent again meanwhile (then that run decides)."""
    return store.conn.execute(
        "UPDATE webmentions SET status = ?, reason = ?, updated = ?, comment_id = "
        "coalesce(?, comment_id), attempts = attempts + 1 WHERE id = ? AND received = ?",
        (status, reason, now, comment_id, job.id, job.received)).rowcount == 1


def retry(store: Store, job: Job, reason: str, now: float, cfg: dict) -> str:
    """A transient failure: try again later, or give up after the last attempt."""
    attempts = job.attempts + 1
    if attempts >= int(cfg["COLLOQUY_WEBMENTION_MAX_ATTEMPTS"]):
        finish(store, job, "refused", f"gave up after {attempts} tries: {reason}", now)
        return "refused"
    wait = float(cfg["COLLOQUY_WEBMENTION_RETRY_SECONDS"]) * 2 ** (attempts - 1)
    store.conn.execute("UPDATE webmentions SET attempts = ?, reason = ?, next_try = ?, "
                       "updated = ? WHERE id = ? AND received = ?",
                       (attempts, f"will try again: {reason}", now + wait, now, job.id,
                        job.received))
    return "queued"


def status_of(store: Store, token: str) -> dict | None:
    row = store.conn.execute("SELECT * FROM webmentions WHERE token = ?", (token,)).fetchone()
    if row is None:
        return None
    answer = {key: row[key] for key in ("source", "target", "status", "reason")}
    comment = store.get(row["comment_id"]) if row["comment_id"] else None
    if comment is not None and row["status"] == "verified":
        answer.update(kind=comment.kind, comment=comment.id,
                      moderation=comment.status)
    return answer


class Worker:
    """Verifies due webmentions, a few at a time, until the server stops."""

    def __init__(self, intake, wake: asyncio.Event):
        self.intake = intake
        self.index = intake.index  # server.SiteIndex: which comments are published
        self.cfg = intake.cfg
        self.limits = fetch.Limits.from_settings(intake.cfg)
        self.wake = wake
        self.busy: set[int] = set()
        self.concurrency = max(1, int(intake.cfg["COLLOQUY_WEBMENTION_CONCURRENCY"]))

    async def run(self) -> None:
        async with fetch.client() as http:
            tasks: set[asyncio.Task] = set()
            try:
                while True:
                    await self._start_due(http, tasks)
                    await self._wait()
            finally:
                for task in tasks:
                    task.cancel()

    async def _start_due(self, http, tasks: set) -> None:
        free = self.concurrency - len(self.busy)
        if free <= 0:
            return
        busy = set(self.busy)
        jobs = await self.intake.writer.run(lambda store: due(store, time.time(), free, busy))
        for job in jobs:
            self.busy.add(job.id)
            task = asyncio.create_task(self._verify_guarded(http, job))
            tasks.add(task)
            task.add_done_callback(tasks.discard)

    async def _wait(self) -> None:
        if len(self.busy) >= self.concurrency:
            timeout = 1.0
        else:
            soonest = await self.intake.writer.run(next_due)
            timeout = 60.0 if soonest is None else min(60.0, max(0.05, soonest - time.time()))
        try:
            await asyncio.wait_for(self.wake.wait(), timeout)
        except TimeoutError:
            pass
        self.wake.clear()

    async def _verify_guarded(self, http, job: Job) -> None:
        try:
            await self.verify(http, job)
        except asyncio.CancelledError:
            raise
        except Exception:  # a bug must not stop the queue: the job is tried again later
            logger.exception("webmention %s → %s: verification failed", shown(job.source),
                             shown(job.target))
            await self.intake.writer.run(lambda store: retry(
                store, job, "an error on our side", time.time(), self.cfg))
        finally:
            self.busy.discard(job.id)
            self.wake.set()

    async def verify(self, http, job: Job) -> None:
        run = self.intake.writer.run
        try:
            page = await fetch.fetch(http, job.source, self.limits)
        except fetch.FetchError as problem:
            if problem.transient:
                await run(lambda s: retry(s, job, problem.reason, time.time(), self.cfg))
            else:
                await run(lambda s: finish(s, job, "refused", problem.reason, time.time()))
            logger.info("webmention %s: %s", shown(job.source), shown(problem.reason))
            return
        if page.status == 410:
            await self.withdraw(job, "the source is gone (410)")
        elif page.status in (404, 408, 429) or page.status >= 500:
            reason = f"the source answered {page.status}"
            await run(lambda s: retry(s, job, reason, time.time(), self.cfg))
        elif not 200 <= page.status < 300:
            reason = f"the source answered {page.status}"
            await run(lambda s: finish(s, job, "refused", reason, time.time()))
        else:
            body = page.text
            linked = await asyncio.to_thread(verify.links_to, body, page.content_type,
                                             page.url, job.target)
            if not linked:
                await self.withdraw(job, f"the source does not link to {job.target}")
                return
            entry = await asyncio.to_thread(
                verify.read_entry, body, page.url, job.target,
                int(self.cfg["COLLOQUY_WEBMENTION_EXCERPT_CHARS"]))
            await self.accept(job, entry)

    async def accept(self, job: Job, entry: verify.Entry) -> None:
        reply_to = job.reply_to or self._named_comment(job.essay, entry.names_comment)

        def store_it(store):
            now = time.time()
            outcome = responses.accept(store, job, entry, reply_to, self.cfg, now)
            finish(store, job, "verified", "", now, outcome.comment_id)
            return outcome

        outcome = await self.intake.writer.run(store_it, after=self._apply)
        logger.info("webmention %s → %s: verified, %s %s", shown(job.source), shown(job.target),
                    outcome.kind, outcome.action)

    def _named_comment(self, essay: str, urls: list[str]) -> str:
        for url in urls:
            found = COMMENT_FRAGMENT.fullmatch(urlsplit(url).fragment)
            if found and self.index.has_comment(essay, found.group(1)):
                return found.group(1)
        return ""

    async def withdraw(self, job: Job, reason: str) -> None:
        def remove(store):
            outcome = responses.withdraw(store, job)
            status = "refused" if outcome.action == "none" else "deleted"
            finish(store, job, status, reason, time.time())
            return outcome

        outcome = await self.intake.writer.run(remove, after=lambda o: self._apply(o, job))
        logger.info("webmention %s → %s: %s (%s)", shown(job.source), shown(job.target),
                    shown(reason), outcome.action)

    def _apply(self, outcome: responses.Outcome, job: Job | None = None):
        """After the commit, in the writer thread: make the files follow the store."""
        from ..comments import write_comment
        from ..moderation import publish

        root = self.intake.comments_root
        changed = False
        try:
            if outcome.action == "publish":
                publish(self.intake.store, root, outcome.comment_id, auto=True)
                changed = True
            elif outcome.action == "rewrite":
                row = self.intake.store.get(outcome.comment_id)
                write_comment(root, row.to_comment(), overwrite=True)
                changed = True
            elif outcome.action == "unpublish" and job is not None:
                comment_path(root, job.essay, outcome.comment_id).unlink(missing_ok=True)
                changed = True
        except Exception:  # the store is right; the author can approve again by hand
            logger.exception("webmention: could not update the file of %s", outcome.comment_id)
        if changed and self.intake.rebuilder:
            self.intake.rebuilder.request()
        return outcome
