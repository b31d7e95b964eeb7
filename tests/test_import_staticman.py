"""Staticman data folders: ids, uids and positional replying_to."""

from __future__ import annotations

import shutil

import pytest

from colloquy.importers import ImportFileError

from _import_helpers import FIXTURES, body, comment_files, header, run_import, walking_site

FOLDER = FIXTURES / "staticman"
ANA = "staticman-8bd52f50-7f25-11e7-a542-1dd4a8b2ba5d"
BEN = "staticman-9c0e1a10-7f25-11e7-a542-1dd4a8b2ba5d"


def test_replying_to_by_position_and_by_uid(site):
    walking_site(site)
    report = run_import(site, "staticman", FOLDER)
    files = {k.split("/", 1)[1]: v for k, v in comment_files(site).items()}
    assert header(files["staticman-a1b2c3d4-7f25-11e7-a542-1dd4a8b2ba5d"])["reply-to"] == BEN
    assert header(files["staticman-e5f6a7b8-7f25-11e7-a542-1dd4a8b2ba5d"])["reply-to"] == ANA
    eve = header(files["staticman-f0000000-7f25-11e7-a542-1dd4a8b2ba5d"])
    assert "reply-to" not in eve  # position 9 does not exist: orphan at top level
    assert eve["date"] == "2019-04-02T13:00:00+00:00"  # from the file name's timestamp
    assert report.orphans == 1
    assert header(files[BEN])["date"] == "2019-04-02T10:00:00+00:00"  # Unix seconds
    assert body(files[ANA]) == "First! Walking *slowly* is underrated.\n\nTruly."
    assert "1ce71bc1" not in files[ANA]  # the (hashed) e-mail is never written
    assert report.skipped == {"its page matches no essay on this site": 1}
    # Staticman's "frontmatter" format: YAML fields between --- lines, the message below.
    fay = comment_files(site)["the-price-of-a-like/staticman-0c4a4e30-6c0e-11e9-8f5f-3b1c2d4e5f60"]
    assert header(fay)["author"] == "Fay" and header(fay)["date"] == "2019-05-01T11:26:40+00:00"
    assert body(fay) == "Written in Staticman's *frontmatter* format: the message is the body."


def test_one_page_folder_and_idempotency(site):
    walking_site(site)
    first = run_import(site, "staticman", FOLDER / "on-walking-slowly")
    assert first.total_imported == 5
    assert run_import(site, "staticman", FOLDER).already == 5


def test_broken_yaml_names_file_and_line_and_writes_nothing(site, tmp_path):
    walking_site(site)
    copy = tmp_path / "comments"
    shutil.copytree(FOLDER, copy)
    (copy / "on-walking-slowly" / "comment-9.yml").write_text("name: [unclosed\nmessage: hi\n")
    with pytest.raises(ImportFileError, match=r"comment-9.yml:\d+: not valid YAML"):
        run_import(site, "staticman", copy)
    assert comment_files(site) == {}


def test_not_a_folder(site):
    with pytest.raises(ImportFileError, match="not a folder"):
        run_import(site, "staticman", FIXTURES / "commento.json")
