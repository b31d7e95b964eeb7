"""Commenters who ask hear back: double opt-in, notices, one-click unsubscribe, erasure."""

from __future__ import annotations

import sqlite3
import time

import httpx
import pytest

from colloquy.cli import main
from colloquy.store import Store, default_store_path
from intake_support import SECRET, FakeSite
from notify_support import (ESSAY, PARENT, app_at, form_of, free_port, links_in,
                            mail_settings, page, parts, post_comment, site_with_a_comment,
                            smtp_server)

ADA = "ada@readers.example"


@pytest.fixture
def fake(tmp_path, monkeypatch) -> FakeSite:
    return site_with_a_comment(tmp_path, monkeypatch)


def approve(conf, *ids) -> None:
    assert main(["--settings", str(conf), "approve", "--no-rebuild", *ids]) == 0


def test_opt_in_end_to_end(fake):
    port = free_port()
    settings = mail_settings(port)
    with smtp_server(port) as inbox, app_at(fake.settings(**settings)) as (base, _):
        conf = fake.settings_file(**settings, SITEURL=base)
        ada = post_comment(base, ESSAY, "I would like to hear back.", email=ADA,
                           notify="yes", reply_to=PARENT)

        # Double opt-in: a confirmation mail, whose link opens a page with a button.
        [confirm_mail] = inbox.wait(ADA)
        assert confirm_mail["Subject"] == "[Test site] Confirm: e-mail me about replies"
        assert confirm_mail["List-Unsubscribe"] is None
        [confirm] = [link for link in links_in(confirm_mail) if "/confirm/" in link]
        shown = httpx.get(confirm)
        assert shown.status_code == 200 and page(shown).xpath("//button/text()") == [
            "Yes, e-mail me about replies"]
        action, hidden = form_of(shown)
        assert page(httpx.post(base + action, data=hidden)).xpath("//h1/text()") == ["Confirmed"]

        # Published: a notice to Ada, with RFC 8058 one-click unsubscribe.
        approve(conf, ada)
        published = inbox.wait(ADA, 2)[1]
        assert published["Subject"] == "[Test site] Your comment on “first-essay” is published"
        assert published["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        unsubscribe = published["List-Unsubscribe"].strip("<>")
        assert unsubscribe.startswith(f"{base}/intake/subscriptions/")
        text, _ = parts(published)
        assert f"Stop these mails: {unsubscribe}" in text

        # A reply to Ada's comment, once approved, is a notice to her.
        bo = post_comment(base, ESSAY, "Replying to **Ada**.", author="Bo", reply_to=ada)
        approve(conf, bo)
        reply = inbox.wait(ADA, 3)[2]
        assert reply["Subject"] == "[Test site] Bo replied to your comment on “first-essay”"
        text, html = parts(reply)
        assert "Replying to **Ada**." in text and "<strong>Ada</strong>" in html
        assert "> I would like to hear back." in text

        # One click (what a mail client does with List-Unsubscribe-Post), then nothing more.
        clicked = httpx.post(unsubscribe, content=b"List-Unsubscribe=One-Click",
                             headers={"content-type": "application/x-www-form-urlencoded"})
        assert clicked.status_code == 200
        cy = post_comment(base, ESSAY, "Another reply to Ada.", author="Cy", reply_to=ada)
        approve(conf, cy)
        time.sleep(2.5)
        assert len(inbox.to(ADA)) == 3
    with sqlite3.connect(default_store_path(fake.settings())) as conn:
        assert conn.execute("SELECT count(*) FROM subscriptions WHERE email IS NOT NULL"
                            ).fetchone()[0] == 0
        assert conn.execute("SELECT status FROM subscriptions").fetchall() == [("ended",)]
    assert not any(ADA in p.read_text() for p in fake.content.rglob("*.md"))


def test_unconfirmed_gets_nothing_but_the_confirmation_and_is_erased(fake):
    port = free_port()
    settings = mail_settings(port)
    with smtp_server(port) as inbox, app_at(fake.settings(**settings)) as (base, _):
        conf = fake.settings_file(**settings, SITEURL=base)
        ada = post_comment(base, ESSAY, "Never confirmed.", email=ADA, notify="on")
        inbox.wait(ADA)
        approve(conf, ada)
        time.sleep(2)
        assert len(inbox.to(ADA)) == 1
        [confirm] = [l for l in links_in(inbox.to(ADA)[0]) if "/confirm/" in l]
        unsubscribe = confirm.replace("/confirm/", "/unsubscribe/")
        assert httpx.get(confirm).status_code == 200  # a GET changes nothing
        assert httpx.get(unsubscribe).status_code == 404  # a key is for one purpose
        time.sleep(1)
        assert len(inbox.to(ADA)) == 1
    with sqlite3.connect(default_store_path(fake.settings())) as conn:
        assert conn.execute("SELECT email, status FROM subscriptions").fetchone() == (
            ADA, "unconfirmed")
    with Store(default_store_path(fake.settings())) as store, store.transaction():
        store.purge(30, time.time() + 8 * 86400)
        row = store.conn.execute("SELECT email, status FROM subscriptions").fetchone()
    assert tuple(row) == (None, "ended")
    with app_at(fake.settings(**settings)) as (base, _):
        # The old link, on the new port: the key still checks out, the address is gone.
        path = confirm.split("/", 3)[3]
        action, hidden = form_of(httpx.get(f"{base}/{path}"))
        gone = httpx.post(base + action, data=hidden)
    assert gone.status_code == 410 and "ended or expired" in gone.text


def test_ticking_the_box_without_an_address_is_a_clear_refusal(fake):
    from colloquy import tokens

    with app_at(fake.settings(**mail_settings(free_port()))) as (base, _):
        response = httpx.post(f"{base}/intake/comments", json={
            "essay": ESSAY, "author": "Ada", "body": "Tell me.", "notify": "yes",
            "token": tokens.issue(SECRET.encode(), ESSAY, issued=time.time() - 10)})
    assert response.status_code == 422
    assert "give your e-mail address" in response.json()["error"]


def test_a_forged_subscription_link_is_refused(fake):
    with app_at(fake.settings(**mail_settings(free_port()))) as (base, _):
        for path in ("1/unsubscribe/AAAAAAAAAAAAAAAAAAAAAAAA", "1/confirm/x", "1/other/x"):
            response = httpx.post(f"{base}/intake/subscriptions/{path}")
            assert response.status_code == 404
            assert "not valid" in page(response).get_element_by_id("problem").text_content()


def test_the_reply_form_offers_the_box_only_when_mail_is_set_up(site):
    site.essay("on-listening")
    site.build(COLLOQUY_SMTP_HOST="smtp.example.net")
    box = site.html("essays/on-listening/index.html").xpath(
        "//form[@class='reply-form']//input[@type='checkbox'][@name='notify']")
    assert len(box) == 1 and box[0].get("value") == "yes"
    label = box[0].getparent()
    assert label.tag == "label" and label.get("for") == box[0].get("id")
    assert label.text_content().strip() == "E-mail me when someone replies"
    site.build()
    assert not site.html("essays/on-listening/index.html").xpath("//input[@name='notify']")


def test_confirming_after_publication_still_brings_the_published_notice(fake):
    port = free_port()
    settings = mail_settings(port)
    with smtp_server(port) as inbox, app_at(fake.settings(**settings)) as (base, _):
        conf = fake.settings_file(**settings, SITEURL=base)
        ada = post_comment(base, ESSAY, "Approved before I confirmed.", email=ADA,
                           notify="yes")
        [confirm] = [l for l in links_in(inbox.wait(ADA)[0]) if "/confirm/" in l]
        approve(conf, ada)
        time.sleep(1.5)
        assert len(inbox.to(ADA)) == 1  # not confirmed yet: nothing
        action, hidden = form_of(httpx.get(confirm))
        assert httpx.post(base + action, data=hidden).status_code == 200
        published = inbox.wait(ADA, 2)[1]
    assert published["Subject"] == "[Test site] Your comment on “first-essay” is published"


def test_a_returning_commenter_is_listed_as_published_and_confirms_only_once(fake):
    port = free_port()
    settings = mail_settings(port, COLLOQUY_AUTO_APPROVE_AFTER=1)
    with smtp_server(port) as inbox, app_at(fake.settings(**settings)) as (base, _):
        conf = fake.settings_file(**settings, SITEURL=base)
        first = post_comment(base, ESSAY, "My first comment here.", email=ADA, notify="yes")
        [confirm] = [l for l in links_in(inbox.wait(ADA)[0]) if "/confirm/" in l]
        action, hidden = form_of(httpx.get(confirm))
        httpx.post(base + action, data=hidden)
        approve(conf, first)
        inbox.wait(ADA, 2)  # published
        author_mails = len(inbox.to("author@essays.example"))

        second = post_comment(base, ESSAY, "Back again, published at once.", email=ADA.upper(),
                              notify="yes")
        published = inbox.wait(ADA, 3)[2]  # no second confirmation: straight to the notice
        assert "is published" in published["Subject"]
        mail = inbox.wait("author@essays.example", author_mails + 1)[-1]
    text, _ = parts(mail)
    assert mail["Subject"] == "[Test site] 1 new comment published"
    assert "Published without waiting (returning commenters, trusted sites):" in text
    assert f"#c-{second}" in text and "/moderation/link/" not in text


def test_imports_tell_nobody_unless_asked(fake):
    from datetime import datetime, timezone

    from colloquy.comments import Comment

    def imported(n):
        return Comment(id=f"wordpress-{n}", essay=ESSAY, author="Old Friend", body="Hello.",
                       date=datetime(2019, 5, 1, tzinfo=timezone.utc), source="wordpress",
                       source_id=str(n))

    with Store(default_store_path(fake.settings())) as store:
        assert store.add_pending(imported(1), email=ADA)
        assert store.add_pending(imported(2), notify_author=True)
        assert not store.add_pending(imported(2), notify_author=True)  # idempotent: once
        rows = [tuple(r) for r in store.conn.execute("SELECT kind, ref FROM outbox")]
    assert rows == [("pending", "wordpress-2")]


def test_one_confirmation_a_week_per_address_confirms_every_comment(fake):
    port = free_port()
    settings = mail_settings(port)
    with smtp_server(port) as inbox, app_at(fake.settings(**settings)) as (base, _):
        conf = fake.settings_file(**settings, SITEURL=base)
        first = post_comment(base, ESSAY, "First, with the box ticked.", email=ADA,
                             notify="yes")
        inbox.wait(ADA)
        second = post_comment(base, ESSAY, "Second, the box ticked again.", email=ADA,
                              notify="yes", reply_to=PARENT)
        time.sleep(1.5)
        [only] = inbox.to(ADA)  # not a second confirmation mail
        [confirm] = [l for l in links_in(only) if "/confirm/" in l]
        action, hidden = form_of(httpx.get(confirm))
        assert httpx.post(base + action, data=hidden).status_code == 200
        approve(conf, first, second)
        notices = inbox.wait(ADA, 3)[1:]
    assert sorted(n["Subject"] for n in notices) == [
        "[Test site] Your comment on “first-essay” is published"] * 2


def test_a_form_sent_again_keeps_the_ticked_box(fake):
    with app_at(fake.settings(**mail_settings(free_port()))) as (base, _):
        refused = httpx.post(f"{base}/intake/comments", data={
            "essay": ESSAY, "author": "Ada", "body": "Tell me.", "email": ADA,
            "notify": "yes", "token": "v1.1.x.y"})
        assert refused.status_code == 403
        [box] = page(refused).xpath("//form//input[@name='notify']")
        assert box.get("checked") is not None and box.get("value") == "yes"
        plain = httpx.post(f"{base}/intake/comments", data={
            "essay": ESSAY, "author": "Ada", "body": "Tell me.", "token": "v1.1.x.y"})
        assert not page(plain).xpath("//input[@name='notify']")
