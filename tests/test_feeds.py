"""The feed writer on its own: ids, dates, threading, RSS beside Atom, the stylesheet."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from pathlib import Path

import feedparser
import lxml.etree
import lxml.html

from colloquy.feeds import THR_NS, Entry, FeedInfo, atom, atom_and_rss, replies_links

INFO = FeedInfo("Slow Replies", "https://essays.example", "Mara Ellison", "essays.example,2026")
T0 = datetime(2026, 9, 1, 8, tzinfo=timezone.utc)
ATOM = "{http://www.w3.org/2005/Atom}"


def entry(n: int, reply=None) -> Entry:
    return Entry(id=INFO.tag(f"comment/c{n}"), title=f"Comment {n}",
                 link=INFO.url(f"essays/e/#c-c{n}"), published=T0 + timedelta(hours=n),
                 updated=T0 + timedelta(hours=n), content_html=f"<p>Body {n} &amp; more</p>",
                 author=f"Reader {n}", in_reply_to=reply)


def thread_feed(entries):
    return atom(INFO, feed_id=INFO.tag("thread/c1"), title="Thread", subtitle="Replies",
                page_url=INFO.url("essays/e/threads/c1/"),
                self_url=INFO.url("essays/e/threads/c1/feed.atom.xml"), entries=entries,
                fallback_updated=T0, threaded=True)


def test_entries_are_newest_first_and_updated_is_the_newest_entry():
    parsed = feedparser.parse(thread_feed([entry(1), entry(3), entry(2)]))
    assert not parsed.bozo
    assert [e.title for e in parsed.entries] == ["Comment 3", "Comment 2", "Comment 1"]
    assert parsed.feed.updated == "2026-09-01T11:00:00+00:00"
    assert parsed.entries[0].id == "tag:essays.example,2026:comment/c3"


def test_an_empty_feed_uses_its_fallback_date_never_now():
    parsed = feedparser.parse(thread_feed([]))
    assert parsed.feed.updated == "2026-09-01T08:00:00+00:00"


def test_replies_carry_rfc_4685_in_reply_to():
    parent = (INFO.tag("comment/c1"), INFO.url("essays/e/#c-c1"))
    root = lxml.etree.fromstring(thread_feed([entry(1), entry(2, reply=parent)]))
    replies = root.findall(f".//{{{THR_NS}}}in-reply-to")
    assert [(r.get("ref"), r.get("href"), r.get("type")) for r in replies] == [
        ("tag:essays.example,2026:comment/c1", "https://essays.example/essays/e/#c-c1",
         "text/html")]


def test_the_same_entries_give_the_same_bytes():
    assert thread_feed([entry(1), entry(2)]) == thread_feed([entry(2), entry(1)])


def test_atom_and_rss_describe_the_same_entries():
    atom_bytes, rss_bytes = atom_and_rss(
        INFO, feed_id=INFO.tag("feeds/essays"), title="Slow Replies", subtitle="New essays",
        page_url=INFO.url(""), atom_url=INFO.url("feeds/essays.atom.xml"),
        rss_url=INFO.url("feeds/essays.rss.xml"), entries=[entry(1), entry(2)],
        fallback_updated=T0)
    a, r = feedparser.parse(atom_bytes), feedparser.parse(rss_bytes)
    assert (a.version, r.version) == ("atom10", "rss20")
    assert [e.link for e in a.entries] == [e.link for e in r.entries]
    assert [e.id for e in r.entries] == [e.id for e in a.entries]  # guid = tag: id
    rss = lxml.etree.fromstring(rss_bytes)
    assert rss.findtext("channel/link") == "https://essays.example/"
    self_links = rss.findall("channel/{http://www.w3.org/2005/Atom}link[@rel='self']")
    assert [link.get("href") for link in self_links] == ["https://essays.example/feeds/essays.rss.xml"]
    assert rss.findtext("channel/lastBuildDate") == "Tue, 01 Sep 2026 10:00:00 +0000"


# -- in a browser, and RFC 4685 both ways ---------------------------------------------------

STYLESHEET = Path(__file__).resolve().parents[1] / "theme" / "static" / "feed.xsl"


def stylesheet_href(data: bytes) -> str:
    root = lxml.etree.fromstring(data)
    instruction = root.getprevious()
    assert instruction is not None and instruction.target == "xml-stylesheet"
    assert instruction.get("type") == "text/xsl"
    return instruction.get("href")


def test_every_feed_names_the_stylesheet_relative_to_itself():
    assert stylesheet_href(thread_feed([entry(1)])) == "../../../../theme/feed.xsl"
    atom_bytes, rss_bytes = atom_and_rss(
        INFO, feed_id=INFO.tag("feeds/essays"), title="Slow Replies", subtitle="New essays",
        page_url=INFO.url(""), atom_url=INFO.url("feeds/essays.atom.xml"),
        rss_url=INFO.url("feeds/essays.rss.xml"), entries=[entry(1)], fallback_updated=T0)
    assert stylesheet_href(atom_bytes) == stylesheet_href(rss_bytes) == "../theme/feed.xsl"
    assert atom_bytes.startswith(b"<?xml version='1.0' encoding='UTF-8'?>\n<?xml-stylesheet ")
    assert not feedparser.parse(atom_bytes).bozo and not feedparser.parse(rss_bytes).bozo


def test_the_stylesheet_shows_a_feed_as_a_page_that_says_how_to_subscribe():
    transform = lxml.etree.XSLT(lxml.etree.parse(str(STYLESHEET)))
    for data in atom_and_rss(
            INFO, feed_id=INFO.tag("feeds/essays"), title="Slow Replies", subtitle="New essays",
            page_url=INFO.url(""), atom_url=INFO.url("feeds/essays.atom.xml"),
            rss_url=INFO.url("feeds/essays.rss.xml"), entries=[entry(1), entry(2)],
            fallback_updated=T0):
        page = lxml.html.fromstring(str(transform(lxml.etree.fromstring(data))))
        assert page.cssselect("h1")[0].text_content() == "Slow Replies"
        assert "This is a feed" in page.cssselect(".feed-about")[0].text_content()
        address = page.cssselect("code.feed-address")[0].text_content()
        assert address.startswith("https://essays.example/feeds/essays.")
        assert page.cssselect("link[rel=stylesheet]")[0].get("href") == "../theme/css/colloquy.css"
        shown = [(li.cssselect("a")[0].text_content(), " ".join(li.text_content().split()))
                 for li in page.cssselect(".feed-entries li")]
        assert shown == [("Comment 2", "1 September 2026 — Comment 2"),
                         ("Comment 1", "1 September 2026 — Comment 1")]


def test_essay_entries_link_their_replies_and_responses_their_own_post():
    essay = Entry(id=INFO.tag("essays/e"), title="E", link=INFO.url("essays/e/"),
                  published=T0, updated=T0, content_html="<p>E</p>", author="Mara Ellison",
                  replies=replies_links(INFO, "essays/e/", "essays/e/comments.atom.xml", 7))
    response = Entry(id=INFO.tag("comment/r"), title="R", link=INFO.url("essays/e/#c-r"),
                     published=T0, updated=T0, content_html="<p>R</p>", author="Priya",
                     in_reply_to=(INFO.tag("essays/e"), INFO.url("essays/e/")),
                     related="https://priya.example/post")
    atom_bytes, _ = atom_and_rss(
        INFO, feed_id=INFO.tag("feeds/essays"), title="S", subtitle="New essays",
        page_url=INFO.url(""), atom_url=INFO.url("feeds/essays.atom.xml"),
        rss_url=INFO.url("feeds/essays.rss.xml"), entries=[essay], fallback_updated=T0)
    links = lxml.etree.fromstring(atom_bytes).findall(f"{ATOM}entry/{ATOM}link[@rel='replies']")
    assert [(link.get("href"), link.get("type"), link.get(f"{{{THR_NS}}}count"))
            for link in links] == [
        ("https://essays.example/essays/e/comments.atom.xml", "application/atom+xml", "7"),
        ("https://essays.example/essays/e/#conversation", "text/html", "7")]
    parsed = feedparser.parse(thread_feed([response]))
    assert not parsed.bozo
    assert [(link.rel, link.href) for link in parsed.entries[0].links if link.rel == "related"
            ] == [("related", "https://priya.example/post")]


def test_a_server_can_make_the_browser_page_itself():
    from colloquy.feeds import browser_page

    page = lxml.html.fromstring(browser_page(thread_feed([entry(1)]), STYLESHEET))
    assert page.cssselect("code.feed-address")[0].text_content() == \
        "https://essays.example/essays/e/threads/c1/feed.atom.xml"
    assert page.cssselect("link[rel=stylesheet]")[0].get("href") == \
        "../../../../theme/css/colloquy.css"
    assert [a.text_content() for a in page.cssselect(".feed-entries a")] == ["Comment 1"]
