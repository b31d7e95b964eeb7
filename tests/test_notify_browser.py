"""Web moderation in headless Chromium on a 390-px phone, without JavaScript: log in,
approve a comment, see it on the rebuilt essay page."""

from __future__ import annotations

import io
import sys
import time
from datetime import datetime, timezone

import pytest

from colloquy.cli import main
from colloquy.config import load_site_settings
from colloquy.comments import Comment
from colloquy.store import Store, default_store_path
from intake_support import running_app, site_settings_file

pytestmark = pytest.mark.browser
PASSWORD = "correct horse battery staple"


def test_log_in_on_a_phone_approve_and_see_it_on_the_rebuilt_page(site, browser, monkeypatch):
    site.essay("on-listening", title="On Listening")
    conf = site_settings_file(site, COLLOQUY_REBUILD=True)
    assert main(["--settings", str(conf), "build"]) == 0
    monkeypatch.setattr(sys, "stdin", io.StringIO(PASSWORD + "\n"))
    assert main(["--settings", str(conf), "moderator", "set-password", "--stdin"]) == 0
    settings = load_site_settings(str(conf))
    with Store(default_store_path(settings)) as store:
        store.add_pending(Comment(id="20261001-120000-aaaaaa", essay="on-listening",
                                  author="Phone Reader", body="Read on a *small* screen.",
                                  date=datetime(2026, 10, 1, 12, tzinfo=timezone.utc)))

    with running_app(settings) as (base, _):
        context = browser.new_context(viewport={"width": 390, "height": 844},
                                      java_script_enabled=False)
        page = context.new_page()
        page.goto(f"{base}/moderation/")
        assert page.url == f"{base}/moderation/login"

        page.fill("#password", "wrong password, twice wrong")
        with page.expect_response(f"{base}/moderation/login") as answer:
            page.click("button[type=submit]")
        assert answer.value.status == 401
        assert "not right" in page.inner_text("#problem")

        page.fill("#password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(f"{base}/moderation/")
        item = page.locator("#c-20261001-120000-aaaaaa")
        assert item.locator(".body em").inner_text() == "small"
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        box = item.locator("button[value='approve:20261001-120000-aaaaaa']").bounding_box()
        assert box["x"] + box["width"] <= 390 and box["height"] >= 44

        # A form post without its CSRF token is refused, even with the session cookie.
        forged = context.request.post(f"{base}/moderation/",
                                      form={"act": "approve:20261001-120000-aaaaaa"})
        assert forged.status == 403

        item.locator("button[value='approve:20261001-120000-aaaaaa']").click()
        page.wait_for_url(f"{base}/moderation/?done=*")
        assert page.inner_text("#notice") == "Approved 1 comment(s)."
        assert page.locator("#nothing-pending").count() == 1

        deadline = time.monotonic() + 90  # COLLOQUY_REBUILD: the server rebuilds the site
        while True:
            page.goto(f"{base}/essays/on-listening/")
            if page.locator("#c-20261001-120000-aaaaaa").count():
                break
            assert time.monotonic() < deadline, "the approved comment never appeared"
            time.sleep(0.5)
        assert "Read on a small screen." in page.inner_text("#c-20261001-120000-aaaaaa")
        context.close()
