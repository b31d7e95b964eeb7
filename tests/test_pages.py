"""The built site as `colloquy serve` serves it: headers, hidden files, feeds, 404, shell."""

from __future__ import annotations

import os

import httpx
import lxml.html
import pytest

from intake_support import SECRET, FakeSite, running_app

ESSAY = "first-essay"
ATOM = '<?xml version="1.0"?><?xml-stylesheet href="/theme/feed.xsl" type="text/xsl"?>' \
       '<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title></feed>'
SHELL_404 = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Not found · Test site</title></head><body>
<header class="site-header"><p class="site-name"><a href="/">Test site</a></p></header>
<main id="main" tabindex="-1"><!--colloquy:notice--><h1>Nothing here</h1></main>
<footer class="site-footer"><p>Written by Mara.</p></footer></body></html>
"""
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


@pytest.fixture
def fake(tmp_path, monkeypatch) -> FakeSite:
    monkeypatch.setenv("COLLOQUY_SECRET", SECRET)
    monkeypatch.delenv("COLLOQUY_ENV", raising=False)
    site = FakeSite(tmp_path / "site")
    out = site.output
    (out / "404.html").write_text(SHELL_404, encoding="utf-8")
    (out / "index.html").write_text("<!doctype html><title>Home</title><p>Home</p>")
    (out / "feeds").mkdir()
    (out / "feeds" / "essays.atom.xml").write_text(ATOM)
    (out / "feeds" / "essays.rss.xml").write_text('<?xml version="1.0"?><rss version="2.0"/>')
    (out / "essays" / ESSAY / "comments.atom.xml").write_text(ATOM)
    (out / ".git").mkdir()
    (out / ".git" / "config").write_text("[remote]\nurl = secret\n")
    (out / ".env").write_text("COLLOQUY_SECRET=oops\n")
    (out / "essays" / ".draft.html").write_text("<p>draft</p>")
    (out / ".well-known").mkdir()
    (out / ".well-known" / "security.txt").write_text("Contact: mailto:a@example.org\n")
    (out / "theme" / "favicon.ico").write_bytes(b"\x00\x00\x01\x00")
    outside = tmp_path / "outside.txt"
    outside.write_text("not published")
    os.symlink(outside, out / "leak.txt")
    return site


HEADERS = {
    "content-security-policy": "frame-ancestors 'none'",
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "strict-origin-when-cross-origin",
    "permissions-policy": "camera=()",
}


def assert_security_headers(response: httpx.Response) -> None:
    for name, part in HEADERS.items():
        assert part in response.headers.get(name, ""), (name, response.request.url)
    directives = dict(d.strip().split(" ", 1)
                      for d in response.headers["content-security-policy"].split(";"))
    assert directives["script-src"] == "'self'" and directives["object-src"] == "'none'"
    if not str(response.request.url).endswith(".xml"):  # a feed may style itself inline
        assert directives["style-src"] == "'self'"


def test_every_answer_carries_the_security_headers(fake):
    with running_app(fake.settings()) as (base, _):
        answers = [
            httpx.get(f"{base}/essays/{ESSAY}/"),
            httpx.get(f"{base}/"),
            httpx.get(f"{base}/theme/css/colloquy.css"),
            httpx.get(f"{base}/feeds/essays.atom.xml"),
            httpx.get(f"{base}/no/such/page/"),
            httpx.get(f"{base}/.env"),
            httpx.get(f"{base}/intake/health"),
            httpx.get(f"{base}/intake/comments"),
            httpx.post(f"{base}/intake/comments", json={"essay": ESSAY}),
            httpx.post(f"{base}/intake/comments", data={"essay": ESSAY, "body": "x"}),
            httpx.head(f"{base}/essays/{ESSAY}/"),
        ]
    assert [a.status_code for a in answers] == [200, 200, 200, 200, 404, 404, 200, 405, 422,
                                                 422, 200]
    for answer in answers:
        assert_security_headers(answer)


@pytest.mark.parametrize("path", ["/.git/config", "/.env", "/essays/.draft.html",
                                  "/.git/", "/%2egit/config", "/essays/../.env",
                                  "/.well-known/../.env", "/.well-known/.hidden",
                                  "/leak.txt", "/../outside.txt", "/..%2foutside.txt",
                                  "/essays/%00/"])
def test_hidden_files_and_paths_outside_the_site_are_404(fake, path):
    with running_app(fake.settings()) as (base, _):
        response = httpx.get(base + path)
    assert response.status_code == 404
    assert "secret" not in response.text and "oops" not in response.text
    assert "not published" not in response.text


def test_well_known_stays_public(fake):
    with running_app(fake.settings()) as (base, _):
        response = httpx.get(f"{base}/.well-known/security.txt")
    assert response.status_code == 200 and "Contact:" in response.text


def test_unknown_paths_get_the_themed_404(fake):
    with running_app(fake.settings()) as (base, _):
        response = httpx.get(f"{base}/essays/nope/")
    assert response.status_code == 404
    page = lxml.html.fromstring(response.text)
    assert page.findtext(".//h1") == "Nothing here"
    assert page.xpath("//header[@class='site-header']")


def test_favicon_comes_from_the_theme(fake):
    with running_app(fake.settings()) as (base, _):
        response = httpx.get(f"{base}/favicon.ico")
    assert response.status_code == 200 and response.content == b"\x00\x00\x01\x00"
    assert response.headers["content-type"].startswith("image/")


@pytest.mark.parametrize("path, feed_type", [
    ("/feeds/essays.atom.xml", "application/atom+xml"),
    ("/feeds/essays.rss.xml", "application/rss+xml"),
    (f"/essays/{ESSAY}/comments.atom.xml", "application/atom+xml"),
])
def test_feeds_are_typed_for_feed_readers_and_viewable_in_browsers(fake, path, feed_type):
    with running_app(fake.settings()) as (base, _):
        reader = httpx.get(base + path, headers={"accept": f"{feed_type}, */*;q=0.5"})
        bare = httpx.get(base + path)
        browser = httpx.get(base + path, headers={"accept": BROWSER})
    assert reader.headers["content-type"].startswith(feed_type)
    assert bare.headers["content-type"].startswith(feed_type)
    assert browser.headers["content-type"].startswith("application/xml")
    for response in (reader, bare, browser):
        assert response.status_code == 200 and response.headers["vary"] == "Accept"
        assert response.content.startswith(b"<?xml")


def test_intake_pages_sit_in_the_sites_own_header_and_footer(fake):
    with running_app(fake.settings(COLLOQUY_CHECK_ORIGIN=False)) as (base, _):
        response = httpx.post(f"{base}/intake/comments",
                              data={"essay": ESSAY, "author": "Ada", "body": "Words."})
    assert response.status_code == 403
    page = lxml.html.fromstring(response.text)
    assert page.findtext(".//title") == "Please confirm your comment · Test site"
    assert page.xpath("//header[@class='site-header']//a[@href='/']")
    assert page.xpath("//footer[@class='site-footer']")
    assert page.findtext(".//main//h1") == "Please confirm your comment"
    assert "Nothing here" not in response.text  # the 404's own words are not borrowed
    assert page.xpath("//meta[@name='robots']/@content") == ["noindex"]
    message = page.get_element_by_id("intake-message").text_content()
    assert "token" not in message.lower()  # plain words, no jargon
    assert page.forms[0].fields["body"] == "Words."



def test_colloquy_serve_itself_sends_the_headers_and_hides_dotfiles(fake):
    from intake_support import free_port, serve_process

    port = free_port()
    process = serve_process(fake.settings_file(), port)
    try:
        page = httpx.get(f"http://127.0.0.1:{port}/essays/{ESSAY}/")
        hidden = httpx.get(f"http://127.0.0.1:{port}/.git/config")
    finally:
        process.terminate()
        process.wait(timeout=15)
    assert page.status_code == 200 and hidden.status_code == 404
    assert_security_headers(page)
    assert "server" not in page.headers  # no version banner


def test_favicon_falls_back_to_the_themes_svg(fake):
    (fake.output / "theme" / "favicon.ico").unlink()
    (fake.output / "theme" / "favicon.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg"/>')
    with running_app(fake.settings()) as (base, _):
        response = httpx.get(f"{base}/favicon.ico")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("image/svg+xml")
