"""Conversations on Pelican pages, and comment folders named by any slug Pelican gives."""

from __future__ import annotations

import feedparser
import lxml.etree

from colloquy.cli import main
from intake_support import site_settings_file


def page(site, name: str, title: str, **meta: str):
    lines = [f"Title: {title}"] + [f"{k.capitalize()}: {v}" for k, v in meta.items()]
    path = site.content / "pages" / f"{name}.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n\nSign the guestbook below.\n", encoding="utf-8")
    return path


def test_a_page_shows_its_conversation_below_its_own_url(site):
    site.essay("on-listening")
    page(site, "guestbook", "Guest Book")
    site.comment("guest-book", "20260902-100000-aaaaaa", author="Ana", body="Hello *page*.")
    site.comment("guest-book", "20260902-110000-bbbbbb", author="Bo", body="Welcome back.",
                 reply_to="20260902-100000-aaaaaa")
    output = site.build()
    html = site.html("guest-book/index.html")  # PAGE_URL = "{slug}/"
    assert html.xpath("//section[@id='conversation']//article[@id='c-20260902-100000-aaaaaa']")
    assert html.xpath("//article[@id='c-20260902-110000-bbbbbb']//p[@class='byline']")
    thread = "guest-book/threads/20260902-100000-aaaaaa/"
    links = html.xpath("//a/@href")
    assert any(link.startswith(f"https://essays.example/{thread}") for link in links)
    assert "https://essays.example/guest-book/comments.atom.xml" in links
    assert html.xpath("//head/link[@rel='alternate']/@href")[0] == (  # its own feed first
        "https://essays.example/guest-book/comments.atom.xml")
    form = html.xpath("//form[@class='reply-form']")[0]
    assert form.xpath(".//input[@name='essay']/@value") == ["guest-book"]
    thread_page = site.html(thread + "index.html")
    assert thread_page.xpath("//nav[@class='breadcrumb']/a/@href") == ["https://essays.example/guest-book/"]
    for feed_name in ("guest-book/comments.atom.xml", thread + "feed.atom.xml",
                      "feeds/comments.atom.xml"):
        raw = (output / feed_name).read_bytes()
        lxml.etree.fromstring(raw)
        feed = feedparser.parse(raw)
        assert not feed.bozo
        assert {e.link for e in feed.entries} == {
            f"https://essays.example/guest-book/#c-{i}"
            for i in ("20260902-100000-aaaaaa", "20260902-110000-bbbbbb")}
    assert not (output / "essays" / "guest-book").exists()


def test_a_page_without_comments_shows_no_form_unless_it_opens_one(site):
    site.essay("on-listening")
    page(site, "about", "About")
    page(site, "guestbook", "Guestbook", comments="open")
    site.build()
    assert not site.html("about/index.html").xpath("//form[@class='reply-form']")
    assert not site.html("about/index.html").xpath("//link[contains(@href, 'about/comments')]")
    assert site.html("guestbook/index.html").xpath("//form[@class='reply-form']")


def test_folders_take_any_slug_pelican_gives(site, capsys):
    site.essay("Cancel_Dajie", title="Cancel Dajie")
    page(site, "notes", "Notes", slug="Notes_Page")
    site.comment("Cancel_Dajie", "20260902-100000-aaaaaa", author="Ana")
    site.comment("Notes_Page", "20260902-100000-cccccc", author="Cy")
    site.build()
    assert site.html("essays/Cancel_Dajie/index.html").xpath(
        "//article[@id='c-20260902-100000-aaaaaa']")
    assert site.html("Notes_Page/index.html").xpath("//article[@id='c-20260902-100000-cccccc']")
    conf = site_settings_file(site)
    assert main(["--settings", str(conf), "check"]) == 0, capsys.readouterr().out


def test_pages_without_comments_need_no_usable_page_url(site):
    """Comments are placed knowing only the slug; a PAGE_URL made from more than the slug
    matters only once a page has comments."""
    site.essay("on-listening")
    page(site, "about", "About", lang="en")
    site.build(PAGE_URL="{lang}/{slug}/", PAGE_SAVE_AS="{lang}/{slug}/index.html")
    assert site.html("en/about/index.html").xpath("//h1")


def test_a_reply_through_a_pages_form_lands_back_on_the_page(site, monkeypatch):
    """The same form and intake as an essay's: the served page carries a token signed for
    the page, the post is queued, the reader lands back on the page with the notice."""
    import httpx
    import lxml.html

    from colloquy.store import Store, default_store_path
    from intake_support import SECRET, running_app

    monkeypatch.setenv("COLLOQUY_SECRET", SECRET)
    monkeypatch.delenv("COLLOQUY_ENV", raising=False)
    site.essay("on-listening")
    page(site, "guestbook", "Guestbook", comments="open")
    settings = site.settings(SITEURL="", COLLOQUY_SITE_DIR=str(site.root),
                             COLLOQUY_MIN_FILL_SECONDS=0)
    site.build(SITEURL="")
    with running_app(settings) as (base, _):
        served = httpx.get(f"{base}/guestbook/")
        form = lxml.html.fromstring(served.text).xpath("//form[@class='reply-form']")[0]
        values = {i.get("name"): i.get("value") or "" for i in form.xpath(".//input")}
        assert values["essay"] == "guestbook" and values["token"] != "colloquy-form-token"
        values.update(author="Ana", body="Signing the guestbook, slowly.")
        response = httpx.post(base + form.get("action"), data=values,
                              headers={"referer": f"{base}/guestbook/", "origin": base})
        assert response.status_code == 303, response.text
        assert response.headers["location"].startswith("/guestbook/?comment=pending.")
        landed = httpx.get(base + response.headers["location"])
    notice = lxml.html.fromstring(landed.text).get_element_by_id("comment-notice")
    assert "awaiting moderation" in notice.text_content()
    with Store(default_store_path(settings)) as store:
        [row] = store.list(None)
    assert (row.essay, row.author) == ("guestbook", "Ana")
