"""webmention.io JF2: responses, mentions and tallies."""

from __future__ import annotations

import pytest

from colloquy.importers import ImportFileError

from _import_helpers import (FIXTURES, body, comment_files, header, run_import, snapshot,
                             walking_site)

EXPORT = FIXTURES / "webmention.jf2.json"


def test_properties_map_to_kinds(site):
    walking_site(site)
    report = run_import(site, "webmention", EXPORT)
    files = comment_files(site)
    kinds = {key: header(text).get("kind") for key, text in files.items()}
    assert kinds == {
        "on-walking-slowly/webmention-1760001": "response",
        "on-walking-slowly/webmention-1760002": "like",
        "on-walking-slowly/webmention-1760003": "repost",
        "on-walking-slowly/webmention-1760007": "response",
        "the-price-of-a-like/webmention-1760004": "repost",   # bookmark-of
        "the-price-of-a-like/webmention-1760005": "mention",
        "the-price-of-a-like/webmention-1760006": "mention",  # a reply without content
    }
    response = files["on-walking-slowly/webmention-1760001"]
    assert header(response)["url"] == "https://sam.example/2024/01/on-slow-walking"
    assert header(response)["date"] == "2024-01-12T14:30:00+00:00"  # -05:00 normalised
    assert "*long*" in body(response)
    assert header(files["on-walking-slowly/webmention-1760002"])["date"] == \
        "2024-01-13T08:00:00+00:00"  # no published date: wm-received
    assert header(files["on-walking-slowly/webmention-1760003"])["author"] == "reposter.example"
    assert body(files["on-walking-slowly/webmention-1760002"]) == ""
    assert report.skipped == {"a private webmention": 1,
                              "an RSVP, not part of a conversation": 1,
                              "its target matches no essay on this site": 1}


def test_reply_to_an_existing_comment_threads_under_it(site):
    walking_site(site)
    site.comment("on-walking-slowly", "wordpress-101", source="wordpress", source_id="101")
    report = run_import(site, "webmention", EXPORT)
    assert header(comment_files(site)["on-walking-slowly/webmention-1760007"])["reply-to"] \
        == "wordpress-101"
    assert report.orphans == 0


def test_idempotent_and_builds(site):
    walking_site(site)
    run_import(site, "webmention", EXPORT)
    before = snapshot(site.content)
    assert run_import(site, "webmention", EXPORT).total_imported == 0
    assert snapshot(site.content) == before
    site.build()
    doc = site.html("essays/on-walking-slowly/index.html")
    assert doc.xpath('//article[@id="c-webmention-1760001" and contains(@class, "kind-response")]')


def test_truncated_json_names_the_line(site, tmp_path):
    cut = tmp_path / "mentions.jf2"
    cut.write_bytes(EXPORT.read_bytes()[:700])
    with pytest.raises(ImportFileError, match=r"mentions.jf2:\d+: not valid JSON .*truncated"):
        run_import(site, "webmention", cut)


def test_old_api_format_is_named(site, tmp_path):
    old = tmp_path / "old.json"
    old.write_text('{"links": []}')
    with pytest.raises(ImportFileError, match="older JSON API"):
        run_import(site, "webmention", old)


def test_deeply_nested_json_is_refused(site, tmp_path):
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100000 + "]" * 100000)
    with pytest.raises(ImportFileError, match="nested too deeply"):
        run_import(site, "webmention", deep)


def test_invalid_utf8_names_the_line(site, tmp_path):
    data = EXPORT.read_bytes().replace(b"Sam Ortiz", b"Sam \xc3\x28rtiz")
    bad = tmp_path / "bad.jf2"
    bad.write_bytes(data)
    line = data[: data.index(b"\xc3\x28")].count(b"\n") + 1
    with pytest.raises(ImportFileError, match=rf"bad.jf2:{line}: invalid UTF-8"):
        run_import(site, "webmention", bad)


def test_content_as_sites_made_before_2018_have_it(site, tmp_path):
    """webmention.io gives sites created before 2018-02-26 `content` with the older
    `content-type` and `value` beside `html`/`text` (helpers/formats.rb)."""
    import json

    walking_site(site)
    entry = {"type": "entry", "author": {"type": "card", "name": "Old Timer", "photo": "",
                                         "url": "https://old.example.net"},
             "url": "https://old.example.net/2017/reply", "published": "2017-06-01T10:00:00+00:00",
             "wm-received": "2017-06-01T10:05:00Z", "wm-id": 99, "wm-protocol": "webmention",
             "wm-source": "https://old.example.net/2017/reply",
             "wm-target": "https://old.example.org/2019/04/on-walking-slowly/",
             "summary": {"content-type": "text/plain", "value": "A summary."},
             "content": {"content-type": "text/plain", "value": "Plain *text* reply.",
                         "text": "Plain *text* reply."},
             "in-reply-to": "https://old.example.org/2019/04/on-walking-slowly/",
             "wm-property": "in-reply-to", "wm-private": False}
    export = tmp_path / "old.jf2.json"
    export.write_text(json.dumps({"type": "feed", "name": "Webmentions", "children": [entry]}))
    run_import(site, "webmention", export)
    text = comment_files(site)["on-walking-slowly/webmention-99"]
    assert header(text)["kind"] == "response" and body(text) == "Plain \\*text\\* reply."
