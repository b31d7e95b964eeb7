"""The author's mail through a real SMTP server, and its links followed as a person would."""

from __future__ import annotations

import time

import httpx
import lxml.html
import pytest

from colloquy import tokens
from colloquy.store import Store, default_store_path
from intake_support import FakeSite
from notify_support import (AUTHOR, ESSAY, PARENT, app_at, form_of, free_port, links_in,
                            mail_settings, page, parts, post_comment, site_with_a_comment,
                            smtp_server)

HOSTILE = "Look <script>alert(1)</script> **here** [x](javascript:alert(2))"


@pytest.fixture
def fake(tmp_path, monkeypatch) -> FakeSite:
    return site_with_a_comment(tmp_path, monkeypatch)


def status(fake, comment_id) -> str:
    with Store(default_store_path(fake.settings())) as store:
        return store.get(comment_id).status


def test_author_mail_carries_the_comment_its_parent_and_links_that_act_once(fake):
    port = free_port()
    with smtp_server(port) as inbox, app_at(fake.settings(**mail_settings(port))) as (base, _):
        comment_id = post_comment(base, ESSAY, HOSTILE, author="Ada\r\nBcc: x@evil.example",
                                  reply_to=PARENT, email="ada@readers.example")
        [mail] = inbox.wait(AUTHOR)
        assert mail["To"] == AUTHOR and mail["Bcc"] is None
        assert mail["From"].addresses[0].addr_spec == "comments@essays.example"
        assert mail["From"].addresses[0].display_name == "Test site"
        assert mail["Subject"] == "[Test site] 1 new comment waits for you"
        text, html = parts(mail)
        assert "Ada Bcc: x@evil.example on “first-essay”" in text
        assert "in reply to First Reader:" in text and "> A reply." in text
        assert HOSTILE in text  # plain text is shown as written
        tree = lxml.html.fromstring(html)
        assert not tree.xpath("//script") and "javascript:" not in html
        assert tree.xpath("//strong/text()") == ["here"]
        approve, reject = [link for link in links_in(mail) if "/moderation/link/" in link]
        assert approve.startswith(f"{base}/moderation/link/approve/{comment_id}/")
        assert reject.startswith(f"{base}/moderation/link/reject/{comment_id}/")

        # Following the link (GET, as a mail scanner would, twice) changes nothing.
        for _ in range(2):
            shown = httpx.get(approve)
            assert shown.status_code == 200
            assert shown.headers["x-frame-options"] == "DENY"
            assert "frame-ancestors 'none'" in shown.headers["content-security-policy"]
            assert shown.headers["referrer-policy"] == "no-referrer"
        assert status(fake, comment_id) == "pending"
        assert page(shown).xpath("//button/text()") == ["Approve"]
        assert "ada@readers.example" not in shown.text + text  # a link or a mail may leak
        assert "here" in page(shown).xpath("string(//div[@class='body'])")

        # A POST without the page's CSRF token is refused.
        action, hidden = form_of(shown)
        assert action == approve.removeprefix(base)
        refused = httpx.post(approve, data={})
        assert refused.status_code == 403 and status(fake, comment_id) == "pending"
        assert "security token" in page(refused).get_element_by_id("problem").text_content()

        # The button approves.
        done = httpx.post(base + action, data=hidden)
        assert done.status_code == 200
        assert page(done).get_element_by_id("notice").text_content() == "The comment is approved."
        assert status(fake, comment_id) == "approved"
        assert (fake.content / "comments" / ESSAY / f"{comment_id}.md").exists()

        # Used, it is refused with a clear page; so is the other link for the same comment.
        again = httpx.get(approve)
        assert again.status_code == 410
        assert "used already" in page(again).get_element_by_id("problem").text_content()
        other = httpx.get(reject)
        assert other.status_code == 409
        assert "approved already" in page(other).get_element_by_id("problem").text_content()
        assert httpx.post(base + action, data=hidden).status_code == 410


def test_an_expired_or_altered_link_is_refused_and_reject_works(fake, monkeypatch):
    port = free_port()
    with smtp_server(port) as inbox, app_at(fake.settings(**mail_settings(port))) as (base, _):
        first = post_comment(base, ESSAY, "Spam, spam, spam.")
        inbox.wait(AUTHOR)
        second = post_comment(base, ESSAY, "Another one.", author="Bo")
        mails = inbox.wait(AUTHOR, 2)
        links = [link for mail in mails for link in links_in(mail) if "/link/" in link]
        reject_first = next(l for l in links if f"/reject/{first}/" in l)
        approve_second = next(l for l in links if f"/approve/{second}/" in l)

        altered = approve_second.replace(f"/approve/{second}/", f"/approve/{first}/")
        assert httpx.get(altered).status_code == 404
        assert httpx.get(approve_second[:-3] + "AAA").status_code == 404

        real_now = tokens.now
        monkeypatch.setattr(tokens, "now", lambda: real_now() + 8 * 24 * 3600)
        expired = httpx.get(approve_second)
        assert expired.status_code == 410
        assert "expired" in page(expired).get_element_by_id("problem").text_content()
        monkeypatch.setattr(tokens, "now", real_now)

        action, hidden = form_of(httpx.get(reject_first))
        assert httpx.post(base + action, data=hidden).status_code == 200
    assert status(fake, first) == "rejected" and status(fake, second) == "pending"
    assert not (fake.content / "comments" / ESSAY / f"{first}.md").exists()


def test_arrivals_within_the_window_come_in_one_mail(fake):
    port = free_port()
    settings = fake.settings(**mail_settings(port, COLLOQUY_NOTIFY_BATCH_SECONDS=1.5))
    with smtp_server(port) as inbox, app_at(settings) as (base, _):
        ids = [post_comment(base, ESSAY, f"Comment number {n}.", author=f"R{n}")
               for n in range(3)]
        [mail] = inbox.wait(AUTHOR)
        time.sleep(1.5)
        assert len(inbox.to(AUTHOR)) == 1
    assert mail["Subject"] == "[Test site] 3 new comments wait for you"
    text, _ = parts(mail)
    assert all(f"Comment number {n}." in text for n in range(3))
    assert sum(f"/approve/{i}/" in link for link in links_in(mail) for i in ids) == 3


def test_without_an_smtp_host_nothing_is_mailed_and_nothing_breaks(fake):
    port = free_port()
    settings = fake.settings(**mail_settings(port, COLLOQUY_SMTP_HOST=None))
    with smtp_server(port) as inbox, app_at(settings) as (base, _):
        comment_id = post_comment(base, ESSAY, "Quietly.")
        time.sleep(1.5)
        assert inbox.messages == []
    assert status(fake, comment_id) == "pending"
    with Store(default_store_path(fake.settings())) as store:  # nothing left to pile up
        assert [tuple(r) for r in store.conn.execute("SELECT status, error FROM outbox")] == [
            ("dropped", "COLLOQUY_SMTP_HOST is not set")]


@pytest.mark.parametrize("override, message", [
    ({"COLLOQUY_SMTP_TLS": "ssl"}, "COLLOQUY_SMTP_TLS"),
    ({"COLLOQUY_NOTIFY_EMAIL": None}, "COLLOQUY_NOTIFY_EMAIL"),
    ({"COLLOQUY_SMTP_PASSWORD": "hunter2"}, "server's environment"),
    ({"COLLOQUY_SMTP_PORT": "587"}, "COLLOQUY_SMTP_PORT"),
])
def test_a_wrong_mail_setting_stops_the_server_naming_it(fake, override, message):
    from colloquy.errors import SettingError
    from colloquy.server import create_app

    with pytest.raises(SettingError, match=message):
        create_app(fake.settings(**mail_settings(25, **override)))


def test_a_response_from_another_site_says_so_with_its_address(fake):
    from datetime import datetime, timezone

    from colloquy import notify
    from colloquy.comments import Comment

    port = free_port()
    with smtp_server(port) as inbox, app_at(fake.settings(**mail_settings(port))) as (base, _):
        with Store(default_store_path(fake.settings())) as store, store.transaction():
            store.insert(Comment(id="webmention-1", essay=ESSAY, author="Bo", kind="response",
                                  url="https://bo.example/reply", body="My answer, on my site.",
                                  date=datetime(2026, 9, 3, tzinfo=timezone.utc),
                                  source="webmention", source_id="1"), None, None, None)
            notify.pending_added(store, "webmention-1")  # what a webmention receiver calls
        [mail] = inbox.wait(AUTHOR)
    text, html = parts(mail)
    assert "a response from their own site: https://bo.example/reply" in text
    assert "https://bo.example/reply" in links_in(mail)


def test_a_verified_webmention_is_mailed_to_the_author(fake):
    from webmention_support import h_entry, reader_site, send, wait_for_status

    port = free_port()
    settings = fake.settings(**mail_settings(port, COLLOQUY_WEBMENTION_ALLOW_PRIVATE=True))
    with smtp_server(port) as inbox, app_at(settings) as (base, _), reader_site() as reader:
        target = f"{base}/essays/{ESSAY}/"
        source = reader.page("/post", h_entry(target, text="A long answer, on my own site."))
        answer = send(base, source, target)
        assert answer.status_code == 201
        assert wait_for_status(base, answer.headers["location"])["status"] == "verified"
        [mail] = inbox.wait(AUTHOR)
    text, _ = parts(mail)
    assert "Rosa Quill" in text and "A long answer, on my own site." in text
    assert f"a response from their own site: {source}" in text
    assert any("/moderation/link/approve/" in link for link in links_in(mail))


def test_a_trusted_sites_webmention_is_listed_as_published(fake):
    from webmention_support import h_entry, reader_site, send, wait_for_status

    port = free_port()
    settings = fake.settings(**mail_settings(port, COLLOQUY_WEBMENTION_ALLOW_PRIVATE=True))
    with smtp_server(port) as inbox, app_at(settings) as (base, _), reader_site() as reader:
        target = f"{base}/essays/{ESSAY}/"
        first = reader.page("/one", h_entry(target, text="The first answer."), named=True)
        answer = send(base, first, target)
        comment_id = wait_for_status(base, answer.headers["location"])["comment"]
        inbox.wait(AUTHOR)
        with Store(default_store_path(fake.settings())) as store:
            from colloquy.moderation import publish
            publish(store, fake.content / "comments", comment_id)
        second = reader.page("/two", h_entry(target, text="Trusted, so at once."), named=True)
        answer = send(base, second, target)
        published = wait_for_status(base, answer.headers["location"], moderation="approved")
        assert published["moderation"] == "approved"
        mail = inbox.wait(AUTHOR, 2)[1]
    text, _ = parts(mail)
    assert mail["Subject"] == "[Test site] 1 new comment published"
    assert "Published without waiting" in text and "/moderation/link/" not in text
