"""Disqus XML: threads matched to essays, merged, sanitised, reported."""

from __future__ import annotations

import pytest

from colloquy.importers import ImportFileError

from _import_helpers import (FIXTURES, body, comment_files, header, named, replies_of, run_import,
                             snapshot, walking_site)

EXPORT = FIXTURES / "disqus.xml"


def test_threads_match_by_url_id_or_title_and_duplicates_merge(site):
    walking_site(site)
    report = run_import(site, "disqus", EXPORT)
    files = comment_files(site)
    assert sorted(files) == [
        "on-walking-slowly/disqus-900001", "on-walking-slowly/disqus-900002",
        "on-walking-slowly/disqus-900003", "on-walking-slowly/disqus-900005",
        "the-price-of-a-like/disqus-900007", "the-price-of-a-like/disqus-900010"]
    # 900003 sits in the https duplicate thread and replies across the merge.
    assert header(files["on-walking-slowly/disqus-900003"])["reply-to"] == "disqus-900002"
    assert any("merged" in w for w in report.warnings)


def test_messages_are_sanitised_and_converted(site):
    walking_site(site)
    run_import(site, "disqus", EXPORT)
    text = comment_files(site)["on-walking-slowly/disqus-900001"]
    assert body(text) == ("Lovely piece. The **bread** detail made me laugh.\n\n"
                          "More please — [my walks](https://reader.example/walks)")
    assert "alert" not in text and "reader@reader.example" not in text


def test_deleted_spam_missing_and_unmatched_are_skipped_and_reported(site):
    walking_site(site)
    report = run_import(site, "disqus", EXPORT)
    assert report.skipped == {"deleted": 1, "spam": 1,
                              "its thread is missing from the export": 1,
                              "its thread matches no essay on this site": 1}
    missing, = named(report, "its thread is missing")
    assert missing.detail == "thread 5999" and missing.source_id
    unmatched, = named(report, "its thread matches no essay")
    assert "tag/long-gone" in unmatched.thread_url and unmatched.source_id
    # The reply to a deleted post climbs to the deleted post's parent.
    files = comment_files(site)
    assert header(files["on-walking-slowly/disqus-900005"])["reply-to"] == "disqus-900001"
    # A post without a date takes the essay's, with a warning.
    assert header(files["the-price-of-a-like/disqus-900010"])["date"].startswith("2019-05-01")
    assert [r.source_id for r in named(report, "no date")] == ["900010"]


def test_idempotent_and_round_trip(site):
    walking_site(site)
    run_import(site, "disqus", EXPORT)
    before = snapshot(site.content)
    again = run_import(site, "disqus", EXPORT)
    assert snapshot(site.content) == before and again.total_imported == 0
    assert again.already == 6
    site.build()
    doc = site.html("essays/on-walking-slowly/index.html")
    assert replies_of(doc, "disqus-900001") == ["disqus-900002", "disqus-900005"]
    assert replies_of(doc, "disqus-900002") == ["disqus-900003"]


def test_nothing_matches_on_an_empty_site(site):
    report = run_import(site, "disqus", EXPORT)
    assert report.total_imported == 0
    assert report.skipped["its thread matches no essay on this site"] == 7


def test_bomb_refused(site, tmp_path):
    bomb = tmp_path / "disqus.xml"
    bomb.write_bytes(b'<?xml version="1.0"?>\n<!DOCTYPE d [<!ENTITY a "aaaaaaaaaa">'
                     b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>\n<disqus>&b;</disqus>')
    with pytest.raises(ImportFileError, match="entity-expansion bomb"):
        run_import(site, "disqus", bomb)


def test_gzipped_export_as_disqus_sends_it(site, tmp_path):
    import gzip

    walking_site(site)
    packed = tmp_path / "slowreplies-2024-01-15T10-00-00.000000-all.xml.gz"
    packed.write_bytes(gzip.compress(EXPORT.read_bytes()))
    assert run_import(site, "disqus", packed).total_imported == 6


def test_unwritable_site_is_a_clear_error(site, tmp_path):
    import os

    from colloquy.errors import ColloquyError

    walking_site(site)
    comments = site.content / "comments"
    os.chmod(comments, 0o500)
    try:
        if os.access(comments, os.W_OK):
            pytest.skip("running as a user who can write anywhere")
        with pytest.raises(ColloquyError, match="cannot write"):
            run_import(site, "disqus", EXPORT)
    finally:
        os.chmod(comments, 0o700)


def test_the_json_report_names_every_item_and_the_cli_points_at_it(site, tmp_path, capsys):
    import json

    from colloquy.cli import main

    walking_site(site)
    conf = site.root / "pelicanconf.py"
    conf.write_text('PATH = "content"\nARTICLE_PATHS = ["essays"]\n'
                    'ARTICLE_EXCLUDES = ["comments"]\n')
    target = tmp_path / "reports" / "disqus.json"
    assert main(["--settings", str(conf), "import", "disqus", str(EXPORT),
                 "--report", str(target)]) == 0
    out = capsys.readouterr().out
    assert f"every item, with its reason: {target}" in out
    data = json.loads(target.read_text(encoding="utf-8"))
    assert data["format"] == "disqus" and data["imported"]["comment"] > 0
    skipped = [i for i in data["items"] if i["status"] == "skipped"]
    assert len(skipped) == data["skipped"] == 4
    assert all(i["source_id"] and i["reason"] for i in skipped)
    unmatched, = [i for i in skipped if i["reason"].startswith("its thread matches no essay")]
    assert unmatched["thread_url"].endswith("tag/long-gone/") and unmatched["thread_title"]
    # The summary names the first items of each reason, with their thread.
    assert f"{unmatched['source_id']} ({unmatched['thread_title']} <" in out


def test_a_report_that_cannot_be_written_is_a_clear_error(site, tmp_path):
    from colloquy.errors import ColloquyError

    walking_site(site)
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    with pytest.raises(ColloquyError, match=r"a-file/report.json: cannot write the import "
                       r"report .*the import itself is done"):
        run_import(site, "disqus", EXPORT, report_path=blocker / "report.json")
    assert comment_files(site)  # the import itself went through
