"""Isso's SQLite database."""

from __future__ import annotations

import pytest

from colloquy.importers import ImportFileError

from _import_helpers import (FIXTURES, body, comment_files, header, isso_db, pending_rows,
                             replies_of, run_import, snapshot, walking_site)


def test_comments_threads_and_modes(site, tmp_path):
    walking_site(site)
    report = run_import(site, "isso", isso_db(tmp_path))
    files = comment_files(site)
    assert sorted(files) == ["on-walking-slowly/isso-1", "on-walking-slowly/isso-2",
                             "on-walking-slowly/isso-4", "the-price-of-a-like/isso-6",
                             "the-price-of-a-like/isso-7"]
    first = files["on-walking-slowly/isso-1"]
    assert header(first)["date"] == "2019-04-02T09:00:00+00:00"
    assert header(first)["website"] == "https://ina.example"
    assert body(first).startswith("Walking *is* thinking.\n\nSecond paragraph")
    assert header(files["on-walking-slowly/isso-2"])["reply-to"] == "isso-1"
    # A reply to a deleted top-level placeholder, and to a purged comment: top level.
    assert "reply-to" not in header(files["on-walking-slowly/isso-4"])
    assert header(files["on-walking-slowly/isso-4"])["author"] == "Anonymous"
    assert "website" not in header(files["on-walking-slowly/isso-4"])  # ftp: dropped
    assert "reply-to" not in header(files["the-price-of-a-like/isso-7"])
    assert report.orphans == 2
    assert report.skipped == {"deleted": 1, "its thread matches no essay on this site": 1}
    rows = pending_rows(site)
    assert [(r["id"], r["reply_to"], r["email"]) for r in rows] == \
        [("isso-5", "isso-2", "pat@isso.example")]


def test_idempotent_and_round_trip(site, tmp_path):
    walking_site(site)
    db = isso_db(tmp_path)
    run_import(site, "isso", db)
    before = snapshot(site.content)
    again = run_import(site, "isso", db)
    assert snapshot(site.content) == before
    assert again.total_imported == 0 and again.already == 6
    site.build()
    assert replies_of(site.html("essays/on-walking-slowly/index.html"), "isso-1") == ["isso-2"]


def test_not_a_database(site):
    with pytest.raises(ImportFileError, match=r"isso.sql:1: not an SQLite database"):
        run_import(site, "isso", FIXTURES / "isso.sql")


def test_another_sqlite_database(site, tmp_path):
    import sqlite3

    other = tmp_path / "other.db"
    sqlite3.connect(other).execute("CREATE TABLE t (x)").connection.commit()
    with pytest.raises(ImportFileError, match="not an Isso database"):
        run_import(site, "isso", other)


def test_truncated_database(site, tmp_path):
    db = isso_db(tmp_path)
    cut = tmp_path / "cut.db"
    cut.write_bytes(db.read_bytes()[:1500])
    with pytest.raises(ImportFileError):
        run_import(site, "isso", cut)


def test_invalid_utf8_in_a_row_is_named(site, tmp_path):
    import sqlite3

    walking_site(site)
    db = isso_db(tmp_path)
    conn = sqlite3.connect(db)
    conn.execute("UPDATE comments SET text = CAST(X'41FF42' AS TEXT) WHERE id = 6")
    conn.commit()
    conn.close()
    with pytest.raises(ImportFileError, match="comment 6 has text that is not valid UTF-8"):
        run_import(site, "isso", db)
    assert comment_files(site) == {}
