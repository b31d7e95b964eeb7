"""Full builds of a real site in a temporary folder, asserted on parsed HTML and feeds."""

from __future__ import annotations

import logging
import subprocess
import sys

import lxml.etree
import pytest

from colloquy.errors import ColloquyError
from conftest import REPO
from xss import VECTORS, executable_bits, fragment_bits

THR = "{http://purl.org/syndication/thread/1.0}in-reply-to"
ATOM = "{http://www.w3.org/2005/Atom}"


def ids(elements):
    return [e.get("id") for e in elements]


@pytest.fixture
def conversation_site(site):
    """One essay with every shape: deep thread, author reply, response, mention, tallies."""
    site.essay("slow", "Slow Replies", date="2026-09-01 09:00", tags="conversation")
    site.essay("quiet", "A Quiet Essay", date="2026-09-05 09:00")
    site.comment("slow", "a0", author="Ines", date="2026-09-02T08:00:00+00:00",
                 website="https://ines.example/")
    for depth in range(1, 8):  # a chain 7 replies deep
        site.comment("slow", f"a{depth}", author=f"Voice {depth}", reply_to=f"a{depth - 1}",
                     date=f"2026-09-0{2 + depth // 3}T{8 + depth:02d}:00:00+00:00")
    site.comment("slow", "b0", author="Jonas", date="2026-09-03T08:00:00+02:00")
    site.comment("slow", "b1", author="Mara Ellison", role="author", reply_to="b0",
                 date="2026-09-03T09:00:00+02:00", body="Thank you, Jonas.")
    site.comment("slow", "resp", author="Priya", kind="response",
                 url="https://priya.example/on-slow-replies", date="2026-09-04T10:00:00+00:00",
                 body="I wrote a longer answer on my own site.")
    site.comment("slow", "ment", author="Link Blog", kind="mention",
                 url="https://links.example/42", date="2026-09-04T11:00:00+00:00", body="")
    site.comment("slow", "like1", author="L1", kind="like", body="")
    site.comment("slow", "like2", author="L2", kind="like", body="")
    site.comment("slow", "rep1", author="R1", kind="repost", body="")
    site.build()
    return site


def test_essay_page_orders_sections_and_nests_replies(conversation_site):
    page = conversation_site.html("essays/slow/index.html")
    sections = [s.get("class") for s in page.cssselect("section.conversation > section")]
    assert sections == ["responses", "threads", "mentions", "tallies", "respond"]
    threads = page.cssselect("section.threads > ol > li > article")
    assert ids(threads) == ["c-a0", "c-b0"]
    # Nested as lists: a1 sits inside a0's replies, b1 inside b0's.
    assert page.cssselect("#c-a0 ~ ol.replies > li > #c-a1")
    assert page.cssselect("#c-b0 ~ ol.replies > li > #c-b1")
    assert "by-author" in page.get_element_by_id("c-b1").get("class")
    assert page.cssselect("#c-b1 .badge")[0].text_content() == "essay author"
    assert ids(page.cssselect("section.responses article")) == ["c-resp"]
    assert ids(page.cssselect("section.mentions article")) == ["c-ment"]
    tallies = page.cssselect("section.tallies")[0].text_content()
    assert "2 likes" in tallies and "1 repost" in tallies
    # Likes and reposts are counted, never shown as comments.
    assert not page.cssselect("#c-like1, #c-rep1")


def test_deep_threads_continue_on_the_thread_page(conversation_site):
    page = conversation_site.html("essays/slow/index.html")
    shown = {e.get("id") for e in page.cssselect("section.threads article")}
    assert {"c-a0", "c-a1", "c-a2", "c-a3"} <= shown and "c-a4" not in shown
    more = page.cssselect("p.continue a")[0]
    assert more.get("href").endswith("/essays/slow/threads/a0/#c-a3")
    # a3's one direct reply hides four: a4 and the three below it.
    assert more.text_content() == "Continue this thread (4 more replies)"
    thread = conversation_site.html("essays/slow/threads/a0/index.html")
    assert ids(thread.cssselect("article.comment")) == [f"c-a{i}" for i in range(8)]
    # Indentation is capped: deep levels are flattened, not pushed off screen.
    assert thread.cssselect("ol.replies.flat")


def test_every_comment_has_a_permalink_anchor(conversation_site):
    page = conversation_site.html("essays/slow/index.html")
    for article in page.cssselect("article.comment"):
        link = article.cssselect("a.permalink")[0].get("href")
        assert link.endswith("#" + article.get("id"))


def test_index_shows_comment_counts(conversation_site):
    page = conversation_site.html("index.html")
    counts = {a.getparent().getparent().cssselect("h2 a")[0].text_content():
              a.text_content() for a in page.cssselect("a.comment-count")}
    assert counts == {"Slow Replies": "12 comments", "A Quiet Essay": "0 comments"}


def test_thread_pages_and_feeds_exist_at_design_urls(conversation_site):
    out = conversation_site.output
    for path in ["essays/slow/threads/a0/index.html", "essays/slow/threads/b0/feed.atom.xml",
                 "essays/slow/threads/resp/index.html", "essays/slow/comments.atom.xml",
                 "feeds/essays.atom.xml", "feeds/essays.rss.xml", "feeds/comments.atom.xml"]:
        assert (out / path).is_file(), path


def test_essay_feeds_parse(conversation_site):
    atom = conversation_site.feed("feeds/essays.atom.xml")
    rss = conversation_site.feed("feeds/essays.rss.xml")
    assert not atom.bozo and not rss.bozo
    assert atom.version == "atom10" and rss.version.startswith("rss")
    assert [e.title for e in atom.entries] == ["A Quiet Essay", "Slow Replies"]
    assert [e.link for e in rss.entries] == ["https://essays.example/essays/quiet/",
                                             "https://essays.example/essays/slow/"]
    assert atom.entries[1].id.startswith("tag:essays.example,2026:essays/slow")
    assert atom.feed.updated == atom.entries[0].updated


def test_thread_feed_carries_in_reply_to(conversation_site):
    feed = conversation_site.feed("essays/slow/threads/b0/feed.atom.xml")
    assert [e.author for e in feed.entries] == ["Mara Ellison", "Jonas"]
    tree = lxml.etree.parse(str(conversation_site.output / "essays/slow/threads/b0/feed.atom.xml"))
    replies = {e.findtext(f"{ATOM}id"): e.find(THR).get("ref") for e in tree.iter(f"{ATOM}entry")}
    authority = "tag:essays.example,2026:"
    assert replies == {authority + "comment/b1": authority + "comment/b0",
                       authority + "comment/b0": authority + "essays/slow"}
    # The feed's updated is the newest entry's, not the build time.
    assert tree.findtext(f"{ATOM}updated") == "2026-09-03T07:00:00+00:00"


def test_essay_comment_feed_lists_written_comments_only(conversation_site):
    feed = conversation_site.feed("essays/slow/comments.atom.xml")
    assert len(feed.entries) == 12  # 8 + 2 + response + mention; no likes or reposts
    assert feed.entries[0].link == "https://essays.example/essays/slow/threads/a0/#c-a7"
    deep = [e for e in feed.entries if e.id.endswith("comment/a6")][0]
    assert deep.link == "https://essays.example/essays/slow/threads/a0/#c-a6"


def test_every_page_links_its_feeds(conversation_site):
    out = conversation_site.output
    for page in out.rglob("*.html"):
        tree = conversation_site.html(str(page.relative_to(out)))
        hrefs = {link.get("href") for link in tree.cssselect('link[rel="alternate"]')}
        assert "https://essays.example/feeds/essays.atom.xml" in hrefs, page
        assert "https://essays.example/feeds/comments.atom.xml" in hrefs, page
    essay = conversation_site.html("essays/slow/index.html")
    assert "https://essays.example/essays/slow/comments.atom.xml" in {
        link.get("href") for link in essay.cssselect('link[rel="alternate"]')}
    thread = conversation_site.html("essays/slow/threads/a0/index.html")
    assert "https://essays.example/essays/slow/threads/a0/feed.atom.xml" in {
        link.get("href") for link in thread.cssselect('link[rel="alternate"]')}


def test_rebuilding_unchanged_content_is_byte_identical(conversation_site, tmp_path):
    out = conversation_site.output
    before = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    import shutil
    shutil.rmtree(out)
    shutil.rmtree(conversation_site.cache)  # a cold rebuild, not a cache copy
    conversation_site.build()
    after = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert before.keys() == after.keys()
    assert [p for p in before if before[p] != after[p]] == []


def test_warm_rebuild_after_one_new_comment_updates_its_outputs(conversation_site):
    conversation_site.comment("slow", "b2", author="Kofi", reply_to="b1",
                              date="2026-09-06T10:00:00+00:00", body="Late but here.")
    conversation_site.build()
    thread = conversation_site.html("essays/slow/threads/b0/index.html")
    assert ids(thread.cssselect("article.comment")) == ["c-b0", "c-b1", "c-b2"]
    feed = conversation_site.feed("essays/slow/threads/b0/feed.atom.xml")
    assert feed.entries[0].author == "Kofi"
    assert conversation_site.html("essays/slow/index.html").cssselect("#c-b1 + ol #c-b2")


def test_there_are_no_share_buttons_and_no_scripts(conversation_site):
    page = conversation_site.html("essays/slow/index.html")
    text = page.text_content().lower()
    assert "share on" not in text and "tweet" not in text
    assert page.cssselect("script") == []
    assert page.cssselect(".thread-tools a")  # follow this thread (RSS)


def test_every_comment_can_be_answered_without_javascript(conversation_site):
    essay = conversation_site.html("essays/slow/index.html")
    link = essay.cssselect("#c-b1 .reply-link a")[0].get("href")
    assert link == "https://essays.example/essays/slow/threads/b0/#reply-b1"
    thread = conversation_site.html("essays/slow/threads/b0/index.html")
    # Each comment has its own form, bound to it; the link's anchor names that form's box.
    for comment_id, author in [("b0", "Jonas"), ("b1", "Mara Ellison")]:
        box = thread.cssselect(f"#reply-{comment_id}")[0]
        assert box.getprevious().get("id") == f"c-{comment_id}"
        form = box.cssselect("form.reply-form")[0]
        assert form.cssselect("input[name=reply_to]")[0].get("value") == comment_id
        assert form.cssselect("input[name=essay]")[0].get("value") == "slow"
        assert box.cssselect(".replying-to")[0].text_content().startswith(f"Replying to {author}’s")
    assert not thread.cssselect("select")
    assert thread.cssselect("a.follow-thread[href$='threads/b0/feed.atom.xml']")
    assert thread.cssselect("script") == []


def test_accessible_landmarks_and_labels(conversation_site):
    page = conversation_site.html("essays/slow/index.html")
    assert page.get("lang") == "en"
    assert page.cssselect("header[role=banner]") and page.cssselect("main#main")
    assert page.cssselect("footer[role=contentinfo]") and page.cssselect("nav[aria-label]")
    assert len(page.cssselect("h1")) == 1
    for field in page.cssselect("form input:not([type=hidden]), form textarea"):
        # Every field has a label: one that holds it, or one that names its id.
        held = any(a.tag == "label" for a in field.iterancestors())
        assert held or page.cssselect(f'label[for="{field.get("id")}"]'), field.get("name")
    assert len(set(ids(page.cssselect("[id]")))) == len(page.cssselect("[id]"))  # unique ids


# -- bad input ---------------------------------------------------------------------------

BROKEN = {
    "no-header": b"Just words, no header.\n",
    "missing-key": b"id: missing-key\nauthor: A\n\nbody\n",
    "bad-date": b"id: bad-date\nauthor: A\ndate: 15/09/2026\n\nbody\n",
    "twice": b"id: twice\nauthor: A\nauthor: B\ndate: 2026-09-02T08:00:00Z\n\nbody\n",
    "latin1": b"id: latin1\nauthor: Ren\xe9\ndate: 2026-09-02T08:00:00Z\n\nbody\n",
}


@pytest.fixture
def broken_site(site):
    site.essay("slow", "Slow Replies")
    site.comment("slow", "good", author="Good Reader")
    site.comment("slow", "orphan", author="Orphan", reply_to="nobody",
                 date="2026-09-03T08:00:00+00:00")
    site.comment("slow", "cy1", author="C1", reply_to="cy2", date="2026-09-04T08:00:00+00:00")
    site.comment("slow", "cy2", author="C2", reply_to="cy1", date="2026-09-04T09:00:00+00:00")
    site.comment("slow", "dup", author="First")
    site.comment("elsewhere", "dup", author="Second")  # also an unknown essay folder
    site.comment("slow", "badsite", author="Web", website="ftp://files.example/")
    for name, data in BROKEN.items():
        site.raw(f"comments/slow/{name}.md", data)
    return site


def test_broken_files_never_stop_the_build(broken_site, caplog):
    with caplog.at_level(logging.WARNING, logger="colloquy"):
        broken_site.build()
    page = broken_site.html("essays/slow/index.html")
    shown = set(ids(page.cssselect("article.comment")))
    assert {"c-good", "c-orphan", "c-cy1", "c-cy2", "c-dup", "c-badsite"} <= shown
    assert "c-orphan" in ids(page.cssselect("section.threads > ol > li > article"))
    assert page.cssselect("#c-badsite .author")[0].tag == "span"  # website dropped
    lines = [r.getMessage() for r in caplog.records if r.name.startswith("colloquy")]
    expected = {
        "no-header.md:1: no header": "start the file with",
        "missing-key.md:3: missing required key 'date'": "add a 'date: ...' line",
        "bad-date.md:3: date '15/09/2026'": "write it like",
        "twice.md:3: key 'author' given twice": "keep one",
        "latin1.md:2: invalid UTF-8": "re-save the file as UTF-8",
        "orphan.md:4: reply-to 'nobody'": "top-level",
        "cy1.md:4: reply cycle": "outside the cycle",
        "elsewhere/dup.md:1: no essay has the slug 'elsewhere'": "move the file",
        "badsite.md:4: website 'ftp://files.example/'": "dropped",
    }
    for where, fix in expected.items():
        matching = [line for line in lines if where in line]
        assert len(matching) == 1, (where, lines)
        assert fix in matching[0] and matching[0].startswith("colloquy: ")


def test_duplicate_ids_are_reported(site, caplog):
    site.essay("one")
    site.essay("two")
    site.comment("one", "same")
    site.comment("two", "same")
    with caplog.at_level(logging.WARNING, logger="colloquy"):
        site.build()
    lines = [r.getMessage() for r in caplog.records if "duplicate id 'same'" in r.getMessage()]
    assert len(lines) == 1 and "two/same.md" in lines[0]


def test_strict_mode_fails_the_build(broken_site):
    with pytest.raises(ColloquyError, match="COLLOQUY_STRICT"):
        broken_site.build(COLLOQUY_STRICT=True)


def run_check(site):
    settings = site.root / "pelicanconf.py"
    settings.write_text(
        f"exec(open({str(REPO / 'pelicanconf.py')!r}).read())\n"
        f"PATH = {str(site.content)!r}\nTHEME = {str(REPO / 'theme')!r}\n")
    return subprocess.run([sys.executable, "-m", "colloquy", "--settings", str(settings), "check"],
                          capture_output=True, text=True, cwd=site.root,
                          env={"PYTHONPATH": str(REPO / "plugins"), "PATH": "/usr/bin:/bin"})


def test_check_lists_every_problem_and_exits_non_zero(broken_site):
    result = run_check(broken_site)
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert len(lines) == 10  # 5 broken files, orphan, 2 cycle members, unknown essay, website
    assert any(line.startswith("content/comments/slow/bad-date.md:3: error:") for line in lines)
    assert any(": warning: website 'ftp://files.example/'" in line for line in lines)
    assert "10 problem(s) found." in result.stderr


def test_check_passes_on_a_clean_site(site):
    site.essay("slow")
    site.comment("slow", "fine")
    result = run_check(site)
    assert (result.returncode, result.stdout.strip()) == (0, "No problems found.")


# -- hostile comments ----------------------------------------------------------------------

def test_xss_vectors_never_reach_pages_or_feeds(site):
    site.essay("target", "Target")
    for number, vector in enumerate(VECTORS):
        site.comment("target", f"x{number}", body=vector,
                     author=f"<script>alert({number})</script>\" onmouseover=\"alert(1)",
                     website="javascript:alert(1)")
    site.comment("target", "resp", kind="response", url="https://ok.example/\"><script>x</script>",
                 body="ok")
    site.build()
    out = site.output
    for page in ["essays/target/index.html", "essays/target/threads/x0/index.html",
                 "essays/target/threads/x5/index.html", "index.html"]:
        tree = site.html(page)
        assert executable_bits(tree.find("body")) == [], page
        head = tree.find("head")
        assert executable_bits(head, allowed_tags={"meta", "link"}) == [], page
    for feed in ["essays/target/comments.atom.xml", "feeds/comments.atom.xml",
                 "essays/target/threads/x0/feed.atom.xml"]:
        tree = lxml.etree.parse(str(out / feed))
        for content in tree.iter(f"{ATOM}content"):
            assert fragment_bits(content.text or "") == [], feed
        assert b"<script" not in (out / feed).read_bytes().replace(b"&lt;script", b"")


def test_parallel_build_writes_the_same_site(conversation_site, tmp_path):
    """COLLOQUY_WORKERS=2 reads and writes in forked processes; the output must not change."""
    import shutil
    out = conversation_site.output
    serial = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    shutil.rmtree(out)
    shutil.rmtree(conversation_site.cache)
    conversation_site.build(COLLOQUY_WORKERS=2)
    parallel = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert serial.keys() == parallel.keys()
    assert [p for p in serial if serial[p] != parallel[p]] == []


def test_drafts_build_and_keep_their_comments_quiet(site, caplog):
    site.essay("published")
    (site.content / "essays" / "draft.md").write_text(
        "Title: A Draft\nDate: 2026-09-09\nStatus: draft\n\nNot yet.\n", encoding="utf-8")
    site.comment("a-draft", "early", body="Seen in preview.")
    with caplog.at_level(logging.WARNING, logger="colloquy"):
        site.build()
    assert (site.output / "drafts" / "draft.html").exists() or list(site.output.rglob("draft*"))
    assert not [r for r in caplog.records if "no essay has the slug 'a-draft'" in r.getMessage()]


def test_archive_and_topic_pages_list_the_essays(conversation_site):
    archive = conversation_site.html("archives/index.html")
    assert [a.text_content() for a in archive.cssselect("ol.archive a")] == [
        "A Quiet Essay", "Slow Replies"]
    topic = conversation_site.html("tags/conversation/index.html")
    assert [a.text_content() for a in topic.cssselect("ol.archive a")] == ["Slow Replies"]
