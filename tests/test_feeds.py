"""The feed writer on its own: ids, dates, threading, RSS beside Atom."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import feedparser
import lxml.etree

from colloquy.feeds import THR_NS, Entry, FeedInfo, atom, atom_and_rss

INFO = FeedInfo("Slow Replies", "https://essays.example", "Mara Ellison", "essays.example,2026")
T0 = datetime(2026, 9, 1, 8, tzinfo=timezone.utc)


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
