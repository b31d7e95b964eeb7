"""End to end in headless Chromium: read, reply and subscribe as a reader does.

Drives Debian's chromium (never a downloaded browser) through Playwright. Pages come from
a real `colloquy serve` on loopback. axe-core is the copy bundled in the
axe-playwright-python package: nothing is downloaded at test time.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest

from colloquy.cli import load_site_settings, main
from colloquy.store import Store, default_store_path
from conftest import REPO, Site
from intake_support import running_app, site_settings_file

ROOT = "20260902-100000-abcdef"
PARENT = "20260902-110000-abcdef"
XSS_NAME = '<img src=x onerror="window.__xss=1;alert(1)">'
XSS_BODY = "\n\n".join([
    "<script>window.__xss=2;alert(2)</script>",
    '<img id="injected" src=x onerror="window.__xss=3;alert(3)">',
    "[click me](javascript:alert(4))",
    '<svg onload="alert(5)"><a id="injected-link" href="javascript:alert(6)">x</a></svg>',
    '"><iframe src="javascript:alert(7)"></iframe>',
])
WIDTHS = (320, 390, 1280)
SCHEMES = ("light", "dark")

pytestmark = pytest.mark.browser


def assert_nothing_injected(page, dialogs) -> None:
    assert dialogs == []
    assert page.evaluate("window.__xss") is None
    assert page.locator("script, iframe, svg, #injected, #injected-link, img[src='x']").count() == 0
    assert page.locator("[onerror], [onload], a[href^='javascript:']").count() == 0


def wait_out_fill_time(opened: float) -> None:
    time.sleep(max(0, 1.2 - (time.monotonic() - opened)))  # COLLOQUY_MIN_FILL_SECONDS = 1


def test_reply_without_javascript_then_approve_and_see_it_nested(site, browser):
    site.essay("on-listening", title="On Listening")
    site.comment("on-listening", ROOT, author="First Reader", body="Where do replies go?")
    site.comment("on-listening", PARENT, author="Jonas Berg", reply_to=ROOT,
                 date="2026-09-02T11:00:00+00:00",
                 body='> Where do replies go?\n\nUnder the comment they "answer", I hope.')
    conf = site_settings_file(site, COLLOQUY_MIN_FILL_SECONDS=1)
    assert main(["--settings", str(conf), "build"]) == 0
    settings = load_site_settings(str(conf))

    with running_app(settings) as (base, _):
        context = browser.new_context(java_script_enabled=False)
        page = context.new_page()
        dialogs: list[str] = []
        page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
        page.goto(f"{base}/essays/on-listening/")

        # "Reply to Jonas Berg" (the second comment, not the first) opens the form bound to
        # it on the thread page, which says in words what it answers. No script runs.
        page.locator(f"#c-{PARENT} .reply-link a").click()
        page.wait_for_url(f"**/threads/{ROOT}/#reply-{PARENT}")
        opened = time.monotonic()
        box = page.locator(f"#reply-{PARENT}")
        assert box.is_visible() and not page.locator(f"#reply-{ROOT}").is_visible()
        assert box.locator(".replying-to").inner_text().startswith("Replying to Jonas Berg’s")
        assert "“answer”, I hope." in box.locator(".replying-to q").inner_text()  # curly, no ">"
        form = box.locator("form.reply-form")
        form.locator("input[name=author]").fill("Second Reader")
        form.locator("textarea[name=body]").fill("They go *here*, under yours.")
        wait_out_fill_time(opened)
        form.locator("button[type=submit]").click()
        page.wait_for_url(f"**/threads/{ROOT}/?comment=pending.*#comment-notice")
        assert "awaiting moderation" in page.locator("#comment-notice").inner_text()
        assert_nothing_injected(page, dialogs)

        # Hostile text through the top-level form.
        page.goto(f"{base}/essays/on-listening/")
        opened = time.monotonic()
        respond = page.locator("#respond form.reply-form")
        respond.locator("input[name=author]").fill(XSS_NAME)
        respond.locator("input[name=website]").fill('https://x.example/"><svg/onload=alert(8)>')
        respond.locator("textarea[name=body]").fill(XSS_BODY)
        wait_out_fill_time(opened)
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
        wait_out_fill_time(opened)
        respond.locator("button[type=submit]").click()
        page.wait_for_load_state()
        assert "must be a web address" in page.locator("#intake-message").inner_text()
        assert page.locator("textarea[name=body]").input_value().endswith("alert(10)</script>")
        assert_nothing_injected(page, dialogs)

        # The reply is stored under Jonas's comment; the author approves both.
        with Store(default_store_path(settings)) as store:
            pending = {row.author: row for row in store.list("pending")}
        assert set(pending) == {"Second Reader", XSS_NAME}
        assert pending["Second Reader"].reply_to == PARENT
        ids = [row.id for row in pending.values()]
        assert main(["--settings", str(conf), "approve", "--rebuild", *ids]) == 0

        page.goto(f"{base}/essays/on-listening/")
        reply = page.locator(f"#c-{PARENT} ~ ol.replies #c-{pending['Second Reader'].id}")
        assert reply.count() == 1
        assert "They go here, under yours." in reply.inner_text()
        hostile = page.locator(f"#c-{pending[XSS_NAME].id}")
        assert hostile.count() == 1 and XSS_NAME in hostile.locator(".author").inner_text()
        assert_nothing_injected(page, dialogs)
        context.close()


# -- every page type, as the demo site builds it -------------------------------------------


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """The repository's demo site, built and served by `colloquy serve`."""
    site = Site(tmp_path_factory.mktemp("demo") / "site")
    shutil.copytree(REPO / "content", site.content, dirs_exist_ok=True)
    # What a phone must also hold: a name, a word and an address with nowhere to break.
    site.comment("the-case-for-slow-replies", "wide", author="W" * 80, date="2026-09-30T10:00:00+00:00",
                 reply_to="20260915-194712-3f9c2e",
                 website="https://example.org/" + "w" * 200, body="x" * 300 + " https://example.org/" + "y" * 300)
    conf = site_settings_file(site)
    assert main(["--settings", str(conf), "build"]) == 0
    with running_app(load_site_settings(str(conf))) as (base, _):
        yield base, site.output


def page_types(output: Path) -> dict[str, str]:
    """One path of each kind of page: the essay with the longest thread, that thread's page
    (with the last comment's reply form open), the lists, the digest, the 404, a feed."""
    threads = sorted(output.glob("essays/*/threads/*/index.html"), key=lambda p: p.stat().st_size)
    thread = threads[-1]
    import lxml.html

    last = lxml.html.fromstring(thread.read_bytes()).cssselect(".reply-here")[-1].get("id")
    weeks = sorted(output.glob("digest/*/index.html"))
    topic = sorted(output.glob("tags/*/index.html"))[0]
    relative = lambda p: "/" + str(p.parent.relative_to(output)) + "/"  # noqa: E731
    return {"home": "/", "essay": relative(thread.parents[2]), "archive": "/archives/",
            "topics": "/tags/", "topic": relative(topic), "thread": relative(thread) + "#" + last,
            "digest": "/digest/", "week": relative(weeks[-1]), "not found": "/no/such/essay/",
            "feed": "/feeds/essays.atom.xml"}


def test_nothing_scrolls_sideways_from_320_px_up(demo, browser):
    base, output = demo
    paths = page_types(output)
    wide = []
    for scheme in SCHEMES:
        for width in WIDTHS:
            context = browser.new_context(viewport={"width": width, "height": 800},
                                          color_scheme=scheme)
            page = context.new_page()
            for kind, path in paths.items():
                page.goto(base + path)
                scroll = page.evaluate("Math.max(document.documentElement.scrollWidth,"
                                       " document.body.scrollWidth)")
                if scroll > width:
                    wide.append((kind, scheme, width, scroll))
            context.close()
    assert wide == []


def test_axe_finds_no_violations_on_any_page_type(demo, browser):
    from axe_playwright_python.sync_playwright import Axe

    base, output = demo
    axe = Axe()
    found = {}
    for scheme in SCHEMES:
        context = browser.new_context(viewport={"width": 390, "height": 844}, color_scheme=scheme)
        page = context.new_page()
        for kind, path in page_types(output).items():
            page.goto(base + path)
            # Chromium's own banner on XSLT pages is not ours to judge.
            results = axe.run(page, context={"exclude": [["xslt-warning-banner"]]})
            violations = results.response["violations"]
            if violations:
                found[(kind, scheme)] = [(v["id"], [n["target"] for n in v["nodes"]][:3])
                                         for v in violations]
        context.close()
    assert found == {}


def test_a_feed_opened_in_a_browser_says_what_it_is_and_how_to_subscribe(demo, browser):
    base, _ = demo
    page = browser.new_page()
    page.goto(f"{base}/feeds/essays.atom.xml")
    assert page.locator("h1").inner_text() == "Slow Replies"
    assert "This is a feed" in page.locator(".feed-about").inner_text()
    assert page.locator("code.feed-address").inner_text().endswith("/feeds/essays.atom.xml")
    assert page.locator(".feed-entries li a").count() >= 5
    # The site's own stylesheet, found beside the feed's.
    assert page.evaluate("getComputedStyle(document.body).fontFamily").startswith("Charter")
    page.close()


def test_an_unknown_address_gets_the_themed_404(demo, browser):
    base, _ = demo
    page = browser.new_page()
    response = page.goto(f"{base}/essays/no-such-essay/threads/x/")
    assert response.status == 404
    assert page.locator("h1").inner_text() == "There is no page here"
    assert page.locator("nav[aria-label=Site] a").count() == 5
    # Its stylesheet and icon load from the site's root, whatever the address.
    assert page.evaluate("getComputedStyle(document.body).fontFamily").startswith("Charter")
    page.close()


def test_every_essay_starts_in_the_top_half_of_a_phone_screen(demo, browser):
    base, output = demo
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    starts = {}
    for essay in sorted(output.glob("essays/*/index.html")):
        page.goto(f"{base}/essays/{essay.parent.name}/")
        starts[essay.parent.name] = page.locator(".essay-body > p").first.bounding_box()["y"]
    assert len(starts) == 7 and max(starts.values()) < 844 / 2, starts
    context.close()
