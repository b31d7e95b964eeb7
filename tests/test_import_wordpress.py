"""WordPress WXR: essays and conversations, round trip through a real build."""

from __future__ import annotations

import re
import shutil

import pytest

from colloquy.cli import main
from colloquy.importers import ImportFileError
from colloquy.importers.wordpress import essay_body

from _import_helpers import (FIXTURES, body, comment_files, header, pending_rows, replies_of,
                             run_import, snapshot)

WXR = FIXTURES / "wordpress-1.2.xml"
# Commenters' addresses: none may reach content/. (The author's own address in the essay
# text is the author's to publish, and stays.)
EMAILS = ("jonas@brandt.example", "priya@reader.example", "spam@spam.example",
          "lena@vogt.example", "visitor@guest.example")
IPS = ("203.0.113.7", "198.51.100.2", "2001:db8::7", "192.0.2.44", "203.0.113.50",
       "192.0.2.81", "203.0.113.9")


def test_essays_become_pelican_files_with_metadata(site):
    run_import(site, "wordpress", WXR)
    walking = (site.content / "essays" / "on-walking-slowly.md").read_text(encoding="utf-8")
    head = header(walking)
    assert head["Title"] == "On Walking Slowly"
    assert head["Date"] == "2019-04-02T08:30:00+00:00"
    assert head["Modified"] == "2019-05-01T10:00:00+00:00"
    assert head["Slug"] == "on-walking-slowly"
    assert head["Tags"] == "slowness, maps"
    assert head["Category"] == "Walking"
    assert head["Author"] == "Mara Ellison"
    assert head["Summary"] == "Walking is the oldest way of thinking."
    assert "Status" not in head
    assert "<script>" not in walking and "tracking" not in walking
    assert "[caption" not in walking and '<img src="https://old.example.org' in walking
    draft = header((site.content / "essays" / "half-a-thought.md").read_text(encoding="utf-8"))
    assert draft["Status"] == "draft"
    # A post_name that is URL-encoded UTF-8 becomes the slug Pelican's slugify gives it.
    assert (site.content / "essays" / "stadte-stille.md").exists()
    # Pages become Pelican pages, the author's text verbatim (addresses included).
    about = (site.content / "pages" / "about.md").read_text(encoding="utf-8")
    assert header(about)["Title"] == "About" and header(about)["Slug"] == "about"
    assert "Category" not in header(about)
    assert "git clone git@notes.example.org:hill.git" in about
    assert "mara@old.example.org" in about
    assert not (site.content / "essays" / "about.md").exists()


def test_comments_keep_kinds_structure_and_metadata(site):
    report = run_import(site, "wordpress", WXR)
    files = comment_files(site)
    reply = header(files["on-walking-slowly/wordpress-102"])
    assert reply["reply-to"] == "wordpress-101"
    assert reply["role"] == "author"  # comment_user_id is the post author's id
    assert reply["source"] == "wordpress" and reply["source-id"] == "102"
    assert header(files["on-walking-slowly/wordpress-103"])["reply-to"] == "wordpress-102"
    assert body(files["on-walking-slowly/wordpress-102"]) == \
        "The south one, *in the rain*. Next time north."
    assert body(files["on-walking-slowly/wordpress-101"]).endswith(
        "Did you take the [north path](https://brandt.example/north-path)?")
    pingback = header(files["on-walking-slowly/wordpress-104"])
    assert pingback["kind"] == "mention"
    assert pingback["url"] == "https://slowtravel.example/links-april/"
    assert pingback["author"] == "Slow Travel Weekly » Walking links"
    assert header(files["on-walking-slowly/wordpress-105"])["kind"] == "mention"  # trackback
    assert header(files["stadte-stille/wordpress-202"])["kind"] == "like"  # webmention like
    assert header(files["stadte-stille/wordpress-201"])["website"] == "http://lenavogt.example"
    orphan = header(files["on-walking-slowly/wordpress-109"])
    assert "reply-to" not in orphan and "website" not in orphan  # javascript: URL dropped
    assert "script" not in files["on-walking-slowly/wordpress-109"]
    assert not any(key.endswith(("106", "107", "108")) for key in files)  # spam, trash, pending
    assert report.skipped["spam"] == 1 and report.skipped["in the trash"] == 1
    assert report.skipped["a duplicate of another item in the export"] == 1
    assert report.orphans == 1
    assert report.imported == {"comment": 9, "mention": 2, "like": 1}
    # Comments on pages come along, threads and all.
    assert header(files["about/wordpress-402"])["reply-to"] == "wordpress-401"
    assert header(files["about/wordpress-402"])["role"] == "author"


def test_missing_dates_and_ids_are_settled_with_warnings(site):
    report = run_import(site, "wordpress", WXR)
    files = comment_files(site)
    undated = header(files["on-walking-slowly/wordpress-110"])
    assert undated["date"] == "2019-04-02T08:30:00+00:00"  # the post's date
    assert [r.source_id for r in report.records if r.reason.startswith("no date")] == ["110"]
    no_id = [k for k in files if re.fullmatch(r"on-walking-slowly/wordpress-h[0-9a-f]{12}", k)]
    assert len(no_id) == 1
    # The stable id is the same on another run into a fresh site.
    again = run_import_into_copy(site, report)
    assert no_id[0] in again


def run_import_into_copy(site, _report):
    from conftest import Site

    other = Site(site.root.parent / "other")
    run_import(other, "wordpress", WXR)
    return comment_files(other)


def test_unapproved_go_to_the_pending_queue_with_their_address(site):
    report = run_import(site, "wordpress", WXR)
    rows = pending_rows(site)
    assert [r["id"] for r in rows] == ["wordpress-108"]
    assert rows[0]["email"] == "priya@reader.example" and rows[0]["ip"] == "2001:db8::7"
    assert rows[0]["reply_to"] == "wordpress-101" and rows[0]["essay"] == "on-walking-slowly"
    assert report.pending == 1


def test_no_email_or_ip_address_is_written_into_content(site):
    run_import(site, "wordpress", WXR)
    written = b"".join(snapshot(site.content).values()).decode("utf-8")
    for address in EMAILS + IPS:
        assert address not in written


def test_second_import_adds_nothing(site):
    first = run_import(site, "wordpress", WXR)
    before = snapshot(site.content)
    second = run_import(site, "wordpress", WXR)
    assert snapshot(site.content) == before
    assert second.total_imported == 0 and second.pending == 0
    assert second.already == first.total_imported + first.pending
    assert len(second.entries_kept) == 4 and not second.entries_new
    assert len(pending_rows(site)) == 1


def test_existing_essay_is_never_overwritten(site):
    mine = site.essay("on-walking-slowly", title="My Own Version", body="Hand edited.")
    before = mine.read_bytes()
    report = run_import(site, "wordpress", WXR)
    assert mine.read_bytes() == before
    assert "essays/on-walking-slowly.md" in report.entries_kept
    assert "on-walking-slowly/wordpress-101" in comment_files(site)


def test_dry_run_writes_nothing_but_its_report(site):
    before = snapshot(site.root)
    report = run_import(site, "wordpress", WXR, dry_run=True)
    after = snapshot(site.root)
    written = set(after) - set(before)
    assert len(written) == 1 and re.fullmatch(r"var/imports/wordpress-\d{8}T\d+Z\.json",
                                               written.pop())
    assert {k: v for k, v in after.items() if k in before} == before
    assert report.total_imported == 12 and report.pending == 1
    assert "dry run" in report.render()


def test_round_trip_build_shows_the_same_threading(site):
    from colloquy.checks import check_site

    run_import(site, "wordpress", WXR)
    assert check_site(site.settings()) == []  # every file written is a valid comment file
    site.build()
    doc = site.html("essays/on-walking-slowly/index.html")
    assert replies_of(doc, "wordpress-101") == ["wordpress-102"]
    assert replies_of(doc, "wordpress-102") == ["wordpress-103"]
    top = doc.xpath('//section//ol/li/article[not(ancestor::ol[contains(@class,"replies")])]/@id')
    assert "c-wordpress-109" in top and "c-wordpress-101" in top
    mentions = doc.xpath('//article[contains(@class, "kind-mention")]/@id')
    assert set(mentions) == {"c-wordpress-104", "c-wordpress-105"}
    thread = site.html("essays/on-walking-slowly/threads/wordpress-101/index.html")
    assert thread.xpath('//article[@id="c-wordpress-103"]')
    assert (site.output / "essays" / "stadte-stille" / "index.html").exists()
    # The imported page shows its own conversation, threads and all.
    about = site.html("about/index.html")
    assert replies_of(about, "wordpress-401") == ["wordpress-402"]


def test_page_comments_are_comment_files(site):
    from colloquy.comments import parse_comment

    run_import(site, "wordpress", WXR)
    root = site.content / "comments" / "about"
    parsed = {p.stem: parse_comment(p, "about") for p in sorted(root.glob("*.md"))}
    assert set(parsed) == {"wordpress-401", "wordpress-402"}
    assert parsed["wordpress-402"].reply_to == "wordpress-401"
    assert parsed["wordpress-401"].author == "Visitor"


def test_wxr_1_0_with_https_namespaces(site):
    report = run_import(site, "wordpress", FIXTURES / "wordpress-1.0-https.xml")
    head = header((site.content / "essays" / "letters-and-replies.md").read_text("utf-8"))
    assert head["Title"] == "Letters &amp; Replies"  # titles are HTML to Pelican's themes
    assert head["Category"] == "Letters" and head["Tags"] == "post, paper"
    files = comment_files(site)
    assert header(files["letters-and-replies/wordpress-8"])["reply-to"] == "wordpress-7"
    assert report.total_imported == 2 and not report.warnings


def test_wordpress_com_undeclared_prefixes_are_recovered_with_a_warning(site):
    report = run_import(site, "wordpress", FIXTURES / "wordpress-com-undeclared.xml")
    assert any("without a declaration" in w and "wp" in w for w in report.warnings)
    assert "hosted-thoughts/wordpress-1" in comment_files(site)
    assert "Recovered" not in report.render() and "recovered" in report.render()


def test_essay_body_adds_paragraphs_but_leaves_blocks_alone():
    html = essay_body("One\ntwo\n\n<pre>a\n\nb</pre>\n\n<ul>\n<li>x</li>\n\n<li>y</li>\n</ul>"
                      "\n\nThree <em>it</em><script>bad()</script>")
    assert html.split("\n\n")[0] == "<p>One<br>\ntwo</p>"
    assert "<pre>a\n\nb</pre>" in html
    assert "<ul>\n<li>x</li>\n\n<li>y</li>\n</ul>" in html
    assert html.endswith("<p>Three <em>it</em></p>")


# -- hostile and malformed files ------------------------------------------------------------


def hostile(tmp_path, name: str, data: bytes):
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_entity_bomb_is_refused_clearly(site, tmp_path):
    bomb = hostile(tmp_path, "bomb.xml", b'<?xml version="1.0"?>\n<!DOCTYPE lolz [\n'
                   b'<!ENTITY lol "lol">\n<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;">\n]>\n'
                   b"<rss><channel><title>&lol2;</title></channel></rss>\n")
    with pytest.raises(ImportFileError, match=r"bomb.xml:3: refused: the file declares XML "
                       r"entities \(possible entity-expansion bomb\)"):
        run_import(site, "wordpress", bomb)
    assert not list((site.content / "comments").iterdir())


def test_external_entity_is_refused(site, tmp_path):
    xxe = hostile(tmp_path, "xxe.xml", b'<?xml version="1.0"?>\n<!DOCTYPE r [\n'
                  b'<!ENTITY x SYSTEM "file:///etc/passwd">\n]>\n<rss>&x;</rss>\n')
    with pytest.raises(ImportFileError, match="refused"):
        run_import(site, "wordpress", xxe)


def test_truncated_file_names_the_line_and_writes_nothing(site, tmp_path):
    data = WXR.read_bytes()
    cut = hostile(tmp_path, "cut.xml", data[: len(data) * 2 // 3])
    before = snapshot(site.root)
    with pytest.raises(ImportFileError, match=r"cut.xml:\d+: not well-formed XML .*truncated"):
        run_import(site, "wordpress", cut)
    assert snapshot(site.root) == before


def test_invalid_utf8_names_the_line(site, tmp_path):
    data = WXR.read_bytes().replace(b"I walked the same hill", b"I walked \xff\xfe the hill")
    line = data[: data.index(b"\xff")].count(b"\n") + 1
    bad = hostile(tmp_path, "bad.xml", data)
    with pytest.raises(ImportFileError, match=rf"bad.xml:{line}: invalid UTF-8"):
        run_import(site, "wordpress", bad)


def test_not_a_wordpress_file(site):
    with pytest.raises(ImportFileError, match="not a WordPress export"):
        run_import(site, "wordpress", FIXTURES / "disqus.xml")


def test_cli_prints_the_report_and_errors_without_traceback(site, tmp_path, capsys):
    conf = site.root / "pelicanconf.py"
    conf.write_text('PATH = "content"\nTIMEZONE = "Europe/Berlin"\n'
                    'ARTICLE_PATHS = ["essays"]\nDEFAULT_CATEGORY = "essays"\n')
    shutil.copy(WXR, tmp_path / "export.xml")
    assert main(["--settings", str(conf), "import", "wordpress", str(tmp_path / "export.xml"),
                 "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "would import: 12" in out and "spam" in out
    assert "every item, with its reason: " in out
    broken = hostile(tmp_path, "broken.xml", b"<rss><channel>\n<item>\n")
    assert main(["--settings", str(conf), "import", "wordpress", str(broken)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"colloquy: {broken}:3: not well-formed XML")
    assert "Traceback" not in err


def test_a_folder_of_export_parts_is_one_import(site, tmp_path):
    parts = tmp_path / "parts"
    parts.mkdir()
    shutil.copy(WXR, parts / "site.wordpress.2024-01-15.000.xml")
    shutil.copy(FIXTURES / "wordpress-1.0-https.xml", parts / "site.wordpress.2024-01-15.001.xml")
    report = run_import(site, "wordpress", parts)
    assert len(report.entries_new) == 5 and report.total_imported == 14
    broken = parts / "site.wordpress.2024-01-15.002.xml"
    broken.write_bytes(b"<rss><channel>")
    other = site.root.parent / "other"
    from conftest import Site

    with pytest.raises(ImportFileError, match=r"002.xml:1: not well-formed"):
        run_import(Site(other), "wordpress", parts)
    assert not (other / "content" / "pages").exists()
    assert not list((other / "content" / "essays").iterdir())


def test_essay_text_is_imported_verbatim(site, tmp_path):
    data = WXR.read_bytes().replace(b"Walking is the oldest way of thinking.\n",
                                    b"We left at 10:30:00 with version 1.2.3.4 of the map.\n")
    export = tmp_path / "export.xml"
    export.write_bytes(data)
    run_import(site, "wordpress", export)
    text = (site.content / "essays" / "on-walking-slowly.md").read_text("utf-8")
    assert "10:30:00" in text and "1.2.3.4" in text
    assert "Write to me at mara@old.example.org" in text and "[address removed]" not in text


def test_an_export_without_a_version_is_read_with_a_warning(site):
    """WordPress 2.x wrote WXR in the wp namespace with no <wp:wxr_version>."""
    report = run_import(site, "wordpress", FIXTURES / "wordpress-no-version.xml")
    assert any("no <wp:wxr_version>" in w for w in report.warnings)
    essay = (site.content / "essays" / "cancel_dajie.md").read_text("utf-8")
    assert header(essay)["Slug"] == "cancel_dajie"  # Pelican's slugify keeps underscores
    assert "git clone git@server:gitosis-admin.git" in essay  # the author's text, verbatim
    files = comment_files(site)
    assert header(files["cancel_dajie/wordpress-32"])["reply-to"] == "wordpress-31"
    assert "wen@reader.example" not in files["cancel_dajie/wordpress-31"]
    site.build()
    assert (site.output / "essays" / "cancel_dajie" / "index.html").exists()


def test_an_rss_feed_is_not_a_wordpress_export(site, tmp_path):
    feed = tmp_path / "feed.xml"
    feed.write_bytes(b'<?xml version="1.0"?><rss version="2.0"><channel><title>x</title>'
                     b"<item><title>y</title></item></channel></rss>")
    with pytest.raises(ImportFileError, match="not a WordPress export .an RSS feed"):
        run_import(site, "wordpress", feed)


def test_a_password_protected_post_is_imported_as_a_draft(site, tmp_path):
    data = WXR.read_bytes().replace(
        b"<wp:post_name><![CDATA[on-walking-slowly]]></wp:post_name>",
        b"<wp:post_name><![CDATA[on-walking-slowly]]></wp:post_name>\n"
        b"\t\t<wp:post_password><![CDATA[secret]]></wp:post_password>")
    export = tmp_path / "export.xml"
    export.write_bytes(data)
    report = run_import(site, "wordpress", export)
    head = header((site.content / "essays" / "on-walking-slowly.md").read_text("utf-8"))
    assert head["Status"] == "draft"
    changed, = [r for r in report.records if r.reason.startswith("password-protected")]
    assert changed.source_id == "12" and changed.what == "post"
