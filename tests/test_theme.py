"""What the theme shows readers and other sites, on real sites built in a temporary folder:
threads of any depth, microformats2 for replies from elsewhere, honest feed links, the
edges (404, favicon) and consistent typography."""

from __future__ import annotations

import re

import lxml.etree
import lxml.html
import mf2py
import pytest

SITE = "https://essays.example"


def items(site, relative: str) -> list[dict]:
    """The page's microformats2 items, every h-entry wherever it sits."""
    parsed = mf2py.parse(doc=(site.output / relative).read_text(encoding="utf-8"),
                         url=f"{SITE}/{relative.removesuffix('index.html')}")
    found, stack = [], list(parsed["items"])
    while stack:
        item = stack.pop(0)
        found.append(item)
        stack.extend(item.get("children", []))
    return found


def by_url(entries: list[dict], url: str) -> dict:
    matches = [e for e in entries if "h-entry" in e["type"] and url in e["properties"].get("url", [])]
    assert len(matches) == 1, url
    return matches[0]["properties"]


@pytest.fixture
def talk(site):
    site.essay("slow", "On Slow Replies", date="2026-09-01 09:00", tags="listening")
    site.comment("slow", "c1", author="Ines Alvarado", website="https://ines.example/",
                 body="A slow reply is a reply that has been *lived with*.",
                 date="2026-09-02T08:00:00+00:00")
    site.comment("slow", "c2", author="Jonas Berg", reply_to="c1",
                 body='> lived with\n\nLived with, yes: "slow" isn\'t the point -- care is...',
                 date="2026-09-02T09:00:00+00:00")
    site.comment("slow", "r1", author="Priya Raman", kind="response",
                 url="https://priya.example/2026/09/on-slow-replies-and-the-very-long-address-of-it",
                 body="My answer, on my own site.", date="2026-09-03T09:00:00+00:00")
    site.comment("slow", "m1", author="Link Blog", kind="mention", url="https://links.example/42",
                 body="", date="2026-09-03T10:00:00+00:00")
    site.build()
    return site


# -- threads -------------------------------------------------------------------------------


def test_a_chain_of_a_thousand_replies_builds_and_its_thread_page_parses(site):
    site.essay("deep")
    for n in range(1000):
        extra = {"reply_to": f"d{n - 1:04d}"} if n else {}
        site.comment("deep", f"d{n:04d}", author=f"Voice {n}", body=f"Reply number {n}.",
                     date="2026-09-02T10:00:00+00:00", **extra)
    site.build()
    thread = site.html("essays/deep/threads/d0000/index.html")
    comments = thread.cssselect("article.comment")
    assert [c.get("id") for c in comments] == [f"c-d{n:04d}" for n in range(1000)]
    # Past five levels replies follow one another, each saying whom it answers.
    assert max(len(c.xpath("ancestor::ol")) for c in comments) == 6
    last = thread.cssselect("#c-d0999 .in-reply-to a")[0]
    assert (last.text_content(), last.get("href")) == ("Voice 998", "#c-d0998")
    assert len(thread.cssselect("form.reply-form input[name=reply_to]")) == 1000
    essay = site.html("essays/deep/index.html")
    assert [a.text_content() for a in essay.cssselect("p.continue a")] == [
        "Continue this thread (996 more replies)"]
    assert site.feed("essays/deep/threads/d0000/feed.atom.xml").entries


def test_continue_counts_every_hidden_reply_not_only_direct_ones(site):
    site.essay("fan")
    site.comment("fan", "f0", author="Root")
    for n, parent in enumerate(["f0", "f1", "f2", "f3", "f3", "f5"], start=1):
        site.comment("fan", f"f{n}", author=f"V{n}", reply_to=parent,
                     date=f"2026-09-02T1{n}:00:00+00:00")
    site.build()
    more = site.html("essays/fan/index.html").cssselect("p.continue a")
    # f3 is the last level shown; below it f4, f5 and f6.
    assert [a.text_content() for a in more] == ["Continue this thread (3 more replies)"]


def test_each_comment_links_only_what_earns_its_place(talk):
    essay = talk.html("essays/slow/index.html")
    root = essay.cssselect("#c-c1")[0].getparent()
    assert [a.text_content() for a in root.cssselect(":scope > .thread-tools a")] == [
        "Follow this thread"]
    links = {a.text_content() for a in essay.cssselect("#c-c2 a")}
    assert links == {"2 September 2026, 11:00", "Reply to Jonas Berg"}
    # A mention is a link to us from elsewhere: nothing to reply to or follow here.
    mention = essay.cssselect("#c-m1")[0]
    assert {a.text_content() for a in mention.cssselect("a")} == {
        "3 September 2026, 12:00", "https://links.example/42"}
    assert not mention.getparent().cssselect(".thread-tools")
    # A thread page does not link to itself.
    page = "essays/slow/threads/c1/"
    thread = talk.html(page + "index.html")
    hrefs = [a.get("href") for a in thread.cssselect("a")]
    assert f"{SITE}/{page}" not in hrefs and f"{SITE}/{page}#c-c1" not in hrefs


def test_the_reply_form_quotes_the_answered_comment_as_plain_words(talk):
    thread = talk.html("essays/slow/threads/c1/index.html")
    said = thread.cssselect("#reply-c2 .replying-to")[0].text_content()
    # Quoted lines are left out, Markdown is gone, quotes are curly.
    assert said == ("Replying to Jonas Berg’s comment of 2 September 2026, 11:00: "
                    "Lived with, yes: “slow” isn’t the point – care is…")
    long = thread.cssselect("#reply-c1 q")[0].text_content()
    assert long == "A slow reply is a reply that has been lived with."


# -- microformats2 ----------------------------------------------------------------------


def test_an_essay_is_an_h_entry(talk):
    essay = by_url(items(talk, "essays/slow/index.html"), f"{SITE}/essays/slow/")
    assert essay["name"] == ["On Slow Replies"]
    assert essay["published"][0].startswith("2026-09-01T09:00:00")
    author = essay["author"][0]
    assert author["properties"]["name"] == ["Mara Ellison"]
    assert author["properties"]["url"] == [f"{SITE}/"]
    assert "conversations worth having" in essay["content"][0]["value"]
    assert essay["category"] == ["listening"]


def test_a_site_replying_to_one_comment_finds_everything_it_needs(talk):
    """What a reader's software reads from a comment's permalink to write a reply-context."""
    for page in ("essays/slow/index.html", "essays/slow/threads/c1/index.html"):
        entries = items(talk, page)
        reply = by_url(entries, f"{SITE}/essays/slow/#c-c2")
        assert reply["author"][0]["properties"]["name"] == ["Jonas Berg"]
        assert "url" not in reply["author"][0]["properties"]  # gave no website
        assert reply["published"] == ["2026-09-02T09:00:00+0000"]
        assert reply["content"][0]["html"].startswith("<blockquote>")
        assert reply["in-reply-to"] == [f"{SITE}/essays/slow/#c-c1"]
        first = by_url(entries, f"{SITE}/essays/slow/#c-c1")
        assert first["author"][0]["properties"]["url"] == ["https://ines.example/"]
        assert first["in-reply-to"] == [f"{SITE}/essays/slow/"]
    mention = by_url(items(talk, "essays/slow/index.html"), f"{SITE}/essays/slow/#c-m1")
    assert mention["mention-of"] == [f"{SITE}/essays/slow/"] and "in-reply-to" not in mention


def test_a_thread_page_is_an_h_feed_of_its_comments(talk):
    parsed = mf2py.parse(doc=(talk.output / "essays/slow/threads/c1/index.html").read_text(),
                         url=f"{SITE}/essays/slow/threads/c1/")
    feed = [i for i in parsed["items"] if "h-feed" in i["type"]][0]
    assert feed["properties"]["name"] == ["Thread started by Ines Alvarado"]
    assert [c["properties"]["url"][0] for c in feed["children"]] == [
        f"{SITE}/essays/slow/#c-c1", f"{SITE}/essays/slow/#c-c2"]


# -- feeds as pages show them ----------------------------------------------------------------


def alternates(page) -> list[tuple[str, str, str]]:
    return [(link.get("type"), link.get("title"), link.get("href"))
            for link in page.cssselect('link[rel="alternate"]')]


def test_the_page_s_own_feed_comes_first_and_labels_are_honest(talk):
    essay, thread, home = (talk.html(p) for p in (
        "essays/slow/index.html", "essays/slow/threads/c1/index.html", "index.html"))
    assert alternates(essay)[0][2] == f"{SITE}/essays/slow/comments.atom.xml"
    assert alternates(thread)[0][2] == f"{SITE}/essays/slow/threads/c1/feed.atom.xml"
    assert alternates(thread)[1][2] == f"{SITE}/essays/slow/comments.atom.xml"
    assert alternates(home)[0][2] == f"{SITE}/feeds/essays.atom.xml"
    for page in (essay, thread, home):
        for kind, title, href in alternates(page):
            assert title.endswith("(Atom feed)" if href.endswith(".atom.xml") else "(RSS feed)")
            assert kind == ("application/atom+xml" if href.endswith(".atom.xml")
                            else "application/rss+xml")
        for a in page.cssselect("a"):
            text = (a.text_content() + (a.tail or "")).strip()
            if a.get("href", "").endswith(".atom.xml"):
                assert "RSS" not in text, text
    assert "(RSS)" not in (talk.output / "essays/slow/index.html").read_text()


# -- the edges and typography -------------------------------------------------------------


def test_a_themed_404_page_and_a_favicon(talk):
    page = talk.html("404.html")
    assert page.cssselect("h1")[0].text_content() == "There is no page here"
    assert page.cssselect("header[role=banner] nav") and page.cssselect("footer[role=contentinfo]")
    # Served at any path: every link and asset is absolute from the site's root.
    for href in [a.get("href") for a in page.cssselect("a, link")]:
        assert href.startswith(("#", f"{SITE}/")), href
    icons = [link.get("href") for link in page.cssselect('link[rel="icon"]')]
    assert icons == [f"{SITE}/theme/favicon.ico", f"{SITE}/theme/favicon.svg"]
    svg = (talk.output / "theme" / "favicon.svg").read_bytes()
    assert lxml.etree.fromstring(svg).tag == "{http://www.w3.org/2000/svg}svg"
    ico = (talk.output / "theme" / "favicon.ico").read_bytes()  # also served as /favicon.ico
    assert ico[:4] == b"\0\0\1\0" and ico[4] == 3  # an icon file holding three sizes
    assert talk.html("essays/slow/index.html").cssselect('link[rel="icon"]')


def test_one_noun_one_family_of_dates_and_curly_quotes(talk):
    pages = ["index.html", "archives/index.html", "essays/slow/index.html",
             "essays/slow/threads/c1/index.html", "tags/listening/index.html"]
    day = r"\d{1,2} (January|February|March|April|May|June|July|August|September|October|November|December) \d{4}"
    for relative in pages:
        page = talk.html(relative)
        text = page.text_content()
        assert not re.search(r"\bmessages?\b", text), relative
        for time in page.cssselect("time"):
            assert re.fullmatch(day + r"(, \d\d:\d\d)?", time.text_content()), time.text_content()
    body = talk.html("essays/slow/index.html").cssselect("#c-c2 .comment-body")[0].text_content()
    assert "“slow” isn’t" in body and '"' not in body and "'" not in body


def test_built_feeds_find_their_stylesheet_and_link_replies_both_ways(talk):
    feeds = sorted(talk.output.rglob("*.xml"))
    assert len(feeds) >= 8
    for feed in feeds:
        root = lxml.etree.parse(str(feed)).getroot()
        href = root.getprevious().get("href")
        assert (feed.parent / href).resolve() == (talk.output / "theme" / "feed.xsl").resolve()
        assert not talk.feed(str(feed.relative_to(talk.output))).bozo
    essays = lxml.etree.parse(str(talk.output / "feeds/essays.atom.xml"))
    replies = essays.getroot().findall(".//{http://www.w3.org/2005/Atom}link[@rel='replies']")
    count = "{http://purl.org/syndication/thread/1.0}count"
    assert [(link.get("href"), link.get(count)) for link in replies] == [
        (f"{SITE}/essays/slow/comments.atom.xml", "4"), (f"{SITE}/essays/slow/#conversation", "4")]
    comments = {e.id.rsplit("/", 1)[1]: e for e in talk.feed("essays/slow/comments.atom.xml").entries}
    related = [link.href for link in comments["r1"].links if link.rel == "related"]
    assert related == ["https://priya.example/2026/09/on-slow-replies-and-the-very-long-address-of-it"]
    assert not [link for link in comments["c1"].links if link.rel == "related"]


def test_likes_and_reposts_are_h_cites_of_the_essay(site):
    site.essay("liked")
    site.comment("liked", "l1", author="Anna", kind="like", body="", website="https://anna.example/",
                 url="https://anna.example/likes/1", date="2026-09-02T08:00:00+00:00")
    site.comment("liked", "l2", author="Ben", kind="like", body="", date="2026-09-02T09:00:00+00:00")
    site.comment("liked", "p1", author="Carl", kind="repost", body="",
                 date="2026-09-02T10:00:00+00:00")
    site.build()
    page = site.html("essays/liked/index.html")
    assert [" ".join(p.text_content().split()) for p in page.cssselect(".facepile")] == [
        "Liked by Anna and Ben.", "Reposted by Carl."]
    cites = [i["properties"] for i in items(site, "essays/liked/index.html") if "h-cite" in i["type"]]
    essay = f"{SITE}/essays/liked/"
    assert [(c["author"][0]["properties"]["name"][0], c.get("like-of"), c.get("repost-of"))
            for c in cites] == [("Anna", [essay], None), ("Ben", [essay], None),
                                ("Carl", None, [essay])]
    assert cites[0]["author"][0]["properties"]["url"] == ["https://anna.example/"]
    assert cites[0]["url"] == ["https://anna.example/likes/1"]
    assert cites[0]["published"] == ["2026-09-02T08:00:00+0000"]


# -- hostile and odd comments in the macros ------------------------------------------------

ODD_BODIES = {
    "only a quote": "> every word here is quoted",
    "quote inside quote": "> > deep\n> shallow\n\nmine, after the quotes",
    "tags typed as text": "<blockquote>not a quote</blockquote> and <b>bold</b> & more",
    "one long word": "x" * 500,
    "a bare address": "https://example.org/" + "very-long-path/" * 20,
    "code only": "```\n<script>alert(1)</script>\n```",
    "markdown": "**strong** _em_ [link](https://example.org) `code` ~~gone~~",
}


@pytest.mark.parametrize("body", ODD_BODIES.values(), ids=ODD_BODIES.keys())
def test_the_reply_box_quotes_any_comment_as_short_plain_text(body):
    from datetime import datetime, timezone

    from jinja2 import Environment, FileSystemLoader

    from colloquy import markup
    from colloquy.comments import Comment
    from colloquy.urls import SiteUrls
    from conftest import REPO

    env = Environment(loader=FileSystemLoader(str(REPO / "theme" / "templates")), autoescape=True)
    urls = SiteUrls({"ARTICLE_URL": "essays/{slug}/", "ARTICLE_SAVE_AS": "essays/{slug}/index.html"})
    macros = env.get_template("_conversation.html").make_module({"SITEURL": SITE,
                                                                 "colloquy_urls": urls})
    when = datetime(2026, 9, 2, 10, tzinfo=timezone.utc)
    comment = Comment(id="c1", essay="e", author='Ma"ra <b>', date=when, body=body,
                      html=markup.render(body), thread_id="c1")
    comment.local_date, comment.permalink = when, "essays/e/#c-c1"
    box = lxml.html.fragment_fromstring(str(macros.reply_here(comment, {"slug": "e"})))
    said = box.cssselect(".replying-to")[0]
    assert said.text_content().startswith('Replying to Ma"ra <b>’s comment of 2 September 2026')
    quoted = said.cssselect("q")
    text = quoted[0].text_content() if quoted else ""
    assert len(text) <= 90 and "**" not in text and "\n" not in text
    assert not [e for e in box.iter() if e.tag in ("script", "b", "blockquote")]
    assert box.cssselect("input[name=reply_to]")[0].get("value") == "c1"


def test_the_home_page_is_an_h_feed_of_essays(talk):
    parsed = mf2py.parse(doc=(talk.output / "index.html").read_text(), url=f"{SITE}/")
    feed = [i for i in parsed["items"] if "h-feed" in i["type"]][0]
    essay = feed["children"][0]["properties"]
    assert (essay["name"], essay["url"]) == (["On Slow Replies"], [f"{SITE}/essays/slow/"])
    assert essay["summary"] == ["A short summary."]


def test_every_form_posts_to_the_configured_intake(site):
    site.essay("e")
    site.comment("e", "c1")
    site.comment("e", "c2", reply_to="c1", date="2026-09-02T11:00:00+00:00")
    site.build(COLLOQUY_INTAKE_URL="https://talk.example/intake", COLLOQUY_MAX_BODY_CHARS=500)
    forms = (site.html("essays/e/index.html").cssselect("form")
             + site.html("essays/e/threads/c1/index.html").cssselect("form"))
    assert len(forms) == 3
    for form in forms:
        assert form.get("action") == "https://talk.example/intake/comments"
        assert form.cssselect("textarea")[0].get("maxlength") == "500"


def test_every_link_of_a_conversation_follows_the_site_s_article_urls(site):
    site.essay("slow")
    site.comment("slow", "a0", author="Ines")
    site.comment("slow", "a1", author="Jonas", reply_to="a0", date="2026-09-02T11:00:00+00:00")
    site.build(ARTICLE_URL="{slug}.html", ARTICLE_SAVE_AS="{slug}.html")
    checked = 0
    for page in ("slow.html", "slow/threads/a0/index.html"):
        tree = site.html(page)
        # Every link to a file of the site (the webmention endpoint is served, not built).
        links = tree.cssselect("a[href], link[href]:not([rel=webmention])")
        for href in {e.get("href") for e in links}:
            if not href.startswith(f"{SITE}/"):
                continue
            path, _, anchor = href.removeprefix(f"{SITE}/").partition("#")
            target = site.output / path
            target = target / "index.html" if target.is_dir() or not path else target
            assert target.exists(), (page, href)
            if anchor:
                assert lxml.html.fromstring(target.read_bytes()).cssselect(f"#{anchor}"), href
            checked += 1
    assert checked >= 10
    feed = lxml.etree.parse(str(site.output / "feeds/essays.atom.xml")).getroot()
    assert [link.get("href") for link in feed.iter("{http://www.w3.org/2005/Atom}link")
            if link.get("rel") == "replies"] == [f"{SITE}/slow/comments.atom.xml",
                                                 f"{SITE}/slow.html#conversation"]
