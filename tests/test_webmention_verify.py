"""Verification (W3C Webmention §3.2.2) against a real source site on loopback."""

from __future__ import annotations

import json

import pytest
from intake_support import SECRET, FakeSite, running_app
from webmention_support import Answer, h_entry, reader_site, send, wait_for_status

from colloquy.store import Store


@pytest.fixture
def fake(tmp_path, monkeypatch):
    monkeypatch.setenv("COLLOQUY_SECRET", SECRET)
    site = FakeSite(tmp_path)
    site.add_comment("first-essay", "20260902-100000-abcdef")
    return site


SETTINGS = dict(COLLOQUY_WEBMENTION_ALLOW_PRIVATE=True, COLLOQUY_WEBMENTION_RETRY_SECONDS=0.05,
                COLLOQUY_WEBMENTION_MAX_ATTEMPTS=2, COLLOQUY_WEBMENTION_TIMEOUT=1,
                COLLOQUY_WEBMENTION_MAX_BYTES=50_000)


@pytest.fixture
def world(fake):
    with running_app(fake.settings(**SETTINGS)) as (base, app), reader_site() as reader:
        yield base, reader, fake


def deliver(base, source, target, moderation=None):
    answer = send(base, source, target)
    assert answer.status_code == 201, answer.text
    return wait_for_status(base, answer.headers["location"], moderation=moderation)


def stored(fake) -> list:
    with Store(fake.root / "var" / "colloquy.sqlite3") as store:
        return store.list(status=None)


def test_a_reply_becomes_a_pending_response(world):
    base, reader, fake = world
    target = f"{base}/essays/first-essay/"
    source = reader.page("/reply", h_entry(target, text="Slow replies <em>are</em> the best."))
    result = deliver(base, source, target)
    assert result["status"] == "verified"
    assert result["kind"] == "response" and result["moderation"] == "pending"
    [row] = stored(fake)
    assert (row.essay, row.kind, row.url, row.source) == ("first-essay", "response", source,
                                                          "webmention")
    assert row.author == "Rosa Quill" and row.website == "https://rosa.example/"
    assert row.body == "Slow replies are the best."
    assert row.reply_to is None and row.email is None and row.ip is None
    assert "me.jpg" not in json.dumps(row.__dict__)  # the photo is never kept
    [(method, path, headers, _)] = reader.requests  # the photo is never fetched either
    assert (method, path) == ("GET", "/reply")
    headers = {k.lower(): v for k, v in headers.items()}
    assert headers["accept"].startswith("text/html") and "Colloquy" in headers["user-agent"]


@pytest.mark.parametrize("kind, expected", [("like-of", "like"), ("repost-of", "repost"),
                                            ("bookmark-of", "repost")])
def test_likes_and_reposts_are_tallies_without_text(world, kind, expected):
    base, reader, fake = world
    target = f"{base}/essays/first-essay/"
    source = reader.page("/t", h_entry(target, kind=kind))
    assert deliver(base, source, target)["kind"] == expected
    [row] = stored(fake)
    assert row.kind == expected and row.body == ""


def test_a_reply_to_one_comment(world):
    base, reader, fake = world
    target = f"{base}/essays/first-essay/#c-20260902-100000-abcdef"
    source = reader.page("/r", h_entry(target))
    assert deliver(base, source, target)["status"] == "verified"
    [row] = stored(fake)
    assert row.kind == "response" and row.reply_to == "20260902-100000-abcdef"


def test_in_reply_to_a_comment_permalink_sent_to_the_essay(world):
    base, reader, fake = world
    permalink = f"{base}/essays/first-essay/#c-20260902-100000-abcdef"
    source = reader.page("/r2", h_entry(permalink))
    deliver(base, source, f"{base}/essays/first-essay/")
    [row] = stored(fake)
    assert row.reply_to == "20260902-100000-abcdef"


def test_a_plain_link_is_a_mention_with_an_author_from_the_page(world):
    base, reader, fake = world
    target = f"{base}/essays/first-essay/"
    page = f"""<html><head><link rel="author" href="/about"></head><body>
      <div class="h-card"><a class="u-url p-name" href="/about">Jun Park</a></div>
      <article class="h-entry"><div class="e-content">I read <a href="{target}">this</a>.</div>
      </article></body></html>"""
    source = reader.page("/m", page)
    assert deliver(base, source, target)["kind"] == "mention"
    [row] = stored(fake)
    assert row.author == "Jun Park" and row.kind == "mention"


def test_a_page_without_microformats_is_a_mention_by_its_host(world):
    base, reader, fake = world
    target = f"{base}/essays/first-essay/"
    source = reader.page("/plain", f'<p>See <a href="{target}">here</a>.</p>')
    assert deliver(base, source, target)["status"] == "verified"
    [row] = stored(fake)
    assert row.kind == "mention" and row.author == "127.0.0.1"


@pytest.mark.parametrize("body, content_type", [
    ("<p>I liked https://HOST/essays/first-essay/ a lot.</p>", "text/html"),
    ('<!-- <a href="https://HOST/essays/first-essay/">x</a> -->', "text/html"),
    ('<code>&lt;a href="https://HOST/essays/first-essay/"&gt;x&lt;/a&gt;</code>', "text/html"),
    ('<a href="https://HOST/essays/second-essay/">another essay</a>', "text/html"),
    ('{"text": "see https://HOST/essays/first-essay/ there"}', "application/json"),
    ("nothing here", "text/plain"),
])
def test_a_source_that_does_not_link_is_refused(world, body, content_type):
    base, reader, fake = world
    host = base.split("//")[1]
    source = reader.page("/nolink", body.replace("HOST", host),
                         headers={"content-type": content_type})
    result = deliver(base, source, f"https://{host}/essays/first-essay/")
    assert result["status"] == "refused"
    assert "does not link" in result["reason"]
    assert stored(fake) == []


@pytest.mark.parametrize("body, content_type", [
    ('<img src="https://HOST/essays/first-essay">', "text/html"),
    ('{"links": [{"href": "https://HOST/essays/first-essay/"}]}', "application/json"),
    ("I answered https://HOST/essays/first-essay/ today.", "text/plain"),
])
def test_links_in_src_json_values_and_plain_text_count(world, body, content_type):
    base, reader, fake = world
    host = base.split("//")[1]
    source = reader.page("/link", body.replace("HOST", host),
                         headers={"content-type": content_type})
    assert deliver(base, source, f"https://{host}/essays/first-essay/")["status"] == "verified"


def test_redirects_are_followed_up_to_five(world):
    base, reader, fake = world
    target = f"{base}/essays/first-essay/"
    reader.page("/final", h_entry(target))
    for hop in range(5):
        nxt = "/final" if hop == 4 else f"/hop{hop + 1}"
        reader.page(f"/hop{hop}", "", status=301, headers={"location": nxt})
    assert deliver(base, reader.url + "/hop0", target)["status"] == "verified"
    for hop in range(6):
        nxt = "/final" if hop == 5 else f"/loop{hop + 1}"
        reader.page(f"/loop{hop}", "", status=302, headers={"location": nxt})
    result = deliver(base, reader.url + "/loop0", target)
    assert result["status"] == "refused" and "more than 5 redirects" in result["reason"]
    for location in ("http://[broken/", "ftp://files.example/x", "http://x.example:port/"):
        reader.page("/odd", "", status=302, headers={"location": location})
        result = deliver(base, reader.url + "/odd", target)
        assert result["status"] == "refused", location
        assert any(words in result["reason"] for words in (
            "malformed", "not a valid URL", "not an http(s) URL")), result


def test_size_and_time_limits(world):
    base, reader, fake = world
    target = f"{base}/essays/first-essay/"
    big = h_entry(target) + "<!--" + "x" * 60_000 + "-->"
    result = deliver(base, reader.page("/big", big), target)
    assert result["status"] == "refused" and "larger than 50 kB" in result["reason"]
    reader.pages["/slow"] = Answer(200, h_entry(target), delay=1.5)
    result = deliver(base, reader.url + "/slow", target)
    assert result["status"] == "refused"
    assert "gave up after 2 tries" in result["reason"]
    assert "longer than 1 seconds" in result["reason"]


def test_a_404_is_tried_again_and_never_deletes(world):
    base, reader, fake = world
    target = f"{base}/essays/first-essay/"
    source = reader.page("/later", h_entry(target))
    deliver(base, source, target)
    reader.page("/later", "gone for now", status=404)
    result = deliver(base, source, target)
    assert result["status"] == "refused" and "answered 404" in result["reason"]
    assert len(stored(fake)) == 1


def test_410_and_no_longer_linking_delete_a_pending_response(world):
    base, reader, fake = world
    target = f"{base}/essays/first-essay/"
    source = reader.page("/gone", h_entry(target))
    deliver(base, source, target)
    assert len(stored(fake)) == 1
    reader.page("/gone", "deleted", status=410)
    assert deliver(base, source, target)["status"] == "deleted"
    assert stored(fake) == []
    reader.page("/gone", h_entry(target))
    deliver(base, source, target)
    reader.page("/gone", "<p>I changed my mind.</p>")
    result = deliver(base, source, target)
    assert result["status"] == "deleted" and "does not link" in result["reason"]
    assert stored(fake) == []


def test_an_edit_replaces_the_pending_text_and_keeps_the_id(world):
    base, reader, fake = world
    target = f"{base}/essays/first-essay/"
    source = reader.page("/edit", h_entry(target, text="First draft."))
    deliver(base, source, target)
    [before] = stored(fake)
    reader.page("/edit", h_entry(target, text="Second, better draft."))
    deliver(base, source, target)
    [after] = stored(fake)
    assert after.id == before.id and after.body == "Second, better draft."


def test_private_addresses_are_refused_unless_allowed(fake):
    with running_app(fake.settings()) as (base, _), reader_site() as reader:
        target = f"{base}/essays/first-essay/"
        for source in (reader.page("/p", h_entry(target)),
                       reader.url.replace("127.0.0.1", "localhost") + "/p"):
            result = deliver(base, source, target)
            assert result["status"] == "refused"
            assert "private, loopback or link-local" in result["reason"]
        assert reader.requests == []  # never even asked


def test_the_queue_survives_a_restart(fake):
    """Queued while no worker runs; verified by the next server."""
    settings = fake.settings(**SETTINGS)
    with reader_site() as reader:
        with running_app(settings) as (base, app):
            target = f"{base}/essays/first-essay/"
            reader.pages["/s"] = Answer(200, h_entry(target), delay=5)
            answer = send(base, reader.url + "/s", target)
            token = answer.headers["location"].rsplit("/", 1)[1]
        reader.pages["/s"] = Answer(200, h_entry(target))
        with running_app(settings) as (base2, _):
            result = wait_for_status(base2, f"{base2}/intake/webmention/status/{token}")
        assert result["status"] == "verified"


def test_tallies_may_be_published_without_moderation(fake):
    with running_app(fake.settings(**SETTINGS, COLLOQUY_WEBMENTION_PUBLISH_TALLIES=True)) as \
            (base, _), reader_site() as reader:
        target = f"{base}/essays/first-essay/"
        like = deliver(base, reader.page("/like", h_entry(target, kind="like-of")), target,
                       moderation="approved")
        reply = deliver(base, reader.page("/reply", h_entry(target)), target)
    assert (like["kind"], like["moderation"]) == ("like", "approved")
    assert reply["moderation"] == "pending"
    written = fake.content / "comments" / "first-essay" / f"{like['comment']}.md"
    assert "kind: like" in written.read_text(encoding="utf-8")
