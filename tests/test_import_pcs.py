"""pelican-comment-system comment folders."""

from __future__ import annotations

import shutil

import pytest

from colloquy.importers import ImportFileError

from _import_helpers import FIXTURES, comment_files, header, run_import, walking_site

FOLDER = FIXTURES / "pcs"


def test_replyto_by_file_name_old_and_new_style(site):
    walking_site(site)
    report = run_import(site, "pcs", FOLDER, TIMEZONE="Europe/Berlin")
    files = {header(t)["source-id"]: header(t) for t in comment_files(site).values()}
    assert set(files) == {"on-walking-slowly/0", "on-walking-slowly/1",
                          "on-walking-slowly/Random-Name"}
    assert files["on-walking-slowly/1"]["reply-to"] == files["on-walking-slowly/0"]["id"]
    assert files["on-walking-slowly/Random-Name"]["reply-to"] == files["on-walking-slowly/1"]["id"]
    # Naive dates are read in the site's TIMEZONE, as Pelican read them.
    assert files["on-walking-slowly/0"]["date"] == "2014-03-21T14:02:00+00:00"
    assert files["on-walking-slowly/Random-Name"]["date"] == "2014-03-23T09:00:00+00:00"
    assert report.skipped == {"its article matches no essay on this site": 1}
    assert not any("jo@pcs.example" in t for t in comment_files(site).values())


def test_refuses_to_read_the_folder_it_writes(site):
    walking_site(site)
    with pytest.raises(ImportFileError, match="move it aside first"):
        run_import(site, "pcs", site.content / "comments")


def test_broken_metadata_names_the_line(site, tmp_path):
    walking_site(site)
    copy = tmp_path / "old-comments"
    shutil.copytree(FOLDER, copy)
    (copy / "on-walking-slowly" / "2.md").write_text("author: X\nthis is not metadata\n\nhi\n")
    with pytest.raises(ImportFileError, match=r"2.md:2: metadata line"):
        run_import(site, "pcs", copy)
    assert comment_files(site) == {}


def test_invalid_utf8(site, tmp_path):
    walking_site(site)
    copy = tmp_path / "old-comments"
    shutil.copytree(FOLDER, copy)
    (copy / "on-walking-slowly" / "3.md").write_bytes(b"author: X\ndate: 2014-01-01\n\n\xff\n")
    with pytest.raises(ImportFileError, match=r"3.md:4: invalid UTF-8"):
        run_import(site, "pcs", copy)
