"""/moderation/ over real HTTP: login, sessions, CSRF, approve and reject, the private feed."""

from __future__ import annotations

import io
import sys
from datetime import datetime, timezone

import feedparser
import httpx
import pytest

from colloquy.cli import main
from colloquy.comments import Comment
from colloquy.store import Store, default_store_path
from intake_support import FakeSite
from notify_support import (ESSAY, PARENT, app_at, free_port, mail_settings, page,
                            site_with_a_comment)

PASSWORD = "a long moderator password"


@pytest.fixture
def fake(tmp_path, monkeypatch) -> FakeSite:
    return site_with_a_comment(tmp_path, monkeypatch)


def set_password(fake, monkeypatch, password=PASSWORD, **settings) -> int:
    conf = fake.settings_file(**settings)
    monkeypatch.setattr(sys, "stdin", io.StringIO(password + "\n"))
    return main(["--settings", str(conf), "moderator", "set-password", "--stdin"])


def pending(fake, n=3, body="Pending **number** {n}. <script>alert(1)</script>") -> list[str]:
    with Store(default_store_path(fake.settings())) as store:
        for i in range(n):
            store.add_pending(Comment(id=f"c{i}", essay=ESSAY, author=f"Reader {i}",
                                      date=datetime(2026, 9, 3, 10, i, tzinfo=timezone.utc),
                                      body=body.format(n=i), reply_to=PARENT if i == 0 else None),
                              email=f"r{i}@readers.example")
    return [f"c{i}" for i in range(n)]


def log_in(client: httpx.Client, base: str, password: str = PASSWORD) -> httpx.Response:
    form = page(client.get(f"{base}/moderation/login"))
    csrf = form.xpath("//input[@name='csrf']/@value")[0]
    return client.post(f"{base}/moderation/login", data={"csrf": csrf, "password": password})


def statuses(fake) -> dict[str, str]:
    with Store(default_store_path(fake.settings())) as store:
        return {row.id: row.status for row in store.list(None)}


def test_log_in_list_and_approve_or_reject_one_or_many(fake, monkeypatch):
    assert set_password(fake, monkeypatch) == 0
    ids = pending(fake)
    with app_at(fake.settings()) as (base, _), httpx.Client() as client:
        assert client.get(f"{base}/moderation/").headers["location"] == "/moderation/login"
        answer = log_in(client, base)
        assert answer.status_code == 303
        cookie = answer.headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=strict" in cookie and "secure" not in cookie
        assert "path=/moderation" in cookie

        listing = client.get(f"{base}/moderation/")
        assert listing.headers["x-frame-options"] == "DENY"
        tree = page(listing)
        items = tree.xpath("//article[@class='item']")
        assert [i.get("id") for i in items] == [f"c-{i}" for i in ids]
        first = items[0]
        assert first.xpath("string(.//div[@class='parent'])").strip().endswith("A reply.")
        assert first.xpath(".//div[@class='body']//strong/text()") == ["number"]
        assert not tree.xpath("//script") and "r0@readers.example" in first.text_content()
        csrf = tree.xpath("//form[@action='/moderation/']//input[@name='csrf']/@value")[0]

        # Without the CSRF token nothing happens.
        refused = client.post(f"{base}/moderation/", data={"act": "approve:c0"})
        assert refused.status_code == 403 and statuses(fake)["c0"] == "pending"

        one = client.post(f"{base}/moderation/", data={"csrf": csrf, "act": "reject:c0"})
        assert one.status_code == 303 and statuses(fake)["c0"] == "rejected"
        many = client.post(f"{base}/moderation/", data={"csrf": csrf, "act": "approve",
                                                        "id": ["c1", "c2"]})
        landed = client.get(base + many.headers["location"])
        assert page(landed).get_element_by_id("notice").text_content() == \
            "Approved 2 comment(s)."
        assert page(landed).xpath("//p[@id='nothing-pending']")
        recent = page(landed).xpath("//article/@id")
        assert sorted(recent) == ["c-c1", "c-c2"]
    assert statuses(fake) == {"c0": "rejected", "c1": "approved", "c2": "approved"}
    assert sorted(p.name for p in (fake.content / "comments" / ESSAY).iterdir()) == \
        sorted([f"{PARENT}.md", "c1.md", "c2.md"])


def test_wrong_passwords_are_refused_then_rate_limited(fake, monkeypatch):
    assert set_password(fake, monkeypatch) == 0
    with app_at(fake.settings()) as (base, _), httpx.Client() as client:
        for _ in range(5):
            wrong = log_in(client, base, "not the password")
            assert wrong.status_code == 401 and "set-cookie" not in wrong.headers
            assert "not right" in page(wrong).get_element_by_id("problem").text_content()
        limited = log_in(client, base)  # even the right one, for now
        assert limited.status_code == 429 and int(limited.headers["retry-after"]) > 0
        assert client.get(f"{base}/moderation/").status_code == 303
        no_csrf = client.post(f"{base}/moderation/login", data={"password": PASSWORD})
        assert no_csrf.status_code in (403, 429)


def test_login_without_csrf_token_or_password_set(fake, monkeypatch):
    with app_at(fake.settings()) as (base, _), httpx.Client() as client:
        unset = client.get(f"{base}/moderation/login")
        assert "colloquy moderator set-password" in unset.text
        assert not page(unset).xpath("//input[@name='password']")
    assert set_password(fake, monkeypatch, "short") == 2
    assert set_password(fake, monkeypatch) == 0
    with app_at(fake.settings()) as (base, _), httpx.Client() as client:
        refused = client.post(f"{base}/moderation/login", data={"password": PASSWORD})
        assert refused.status_code == 403 and "set-cookie" not in refused.headers


def test_a_new_password_ends_sessions_and_https_cookies_are_secure(fake, monkeypatch):
    assert set_password(fake, monkeypatch) == 0
    settings = fake.settings()
    with app_at(settings) as (base, _), httpx.Client() as client:
        log_in(client, base)
        assert client.get(f"{base}/moderation/").status_code == 200
        assert set_password(fake, monkeypatch, "another long password") == 0
        assert client.get(f"{base}/moderation/").status_code == 303
    with app_at(settings, siteurl="https://essays.example") as (base, _), \
            httpx.Client() as client:
        answer = log_in(client, base, "another long password")
        assert answer.status_code == 303 and "secure" in answer.headers["set-cookie"].lower()


def test_the_private_feed_lists_pending_with_links_and_can_be_revoked(fake, monkeypatch,
                                                                       capsys):
    ids = pending(fake, 2)
    with app_at(fake.settings(**mail_settings(free_port()))) as (base, _):
        conf = fake.settings_file(SITEURL=base)
        assert main(["--settings", str(conf), "moderator", "feed"]) == 0
        url = capsys.readouterr().out.strip()
        assert url.startswith(f"{base}/moderation/feed/") and url.endswith(".atom")
        response = httpx.get(url)
        assert response.headers["content-type"].startswith("application/atom+xml")
        feed = feedparser.parse(response.content)
        assert [e.title for e in feed.entries] == ["Reader 1 on first-essay",
                                                  "Reader 0 on first-essay"]
        content = feed.entries[1].content[0].value
        assert f"{base}/moderation/link/approve/{ids[0]}/" in content
        assert "<script" not in content
        assert httpx.get(url.replace("/feed/", "/feed/x")).status_code == 404
        assert main(["--settings", str(conf), "moderator", "feed", "--revoke"]) == 0
        new = capsys.readouterr().out.strip().splitlines()[-1]
        assert new != url and httpx.get(url).status_code == 404
        assert httpx.get(new).status_code == 200


def test_hostile_names_and_paths_get_escaped_text_or_a_clear_refusal(fake, monkeypatch):
    assert set_password(fake, monkeypatch) == 0
    with Store(default_store_path(fake.settings())) as store:
        store.add_pending(Comment(id="evil", essay=ESSAY, website="javascript:alert(1)",
                                  author='<img src=x onerror="alert(1)">',
                                  body="[x](javascript:alert(2))",
                                  date=datetime(2026, 9, 3, tzinfo=timezone.utc)))
    with app_at(fake.settings()) as (base, _), httpx.Client() as client:
        log_in(client, base)
        listing = client.get(f"{base}/moderation/")
        item = page(listing).get_element_by_id("c-evil")
        assert not item.xpath(".//img") and not item.xpath(".//@onerror")
        assert '<img src=x onerror="alert(1)">' in item.xpath("string(.//h2)")
        assert "javascript:" not in listing.text
        for path in ("link/approve/evil/v1.1.x.y", "link/delete/evil/v1.1.x.y",
                     "link/approve/..%2F..%2Fetc/v1", "link/approve/evil/" + "A" * 5000,
                     "feed/nothing.atom"):
            response = client.get(f"{base}/moderation/{path}")
            assert response.status_code == 404, path
        for path in ("999999999999999999999/confirm/x", "1/unsubscribe/" + "%00" * 10):
            assert client.post(f"{base}/intake/subscriptions/{path}").status_code == 404
