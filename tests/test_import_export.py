"""`colloquy export wordpress`: WXR 1.2 as WordPress's importer reads it, and back again."""

from __future__ import annotations

import shutil
from collections import Counter
from datetime import datetime, timezone

import lxml.etree
import pytest

from colloquy.cli import main
from colloquy.comments import Comment, load_comments
from colloquy.store import Store

from conftest import REPO, Site
from _import_helpers import pending_rows, run_import

WP = "{http://wordpress.org/export/1.2/}"


def demo_site(root) -> Site:
    site = Site(root)
    shutil.copytree(REPO / "content", site.content, dirs_exist_ok=True)
    return site


def export(site, tmp_path):
    from colloquy.importers.export import export_wordpress

    out = tmp_path / "site.xml"
    summary = export_wordpress(site.settings(), out)
    return out, summary


def conversation(comments) -> dict:
    """What a reader sees of each comment: where, who, when, what, in reply to what."""
    return {c.id: (c.essay, c.author, c.date, c.date.isoformat(), c.body, c.reply_to, c.kind,
                   c.url, c.website, c.role) for c in comments}


def test_the_demo_site_comes_back_the_same_after_a_round_trip(tmp_path):
    original = demo_site(tmp_path / "original")
    out, summary = export(original, tmp_path)
    before, problems = load_comments(original.content / "comments")
    assert before and not [p for p in problems if p.fatal]
    assert f"{len(before)} comments" in summary

    fresh = Site(tmp_path / "fresh")  # the essays, none of the conversations
    shutil.copytree(REPO / "content" / "essays", fresh.content / "essays", dirs_exist_ok=True)
    report = run_import(fresh, "wordpress", out)
    after, problems = load_comments(fresh.content / "comments")
    assert not [p for p in problems if p.fatal]
    assert not report.entries_new and len(report.entries_kept) == 7  # essays stay as they are
    assert not [r for r in report.records if r.status == "skipped"]
    assert len(after) == len(before)
    assert conversation(after) == conversation(before)
    kinds = Counter(c.kind for c in after)
    assert kinds["comment"] and sum(kinds.values()) == len(before)

    # A second import of the same file adds nothing.
    again = run_import(fresh, "wordpress", out)
    assert again.total_imported == 0 and again.already == len(before)


def test_the_file_is_what_wordpress_s_importer_requires(tmp_path):
    site = demo_site(tmp_path / "site")
    out, _ = export(site, tmp_path)
    root = lxml.etree.parse(str(out)).getroot()
    assert root.tag == "rss" and root.nsmap["wp"] == "http://wordpress.org/export/1.2/"
    channel = root.find("channel")
    assert channel.findtext(f"{WP}wxr_version") == "1.2"
    login = channel.find(f"{WP}author").findtext(f"{WP}author_login")
    items = channel.findall("item")
    assert {i.findtext(f"{WP}post_type") for i in items} == {"post"}
    for item in items:
        assert item.findtext("{http://purl.org/dc/elements/1.1/}creator") == login
        assert item.findtext(f"{WP}post_name") and item.findtext(f"{WP}status") == "publish"
        # Links are made from the site's ARTICLE_URL, as the build makes them.
        assert item.findtext("link") == \
            f"https://essays.example/essays/{item.findtext(f'{WP}post_name')}/"
        seen = set()
        for comment in item.findall(f"{WP}comment"):
            wp_id = int(comment.findtext(f"{WP}comment_id"))
            parent = int(comment.findtext(f"{WP}comment_parent"))
            # The importer inserts by id and maps a parent only once inserted.
            assert parent == 0 or parent in seen
            seen.add(wp_id)
            local, gmt = (comment.findtext(f"{WP}comment_date{s}") for s in ("", "_gmt"))
            assert len(local) == len(gmt) == 19 and local != gmt  # Europe/Berlin
            assert comment.findtext(f"{WP}comment_approved") == "1"
            assert comment.findtext(f"{WP}comment_author_email") == ""
    types = Counter(c.findtext(f"{WP}comment_type") for c in root.iter(f"{WP}comment"))
    assert types["comment"] and types["pingback"]  # the demo's mentions are pingbacks


def test_export_with_the_cli_and_pages_round_trip(tmp_path, capsys):
    site = Site(tmp_path / "site")
    site.essay("walk", title="Walk")  # a date without an offset, and one with:
    site.essay("aware", title="Aware", date="2026-09-03T10:00:00+02:00")
    (site.content / "pages").mkdir()
    (site.content / "pages" / "guestbook.md").write_text(
        "Title: Guest Book\nSlug: guest_book\n\nSign here.\n", encoding="utf-8")
    site.comment("guest_book", "20260902-100000-abcdef", body="Signed, *gladly*.",
                 author="Ana", date="2026-09-02T10:00:00+02:00")
    site.comment("guest_book", "20260902-110000-abcdef", body="Me too.", author="Bo",
                 reply_to="20260902-100000-abcdef", date="2026-09-02T11:00:00-05:00")
    site.comment("walk", "20260903-100000-abcdef", body="", author="Cy", kind="like",
                 url="https://cy.example/likes/1")
    waiting = Comment(id="20260904-100000-abcdef", essay="walk", author="Di", body="Hold on.",
                      date=datetime(2026, 9, 4, 8, tzinfo=timezone.utc))
    with Store(site.root / "var" / "colloquy.sqlite3") as store:
        store.add_pending(waiting, email="di@secret.example", ip="192.0.2.77")
    conf = site.root / "pelicanconf.py"
    conf.write_text(f'PATH = "content"\nTIMEZONE = "Europe/Berlin"\nAUTHOR = "Mara"\n'
                    f'THEME = "{REPO / "theme"}"\nPAGE_PATHS = ["pages"]\n'
                    'ARTICLE_PATHS = ["essays"]\nARTICLE_EXCLUDES = ["comments"]\n')
    out = tmp_path / "out.xml"
    assert main(["--settings", str(conf), "export", "wordpress", str(out)]) == 0
    assert "3 essays and pages, 4 comments (1 waiting for moderation)" in capsys.readouterr().out
    assert b"di@secret.example" not in out.read_bytes() and b"192.0.2.77" not in out.read_bytes()
    root = lxml.etree.parse(str(out)).getroot()
    page, = [i for i in root.iter("item") if i.findtext(f"{WP}post_type") == "page"]
    assert page.findtext(f"{WP}post_name") == "guest_book"

    fresh = Site(tmp_path / "fresh")
    report = run_import(fresh, "wordpress", out)
    assert sorted(report.entries_new) == ["essays/aware.md", "essays/walk.md",
                                          "pages/guest_book.md"]
    before, _ = load_comments(site.content / "comments")
    after, _ = load_comments(fresh.content / "comments")
    assert conversation(after) == conversation(before)
    # What waited for moderation waits again, without the address it never left with.
    queued, = pending_rows(fresh)
    assert (queued["id"], queued["author"], queued["body"]) == (waiting.id, "Di", "Hold on.")
    assert queued["email"] is None and queued["ip"] is None


def test_broken_files_and_strays_are_counted_not_exported(tmp_path):
    from colloquy.errors import ColloquyError
    from colloquy.importers.export import export_wordpress

    site = Site(tmp_path / "site")
    site.essay("walk", title="Walk")
    site.comment("walk", "20260902-100000-abcdef", body="Kept.")
    site.raw("comments/walk/broken.md", b"no header at all\n")
    site.comment("gone", "20260902-110000-abcdef", body="Its essay is gone.")
    summary = export_wordpress(site.settings(), tmp_path / "out.xml")
    assert "1 comments" in summary and "left out 1 comment(s) whose essay is not on the site" \
        in summary and "1 broken comment file(s)" in summary
    assert b"Kept." in (tmp_path / "out.xml").read_bytes()
    with pytest.raises(ColloquyError, match="cannot write the export"):
        export_wordpress(site.settings(), tmp_path / "out.xml" / "inside-a-file.xml")
