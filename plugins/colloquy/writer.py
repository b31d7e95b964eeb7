"""The intake's writer thread: one connection's writes, committed in batches.

Posts arrive concurrently on the event loop; SQLite has one writer at a time. Rather than
each post waiting for the lock and fsyncing alone, they queue here and share one commit
(group commit): a burst of fifty posts costs one fsync, not fifty.
"""

from __future__ import annotations

import asyncio
import queue
import sqlite3
import threading
from typing import Any, Callable

from .store import Store


class Writer:
    """One thread owns the store's writes; concurrent requests share its commits.

    `await writer.run(fn)` queues `fn(store)`; the thread runs every queued function in
    one `BEGIN IMMEDIATE` transaction, COMMITs, then runs each `after(result)` and only
    then hands results back. So an answer always follows a durable commit (group commit).
    An exception raised by one function is returned to its caller alone.
    """

    def __init__(self, store: Store, max_batch: int = 128):
        self.store = store
        self.max_batch = max_batch
        self.queue: queue.Queue = queue.Queue()
        self.thread = threading.Thread(target=self._loop, name="colloquy-writer", daemon=True)
        self.thread.start()

    async def run(self, fn: Callable[[Store], Any],
                  after: Callable[[Any], Any] | None = None) -> Any:
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        self.queue.put((fn, after, loop, future))
        return await future

    def close(self) -> None:
        self.queue.put(None)
        self.thread.join(timeout=10)

    def _loop(self) -> None:
        while True:
            first = self.queue.get()
            if first is None:
                return
            batch = [first]
            stop = False
            while len(batch) < self.max_batch:
                try:
                    item = self.queue.get_nowait()
                except queue.Empty:
                    break
                if item is None:
                    stop = True
                    break
                batch.append(item)
            self._commit(batch)
            if stop:
                return

    def _commit(self, batch) -> None:
        outcomes: list[tuple[bool, Any]] = []
        try:
            self.store.conn.execute("BEGIN IMMEDIATE")
            for fn, _after, _loop, _future in batch:
                try:
                    outcomes.append((True, fn(self.store)))
                except Exception as exc:  # this caller's problem only
                    outcomes.append((False, exc))
            self.store.conn.execute("COMMIT")
        except Exception as exc:  # nothing in this batch is committed
            try:
                self.store.conn.execute("ROLLBACK")
            except sqlite3.Error:
                pass
            outcomes = [(False, exc)] * len(batch)
        settled: dict[Any, list] = {}
        for (fn, after, loop, future), (ok, value) in zip(batch, outcomes):
            if ok and after is not None:
                try:
                    value = after(value)
                except Exception as exc:
                    ok, value = False, exc
            settled.setdefault(loop, []).append((future, ok, value))
        for loop, results in settled.items():  # one wake-up per event loop, not per post
            try:
                loop.call_soon_threadsafe(_settle_all, results)
            except RuntimeError:  # that loop is closed: its callers are gone
                pass


def _settle_all(results: list) -> None:
    for future, ok, value in results:
        if future.done():  # the client went away; the comment is stored all the same
            continue
        if ok:
            future.set_result(value)
        else:
            future.set_exception(value)
