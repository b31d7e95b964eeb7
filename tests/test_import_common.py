"""The machinery every importer shares: ids, dates, matching, HTML, structure, report."""

from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest

import colloquy.importers as importers
from colloquy.comments import ID_RE
from colloquy.errors import ColloquyError
from colloquy.importers import Item, Report, Site, apply, inputs, make_id, parse_date, plan
from colloquy.importers.htmlmd import html_to_markdown
from colloquy.importers.xmlsafe import declare_missing_prefixes
from colloquy.markup import render

from _import_helpers import FIXTURES, comment_files, run_import, walking_site

UTC = timezone.utc


# -- ids --------------------------------------------------------------------------------------

@pytest.mark.parametrize("source_id, expected", [
    ("101", "wordpress-101"),
    ("abc-def", "wordpress-abc-def"),
])
def test_safe_ids_are_kept(source_id, expected):
    assert make_id("wordpress", source_id) == expected


@pytest.mark.parametrize("source_id", ["ABC", "a/b", "on-walking-slowly/Random Name", "é", "x" * 200,
                                       "8BD52F50-7F25-11E7", ""])
def test_unsafe_ids_are_made_safe_stable_and_distinct(source_id):
    made = make_id("staticman", source_id)
    assert ID_RE.fullmatch(made) and len(made) <= 80
    assert made == make_id("staticman", source_id)
    assert made != make_id("staticman", source_id + "!")


def test_ids_that_differ_only_in_case_do_not_collide():
    assert make_id("commento", "AbC") != make_id("commento", "abc")


# -- dates ------------------------------------------------------------------------------------

@pytest.mark.parametrize("value, expected", [
    ("2019-04-02T08:30:00Z", datetime(2019, 4, 2, 8, 30, tzinfo=UTC)),
    ("2019-04-02T10:30:00+02:00", datetime(2019, 4, 2, 8, 30, tzinfo=UTC)),
    ("2019-04-02T10:30:00+0200", datetime(2019, 4, 2, 8, 30, tzinfo=UTC)),
    ("2020-03-01T10:00:00.123456Z", datetime(2020, 3, 1, 10, tzinfo=UTC)),
    ("Tue, 02 Apr 2019 08:30:00 +0000", datetime(2019, 4, 2, 8, 30, tzinfo=UTC)),
    (1554193800, datetime(2019, 4, 2, 8, 30, tzinfo=UTC)),
    (1554193800.75, datetime(2019, 4, 2, 8, 30, tzinfo=UTC)),
    ("1554193800000", datetime(2019, 4, 2, 8, 30, tzinfo=UTC)),
    ("2019-04-02 08:30:00", datetime(2019, 4, 2, 8, 30, tzinfo=UTC)),
    ("2014-3-21 15:02", datetime(2014, 3, 21, 15, 2, tzinfo=UTC)),
    ("0000-00-00 00:00:00", None),
    ("", None),
    (None, None),
    ("not a date at all", None),
])
def test_dates_are_normalised_to_utc(value, expected):
    assert parse_date(value) == expected


def test_naive_dates_use_the_given_zone():
    assert parse_date("2019-07-01 10:00:00", ZoneInfo("Europe/Berlin")) == \
        datetime(2019, 7, 1, 8, tzinfo=UTC)


# -- matching essays --------------------------------------------------------------------------

def test_essay_index_matches_urls_paths_slugs_and_titles(site):
    site.essay("on-walking-slowly", title="On Walking Slowly")
    path = site.content / "essays" / "stem-only.md"
    path.write_text("Title: Städte & Stille\nDate: 2019-01-01\n\nbody\n", encoding="utf-8")
    index = Site(site.settings()).essays
    assert index.match("https://old.example.org/2019/04/on-walking-slowly/") == "on-walking-slowly"
    assert index.match("http://x/2019/04/on-walking-slowly/amp/") == "on-walking-slowly"
    assert index.match("/on-walking-slowly.html") == "on-walking-slowly"
    assert index.match("12 https://old.example.org/?p=12", "On Walking Slowly") == \
        "on-walking-slowly"
    assert index.match("Städte & Stille") == "stadte-stille"
    assert index.match("stem-only") == "stadte-stille"
    assert index.match("https://old.example.org/2019/04/") is None
    assert index.match("", None, "/essays/") is None


# -- HTML -> Markdown -------------------------------------------------------------------------

@pytest.mark.parametrize("html, markdown", [
    ("Plain text\nwith a break\n\nand a paragraph",
     "Plain text  \nwith a break\n\nand a paragraph"),
    ('<p>A <a href="https://x.example/a_(b)">link</a> and <b>bold</b>, <i>it</i></p>',
     "A [link](https://x.example/a_%28b%29) and **bold**, *it*"),
    ("<blockquote><p>quoted</p></blockquote><p>reply</p>", "> quoted\n\nreply"),
    ("<p>use <code>a_b*c</code></p>", "use `a_b*c`"),
    ("<pre><code>x = *1*\n\ny</code></pre>", "    x = *1*\n\n    y"),
    ("<ul><li>one</li><li>two</li></ul>", "- one\n- two"),
    ("<ol><li>a</li><li>b<ul><li>c</li></ul></li></ol><p>d</p>", "1. a\n2. b\n    - c\n\nd"),
    ("<p>2 * 3 = 6, snake_case, [brackets]</p>", "2 \\* 3 = 6, snake\\_case, \\[brackets\\]"),
    ("# not a heading\n- not a list\n1. not a list", "\\# not a heading  \n\\- not a list  \n1\\. not a list"),
    ('<script>alert(1)</script><p onclick="x()">ok</p><a href="javascript:alert(1)">js</a>', "ok\n\njs"),
    ('<p><img src="https://i.example/cat.png" alt="a cat"></p>',
     "[image: a cat](https://i.example/cat.png)"),
    ("<div>one</div><div>two</div><h3>three</h3>", "one\n\ntwo\n\nthree"),
    ("1 &lt; 2 &amp;&amp; &lt;b&gt;not bold&lt;/b&gt;", "1 \\< 2 && \\<b>not bold\\</b>"),
    ("&amp;copy; stays literal", "&amp;copy; stays literal"),
])
def test_html_to_markdown(html, markdown):
    assert html_to_markdown(html) == markdown


@pytest.mark.parametrize("html, rendered", [
    ("2 * 3 * 4 and _x_", "<p>2 * 3 * 4 and _x_</p>"),
    ("&lt;script&gt;alert(1)&lt;/script&gt;", "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>"),
    ("# title", "<p># title</p>"),
    ("&amp;copy;", "<p>&amp;copy;</p>"),
    ("1 &lt; 2 &amp;&amp; &lt;b&gt;not bold&lt;/b&gt;", "<p>1 &lt; 2 &amp;&amp; &lt;b&gt;not bold&lt;/b&gt;</p>"),
    ("<p>a<br>b</p>", "<p>a<br>\nb</p>"),
])
def test_converted_text_renders_as_its_author_typed_it(html, rendered):
    assert render(html_to_markdown(html)) == rendered


# -- plan: structure --------------------------------------------------------------------------

def make_item(source_id, parent=None, **kw):
    values = dict(essay="on-walking-slowly", author="A", body="text",
                  date=datetime(2020, 1, int(source_id) % 28 + 1, tzinfo=UTC))
    values.update(kw)
    return Item(source_id=source_id, parent=parent, **values)


def test_reply_cycles_and_cross_essay_parents_become_top_level(site):
    walking_site(site)
    report = Report("isso", "x")
    items = [make_item("1", "2"), make_item("2", "1"), make_item("3"),
             make_item("4", "3", essay="the-price-of-a-like")]
    result = plan("isso", items, Site(site.settings()), report)
    reply_to = {c.id: c.reply_to for c in result.comments}
    assert reply_to["isso-4"] is None
    # 1 -> 2 -> 1 is cut at the oldest of the two (1), which becomes top level.
    assert reply_to["isso-1"] is None and reply_to["isso-2"] == "isso-1"
    assert report.orphans == 2
    assert any("cycle" in r.reason for r in report.records if r.status == "changed")


def test_published_reply_to_pending_parent_climbs_to_a_published_ancestor(site):
    walking_site(site)
    report = Report("isso", "x")
    items = [make_item("1"), make_item("2", "1", pending=True), make_item("3", "2")]
    result = plan("isso", items, Site(site.settings()), report)
    assert {c.id: c.reply_to for c in result.comments} == {"isso-1": None, "isso-3": "isso-1"}
    assert [(c.id, c.reply_to) for c, _, _ in result.pending] == [("isso-2", "isso-1")]


def test_same_id_different_comments_are_both_kept(site):
    walking_site(site)
    report = Report("isso", "x")
    items = [make_item("5", body="first"), make_item("5", body="second")]
    result = plan("isso", items, Site(site.settings()), report)
    assert len(result.comments) == 2 and len({c.id for c in result.comments}) == 2
    assert any("used twice" in r.reason for r in report.records)


def test_tallies_never_thread(site):
    walking_site(site)
    report = Report("webmention", "x")
    items = [make_item("1"), make_item("2", "1", kind="like")]
    result = plan("webmention", items, Site(site.settings()), report)
    assert {c.id: c.reply_to for c in result.comments}["webmention-2"] is None


def test_hand_written_file_with_the_same_id_is_not_clobbered(site):
    walking_site(site)
    mine = site.comment("on-walking-slowly", "isso-1", body="Mine, by hand.")
    report = Report("isso", "x")
    result = plan("isso", [make_item("1")], Site(site.settings()), report)
    assert result.comments[0].id != "isso-1"
    apply(result, Site(site.settings()), report, dry_run=False)
    assert "Mine, by hand." in mine.read_text()


# -- progress and report ----------------------------------------------------------------------

def test_progress_bar_only_on_a_terminal_and_for_large_inputs(site, monkeypatch, capsys):
    monkeypatch.setattr("sys.stderr.isatty", lambda: False, raising=False)
    assert not inputs.wants_progress(size=10**9)
    monkeypatch.setattr("sys.stderr.isatty", lambda: True, raising=False)
    assert inputs.wants_progress(size=10**9)
    assert not inputs.wants_progress(size=10)
    monkeypatch.setattr(inputs, "PROGRESS_MIN_BYTES", 1)
    monkeypatch.setattr(inputs, "PROGRESS_MIN_ITEMS", 1)
    report = run_import(site, "wordpress", FIXTURES / "wordpress-1.2.xml")
    assert report.total_imported == 12


def test_report_lists_counts_reasons_and_warnings():
    report = Report("disqus", "export.xml")
    report.imported.update({"comment": 3, "mention": 1})
    report.skip("spam", source_id="7", thread_title="On Walking", thread_url="https://o/w/")
    report.skip("spam", source_id="8")
    report.skip("deleted", source_id="9")
    report.warn("a warning")
    report.warn("a warning")
    text = report.render()
    assert "imported: 4 (3 comments, 1 mention)" in text
    assert "     2  spam" in text and "     1  deleted" in text
    assert "7 (On Walking <https://o/w/>)" in text
    assert text.count("a warning") == 1


def test_undeclared_prefixes_are_declared_on_the_root():
    raw = b'<?xml version="1.0"?>\n<!-- <wp:x> in a comment -->\n<rss><wp:a>1</wp:a><o:p/></rss>'
    fixed, missing = declare_missing_prefixes(raw)
    assert missing == {"wp", "o"}
    assert b'<rss xmlns:o="urn:colloquy:undeclared:o" xmlns:wp="http://wordpress.org/export/1.2/">' \
        in fixed


def test_unknown_format_is_a_clear_error(site):
    with pytest.raises(ColloquyError, match="unknown import format 'blogger'"):
        run_import(site, "blogger", FIXTURES / "disqus.xml")


def test_dates_fall_back_when_missing(site):
    walking_site(site)
    report = Report("isso", "x")
    item = make_item("1", date=None)
    result = plan("isso", [item], Site(site.settings()), report)
    assert result.comments[0].date == datetime(2019, 4, 2, 8, 30, tzinfo=UTC)  # 10:30 Berlin


def test_every_format_has_a_migration_guide_and_a_help_line():
    from pathlib import Path

    from colloquy.cli import build_parser
    from colloquy.importers.command import HELP

    guide = (Path(__file__).resolve().parents[1] / "docs" / "importing.md").read_text()
    for name in importers.FORMATS:
        assert f"colloquy import {name} " in guide
        assert name in HELP
    assert "import" in build_parser().format_help()


def test_all_formats_into_one_site_check_clean_and_build(site, tmp_path):
    from colloquy.checks import check_site

    from _import_helpers import isso_db

    walking_site(site)
    for fmt, path in [("disqus", FIXTURES / "disqus.xml"), ("isso", isso_db(tmp_path)),
                      ("webmention", FIXTURES / "webmention.jf2.json"),
                      ("staticman", FIXTURES / "staticman"),
                      ("commento", FIXTURES / "commento.json"), ("pcs", FIXTURES / "pcs")]:
        assert run_import(site, fmt, path).total_imported > 0, fmt
    assert check_site(site.settings()) == []
    site.build()
    doc = site.html("essays/on-walking-slowly/index.html")
    assert len(doc.xpath('//article[starts-with(@id, "c-")]')) >= 20


# -- slugs as Pelican gives them --------------------------------------------------------------

def test_threads_land_in_the_folder_named_by_pelicans_own_slug(site, tmp_path):
    import json

    site.essay("cancel_dajie", title="Cancel Dajie")
    site.essay("MixedCase", title="Mixed Case")
    (site.content / "essays" / "panic.md").write_text(
        "Title: Don't Panic\nDate: 2019-01-01 10:00\n\nA towel.\n", encoding="utf-8")
    mentions = [{"type": "entry", "wm-id": n, "wm-property": "mention-of",
                 "wm-target": target, "url": f"https://other.example/{n}",
                 "published": "2019-02-01T10:00:00Z", "author": {"name": "Other"},
                 "content": {"text": "Linked."}}
                for n, target in enumerate(("https://old.example/2011/cancel_dajie/",
                                            "https://old.example/MixedCase/",
                                            "https://old.example/2019/dont-panic/"), 1)]
    export = tmp_path / "mentions.jf2.json"
    export.write_text(json.dumps({"type": "feed", "children": mentions}))
    report = run_import(site, "webmention", export)
    assert report.total_imported == 3
    assert set(comment_files(site)) == {"cancel_dajie/webmention-1", "MixedCase/webmention-2",
                                        "dont-panic/webmention-3"}
    site.build()  # Pelican agrees: these are the folders of its own pages
    for slug in ("cancel_dajie", "MixedCase", "dont-panic"):
        assert (site.output / "essays" / slug / "index.html").exists()


# -- nothing lost ---------------------------------------------------------------------------

def _in_export(fmt: str, path) -> int:
    """How many comment-like items the export holds, counted straight from the file."""
    import json
    import re
    import sqlite3

    if fmt == "wordpress":
        return path.read_text("utf-8").count("<wp:comment>")
    if fmt == "disqus":
        return len(re.findall(r"<post[\s>]", path.read_text("utf-8")))
    if fmt == "commento":
        return len(json.loads(path.read_text("utf-8"))["comments"])
    if fmt == "webmention":
        return len(json.loads(path.read_text("utf-8"))["children"])
    if fmt == "isso":
        return sqlite3.connect(path).execute("SELECT count(*) FROM comments").fetchone()[0]
    return sum(1 for p in path.rglob("*") if p.is_file())  # staticman, pcs: a file each


@pytest.mark.parametrize("fmt, name", [
    ("wordpress", "wordpress-1.2.xml"), ("wordpress", "wordpress-no-version.xml"),
    ("disqus", "disqus.xml"), ("isso", None), ("webmention", "webmention.jf2.json"),
    ("staticman", "staticman"), ("commento", "commento.json"), ("pcs", "pcs")])
def test_every_item_of_an_export_is_accounted_for(site, tmp_path, fmt, name):
    from _import_helpers import isso_db

    walking_site(site)
    path = isso_db(tmp_path) if fmt == "isso" else FIXTURES / name
    first = run_import(site, fmt, path)
    assert first.comments_read == _in_export(fmt, path)
    again = run_import(site, fmt, path)
    assert again.comments_read == first.comments_read and again.total_imported == 0
