"""Property tests: arbitrary comment files → a real build → pages and feeds that parse.

Each example builds one small site with Pelican. Whatever the names, bodies, dates, kinds,
reply depths and markup, the build succeeds, every page parses, every feed is well-formed
XML that feedparser reads without complaint, and every comment that can be shown is shown.
"""

from __future__ import annotations

import tempfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

import feedparser
import lxml.etree
import lxml.html
from hypothesis import HealthCheck, given, settings, strategies as st

from colloquy.comments import MAX_YEAR, MIN_YEAR, Comment, format_comment
from colloquy.text import clean_name
from conftest import Site

MARKUP = ["> ", "- ", "1. ", "[a](", "](", "`", "``", "*", "_", "~~", "<script>", "</p>",
          "&#", "&amp;", "\n", "\n\n", "https://x.example/p?q=<b>", "# ", "    ", "[x]: /u",
          "\x1b[2J", "\x00", "\ufffe", "\u202e", "\u200b", "e\u0301", "\r", "\t", "]]>", "<!--"]

names = st.text(max_size=30) | st.sampled_from(["", " ", "\u200b", "Ma\u200bra", "\x00\x07"])
bodies = st.lists(st.sampled_from(MARKUP) | st.text(max_size=20), max_size=12).map("".join)
offsets = st.integers(-23 * 60 - 59, 23 * 60 + 59).map(lambda m: timezone(timedelta(minutes=m)))
dates = st.datetimes(timezones=offsets)  # years 1 to 9999: the ends are refused, not fatal
kinds = st.sampled_from(["comment", "comment", "comment", "response", "mention", "like",
                         "repost"])


@st.composite
def conversations(draw):
    """Comments on one essay: a reply chain up to 60 deep, and a few others replying to
    any earlier one (or to nothing)."""
    chain = draw(st.integers(0, 60))
    others = draw(st.integers(0, 5))
    comments = []
    for index in range(chain + others):
        if index < chain:
            parent = index - 1 if index else None
        else:
            parent = draw(st.none() | st.integers(0, index - 1)) if index else None
        kind = draw(kinds)
        comments.append(Comment(
            id=f"c{index:03d}", essay="on-anything", author=draw(names), date=draw(dates),
            body=draw(bodies), reply_to=f"c{parent:03d}" if parent is not None else None,
            kind=kind, url="https://elsewhere.example/post" if kind in ("response", "mention")
            else None, website=draw(st.none() | st.sampled_from(
                ["https://reader.example/", "javascript:alert(1)", "http://x.example/<b>"]))))
    return comments


def written_files(site: Site, comments: list[Comment], raw: bool) -> None:
    """As Colloquy writes them (format_comment, which cleans), or by hand: values on one
    line but every other character kept, controls and all."""
    for comment in comments:
        text = format_comment(comment)
        if raw:
            header = {"id": comment.id, "author": comment.author,
                      "date": comment.date.isoformat(), "reply-to": comment.reply_to,
                      "kind": comment.kind, "url": comment.url, "website": comment.website}
            text = "".join(f"{key}: {' '.join(value.split())}\n"
                           for key, value in header.items() if value) + "\n" + comment.body
        site.raw(f"comments/{comment.essay}/{comment.id}.md", text.encode("utf-8"))


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(comments=conversations(), raw=st.booleans(), on_page=st.booleans())
def test_any_comment_files_build_into_pages_and_feeds_that_parse(comments, raw, on_page):
    with tempfile.TemporaryDirectory() as folder:
        site = Site(Path(folder) / "site")
        if on_page:  # a Pelican page's conversation lives below the page's URL
            site.raw("pages/on-anything.md", b"Title: On Anything\n\nA page.\n")
            site.essay("elsewhere")
        else:
            site.essay("on-anything", title="On Anything")
        written_files(site, comments, raw)
        output = site.build()
        pages = feeds = 0
        for path in output.rglob("*"):
            if path.suffix == ".html":
                lxml.html.fromstring(path.read_bytes())
                pages += 1
            elif path.name.endswith(".xml"):
                lxml.etree.fromstring(path.read_bytes())  # strict XML
                parsed = feedparser.parse(path.read_bytes())
                assert not parsed.bozo, (path, parsed.get("bozo_exception"))
                feeds += 1
        assert pages and feeds
        shown = set()
        home = output / ("on-anything" if on_page else "essays/on-anything")
        for path in home.rglob("index.html"):
            shown |= {a[2:] for a in site.html(str(path.relative_to(output))).xpath("//@id")
                      if a.startswith("c-")}
        visible = {c.id for c in comments
                   if clean_name(" ".join(c.author.split())) and c.kind not in ("like", "repost")
                   and MIN_YEAR <= c.date.year <= MAX_YEAR}
        assert visible <= shown


@settings(max_examples=200, deadline=None)
@given(raw=st.binary(max_size=300) | st.lists(
    st.sampled_from(["id: a1\n", "author: A\n", "date: 2026-09-02T10:00:00Z\n", "\n",
                     "reply-to: a1\n", "Kind: like\n", "replyto: x\n", "\r", "\x00", ":"])
    | st.text(max_size=15), max_size=10).map(lambda parts: "".join(parts).encode("utf-8")))
def test_reading_any_bytes_never_raises_and_names_real_lines(raw):
    from colloquy.comments import read_comment

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "e" / "a1.md"
        path.parent.mkdir()
        path.write_bytes(raw)
        comment, problems = read_comment(path)
    lines = raw.replace(b"\r\n", b"\n").replace(b"\r", b"\n").count(b"\n") + 1
    assert all(1 <= p.line <= lines for p in problems)
    assert (comment is None) == any(p.fatal for p in problems)
    if comment is not None:
        assert clean_name(comment.author) == comment.author and comment.author
