"""The durable queue on a real SQLite store: due jobs, backoff, bounded attempts, and a
re-send while a verification is in flight."""

from __future__ import annotations

from colloquy.settings import DEFAULTS
from colloquy.store import Store
from colloquy.webmention import queue
from colloquy.webmention.targets import Target

CFG = {**DEFAULTS, "COLLOQUY_WEBMENTION_RETRY_SECONDS": 60,
       "COLLOQUY_WEBMENTION_MAX_ATTEMPTS": 4}
SOURCE, TARGET = "https://reader.example/p", "https://essays.example/essays/x/"


def queued(store, now=1000.0) -> str:
    with store.transaction():
        return queue.enqueue(store, SOURCE, TARGET, Target("x", ""), now)


def test_backoff_doubles_and_attempts_are_bounded(tmp_path):
    with Store(tmp_path / "s.sqlite3") as store:
        token = queued(store)
        now, waits = 1000.0, []
        while True:
            [job] = queue.due(store, now, 10, set())
            with store.transaction():
                state = queue.retry(store, job, "the source answered 503", now, CFG)
            if state == "refused":
                break
            next_try = queue.next_due(store)
            waits.append(next_try - now)
            assert queue.due(store, next_try - 1, 10, set()) == []
            now = next_try
        assert waits == [60, 120, 240]
        found = queue.status_of(store, token)
        assert found["status"] == "refused"
        assert found["reason"] == "gave up after 4 tries: the source answered 503"


def test_sent_again_while_in_flight_the_new_send_decides(tmp_path):
    with Store(tmp_path / "s.sqlite3") as store:
        token = queued(store, now=1000.0)
        [in_flight] = queue.due(store, 1000.0, 10, set())
        assert queue.due(store, 1000.0, 10, {in_flight.id}) == []  # not picked twice
        assert queued(store, now=1005.0) == token  # same pair: same status URL
        with store.transaction():
            assert queue.finish(store, in_flight, "refused", "old news", 1006.0) is False
        assert queue.status_of(store, token)["status"] == "queued"
        [fresh] = queue.due(store, 1006.0, 10, set())
        with store.transaction():
            assert queue.finish(store, fresh, "verified", "", 1007.0) is True
        assert queue.status_of(store, token)["status"] == "verified"


def test_the_queue_is_in_the_file(tmp_path):
    path = tmp_path / "s.sqlite3"
    with Store(path) as store:
        token = queued(store)
    with Store(path) as reopened:
        assert queue.status_of(reopened, token)["status"] == "queued"
        assert [job.source for job in queue.due(reopened, 1000.0, 10, set())] == [SOURCE]
