"""One place makes URLs, from the site's ARTICLE_URL / ARTICLE_SAVE_AS, or refuses at start."""

from __future__ import annotations

import pytest

from colloquy.errors import SettingError
from colloquy.urls import SiteUrls

THR = "{http://purl.org/syndication/thread/1.0}in-reply-to"


def small_site(site):
    site.essay("slow")
    site.comment("slow", "a0", author="Ines")
    site.comment("slow", "a1", author="Jonas", reply_to="a0", date="2026-09-02T11:00:00+00:00")
    return site


@pytest.mark.parametrize("url, save_as, essay, folder", [
    ("posts/{slug}/", "posts/{slug}/index.html", "posts/slow/", "posts/slow/"),
    ("{slug}.html", "{slug}.html", "slow.html", "slow/"),
])
def test_conversations_follow_the_sites_article_urls(site, url, save_as, essay, folder):
    small_site(site).build(ARTICLE_URL=url, ARTICLE_SAVE_AS=save_as)
    assert (site.output / (folder + "threads/a0/index.html")).exists()
    assert not (site.output / "essays").exists()
    feed = site.feed(folder + "comments.atom.xml")
    assert {e.link for e in feed.entries} == {
        f"https://essays.example/{essay}#c-a0", f"https://essays.example/{essay}#c-a1"}
    thread = site.feed(folder + "threads/a0/feed.atom.xml")
    assert thread.feed.link == f"https://essays.example/{folder}threads/a0/"
    page = site.html(essay if essay.endswith(".html") else essay + "index.html")
    assert page.cssselect("#c-a0") and page.cssselect("#c-a1")


@pytest.mark.parametrize("settings, named", [
    ({"ARTICLE_URL": "{date:%Y}/{slug}/", "ARTICLE_SAVE_AS": "{date:%Y}/{slug}/index.html"},
     "ARTICLE_URL = '{date:%Y}/{slug}/' cannot be honoured"),
    ({"ARTICLE_URL": "essays/{slug}/", "ARTICLE_SAVE_AS": "essays/{slug}.html"},
     "ARTICLE_SAVE_AS = 'essays/{slug}.html' does not match"),
])
def test_urls_that_cannot_be_honoured_are_refused_at_start(site, settings, named):
    small_site(site)
    with pytest.raises(SettingError) as refused:
        site.build(**settings)
    assert named in str(refused.value) and "ARTICLE_URL = 'essays/{slug}/'" in str(refused.value)
    assert not (site.output / "index.html").exists()  # refused before anything was written


def test_page_urls_are_refused_only_when_a_page_needs_one():
    urls = SiteUrls({"ARTICLE_URL": "essays/{slug}/", "ARTICLE_SAVE_AS": "essays/{slug}/index.html",
                     "PAGE_URL": "{lang}/{slug}/", "PAGE_SAVE_AS": "{lang}/{slug}/index.html"})
    assert urls.thread("slow", "a0") == "essays/slow/threads/a0/"
    with pytest.raises(SettingError, match="PAGE_URL"):
        urls.essay("about", kind="page")


@pytest.mark.parametrize("url, save_as, essay, thread", [
    ("essays/{slug}/", "essays/{slug}/index.html", "/essays/slow/", "/essays/slow/threads/a0/"),
    ("posts/{slug}/", "posts/{slug}/index.html", "/posts/slow/", "/posts/slow/threads/a0/"),
    ("{slug}.html", "{slug}.html", "/slow.html", "/slow/threads/a0/"),
])
def test_a_url_path_names_its_essay_and_thread(url, save_as, essay, thread):
    urls = SiteUrls({"ARTICLE_URL": url, "ARTICLE_SAVE_AS": save_as})
    assert "/" + urls.essay("slow") == essay and "/" + urls.thread("slow", "a0") == thread
    assert urls.locate(essay) == ("slow", "")
    assert urls.locate(thread) == ("slow", "a0")
    assert urls.locate(thread + "index.html") == ("slow", "a0")
    if essay.endswith("/"):
        assert urls.locate(essay + "index.html") == ("slow", "")
    assert urls.saved_as("slow") == save_as.format(slug="slow")
    for elsewhere in ("/", "/feeds/essays.atom.xml", "/tag/slow/", "/a/b/c/",
                      essay + "threads/", thread + "more/"):
        assert urls.locate(elsewhere) is None, elsewhere
