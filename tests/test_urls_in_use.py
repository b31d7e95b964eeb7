"""Every link Colloquy makes follows ARTICLE_URL: webmention targets and sources, follow-up
links, the author's mail and the moderation pages (here with ARTICLE_URL = 'posts/{slug}/')."""

from __future__ import annotations

import httpx
import pytest
from intake_support import PAGE, SECRET, FakeSite, free_port, running_app, site_settings_file
from notify_support import AUTHOR, app_at, links_in, mail_settings, page, post_comment, smtp_server
from webmention_support import h_entry, reader_site, send, wait_for_status

from colloquy.cli import main
from colloquy.store import Store, default_store_path

POSTS = {"ARTICLE_URL": "posts/{slug}/", "ARTICLE_SAVE_AS": "posts/{slug}/index.html"}
ROOT = "20260902-100000-abcdef"


@pytest.fixture
def posts_site(tmp_path, monkeypatch) -> FakeSite:
    """A built site (as FakeSite writes it) whose essays are at posts/<slug>/."""
    monkeypatch.setenv("COLLOQUY_SECRET", SECRET)
    monkeypatch.delenv("COLLOQUY_ENV", raising=False)
    site = FakeSite(tmp_path / "site", essays=())
    built = site.output / "posts" / "first-essay" / "index.html"
    built.parent.mkdir(parents=True)
    built.write_text(PAGE.format(slug="first-essay"), encoding="utf-8")
    site.add_comment("first-essay", ROOT, author="First Reader")
    return site


def test_webmentions_to_posts_urls_are_accepted(posts_site):
    settings = posts_site.settings(COLLOQUY_WEBMENTION_ALLOW_PRIVATE=True, **POSTS)
    with running_app(settings) as (base, _), reader_site() as reader:
        for n, target in enumerate([f"{base}/posts/first-essay/",
                                    f"{base}/posts/first-essay/threads/{ROOT}/",
                                    f"{base}/posts/first-essay/index.html#c-{ROOT}"]):
            source = reader.page(f"/post-{n}", h_entry(target))
            answer = send(base, source, target)
            assert answer.status_code == 201, answer.text
            assert wait_for_status(base, answer.headers["location"])["status"] == "verified"
        refused = send(base, reader.page("/old", h_entry(f"{base}/essays/first-essay/")),
                       f"{base}/essays/first-essay/")
        assert refused.status_code == 400 and "no page /essays/first-essay/" in refused.text
        wrong_thread = send(base, reader.page("/t", h_entry("x")),
                            f"{base}/posts/first-essay/threads/nope/")
        assert wrong_thread.status_code == 400 and "no thread 'nope'" in wrong_thread.text


def test_the_authors_mail_and_moderation_pages_link_posts_urls(posts_site):
    port = free_port()
    settings = posts_site.settings(**POSTS, **mail_settings(port))
    with smtp_server(port) as inbox, app_at(settings) as (base, _):
        comment_id = post_comment(base, "first-essay", "A reply to the essay.",
                                  reply_to=ROOT)
        [mail] = inbox.wait(AUTHOR)
        essay_links = [link for link in links_in(mail) if "/moderation/" not in link]
        assert essay_links and all(link.startswith(f"{base}/posts/first-essay/")
                                   for link in essay_links)
        assert f"{base}/posts/first-essay/" in mail.get_body(("plain",)).get_content()
        approve = next(link for link in links_in(mail) if "/moderation/link/approve/" in link)
        shown = page(httpx.get(approve))
        assert shown.xpath(f"//article[@id='c-{comment_id}']/h2/a/@href") == [
            f"{base}/posts/first-essay/"]
    with Store(default_store_path(settings)) as store:
        assert store.get(comment_id).status == "pending"  # a GET changed nothing


def test_followup_links_point_at_posts_urls(site):
    site.essay("origin", date="2026-09-01 09:00")
    site.comment("origin", "root", "A thread that deserved an essay of its own, I think.",
                 author="Ines", date="2026-09-02T10:00:00+02:00")
    site.essay("sequel", date="2026-09-20 09:00", followup="origin#root")
    site.build(COLLOQUY_DIGEST_NOW="2026-10-20T12:00:00+02:00", **POSTS)
    note = site.html("posts/sequel/index.html").xpath("//p[contains(@class,'followup-of')]")[0]
    assert note.xpath(".//a/@href") == ["https://essays.example/posts/origin/threads/root/",
                                        "https://essays.example/posts/origin/"]
    sequel = ["https://essays.example/posts/sequel/"]
    origin = site.html("posts/origin/index.html")
    assert origin.xpath("//p[contains(@class,'followed-up')]/a[1]/@href") == sequel
    thread = site.html("posts/origin/threads/root/index.html")
    assert thread.xpath("//p[contains(@class,'followed-up')]/a/@href") == sequel
    thread_week = site.html("digest/2026-w36/index.html")
    assert thread_week.xpath("//li[@class='digest-thread']/p[@class='meta']/a/@href") == sequel
    week = site.html("digest/2026-w38/index.html")
    assert week.xpath("//ul[@class='digest-followups']/li/a/@href") == sequel + [
        "https://essays.example/posts/origin/threads/root/", "https://essays.example/posts/origin/"]


def test_webmention_send_takes_its_sources_from_posts_urls(site, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "250")  # rich: one table row a line
    site.essay("linking-out", body="See [their post](https://elsewhere.example/post).")
    site.comment("linking-out", "author-reply", "And [another](https://elsewhere.example/two).",
                 author="The Author", role="author")
    site.build(**POSTS)
    conf = site_settings_file(site, SITEURL="https://essays.example", **POSTS)
    assert main(["--settings", str(conf), "webmention", "send", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "https://essays.example/posts/linking-out/" in out
    assert "https://essays.example/posts/linking-out/#c-author-reply" in out
    assert "/essays/" not in out
    assert main(["--settings", str(conf), "webmention", "send", "--essay", "missing"]) == 2
    assert "no built essay 'missing' at " in capsys.readouterr().err


def test_each_feed_is_listed_once_and_the_pages_own_first(site):
    site.essay("origin")
    site.comment("origin", "root", "A first comment, so that a week has a digest.",
                 date="2026-09-02T10:00:00+02:00")
    site.build(COLLOQUY_DIGEST_NOW="2026-10-20T12:00:00+02:00")
    for digest_page in ("digest/index.html", "digest/2026-w36/index.html"):
        feeds = site.html(digest_page).xpath("//head/link[@rel='alternate']/@href")
        assert feeds[0] == "https://essays.example/feeds/digest.atom.xml", digest_page
        assert len(feeds) == len(set(feeds)) == 5, feeds
    essay_feeds = site.html("essays/origin/index.html").xpath("//head/link[@rel='alternate']/@href")
    assert essay_feeds[0] == "https://essays.example/essays/origin/comments.atom.xml"
    assert len(essay_feeds) == len(set(essay_feeds)) == 6
