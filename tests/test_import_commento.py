"""Commento JSON exports, plain or gzipped."""

from __future__ import annotations

import gzip

import pytest

from colloquy.importers import ImportFileError

from _import_helpers import (FIXTURES, comment_files, header, pending_rows, run_import,
                             walking_site)

EXPORT = FIXTURES / "commento.json"


def test_comments_replies_pending_and_deleted(site):
    walking_site(site)
    report = run_import(site, "commento", EXPORT)
    files = comment_files(site)
    long_hex = [k for k in files if k.startswith("on-walking-slowly/commento-c1a0")]
    assert len(long_hex) == 1 and len(long_hex[0].split("/")[1]) <= 80
    reply = header(files["on-walking-slowly/commento-c2b1"])
    assert reply["author"] == "Anonymous" and reply["reply-to"] == long_hex[0].split("/")[1]
    assert header(files[long_hex[0]])["website"] == "https://gil.example"
    # Go writes nanoseconds; the page is the export's `url` field.
    assert header(files[long_hex[0]])["date"] == "2020-03-01T10:00:00+00:00"
    assert "reply-to" not in header(files["on-walking-slowly/commento-c5e4"])  # parent deleted
    assert [r["id"] for r in pending_rows(site)] == ["commento-c3c2", "commento-c7a6"]
    assert report.skipped == {"deleted": 1, "its page matches no essay on this site": 1}
    assert not any("@commento.example" in text for text in files.values())


def test_a_hand_made_file_naming_the_page_path_is_read_too(site, tmp_path):
    walking_site(site)
    export = tmp_path / "old.json"
    export.write_text(EXPORT.read_text().replace('"url":', '"path":'))
    assert run_import(site, "commento", export).total_imported == 3


def test_gzipped_export(site, tmp_path):
    walking_site(site)
    packed = tmp_path / "commento-export.json.gz"
    packed.write_bytes(gzip.compress(EXPORT.read_bytes()))
    assert run_import(site, "commento", packed).total_imported == 3
    assert run_import(site, "commento", packed).total_imported == 0


def test_damaged_gzip(site, tmp_path):
    packed = tmp_path / "export.json.gz"
    packed.write_bytes(gzip.compress(EXPORT.read_bytes())[:200])
    with pytest.raises(ImportFileError, match="export.json.gz"):
        run_import(site, "commento", packed)


def test_not_commento(site):
    with pytest.raises(ImportFileError, match="not a Commento export"):
        run_import(site, "commento", FIXTURES / "webmention.jf2.json")
