"""End to end in headless Chromium: reply from a built page, approve with the CLI, see it.

Drives Debian's chromium (never a downloaded browser) through Playwright.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from colloquy.cli import load_site_settings, main
from colloquy.store import Store, default_store_path
from intake_support import running_app, site_settings_file

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
PARENT = "20260902-100000-abcdef"
XSS_NAME = '<img src=x onerror="window.__xss=1;alert(1)">'
XSS_BODY = "\n\n".join([
    "<script>window.__xss=2;alert(2)</script>",
    '<img id="injected" src=x onerror="window.__xss=3;alert(3)">',
    "[click me](javascript:alert(4))",
    '<svg onload="alert(5)"><a id="injected-link" href="javascript:alert(6)">x</a></svg>',
    '"><iframe src="javascript:alert(7)"></iframe>',
])

pytestmark = pytest.mark.browser


@pytest.fixture
def browser():
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed (scripts/ensure-chromium installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                              args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def assert_nothing_injected(page, dialogs) -> None:
    assert dialogs == []
    assert page.evaluate("window.__xss") is None
    own_script = "script[src$='/theme/js/reply.js']"
    assert page.locator(f"script:not({own_script}), iframe, svg, #injected, #injected-link, "
                        "img[src='x']").count() == 0
    assert page.locator("[onerror], [onload], a[href^='javascript:']").count() == 0


def test_reply_from_the_page_then_approve_and_see_it_nested(site, browser):
    site.essay("on-listening", title="On Listening")
    site.comment("on-listening", PARENT, author="First Reader", body="Where do replies go?")
    conf = site_settings_file(site, COLLOQUY_MIN_FILL_SECONDS=1)
    assert main(["--settings", str(conf), "build"]) == 0
    settings = load_site_settings(str(conf))

    with running_app(settings) as (base, _):
        page = browser.new_page()
        dialogs: list[str] = []
        page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
        page.goto(f"{base}/essays/on-listening/")
        opened = time.monotonic()

        # "Reply to First Reader" leads to the thread page's form, that comment selected.
        page.locator(f"#c-{PARENT} .reply-link a").click()
        page.wait_for_url(f"**/threads/{PARENT}/?reply-to={PARENT}#respond")
        opened = time.monotonic()
        form = page.locator("#respond form.reply-form")
        assert form.locator("select[name=reply_to]").input_value() == PARENT
        assert page.locator("#respond a[href$='/feed.atom.xml']").inner_text() == \
            "Follow this thread (RSS)"
        form.locator("input[name=author]").fill("Second Reader")
        form.locator("textarea[name=body]").fill("They go *here*, under yours.")
        time.sleep(max(0, 1.2 - (time.monotonic() - opened)))  # the minimum fill time
        form.locator("button[type=submit]").click()
        page.wait_for_url(f"**/threads/{PARENT}/?comment=pending.*#comment-notice")
        assert "awaiting moderation" in page.locator("#comment-notice").inner_text()
        assert_nothing_injected(page, dialogs)

        # Hostile text through the top-level form.
        page.goto(f"{base}/essays/on-listening/")
        opened = time.monotonic()
        respond = page.locator("#respond form.reply-form")
        respond.locator("input[name=author]").fill(XSS_NAME)
        respond.locator("input[name=website]").fill('https://x.example/"><svg/onload=alert(8)>')
        respond.locator("textarea[name=body]").fill(XSS_BODY)
        time.sleep(max(0, 1.2 - (time.monotonic() - opened)))
        respond.locator("button[type=submit]").click()
        page.wait_for_url("**/?comment=pending.*#comment-notice")
        assert_nothing_injected(page, dialogs)

        # A refusal page echoes what was typed: escaped, never run.
        page.goto(f"{base}/essays/on-listening/")
        opened = time.monotonic()
        respond = page.locator("#respond form.reply-form")
        respond.locator("input[name=author]").fill(XSS_NAME)
        respond.locator("input[name=website]").fill("javascript:alert(9)")
        respond.locator("textarea[name=body]").fill(XSS_BODY + "\n\n</textarea><script>alert(10)</script>")
        time.sleep(max(0, 1.2 - (time.monotonic() - opened)))
        respond.locator("button[type=submit]").click()
        page.wait_for_load_state()
        assert "must be a web address" in page.locator("#intake-message").inner_text()
        assert page.locator("textarea[name=body]").input_value().endswith("alert(10)</script>")
        assert_nothing_injected(page, dialogs)

        # The author approves both with the CLI, which rebuilds the site.
        with Store(default_store_path(settings)) as store:
            pending = {row.author: row.id for row in store.list("pending")}
        assert set(pending) == {"Second Reader", XSS_NAME}
        assert main(["--settings", str(conf), "approve", "--rebuild", *pending.values()]) == 0

        page.goto(f"{base}/essays/on-listening/")
        reply = page.locator(f"#c-{PARENT} ~ ol.replies #c-{pending['Second Reader']}")
        assert reply.count() == 1
        assert "They go here, under yours." in reply.inner_text()
        hostile = page.locator(f"#c-{pending[XSS_NAME]}")
        assert hostile.count() == 1 and XSS_NAME in hostile.locator(".author").inner_text()
        assert_nothing_injected(page, dialogs)
        page.close()
