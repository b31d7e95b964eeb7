"""Exports written by an attacker: paths, injected metadata, bombs, escapes, huge bodies."""

from __future__ import annotations

import gzip
import json
import tracemalloc
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from colloquy.importers import ImportFileError, Report
from colloquy.importers.essays import Site
from colloquy.importers.items import EntryFile
from colloquy.importers.plan import Plan
from colloquy.importers.write import apply

from _import_helpers import body, comment_files, header, named, run_import, walking_site


def wxr(items: str, author_name: str = "Mara Ellison") -> bytes:
    """A small WXR 1.2 file as WordPress writes it, around the given <item>s."""
    return f"""<?xml version="1.0" encoding="UTF-8" ?>
<rss version="2.0" xmlns:excerpt="http://wordpress.org/export/1.2/excerpt/"
 xmlns:content="http://purl.org/rss/1.0/modules/content/"
 xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:wp="http://wordpress.org/export/1.2/">
<channel><title>Hill</title><link>https://old.example.org</link>
<wp:wxr_version>1.2</wp:wxr_version>
<wp:author><wp:author_id>1</wp:author_id><wp:author_login><![CDATA[mara]]></wp:author_login>
<wp:author_display_name><![CDATA[{author_name}]]></wp:author_display_name></wp:author>
{items}
</channel></rss>""".encode()


def post(post_id: str, name: str, title: str = "Same Title", comments: str = "") -> str:
    return f"""<item><title><![CDATA[{title}]]></title>
<link>https://old.example.org/{post_id}/</link><dc:creator><![CDATA[mara]]></dc:creator>
<content:encoded><![CDATA[Text of {post_id}.]]></content:encoded>
<wp:post_id><![CDATA[{post_id}]]></wp:post_id>
<wp:post_date_gmt><![CDATA[2019-04-02 08:30:00]]></wp:post_date_gmt>
<wp:post_name><![CDATA[{name}]]></wp:post_name><wp:status><![CDATA[publish]]></wp:status>
<wp:post_type><![CDATA[post]]></wp:post_type>{comments}</item>"""


def comment(comment_id: str, author: str = "Reader", content: str = "A reply.") -> str:
    return f"""<wp:comment><wp:comment_id>{comment_id}</wp:comment_id>
<wp:comment_author><![CDATA[{author}]]></wp:comment_author>
<wp:comment_date_gmt><![CDATA[2019-04-03 08:30:00]]></wp:comment_date_gmt>
<wp:comment_content><![CDATA[{content}]]></wp:comment_content>
<wp:comment_approved><![CDATA[1]]></wp:comment_approved>
<wp:comment_type><![CDATA[comment]]></wp:comment_type>
<wp:comment_parent>0</wp:comment_parent></wp:comment>"""


def files_under(root: Path) -> set[Path]:
    return {p.resolve() for p in root.rglob("*") if p.is_file()}


# -- paths ------------------------------------------------------------------------------------


def test_a_post_id_made_of_dot_dots_never_leaves_content(site, tmp_path):
    target = tmp_path / "x"
    evil = "../../../../" + str(target).lstrip("/") + "/pwned"
    export = tmp_path / "export.xml"
    export.write_bytes(wxr(post("1", "same", comments=comment("11"))
                           + post(evil, "same", comments=comment("12"))))
    run_import(site, "wordpress", export)
    assert not target.exists()
    written = files_under(site.root)
    assert all(p.is_relative_to(site.content.resolve()) or "/var/imports/" in str(p)
               for p in written)
    essays = {p.name for p in (site.content / "essays").iterdir()}
    assert "same.md" in essays and len(essays) == 2
    other, = essays - {"same.md"}
    assert other.startswith("same-") and ".." not in other
    assert set(comment_files(site)) == {"same/wordpress-11", f"{other[:-3]}/wordpress-12"}


def test_an_entry_whose_slug_cannot_be_a_file_name_is_skipped_and_named(site):
    walking_site(site)
    report = Report("wordpress", "x")
    entries = [EntryFile(slug=slug, text="Title: x\n\nx\n", source_id=str(n), title="Evil")
               for n, slug in enumerate(("../../evil", "/tmp/evil", "a/b", "..", "", "a\x00b"))]
    apply(Plan(entries=entries), Site(site.settings()), report, dry_run=False)
    assert len(named(report, "its slug cannot be a file name")) == 6
    assert not report.entries_new
    assert sorted(p.name for p in (site.content / "essays").iterdir()) == \
        ["on-walking-slowly.md", "the-price-of-a-like.md"]


NAMES = st.lists(st.sampled_from(["..", ".", "/", "\\", "a", "Z", "_", "-", " ", "%2e",
                                 "%2f", "\x00", "\x1b", "é", "\u202e", "~", ":", "*"]),
                max_size=12).map("".join) | st.text(max_size=20)


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(post_name=NAMES, post_id=NAMES, title=NAMES)
def test_any_post_name_id_or_title_stays_inside_content(tmp_path_factory, post_name, post_id,
                                                       title):
    from conftest import Site as TestSite

    root = tmp_path_factory.mktemp("hostile")
    site = TestSite(root / "site")
    export = root / "export.xml"
    cdata = lambda value: value.replace("]]>", "")  # noqa: E731
    export.write_bytes(wxr(post("7", "first", comments=comment("70"))
                           + post(cdata(post_id) or "8", cdata(post_name), cdata(title) or "t",
                                  comments=comment("80")))
                       .decode().replace("\x00", "").replace("\x1b", "").encode())
    try:
        run_import(site, "wordpress", export)
    except ImportFileError:
        return  # refused with a message: nothing written, nothing to check
    for path in files_under(root / "site"):
        assert path.is_relative_to((root / "site" / "content").resolve()) \
            or path.parent == (root / "site" / "var" / "imports").resolve(), path
    assert {p.name for p in root.iterdir()} == {"site", "export.xml"}


# -- one line per metadata value --------------------------------------------------------------


def test_an_author_name_with_newlines_cannot_add_metadata_or_script(site, tmp_path):
    from pelican.readers import MarkdownReader

    evil = "Mara\nStatus: hidden\nTemplate: evil\n\n<script>alert(1)</script>"
    export = tmp_path / "export.xml"
    export.write_bytes(wxr(post("1", "walk", "Walk\nSave_as: ../x.html"), author_name=evil))
    run_import(site, "wordpress", export)
    path = site.content / "essays" / "walk.md"
    head = header(path.read_text("utf-8"))
    assert set(head) == {"Title", "Date", "Slug", "Category", "Author"}
    assert head["Title"] == "Walk Save_as: ../x.html"
    assert "<script>" not in body(path.read_text("utf-8"))
    content, metadata = MarkdownReader(site.settings()).read(str(path))
    assert "status" not in metadata and "template" not in metadata and "save_as" not in metadata
    assert "<script>" not in content and content == "<p>Text of 1.</p>"


def commento(tmp_path: Path, comments: list[dict], commenters: list[dict]) -> Path:
    path = tmp_path / "commento.json"
    path.write_text(json.dumps({"version": 1, "comments": comments, "commenters": commenters}))
    return path


def commento_comment(hex_id: str, commenter: str, markdown: str, url: str) -> dict:
    return {"commentHex": hex_id, "domain": "old.example.org", "url": url,
            "commenterHex": commenter, "markdown": markdown, "html": "", "parentHex": "root",
            "score": 0, "state": "approved", "creationDate": "2019-04-03T08:30:00.5Z",
            "direction": 0, "deleted": False}


def test_comment_text_follows_the_one_rule(site, tmp_path):
    walking_site(site)
    page = "/2019/04/on-walking-slowly/"
    export = commento(tmp_path, [
        commento_comment("c1", "p1", "Bell\x07 and escape\x1b[2J done\r\nnext", page),
        commento_comment("c2", "p2", "ok", page)], [
        {"commenterHex": "p1", "name": "\u200b\u200b", "link": "undefined"},
        {"commenterHex": "p2", "name": "Ma\u202era", "link": "https://mara.example"}])
    run_import(site, "commento", export)
    files = comment_files(site)
    first = files["on-walking-slowly/commento-c1"]
    assert header(first)["author"] == "Anonymous" and "website" not in header(first)
    assert body(first) == "Bell and escape[2J done\nnext"
    assert header(files["on-walking-slowly/commento-c2"])["author"] == "Mara"


# -- bombs ------------------------------------------------------------------------------------


def test_a_yaml_alias_bomb_is_refused_at_once(site, tmp_path):
    walking_site(site)
    folder = tmp_path / "staticman" / "on-walking-slowly"
    folder.mkdir(parents=True)
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for n in range(1, 10):
        lines.append(f"{chr(97 + n)}: &{chr(97 + n)} " + "[" + ",".join([f"*{chr(96 + n)}"] * 9)
                     + "]")
    lines += ["name: Bomb", "message: boom", "date: *j"]
    bomb = folder / "comment-1.yml"
    bomb.write_text("\n".join(lines) + "\n")
    assert bomb.stat().st_size < 1024
    with pytest.raises(ImportFileError, match=r"comment-1.yml:2: refused: YAML aliases"):
        run_import(site, "staticman", tmp_path / "staticman")
    assert comment_files(site) == {}


def gzip_bomb(path: Path, megabytes: int) -> Path:
    """A gzip file of `megabytes` MB of zeros, made cheaply: one compressed member of
    1 MB repeated (gzip readers read concatenated members as one stream)."""
    member = gzip.compress(b"\0" * 2**20, compresslevel=9)
    path.write_bytes(member * megabytes)
    return path


def test_a_gzip_bomb_is_refused_while_streaming(site, tmp_path):
    walking_site(site)
    bomb = gzip_bomb(tmp_path / "export.json.gz", 10_000)  # ~10 MB that unpacks to 10 GB
    assert 9 * 2**20 < bomb.stat().st_size < 11 * 2**20
    tracemalloc.start()
    try:
        with pytest.raises(ImportFileError, match=r"refused: it unpacks more than 200 times"):
            run_import(site, "commento", bomb)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 40 * 2**20


def test_a_big_gzip_is_refused_at_the_cap(site, tmp_path, monkeypatch):
    from colloquy.importers import inputs

    monkeypatch.setattr(inputs, "MAX_UNPACKED", 3 * 2**20)
    bomb = gzip_bomb(tmp_path / "export.xml.gz", 4)
    with pytest.raises(ImportFileError, match="refused: it unpacks to more than 3 MB"):
        run_import(site, "disqus", bomb)
    broken = tmp_path / "broken.gz"
    broken.write_bytes(gzip.compress(b"<disqus/>")[:-12])
    with pytest.raises(ImportFileError, match="a damaged gzip file"):
        run_import(site, "disqus", broken)


# -- length cap and the terminal --------------------------------------------------------------


def test_bodies_get_the_intake_length_cap_with_a_named_report_line(site, tmp_path):
    export = tmp_path / "export.xml"
    export.write_bytes(wxr(post("1", "walk", comments=comment("11", content="word " * 400)
                                + comment("12"))))
    report = run_import(site, "wordpress", export, COLLOQUY_MAX_BODY_CHARS=500)
    text = body(comment_files(site)["walk/wordpress-11"])
    assert len(text) <= 500 and text.endswith("[…]")
    cut, = named(report, "body longer than COLLOQUY_MAX_BODY_CHARS")
    assert cut.source_id == "11" and cut.thread_title == "Same Title"
    assert "11 (Same Title <https://old.example.org/1/>)" in report.render()


def test_export_text_reaches_the_terminal_escaped(site, tmp_path):
    walking_site(site)
    spoof = "/2019/\u202egnp.exe/\x1b]52;c;cm0gLXJmIH4=\x07"
    export = commento(tmp_path, [commento_comment("c1", "p1", "hi", spoof)], [])
    report = run_import(site, "commento", export)
    rendered = report.render()
    assert "\x1b" not in rendered and "\x07" not in rendered and "\u202e" not in rendered
    assert "\\u202egnp.exe" in rendered
    assert named(report, "its page matches no essay")[0].source_id == "c1"


@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(author=st.text(max_size=40), body_text=st.text(max_size=200),
       website=st.text(max_size=30), source_id=st.text(max_size=20))
def test_any_text_makes_a_valid_comment_file(tmp_path_factory, author, body_text, website,
                                            source_id):
    from datetime import datetime, timezone

    from colloquy.comments import load_comments, redact_addresses
    from colloquy.importers import Item, plan
    from colloquy.text import clean_name

    from conftest import Site as TestSite

    site = TestSite(tmp_path_factory.mktemp("text") / "site")
    walking_site(site)
    report = Report("disqus", "x")
    item = Item(source_id=source_id, essay="on-walking-slowly", author=author, body=body_text,
                website=website, date=datetime(2020, 1, 1, tzinfo=timezone.utc))
    imported = Site(site.settings())
    apply(plan("disqus", [item], imported, report), imported, report, dry_run=False)
    comments, problems = load_comments(site.content / "comments")
    assert [p for p in problems if p.fatal] == []
    assert len(comments) == 1
    # One clean line; addresses (an e-mail for a name) never reach content/.
    expected = " ".join(redact_addresses(clean_name(author) or "Anonymous").split())
    assert comments[0].author == expected


def test_broken_urls_and_lone_surrogates_are_reported_not_raised(site, tmp_path):
    walking_site(site)
    mentions = [{"type": "entry", "wm-id": 1, "wm-property": "mention-of",
                 "wm-target": "http://[broken/on-walking-slowly/", "url": "http://[x",
                 "author": {"name": "\ud800"}, "content": {"text": "hi \udfff there"}},
                {"type": "entry", "wm-id": 2, "wm-property": "in-reply-to",
                 "wm-target": "https://old.example.org/2019/04/on-walking-slowly/",
                 "url": "http://[x", "author": {"name": "Lone \ud800 Surrogate"},
                 "published": "2019-04-03T08:30:00Z", "content": {"text": "Body \udfff."}}]
    export = tmp_path / "mentions.json"
    export.write_text(json.dumps({"type": "feed", "children": mentions, "version": "\ud800"}))
    report = run_import(site, "webmention", export)
    assert named(report, "its target matches no essay")[0].source_id == "1"
    text = comment_files(site)["on-walking-slowly/webmention-2"]
    assert header(text)["author"] == "Lone Surrogate" and body(text) == "Body ."
    json.loads(Path(report.written_to).read_text(encoding="utf-8"))


JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False)
                    | st.text(max_size=12),
                    lambda inner: st.lists(inner, max_size=3)
                    | st.dictionaries(st.text(max_size=8), inner, max_size=3), max_leaves=8)


def entry_of(keys: list[str]):
    """An object with the format's own keys, each holding any JSON at all."""
    return st.fixed_dictionaries({}, optional={key: JSON for key in keys})


@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(comments=st.lists(entry_of(["commentHex", "url", "path", "commenterHex", "markdown",
                                   "html", "parentHex", "state", "creationDate", "deleted"]),
                         max_size=4),
       commenters=st.lists(entry_of(["commenterHex", "name", "link", "email"]), max_size=2),
       mentions=st.lists(entry_of(["wm-id", "wm-property", "wm-target", "url", "author",
                                   "content", "published", "in-reply-to", "wm-private",
                                   "like-of"]), max_size=4))
def test_any_json_in_the_formats_fields_is_imported_or_refused_clearly(
        tmp_path_factory, comments, commenters, mentions):
    from conftest import Site as TestSite

    root = tmp_path_factory.mktemp("json")
    site = walking_site(TestSite(root / "site"))
    (root / "commento.json").write_text(json.dumps(
        {"version": 1, "comments": comments, "commenters": commenters}))
    (root / "mentions.json").write_text(json.dumps({"type": "feed", "children": mentions}))
    for fmt, name in (("commento", "commento.json"), ("webmention", "mentions.json")):
        try:
            run_import(site, fmt, root / name)
        except ImportFileError:
            pass  # a clear message naming the file; anything else fails the test
