"""The SQLite intake store, on a real file."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest

from colloquy.comments import Comment
from colloquy.store import (MIGRATIONS, Duplicate, Limits, RateLimited, Store, Submission,
                            default_store_path)
from colloquy.writer import Writer


def imported(source_id: str = "42", **overrides) -> Comment:
    values = dict(id=f"wordpress-{source_id}", essay="first-essay", author="Imported Reader",
                  date=datetime(2019, 5, 1, 12, 0, tzinfo=timezone.utc), body="From the old blog.",
                  source="wordpress", source_id=source_id)
    values.update(overrides)
    return Comment(**values)


@pytest.fixture
def store(tmp_path) -> Store:
    with Store(tmp_path / "var" / "colloquy.sqlite3") as opened:
        yield opened


def test_opens_in_wal_with_full_sync_and_records_migrations(store):
    assert store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert store.conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    names = [row[0] for row in store.conn.execute("SELECT name FROM migrations")]
    assert names == [name for name, _ in MIGRATIONS]
    assert names[0] == "0001_comments"


def test_reopening_keeps_rows_salt_and_runs_no_migration_twice(tmp_path):
    path = tmp_path / "store.sqlite3"
    with Store(path) as first:
        first.add_pending(imported())
        salt = first.salt
    with Store(path) as second:
        assert second.salt == salt
        assert second.count() == 1
        assert second.conn.execute("SELECT count(*) FROM migrations").fetchone()[0] == \
            len(MIGRATIONS)


def test_add_pending_is_idempotent_on_source_and_source_id(store):
    assert store.add_pending(imported(), email="old@example.org", ip="192.0.2.1") is True
    assert store.add_pending(imported(id="wordpress-42-2")) is False  # same source id
    assert store.add_pending(imported(source_id="43")) is True
    assert store.add_pending(imported(source="disqus", id="disqus-42")) is True
    row = store.get("wordpress-42")
    assert (row.status, row.email, row.ip, row.source) == ("pending", "old@example.org",
                                                            "192.0.2.1", "wordpress")
    assert row.to_comment().date == datetime(2019, 5, 1, 12, 0, tzinfo=timezone.utc)
    assert store.count("pending") == 3


def test_stored_comment_to_comment_never_carries_addresses(store):
    store.add_pending(imported(), email="old@example.org", ip="192.0.2.1")
    comment = store.get("wordpress-42").to_comment()
    assert "old@example.org" not in repr(comment) and "192.0.2.1" not in repr(comment)


def test_intake_ids_follow_the_design_format(store):
    with store.transaction():
        comment_id, auto = store.intake(Submission("first-essay", "Ada", "Hi"), Limits(),
                                        time.time())
    assert auto is False
    date, clock, tail = comment_id.split("-")
    assert len(date) == 8 and len(clock) == 6 and len(tail) == 6
    int(tail, 16)


def test_rate_limit_and_duplicates_are_checked_in_the_transaction(store):
    limits = Limits(rate_limit=2, rate_window=60)
    now = time.time()
    with store.transaction():
        store.intake(Submission("e", "A", "one", ip="192.0.2.9"), limits, now)
        store.intake(Submission("e", "A", "two", ip="192.0.2.9"), limits, now)
        with pytest.raises(RateLimited) as refused:
            store.intake(Submission("e", "A", "three", ip="192.0.2.9"), limits, now)
        assert refused.value.limit == 2 and 0 < refused.value.wait <= 61
        with pytest.raises(Duplicate):
            store.intake(Submission("e", "B", "  ONE ", ip="192.0.2.10"), limits, now)
        # Invisible characters and trailing punctuation do not make a text new (#9).
        for variant in ("o\u200bne", "One.", "ONE!!", "one\u00a0", "\u202eone"):
            with pytest.raises(Duplicate):
                store.intake(Submission("e", "C", variant, ip="192.0.2.11"), limits, now)
    # After the window the address may post again.
    with store.transaction():
        store.intake(Submission("e", "A", "three", ip="192.0.2.9"), limits, now + 61)


def test_purge_erases_addresses_after_retention_and_deletes_rejected(store):
    for n in range(4):
        store.add_pending(imported(source_id=str(n)), email=f"r{n}@example.org", ip="192.0.2.1")
    old, recent = time.time() - 40 * 86400, time.time()
    with store.transaction():
        store.set_status("wordpress-0", "approved", old)
        store.set_status("wordpress-1", "rejected", old)
        store.set_status("wordpress-2", "approved", recent)
        assert store.purge(30, time.time()) == (1, 1)
    assert store.get("wordpress-1") is None
    assert (store.get("wordpress-0").email, store.get("wordpress-0").ip) == (None, None)
    assert store.get("wordpress-2").email == "r2@example.org"  # moderated recently
    assert store.get("wordpress-3").email == "r3@example.org"  # still pending: kept


def test_approvals_count_toward_the_commenter_by_email_hash(store):
    store.add_pending(imported(), email="Ada@Example.org ")
    with store.transaction():
        store.set_status("wordpress-42", "approved", time.time())
        store.set_status("wordpress-42", "approved", time.time())  # counted once
    row = store.conn.execute("SELECT * FROM commenters").fetchone()
    assert row["approved"] == 1
    assert row["email_hash"] == store.email_hash("ada@example.org")
    assert "example" not in row["email_hash"]


def test_writer_answers_only_after_commit_and_isolates_failures(store, tmp_path):
    writer = Writer(store)

    def insert(n):
        return lambda s: s.insert(imported(source_id=str(n)), None, None, None)

    def fail(s):
        raise ValueError("this one only")

    async def burst():
        jobs = [writer.run(insert(n)) for n in range(50)] + [writer.run(fail)]
        return await asyncio.gather(*jobs, return_exceptions=True)

    results = asyncio.run(burst())
    writer.close()
    assert results[:50] == [True] * 50 and isinstance(results[50], ValueError)
    # A second connection (another process would see the same) finds every row committed.
    other = sqlite3.connect(store.path)
    assert other.execute("SELECT count(*) FROM comments").fetchone()[0] == 50
    other.close()


def test_default_store_path():
    assert default_store_path({"COLLOQUY_SITE_DIR": "/srv/site"}) == \
        Path("/srv/site/var/colloquy.sqlite3")
    assert default_store_path({"PATH": "/srv/blog/content"}) == \
        Path("/srv/blog/var/colloquy.sqlite3")
    assert default_store_path({"PATH": "/srv/blog/content",
                               "COLLOQUY_STORE_PATH": "/data/c.db"}) == Path("/data/c.db")


def test_a_naive_imported_date_is_taken_as_utc(store):
    store.add_pending(imported(date=datetime(2019, 5, 1, 12, 0)))
    assert store.get("wordpress-42").to_comment().date.tzinfo is not None
