"""POST /webmention: what is refused at once (W3C Webmention §3.2.1), what is queued."""

from __future__ import annotations

from urllib.parse import urlencode

import httpx
import pytest
from intake_support import SECRET, FakeSite, running_app
from webmention_support import h_entry, reader_site, send, wait_for_status


@pytest.fixture
def fake(tmp_path, monkeypatch):
    monkeypatch.setenv("COLLOQUY_SECRET", SECRET)
    site = FakeSite(tmp_path)
    site.add_comment("first-essay", "20260902-100000-abcdef")
    return site


@pytest.fixture
def server(fake):
    with running_app(fake.settings(COLLOQUY_WEBMENTION_ALLOW_PRIVATE=True,
                                   COLLOQUY_WEBMENTION_RETRY_SECONDS=0.1,
                                   COLLOQUY_WEBMENTION_MAX_ATTEMPTS=2)) as (base, app):
        yield base, app


def test_a_valid_webmention_is_answered_201_with_a_status_url(server):
    base, _ = server
    with reader_site() as reader:
        target = f"{base}/essays/first-essay/"
        source = reader.page("/post", h_entry(target))
        answer = send(base, source, target)
        assert answer.status_code == 201
        location = answer.headers["location"]
        assert location.startswith(f"{base}/intake/webmention/status/")
        assert httpx.get(location).status_code == 200
        assert wait_for_status(base, location)["status"] == "verified"


@pytest.mark.parametrize("data, status, words", [
    ({}, 400, "'source' field is missing"),
    ({"source": "https://a.example/p"}, 400, "'target' field is missing"),
    ({"source": "ftp://a.example/p", "target": "{base}/essays/first-essay/"}, 400,
     "must be an http"),
    ({"source": "not a url", "target": "{base}/essays/first-essay/"}, 400, "must be an http"),
    ({"source": "https://a.example/p", "target": "javascript:alert(1)"}, 400, "must be an http"),
    ({"source": "https://[/p", "target": "{base}/essays/first-essay/"}, 400, "must be an http"),
    ({"source": "https://a.example:port/p", "target": "{base}/essays/first-essay/"}, 400,
     "must be an http"),
    ({"source": "{base}/essays/first-essay/", "target": "{base}/essays/first-essay"}, 400,
     "the same page"),
    ({"source": "https://a.example/p", "target": "https://elsewhere.example/essays/first-essay/"},
     400, "not on this site"),
    ({"source": "https://a.example/p", "target": "{base}/essays/no-such-essay/"}, 400,
     "no essay 'no-such-essay'"),
    ({"source": "https://a.example/p", "target": "{base}/essays/first-essay/threads/nope/"},
     400, "no thread 'nope'"),
    ({"source": "https://a.example/p", "target": "{base}/essays/first-essay/#c-missing"}, 400,
     "no published comment 'missing'"),
    ({"source": "https://a.example/p", "target": "{base}/theme/css/colloquy.css"}, 400,
     "Not a page that takes responses"),
    ({"source": "https://a.example/p", "target": "{base}/../../etc/passwd"}, 400,
     "Not a page that takes responses"),
])
def test_bad_requests_are_refused_with_a_reason(server, data, status, words):
    base, _ = server
    data = {k: v.format(base=base) for k, v in data.items()}
    answer = httpx.post(f"{base}/intake/webmention", content=urlencode(data),
                        headers={"accept": "application/json",
                                 "content-type": "application/x-www-form-urlencoded"})
    assert answer.status_code == status
    assert words in answer.json()["error"]
    assert "Traceback" not in answer.text


def test_plain_text_refusals_and_other_encodings(server):
    base, _ = server
    answer = httpx.post(f"{base}/webmention", data={"source": "https://a.example/"})
    assert answer.status_code == 400
    assert answer.headers["content-type"].startswith("text/plain")
    assert "'target' field is missing" in answer.text
    json_post = httpx.post(f"{base}/webmention", json={"source": "a", "target": "b"})
    assert json_post.status_code == 415
    huge = httpx.post(f"{base}/webmention", content=b"source=" + b"a" * 20000,
                      headers={"content-type": "application/x-www-form-urlencoded"})
    assert huge.status_code == 413
    assert httpx.get(f"{base}/webmention").status_code == 405


def test_lenient_target_matching(server):
    """http or https, trailing slash, index.html, a fragment that names no comment."""
    base, app = server
    host = base.split("//")[1]
    for target in (f"https://{host}/essays/first-essay", f"{base}/essays/first-essay/index.html",
                   f"{base}/essays/first-essay/#comments",
                   f"{base}/essays/first-essay/threads/20260902-100000-abcdef/",
                   f"{base}/essays/first-essay/#c-20260902-100000-abcdef"):
        answer = send(base, "https://reader.example/post", target)
        assert answer.status_code == 201, (target, answer.text)


def test_the_same_source_again_keeps_its_status_url(server):
    base, _ = server
    first = send(base, "https://reader.example/p", f"{base}/essays/first-essay/")
    host = base.split("//")[1]
    again = send(base, "https://reader.example/p", f"http://{host}/essays/first-essay")
    assert first.headers["location"] == again.headers["location"]


def test_blocklist_and_rate_limits(fake):
    settings = fake.settings(COLLOQUY_WEBMENTION_BLOCKLIST=["spam.example"],
                             COLLOQUY_WEBMENTION_RATE_LIMIT=3,
                             COLLOQUY_WEBMENTION_SOURCE_RATE_LIMIT=2)
    with running_app(settings) as (base, _):
        target = f"{base}/essays/first-essay/"
        blocked = send(base, "https://www.spam.example/p", target)
        assert blocked.status_code == 403
        assert "spam.example" in blocked.json()["error"]
        assert send(base, "https://one.example/a", target).status_code == 201
        assert send(base, "https://one.example/b", target).status_code == 201
        per_host = send(base, "https://one.example/c", target)
        assert per_host.status_code == 429
        assert "one.example" in per_host.json()["error"]
        assert int(per_host.headers["retry-after"]) > 0
        per_address = send(base, "https://two.example/a", target)
        assert per_address.status_code == 429
        assert "your address" in per_address.json()["error"]


def test_unknown_status_url_is_404(server):
    base, _ = server
    assert httpx.get(f"{base}/intake/webmention/status/nope").status_code == 404


def test_served_html_pages_advertise_the_endpoint(server):
    base, _ = server
    page = httpx.get(f"{base}/essays/first-essay/")
    assert page.headers["link"] == '</intake/webmention>; rel="webmention"'
    css = httpx.get(f"{base}/theme/css/colloquy.css")
    assert "link" not in css.headers


@pytest.mark.parametrize("name, value", [("COLLOQUY_WEBMENTION_TIMEOUT", "ten"),
                                         ("COLLOQUY_WEBMENTION_MAX_BYTES", -1),
                                         ("COLLOQUY_WEBMENTION_BLOCKLIST", "spam.example")])
def test_a_malformed_setting_is_named_at_start(fake, name, value):
    from colloquy.errors import SettingError
    from colloquy.server import create_app

    with pytest.raises(SettingError, match=name):
        create_app(fake.settings(**{name: value}))


def test_any_slug_pelican_allows_and_pages_with_conversations(fake):
    from urllib.parse import quote

    fake.add_essay("Über_Lesen")
    about = fake.output / "about" / "index.html"
    about.parent.mkdir(parents=True)
    about.write_text('<form><input type="hidden" name="essay" value="about"></form>')
    plain = fake.output / "colophon" / "index.html"
    plain.parent.mkdir(parents=True)
    plain.write_text("<p>No conversation here.</p>")
    with running_app(fake.settings()) as (base, _):
        assert send(base, "https://r.example/a",
                    f"{base}/essays/{quote('Über_Lesen')}/").status_code == 201
        assert send(base, "https://r.example/b", f"{base}/about/").status_code == 201
        refused = send(base, "https://r.example/c", f"{base}/colophon/")
        assert refused.status_code == 400 and "takes no comments" in refused.json()["error"]
        sneaky = send(base, "https://r.example/d", f"{base}/essays/%2e%2e/")
        assert sneaky.status_code == 400


def test_a_sender_discovers_our_endpoint_and_we_accept_its_send(server):
    """Our discovery against our own served page: the Link header names the endpoint."""
    import asyncio

    from colloquy.webmention import discover, fetch

    base, _ = server

    async def find():
        async with fetch.client() as http:
            return await discover.discover(http, f"{base}/essays/first-essay/",
                                           fetch.Limits(allow_private=True))

    endpoint = asyncio.run(find())
    assert endpoint == f"{base}/intake/webmention"
    answer = httpx.post(endpoint, data={"source": "https://reader.example/post",
                                        "target": f"{base}/essays/first-essay/"})
    assert answer.status_code == 201
