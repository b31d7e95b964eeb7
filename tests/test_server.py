"""The intake over real HTTP on loopback: uvicorn started here, a real SQLite file."""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from urllib.parse import quote

import httpx
import lxml.html
import pytest

from colloquy import tokens
from colloquy.errors import SettingError
from colloquy.store import Store, default_store_path
from intake_support import REPO, SECRET, FakeSite, free_port, running_app, serve_process

ESSAY = "first-essay"


@pytest.fixture
def fake(tmp_path, monkeypatch) -> FakeSite:
    monkeypatch.setenv("COLLOQUY_SECRET", SECRET)
    monkeypatch.delenv("COLLOQUY_ENV", raising=False)
    return FakeSite(tmp_path / "site")


def token(essay: str = ESSAY, age: float = 10) -> str:
    return tokens.issue(SECRET.encode(), essay, issued=time.time() - age)


def fields(**overrides) -> dict:
    values = {"essay": ESSAY, "author": "Ada", "body": "A considered reply.", "token": token()}
    values.update(overrides)
    return {k: v for k, v in values.items() if v is not None}


def post_json(base: str, headers=None, **overrides) -> httpx.Response:
    # json.dumps escapes what UTF-8 cannot carry (a lone surrogate travels as \\ud800).
    return httpx.post(f"{base}/intake/comments", content=json.dumps(fields(**overrides)),
                      headers={"content-type": "application/json", **(headers or {})})


def post_form(base: str, headers=None, **overrides) -> httpx.Response:
    return httpx.post(f"{base}/intake/comments", data=fields(**overrides), headers=headers)


def stored(fake: FakeSite, **settings):
    with Store(default_store_path(fake.settings(**settings))) as store:
        return {row.id: row for row in store.list(None)}


# -- accepted -----------------------------------------------------------------------------

def test_json_client_gets_202_with_the_pending_id_and_the_row_is_committed(fake):
    with running_app(fake.settings()) as (base, _):
        response = post_json(base, email="ada@example.org", website="https://ada.example")
    assert response.status_code == 202
    data = response.json()
    assert data["status"] == "pending"
    row = stored(fake)[data["id"]]
    assert row.author == "Ada" and row.email == "ada@example.org" and row.ip == "127.0.0.1"
    assert row.status == "pending" and row.website == "https://ada.example"
    assert tokens.PLACEHOLDER not in data["id"]


def test_form_post_lands_back_on_the_page_with_the_pending_notice(fake):
    with running_app(fake.settings()) as (base, _):
        page = f"{base}/essays/{ESSAY}/"
        response = post_form(base, headers={"referer": page, "origin": base})
        assert response.status_code == 303
        location = response.headers["location"]
        assert location.startswith(f"/essays/{ESSAY}/?comment=pending.")
        assert location.endswith("#comment-notice")
        landed = httpx.get(base + location)
        # Anyone can type ?comment=pending; only the signed mark of a real post counts (#14).
        typed = httpx.get(f"{base}/essays/{ESSAY}/?comment=pending")
        forged = httpx.get(base + location.replace("pending.", "published.", 1))
        elsewhere = httpx.get(base + location.replace(ESSAY, "second-essay", 1))
    assert landed.status_code == 200
    notice = lxml.html.fromstring(landed.text).get_element_by_id("comment-notice")
    assert "awaiting moderation" in notice.text_content()
    for page in (typed, forged, elsewhere):
        assert page.status_code == 200
        assert lxml.html.fromstring(page.text).xpath("//*[@id='comment-notice']") == []


def test_served_pages_carry_a_fresh_valid_token_and_are_not_cached(fake):
    with running_app(fake.settings()) as (base, _):
        first = httpx.get(f"{base}/essays/{ESSAY}/")
        second = httpx.get(f"{base}/essays/{ESSAY}/")
        css = httpx.get(f"{base}/theme/css/colloquy.css")
    assert first.headers["cache-control"] == "no-store"
    assert tokens.PLACEHOLDER not in first.text
    value = lxml.html.fromstring(first.text).xpath("//input[@name='token']/@value")[0]
    assert value != lxml.html.fromstring(second.text).xpath("//input[@name='token']/@value")[0]
    tokens.verify(SECRET.encode(), value, ESSAY, 0, 60)  # signed for this essay
    assert "comment-notice" not in first.text
    assert css.status_code == 200 and css.text == "body{}\n"


def test_reply_to_a_published_comment_is_accepted(fake):
    fake.add_comment(ESSAY, "20260902-100000-abcdef")
    with running_app(fake.settings()) as (base, _):
        response = post_json(base, reply_to="20260902-100000-abcdef")
    assert response.status_code == 202
    assert stored(fake)[response.json()["id"]].reply_to == "20260902-100000-abcdef"


def test_a_comment_file_written_while_running_is_seen(fake):
    with running_app(fake.settings()) as (base, _):
        assert post_json(base, reply_to="20260903-100000-abcdef").status_code == 404
        fake.add_comment(ESSAY, "20260903-100000-abcdef")
        assert post_json(base, reply_to="20260903-100000-abcdef").status_code == 202


# -- every guard: a clear 4xx ---------------------------------------------------------------

def test_honeypot_field_is_refused(fake):
    with running_app(fake.settings()) as (base, _):
        response = post_json(base, leave_empty="http://spam.example")
    assert response.status_code == 400
    assert "meant to stay empty" in response.json()["error"]


@pytest.mark.parametrize("make_token, reason", [
    (lambda: None, "did not come from this site"),
    (lambda: tokens.PLACEHOLDER, "did not come from this site"),
    (lambda: "v1.123.abc.notasignature", "another page or another site"),
    (lambda: token("second-essay"), "another page or another site"),
    (lambda: token(age=0), "too quickly"),
    (lambda: token(age=3 * 24 * 3600), "expired"),
    (lambda: tokens.issue(b"another-secret-0123456789", ESSAY, time.time() - 10),
     "another page or another site"),
    # #9: digits of another script, 4,300+ digits, a lone surrogate, non-ASCII signature
    (lambda: "v1.\u0661\u0662\u0663.abc.def", "damaged"),
    (lambda: "v1." + "9" * 5000 + ".abc.def", "damaged"),
    (lambda: "v1.123.abc.\ud800", "damaged"),
    (lambda: "v1.123.abc.sig\u00e9", "damaged"),
])
def test_bad_form_tokens_are_refused(fake, make_token, reason):
    with running_app(fake.settings()) as (base, _):
        response = post_json(base, token=make_token())
    assert response.status_code == 403
    assert reason in response.json()["error"]
    assert stored(fake) == {}


def test_without_a_token_the_reader_confirms_and_keeps_every_word(fake, monkeypatch):
    typed = {"author": "Ada <b>Lovelace</b>", "website": "https://ada.example",
             "email": "ada@example.org", "body": "Line one\n\n</textarea><script>alert(1)</script>"}
    with running_app(fake.settings()) as (base, _):
        response = post_form(base, token=None, **typed)
        assert response.status_code == 403
        page = lxml.html.fromstring(response.text)
        assert page.findtext(".//h1") == "Please confirm your comment"
        form = page.forms[0]
        assert form.fields["author"] == typed["author"]
        assert form.fields["body"] == typed["body"]
        assert form.fields["email"] == typed["email"]
        assert page.xpath("//script") == []  # typed text is escaped, never markup
        # The reader reads it over and sends again (the clock moves on 5 seconds).
        later = time.time() + 5
        monkeypatch.setattr(tokens, "now", lambda: later)
        again = httpx.post(f"{base}/intake/comments", data=dict(form.form_values()))
    assert again.status_code == 303
    [row] = stored(fake).values()
    assert row.body == typed["body"].replace("\r\n", "\n")


def test_per_address_rate_limit(fake):
    with running_app(fake.settings(COLLOQUY_RATE_LIMIT=2, COLLOQUY_RATE_WINDOW=60)) as (base, _):
        statuses = [post_json(base, body=f"Reply number {n}").status_code for n in range(3)]
        refused = post_json(base, body="One more")
    assert statuses == [202, 202, 429]
    assert refused.status_code == 429
    assert "Too many comments from your address" in refused.json()["error"]
    assert 0 < int(refused.headers["retry-after"]) <= 61


def test_rate_limit_behind_a_trusted_proxy_counts_forwarded_addresses(fake):
    settings = fake.settings(COLLOQUY_RATE_LIMIT=1, COLLOQUY_TRUSTED_PROXIES=["127.0.0.1"])
    with running_app(settings) as (base, _):
        a = post_json(base, body="From A", headers={"x-forwarded-for": "203.0.113.7"})
        b = post_json(base, body="From B", headers={"x-forwarded-for": "203.0.113.8"})
        a2 = post_json(base, body="A again", headers={"x-forwarded-for": "203.0.113.7"})
    assert (a.status_code, b.status_code, a2.status_code) == (202, 202, 429)
    assert stored(fake, COLLOQUY_TRUSTED_PROXIES=["127.0.0.1"])[a.json()["id"]].ip == "203.0.113.7"


def test_forwarded_for_from_an_untrusted_peer_is_ignored(fake):
    with running_app(fake.settings(COLLOQUY_RATE_LIMIT=1)) as (base, _):
        a = post_json(base, body="One", headers={"x-forwarded-for": "203.0.113.7"})
        b = post_json(base, body="Two", headers={"x-forwarded-for": "203.0.113.8"})
    assert (a.status_code, b.status_code) == (202, 429)


@pytest.mark.parametrize("overrides, message", [
    ({"body": "see https://a.example https://b.example www.c.example [d](//d.example)"},
     "4 links; at most 3"),
    ({"body": "x" * 10001}, "10,001 characters long; the limit is 10,000"),
    ({"body": "   "}, "comment is empty"),
    ({"author": ""}, "Please give a name"),
    ({"author": "A" * 81}, "81 characters long; the limit is 80"),
    ({"website": "javascript:alert(1)"}, "must be a web address"),
    ({"email": "not an address"}, "does not look right"),
])
def test_field_limits(fake, overrides, message):
    with running_app(fake.settings()) as (base, _):
        response = post_json(base, **overrides)
    assert response.status_code == 422
    assert message in response.json()["error"]


def test_duplicates_are_suppressed(fake):
    with running_app(fake.settings()) as (base, _):
        first = post_json(base, body="Exactly  this.")
        second = post_json(base, body="exactly this.", author="Someone else")
        other_essay = post_json(base, body="Exactly this.", essay="second-essay",
                                token=token("second-essay"))
    assert (first.status_code, second.status_code, other_essay.status_code) == (202, 409, 202)
    assert "already been sent" in second.json()["error"]


@pytest.mark.parametrize("origin, status", [
    ("https://evil.example", 403),
    ("null", 403),
    ("https://essays.example", 202),    # SITEURL's origin
    ("https://www.essays.example", 202),  # COLLOQUY_ALLOWED_ORIGINS
    (None, 202),                         # not a browser: no cross-site risk
])
def test_origin_check(fake, origin, status):
    settings = fake.settings(SITEURL="https://essays.example",
                             COLLOQUY_ALLOWED_ORIGINS=["https://www.essays.example"])
    headers = {"origin": origin} if origin else {}
    with running_app(settings) as (base, _):
        response = post_json(base, headers=headers)
    assert response.status_code == status
    if status == 403:
        assert "sent from another site" in response.json()["error"]


def test_own_origin_and_cross_site_referer(fake):
    with running_app(fake.settings()) as (base, _):
        own = post_json(base, headers={"origin": base}, body="From here.")
        foreign = post_json(base, headers={"referer": "https://evil.example/page"})
    assert own.status_code == 202
    assert foreign.status_code == 403


def test_request_body_size_limit(fake):
    with running_app(fake.settings(COLLOQUY_MAX_REQUEST_BYTES=2048)) as (base, _):
        declared = post_json(base, body="word " * 1000)
        streamed = httpx.post(f"{base}/intake/comments", content=iter([b"a=" + b"x" * 4096]),
                              headers={"content-type": "application/x-www-form-urlencoded",
                                       "accept": "application/json"})
    assert declared.status_code == 413 and "too large" in declared.json()["error"]
    assert streamed.status_code == 413


def test_unknown_essay_and_unknown_parent_are_refused(fake):
    with running_app(fake.settings()) as (base, _):
        essay = post_json(base, essay="no-such-essay", token=token("no-such-essay"))
        bad_slug = post_json(base, essay="../../etc")
        parent = post_json(base, reply_to="20260101-000000-000000")
    assert essay.status_code == 404 and "no essay 'no-such-essay'" in essay.json()["error"]
    assert bad_slug.status_code == 404
    assert parent.status_code == 404 and "replying to" in parent.json()["error"]


def test_unreadable_bodies_get_400_or_415(fake):
    with running_app(fake.settings()) as (base, _):
        broken = httpx.post(f"{base}/intake/comments", content=b"{not json",
                            headers={"content-type": "application/json"})
        listed = httpx.post(f"{base}/intake/comments", json=["a"])
        plain = httpx.post(f"{base}/intake/comments", content=b"hello",
                           headers={"content-type": "text/plain", "accept": "application/json"})
    assert broken.status_code == 400 and "not valid JSON" in broken.json()["error"]
    assert listed.status_code == 400
    assert plain.status_code == 415


def test_form_refusals_are_html_pages_that_keep_the_text(fake):
    with running_app(fake.settings()) as (base, _):
        response = post_form(base, website="javascript:alert(1)",
                             body="<img src=x onerror=alert(1)>")
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("text/html")
    page = lxml.html.fromstring(response.text)
    assert "must be a web address" in page.get_element_by_id("intake-message").text_content()
    assert page.forms[0].fields["body"] == "<img src=x onerror=alert(1)>"
    assert page.xpath("//img") == []


def test_no_stack_trace_reaches_the_client(fake, monkeypatch):
    from colloquy.store import Store as StoreClass

    def explode(self, *args, **kwargs):
        raise RuntimeError("secret internals /etc/passwd")

    monkeypatch.setattr(StoreClass, "intake", explode)
    with running_app(fake.settings()) as (base, _):
        as_json = post_json(base)
        as_form = post_form(base, body="another body")
    for response in (as_json, as_form):
        assert response.status_code == 500
        assert "Traceback" not in response.text and "secret internals" not in response.text
        assert "Something went wrong" in response.text


def test_returning_commenter_is_published_without_waiting(fake):
    with running_app(fake.settings(COLLOQUY_AUTO_APPROVE_AFTER=1)) as (base, app):
        store = app.state.intake.store
        first = post_json(base, email="Ada@Example.org", body="My first comment.")
        assert first.json()["status"] == "pending"
        from colloquy.moderation import publish

        publish(Store(store.path), fake.content / "comments", first.json()["id"])
        second = post_json(base, email="ada@example.org", body="Back again, 1.2.3.4 here.")
        stranger = post_json(base, email="eve@example.org", body="New here.")
    assert second.status_code == 202 and second.json()["status"] == "published"
    assert stranger.json()["status"] == "pending"
    text = (fake.content / "comments" / ESSAY / f"{second.json()['id']}.md").read_text()
    assert "example.org" not in text and "127.0.0.1" not in text and "1.2.3.4" not in text
    rows = stored(fake)
    assert rows[second.json()["id"]].status == "approved" and rows[second.json()["id"]].auto


# -- settings -------------------------------------------------------------------------------

def test_production_needs_a_secret_and_a_siteurl(fake, monkeypatch):
    from colloquy.server import create_app

    monkeypatch.delenv("COLLOQUY_SECRET")
    monkeypatch.setenv("COLLOQUY_ENV", "production")
    with pytest.raises(SettingError, match="COLLOQUY_SECRET is not set"):
        create_app(fake.settings(SITEURL="https://essays.example"))
    monkeypatch.setenv("COLLOQUY_SECRET", SECRET)
    with pytest.raises(SettingError, match="SITEURL must be"):
        create_app(fake.settings())


def test_development_generates_a_private_secret_once(fake, monkeypatch):
    from colloquy.server import create_app

    monkeypatch.delenv("COLLOQUY_SECRET")
    first = create_app(fake.settings()).state.intake
    second = create_app(fake.settings()).state.intake
    path = fake.root / "var" / "colloquy-secret"
    assert first.secret == second.secret and len(first.secret) == 64
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    first.stop(), second.stop()


# -- durability -------------------------------------------------------------------------------

def test_every_acknowledged_comment_survives_sigkill(fake):
    """Kill -9 the server in the middle of a burst; every 202 it sent must be in the store."""
    conf = fake.settings_file(COLLOQUY_RATE_LIMIT=0, COLLOQUY_MIN_FILL_SECONDS=0)
    port = free_port()
    process = serve_process(conf, port)
    acked: list[str] = []
    lock = threading.Lock()
    stop = threading.Event()

    def client(n: int) -> None:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=5) as http:
            i = 0
            while not stop.is_set():
                i += 1
                try:
                    response = http.post("/intake/comments", json=fields(
                        body=f"Client {n} comment {i}", token=token(age=1)))
                except httpx.TransportError:
                    return
                if response.status_code == 202:
                    with lock:
                        acked.append(response.json()["id"])

    threads = [threading.Thread(target=client, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 20
    while len(acked) < 300 and time.monotonic() < deadline:
        time.sleep(0.01)
    os.kill(process.pid, signal.SIGKILL)  # mid-burst: clients are still posting
    process.wait()
    stop.set()
    for thread in threads:
        thread.join()
    assert len(acked) >= 300

    # Restart: the server comes back on the same store and every acknowledged id is there.
    process = serve_process(conf, port)
    try:
        after = httpx.post(f"http://127.0.0.1:{port}/intake/comments",
                           json=fields(body="After the restart", token=token(age=1)))
        assert after.status_code == 202
    finally:
        process.terminate()
        process.wait(timeout=10)
    with Store(default_store_path(fake.settings())) as store:
        ids = store.ids()
        assert store.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    missing = set(acked) - ids
    assert not missing, f"{len(missing)} acknowledged comment(s) lost"


@pytest.mark.parametrize("referer, lands_on", [
    ("/essays/first-essay/threads/20260902-100000-abcdef/", 
     "/essays/first-essay/threads/20260902-100000-abcdef/"),
    ("/essays/first-essay/../..//evil.example/", "/essays/first-essay/"),
    ("https://evil.example/essays/first-essay/", "/essays/first-essay/"),
    ("/essays/second-essay/", "/essays/first-essay/"),
])
def test_form_post_returns_to_its_own_page_only(fake, referer, lands_on):
    with running_app(fake.settings(COLLOQUY_CHECK_ORIGIN=False)) as (base, _):
        absolute = referer if referer.startswith("http") else base + referer
        response = post_form(base, headers={"referer": absolute}, body=f"Via {referer}")
    assert response.status_code == 303
    location = response.headers["location"]
    assert location.split("?")[0] == lands_on and location.endswith("#comment-notice")


def test_head_and_unknown_pages(fake):
    with running_app(fake.settings()) as (base, _):
        head = httpx.head(f"{base}/essays/{ESSAY}/")
        missing = httpx.get(f"{base}/essays/nope/")
        wrong_method = httpx.get(f"{base}/intake/comments")
    assert head.status_code == 200 and head.text == ""
    assert missing.status_code == 404
    assert wrong_method.status_code == 405


def test_every_intake_setting_is_documented():
    from colloquy.settings import SETTINGS

    docs = (REPO / "docs" / "intake.md").read_text(encoding="utf-8")
    names = [s.name for s in SETTINGS]
    mine = [n for n in names[names.index("COLLOQUY_INTAKE_URL"):]
            if not n.startswith("COLLOQUY_WEBMENTION_")]  # those are in docs/webmention.md
    undocumented = [name for name in mine if f"`{name}`" not in docs]
    assert not undocumented, f"add these to the settings table in docs/intake.md: {undocumented}"


@pytest.mark.parametrize("name, value", [
    ("COLLOQUY_RATE_LIMIT", "five"), ("COLLOQUY_MIN_FILL_SECONDS", -1),
    ("COLLOQUY_TRUSTED_PROXIES", "127.0.0.1"), ("COLLOQUY_INTAKE_URL", "https://x.example/"),
])
def test_malformed_settings_are_named_at_start(fake, name, value):
    from colloquy.server import create_app

    with pytest.raises(SettingError, match=name):
        create_app(fake.settings(**{name: value}))


def test_multipart_forms_are_accepted_too(fake):
    with running_app(fake.settings()) as (base, _):
        response = httpx.post(f"{base}/intake/comments", data=fields(body="Multipart words."),
                              files={"attachment": ("a.txt", b"ignored")},
                              headers={"accept": "application/json"})
    assert response.status_code == 202
    assert stored(fake)[response.json()["id"]].body == "Multipart words."


def test_an_essay_with_any_slug_pelican_allows_takes_comments(fake):
    slug = "Über_Café-2"  # SLUGIFY_USE_UNICODE and SLUGIFY_PRESERVE_CASE allow it
    fake.add_essay(slug)
    with running_app(fake.settings()) as (base, _):
        page = httpx.get(f"{base}/essays/{slug}/")
        form_token = lxml.html.fromstring(page.text).xpath("//input[@name='token']/@value")[0]
        assert tokens.verify(SECRET.encode(), form_token, slug, 0, 60) >= 0
        as_json = post_json(base, essay=slug, token=token(slug))
        as_form = post_form(base, essay=slug, token=token(slug), body="Another reply.",
                            headers={"referer": f"{base}/essays/{quote(slug)}/"})
        landed = httpx.get(base + as_form.headers["location"])
        hidden = post_json(base, essay=".git", token=token(".git"))
    assert as_json.status_code == 202
    assert as_form.status_code == 303 and landed.status_code == 200
    assert lxml.html.fromstring(landed.text).get_element_by_id("comment-notice") is not None
    assert hidden.status_code == 404
    assert {row.essay for row in stored(fake).values()} == {slug}


def test_the_sites_own_url_settings_place_essays_pages_and_threads(fake):
    from intake_support import PAGE

    settings = fake.settings(ARTICLE_URL="{slug}.html", ARTICLE_SAVE_AS="{slug}.html",
                             COLLOQUY_CHECK_ORIGIN=False)
    (fake.output / "plain-essay.html").write_text(PAGE.format(slug="plain-essay"))
    (fake.output / "plain-essay" / "threads" / "t-1").mkdir(parents=True)
    (fake.output / "plain-essay" / "threads" / "t-1" / "index.html").write_text(
        PAGE.format(slug="plain-essay"))
    (fake.output / "about").mkdir()
    (fake.output / "about" / "index.html").write_text(PAGE.format(slug="about"))
    (fake.output / "about" / "comments.atom.xml").write_text("<feed/>")  # it has a conversation
    (fake.output / "tags").mkdir()  # a page without one takes no comments
    (fake.output / "tags" / "index.html").write_text(PAGE.format(slug="tags"))
    with running_app(settings) as (base, _):
        for path, essay in (("/plain-essay.html", "plain-essay"),
                            ("/plain-essay/threads/t-1/", "plain-essay"), ("/about/", "about")):
            served = lxml.html.fromstring(httpx.get(base + path).text)
            value = served.xpath("//input[@name='token']/@value")[0]
            assert tokens.verify(SECRET.encode(), value, essay, 0, 60) >= 0
        from_thread = post_form(base, essay="plain-essay", token=token("plain-essay"),
                                headers={"referer": f"{base}/plain-essay/threads/t-1/"})
        on_page = post_form(base, essay="about", token=token("about"), body="On a page.")
        old_layout = post_json(base)  # essays/first-essay/ is not where essays live now
        no_conversation = post_json(base, essay="tags", token=token("tags"))
    assert from_thread.headers["location"].startswith("/plain-essay/threads/t-1/?comment=")
    assert on_page.headers["location"].startswith("/about/?comment=")
    assert old_layout.status_code == 404 and no_conversation.status_code == 404
