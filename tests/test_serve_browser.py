"""The served site under its Content-Security-Policy, in headless Chromium: every page
type loads with no policy violation, our own script still runs, and no other site can
frame a page."""

from __future__ import annotations

import pytest

from colloquy.cli import main
from colloquy.config import load_site_settings
from intake_support import SECRET, running_app, site_settings_file

PARENT = "20260902-100000-abcdef"
REPLY = "20260903-100000-bcdefa"

pytestmark = pytest.mark.browser


def test_every_page_type_loads_under_the_policy(site, browser, monkeypatch):
    monkeypatch.setenv("COLLOQUY_SECRET", SECRET)
    site.essay("on-listening", title="On Listening")
    site.comment("on-listening", PARENT, author="First Reader", body="Where do replies go?")
    site.comment("on-listening", REPLY, author="Second", body="Here.", reply_to=PARENT)
    conf = site_settings_file(site)
    assert main(["--settings", str(conf), "build"]) == 0
    with running_app(load_site_settings(str(conf))) as (base, _):
        page = browser.new_page()
        violations: list[str] = []
        page.on("console", lambda m: violations.append(page.url + " " + m.text)
                if "Content Security Policy" in m.text else None)
        page.add_init_script("document.addEventListener('securitypolicyviolation', e => "
                             "console.error('Content Security Policy: ' + e.violatedDirective"
                             " + ' ' + e.blockedURI))")
        thread = f"{base}/essays/on-listening/threads/{PARENT}/#reply-{REPLY}"
        for url in (f"{base}/", f"{base}/essays/on-listening/", thread,
                    f"{base}/feeds/essays.atom.xml", f"{base}/no-such-page/"):
            page.goto(url)
            page.wait_for_load_state("load")
        # The reply box named in the URL is the one shown, with no script.
        page.goto(thread)
        assert page.locator(f"#reply-{REPLY}").is_visible()
        assert page.locator(f"#reply-{REPLY} input[name='reply_to']").input_value() == REPLY
        # The form's confirm page, reached by posting without a token.
        page.goto(f"{base}/essays/on-listening/")
        page.evaluate("document.querySelector('input[name=token]').value = ''")
        page.fill("textarea[name='body']", "Posted without a token.")
        page.fill("input[name='author']", "Ada")
        page.locator("form.reply-form button[type='submit']").first.click()
        page.wait_for_load_state("load")
        assert "Please confirm" in page.locator("h1").first.inner_text()
        # Another site cannot frame a page (frame-ancestors 'none').
        page.set_content(f'<iframe src="{base}/essays/on-listening/"></iframe>')
        page.wait_for_timeout(500)
        page.close()
    # Chromium marks XSLT as deprecated with a banner of its own, inline style and handler
    # included, on every feed it styles: the browser's markup, not the site's.
    ours = [v for v in violations if "frame-ancestors" not in v
            and not (".atom.xml " in v and "inline" in v)]
    assert ours == []
    assert any("frame-ancestors 'none'" in v for v in violations)  # the framing was refused


XSL = """<?xml version="1.0"?>
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
  xmlns:atom="http://www.w3.org/2005/Atom">
  <xsl:template match="/">
    <html><head><title>Feed</title><link rel="stylesheet" href="/theme/css/colloquy.css"/></head>
    <body><h1 id="styled"><xsl:value-of select="/atom:feed/atom:title"/></h1></body></html>
  </xsl:template>
</xsl:stylesheet>
"""


def test_a_feed_opened_in_the_browser_is_styled_by_its_stylesheet(tmp_path, browser,
                                                                    monkeypatch):
    """Sent as a feed type, Chromium would show the XML as text; sent as XML to a browser
    asking for a page, it applies the feed's XSLT stylesheet."""
    from intake_support import FakeSite

    monkeypatch.setenv("COLLOQUY_SECRET", SECRET)
    fake = FakeSite(tmp_path / "site")
    (fake.output / "theme" / "feed.xsl").write_text(XSL)
    (fake.output / "feeds").mkdir()
    (fake.output / "feeds" / "essays.atom.xml").write_text(
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<?xml-stylesheet href="/theme/feed.xsl" type="text/xsl"?>\n'
        '<feed xmlns="http://www.w3.org/2005/Atom"><title>Slow Replies: essays</title>'
        '<id>tag:x,2026:feed</id><updated>2026-09-01T00:00:00Z</updated></feed>')
    with running_app(fake.settings()) as (base, _):
        page = browser.new_page()
        page.goto(f"{base}/feeds/essays.atom.xml")
        assert page.locator("#styled").inner_text() == "Slow Replies: essays"
        page.close()
