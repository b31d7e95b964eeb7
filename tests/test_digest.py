"""The weekly digest, on real sites built in a temporary folder (TIMEZONE Europe/Berlin)."""

from __future__ import annotations

import logging
import shutil
from datetime import datetime, timezone

import lxml.html
import pytest

from colloquy import cli
from colloquy.checks import check_site
from colloquy.notes import DigestError
from colloquy.site import draft
from colloquy.weeks import Week
from test_substance import write_conf

NOW = "2027-01-06T12:00:00+01:00"   # a Wednesday: 2027-W01 is the running week
LONG = ("I have been turning this over for days, and I think the essay is right about letters "
        "but wrong about work, where a slow answer can block somebody else's whole afternoon. "
        "What would it take to make slowness safe there?")
NOTE = """week: 2026-W38
title: Slow week, deep thread

<!-- private: remember to thank Nora -->
My own words lead this digest.
"""


def populate(site):
    site.essay("alpha", date="2026-08-31 09:00")
    site.essay("beta", date="2026-09-01 09:00")
    site.essay("gamma", date="2026-12-20 09:00")
    c = site.comment
    # 2026-W37 ends Sunday 13 September 23:59:59 in Berlin.
    c("alpha", "a-sun", "Sunday night words, just before the week ends in Berlin.",
      author="Ines", date="2026-09-13T23:59:00+02:00")
    c("alpha", "a-tokyo", "Written on Monday morning in Tokyo, still Sunday in Berlin.",
      author="Kenji", date="2026-09-14T06:30:00+09:00")
    # 2026-W38 starts Monday 14 September 00:00 in Berlin.
    c("alpha", "a-mon", "Monday at midnight, a short one.", author="Ines",
      date="2026-09-14T00:00:00+02:00")
    c("alpha", "a-utc", "Sunday evening in London is Monday already in Berlin, so this "
      "comment belongs to the second week and says a little more than the other one.",
      author="Olu", date="2026-09-13T22:30:00+00:00")
    c("beta", "deep", LONG, author="Nora", date="2026-09-15T10:00:00+02:00")
    c("beta", "deep-r1", "That is the question I wanted to ask too, from the other side.",
      author="Ines", reply_to="deep", date="2026-09-15T12:00:00+02:00")
    c("beta", "deep-r2", "At work we tried a 'no answer expected today' tag, with mixed luck.",
      author="Olu", reply_to="deep", date="2026-09-16T12:00:00+02:00")
    c("beta", "deep-me", "You are right, and I owe this a follow-up essay.", author="Mara",
      role="author", reply_to="deep", date="2026-09-16T18:00:00+02:00")
    c("beta", "deep-drop", "+1 https://example.org/plus-one", author="Quick",
      reply_to="deep", date="2026-09-17T08:00:00+02:00")
    c("alpha", "drop", "https://example.org/look-at-this", author="Linker",
      date="2026-09-18T08:00:00+02:00")
    c("beta", "resp", "I answered this on my own site, at some length.", author="Remy",
      kind="response", url="https://remy.example/posts/slow", date="2026-09-19T08:00:00+02:00")
    c("beta", "like1", "", author="Fan", kind="like", date="2026-09-19T09:00:00+02:00")
    c("beta", "mention", "Weekly links: a long read on slow answers at work", author="Links Site",
      kind="mention", url="https://links.example/42", date="2026-09-19T10:00:00+02:00")
    # Quiet weeks: likes only (W40), shared links only (W41).
    c("beta", "like2", "", author="Fan", kind="like", date="2026-10-01T09:00:00+02:00")
    c("beta", "drop2", "https://example.org/again", author="Linker",
      date="2026-10-07T09:00:00+02:00")
    # 2026 has 53 ISO weeks: W53 runs Monday 28 December 2026 to Sunday 3 January 2027.
    c("gamma", "w53-mon", "The first Monday of the last week, words of my own here.",
      author="Sol", date="2026-12-28T00:00:00+01:00")
    c("gamma", "w53-new-year", "New year's day, and still week fifty-three of 2026.",
      author="Tam", date="2027-01-01T10:00:00+01:00")
    c("gamma", "w53-last", "The last second of the week, and my own words with it.",
      author="Uma", date="2027-01-03T23:59:59+01:00")
    # The running week (2027-W01) is not published until it ends.
    c("gamma", "running", "Too early for a digest: this week has not ended yet.",
      author="Vic", date="2027-01-04T09:00:00+01:00")


@pytest.fixture
def built(site):
    populate(site)
    site.raw("digests/2026-w38.md", NOTE.encode())
    site.build(COLLOQUY_DIGEST_NOW=NOW)
    return site


def texts(tree, xpath):
    return [" ".join(e.text_content().split()) for e in tree.xpath(xpath)]


def test_weeks_follow_the_site_time_zone(built):
    pages = sorted(p.name for p in (built.output / "digest").iterdir() if p.is_dir())
    assert pages == ["2026-w37", "2026-w38", "2026-w53"]   # quiet and running weeks absent
    w37 = built.html("digest/2026-w37/index.html").text_content()
    assert "Sunday night words" in w37 and "still Sunday in Berlin" in w37
    assert "Monday at midnight" not in w37
    w38 = built.html("digest/2026-w38/index.html").text_content()
    assert "Sunday evening in London" in w38 and "still Sunday in Berlin" not in w38
    w53 = built.html("digest/2026-w53/index.html").text_content()
    for phrase in ("first Monday of the last week", "New year’s day", "last second of the week"):
        assert phrase in w53
    assert "Too early" not in w53
    archive = built.html("digest/index.html")
    assert [a.get("href") for a in archive.xpath("//ol[contains(@class,'digest-archive')]//a")
            ] == [f"https://essays.example/digest/2026-w{n}/" for n in ("53", "38", "37")]


def test_week_arithmetic():
    from zoneinfo import ZoneInfo

    berlin = ZoneInfo("Europe/Berlin")
    assert Week.parse("2026-W53").end(berlin) == datetime(2027, 1, 4, tzinfo=berlin)
    assert Week.of(datetime(2021, 1, 3, 12, tzinfo=timezone.utc), berlin) == Week(2020, 53)
    assert Week.parse("2026-w01").previous() == Week(2025, 1 + 51)
    for bad in ("2026-37", "2026-W5", "26-W05", "2025-W53", "2026-W00"):
        with pytest.raises(ValueError):
            Week.parse(bad)


def test_threads_ranked_by_substance_and_reshares_never_featured(built):
    page = built.html("digest/2026-w38/index.html")
    threads = page.xpath("//li[contains(@class,'digest-thread')]/h3/a[1]/@href")
    assert [h.rstrip("/").rsplit("/", 1)[1] for h in threads] == ["deep", "a-utc", "a-mon"]
    excerpts = " ".join(texts(page, "//blockquote[contains(@class,'digest-excerpt')]"))
    assert "What would it take" in excerpts
    text = page.text_content()
    assert "example.org/plus-one" not in text and "look-at-this" not in text
    assert "2 shared links" in text and "1 like" in text
    # The response is listed apart; Nora and Olu are new voices, Ines is not.
    assert texts(page, "//ul[contains(@class,'digest-responses')]/li/a[1]") == ["Remy"]
    voices = texts(page, "//ul[contains(@class,'digest-voices')]/li/a")
    assert "Nora" in voices and "Olu" in voices and "Ines" not in voices
    assert "Links Site" not in voices and "1 mention" in text and "Weekly links" not in text
    # The essay and the thread say where they were quoted; reshares are shown, greyed.
    beta = built.html("essays/beta/index.html")
    assert beta.xpath("//p[contains(@class,'featured-in')]/a/@href") == [
        "https://essays.example/digest/2026-w38/"]
    thread = built.html("essays/beta/threads/deep/index.html")
    note = thread.xpath("//p[contains(@class,'featured-in')]")[0]
    assert "Slow week, deep thread (Nora, Ines)" in note.text_content()
    drop = beta.xpath("//*[@id='c-deep-drop']")[0]
    assert "reshare" in drop.get("class")
    assert "A shared link, shown as posted and never featured" in drop.text_content()


def test_author_words_lead_page_and_feed(built):
    page = built.html("digest/2026-w38/index.html")
    assert texts(page, "//h1") == ["Slow week, deep thread"]
    first = page.xpath("//div[@class='digest-week']/*[1]")[0]
    assert first.get("class") == "digest-author"
    assert "My own words lead this digest." in first.text_content()
    assert "private" not in (built.output / "digest/2026-w38/index.html").read_text()
    feed = built.feed("feeds/digest.atom.xml")
    entry = next(e for e in feed.entries if e.id.endswith(":digest/2026-w38"))
    assert entry.title.startswith("Slow week, deep thread")
    content = entry.content[0].value
    assert content.index("My own words lead") < content.index("The week's conversations")
    assert "private" not in content


def test_feed_one_entry_per_week_with_stable_ids_and_dates(built):
    for name in ("feeds/digest.atom.xml", "feeds/digest.rss.xml"):
        feed = built.feed(name)
        assert not feed.bozo, feed.bozo_exception
        assert [e.id for e in feed.entries] == [
            f"tag:essays.example,2026:digest/2026-w{n}" for n in ("53", "38", "37")]
    atom = built.feed("feeds/digest.atom.xml")
    w37 = atom.entries[2]
    assert datetime.fromisoformat(w37.updated) == datetime.fromisoformat(
        "2026-09-13T23:59:59+02:00")
    assert w37.link == "https://essays.example/digest/2026-w37/"
    assert "Sunday night words" in w37.content[0].value
    before = {n: (built.output / n).read_bytes()
              for n in ("feeds/digest.atom.xml", "feeds/digest.rss.xml",
                        "digest/2026-w38/index.html")}
    built.build(COLLOQUY_DIGEST_NOW=NOW)                       # warm rebuild
    assert {n: (built.output / n).read_bytes() for n in before} == before
    shutil.rmtree(built.output)
    shutil.rmtree(built.cache)
    built.build(COLLOQUY_DIGEST_NOW="2027-01-09T12:00:00+01:00")  # cold, later, same week
    assert {n: (built.output / n).read_bytes() for n in before} == before


def test_the_running_week_appears_once_it_ends(built):
    built.build(COLLOQUY_DIGEST_NOW="2027-01-11T00:00:00+01:00")
    assert (built.output / "digest/2027-w01/index.html").exists()
    assert built.feed("feeds/digest.atom.xml").entries[0].id.endswith("digest/2027-w01")


def test_a_note_may_date_its_own_entry(site):
    populate(site)
    site.raw("digests/2026-w53.md",
             b"week: 2026-W53\ndate: 2027-01-04T09:30:00+01:00\n\nA new year.\n")
    site.build(COLLOQUY_DIGEST_NOW=NOW)
    entry = site.feed("feeds/digest.atom.xml").entries[0]
    assert datetime.fromisoformat(entry.published) == datetime.fromisoformat(
        "2027-01-04T09:30:00+01:00")
    assert texts(site.html("digest/2026-w53/index.html"), "//h1") == ["Week 53, 2026"]


def test_bad_digest_files_are_reported_and_the_rest_builds(site, caplog):
    populate(site)
    site.raw("digests/2026-w99.md", b"No such week.\n")
    site.raw("digests/notes.md", b"Not named after a week.\n")
    site.raw("digests/2027-w10.md", b"Written ahead of time.\n")
    site.raw("digests/2026-w38.md", b"week: 2026-W37\n\nWrong header.\n")
    site.raw("digests/2026-w45.md", b"A quiet week.\n")
    with caplog.at_level(logging.WARNING):
        site.build(COLLOQUY_DIGEST_NOW=NOW)
    log = "\n".join(r.getMessage() for r in caplog.records if "digests" in r.getMessage())
    assert "2026-w99.md:1: '2026-w99.md': 2026 has no ISO week 99" in log
    assert "notes.md:1: 'notes.md' is not named after a week; name it" in log
    assert "2027-w10.md:1: week 2027-W10 has not begun yet" in log
    assert "2026-w38.md:1: 'week: 2026-W37' does not match the file name" in log
    assert "2026-w45.md:1: week 2026-W45 had no conversation" in log
    assert (site.output / "digest/2026-w38/index.html").exists()
    assert "Wrong header" not in (site.output / "digest/2026-w38/index.html").read_text()
    assert not (site.output / "digest/2026-w45").exists()
    problems = check_site(site.settings(COLLOQUY_DIGEST_NOW=NOW))
    assert {p.path.rsplit("/", 1)[1] for p in problems} == {
        "2026-w99.md", "notes.md", "2027-w10.md", "2026-w38.md", "2026-w45.md"}


def test_draft_writes_a_prefilled_note_and_never_overwrites(site, tmp_path, capsys):
    populate(site)
    settings = site.settings(COLLOQUY_DIGEST_NOW=NOW)
    target, backup, week = draft(settings)           # default: the last week that ended
    assert (week.key, target.name, backup) == ("2026-W53", "2026-w53.md", None)
    text = target.read_text()
    assert text.startswith("week: 2026-W53\ntitle: ")
    assert "<!--" in text and "Sol" in text and "Tallies: 3 comments" in text
    # Each featured comment is quoted in its own words (read apart from its record).
    assert "“The first Monday of the last week, words of my own here.”" in text
    target.write_text("week: 2026-W53\ntitle: My year's end\n\nMine, all mine.\n")
    conf = write_conf(site, tmp_path, COLLOQUY_DIGEST_NOW=NOW)
    assert cli.main(["--settings", str(conf), "digest", "draft"]) == 2
    assert "already exists; your words are kept" in capsys.readouterr().err
    assert "Mine, all mine." in target.read_text()
    assert cli.main(["--settings", str(conf), "digest", "draft", "--week", "2026-W53",
                     "--force"]) == 0
    assert "Mine, all mine." in (target.parent / "2026-w53.md.bak").read_text()
    assert "Mine, all mine." not in target.read_text()
    for week_text, message in (("2026-W99", "2026 has no ISO week 99"),
                               ("2026-37", "is not a week"),
                               ("2026-W45", "had no conversation"),
                               ("2027-W05", "has not begun yet")):
        with pytest.raises(DigestError, match=message):
            draft(settings, week_text)
    running, _, _ = draft(settings, "2027-W01")      # the running week may be drafted early
    assert "still running" in running.read_text()
    # A running week is gathered apart from the ended ones; its comments are quoted too.
    in_week = site.settings(COLLOQUY_DIGEST_NOW="2026-12-31T12:00:00+01:00")
    target.unlink()
    early, _, _ = draft(in_week, "2026-W53")
    assert "“The first Monday of the last week, words of my own here.”" in early.read_text()
    site.build(COLLOQUY_DIGEST_NOW=NOW)
    assert not (site.output / "digest/2027-w01").exists()


MACHINE_WORDS = ("came in", "keep thinking about", "Tallies:", "points", "ranked by substance",
                 "status")


def test_a_fresh_draft_publishes_nothing_as_the_authors_words(site, caplog):
    populate(site)
    settings = site.settings(COLLOQUY_DIGEST_NOW=NOW)
    target, _, _ = draft(settings, "2026-W38")
    text = target.read_text()
    assert "status: draft" in text.split("\n\n")[0]          # in the header
    assert "The conversation I keep thinking about" in text   # offered, in the private notes
    with caplog.at_level(logging.WARNING):
        site.build(COLLOQUY_DIGEST_NOW=NOW)
    assert "2026-w38.md:3: still a draft" in caplog.text
    page = site.html("digest/2026-w38/index.html")
    assert not page.xpath("//*[@class='digest-author']")
    assert texts(page, "//h1") == ["Week 38, 2026"]
    entry = next(e for e in site.feed("feeds/digest.atom.xml").entries
                 if e.id.endswith("2026-w38"))
    shown = page.text_content() + entry.content[0].value + entry.title
    assert not [w for w in MACHINE_WORDS if w in shown]
    problems = check_site(settings)
    assert [(p.line, p.fatal, p.problem) for p in problems
            if p.path.endswith("2026-w38.md")] == [
        (3, False, "still a draft: nothing in it is published")]
    # The author writes their words and deletes the status line: now they lead the week.
    target.write_text(text.replace("status: draft\n", "") + "What a week it was.\n")
    site.build(COLLOQUY_DIGEST_NOW=NOW)
    page = site.html("digest/2026-w38/index.html")
    assert texts(page, "//div[@class='digest-author']") == ["What a week it was."]
    assert not [w for w in MACHINE_WORDS if w in page.text_content()]
    assert not [p for p in check_site(settings) if p.path.endswith("2026-w38.md")]


@pytest.mark.parametrize("opening", ["Note: this week the thread about work went deep.",
                                     "Update: the question from Nora gets an essay of its own."])
def test_an_opening_like_a_header_line_is_published_as_written(site, opening):
    populate(site)
    site.raw("digests/2026-w38.md", f"title: Slow week\n\n{opening}\n\nMore words.\n".encode())
    site.raw("digests/2026-w37.md", f"{opening}\n".encode())   # no header at all
    site.build(COLLOQUY_DIGEST_NOW=NOW)
    feed = site.feed("feeds/digest.atom.xml")
    for week in ("2026-w38", "2026-w37"):
        page = site.html(f"digest/{week}/index.html")
        author = page.xpath("//div[@class='digest-author']/p")
        assert " ".join(author[0].text_content().split()) == opening
        entry = next(e for e in feed.entries if e.id.endswith(week))
        content = lxml.html.fromstring(entry.content[0].value)
        first = content.xpath("//div[@class='digest-author']/p")[0]
        assert " ".join(first.text_content().split()) == opening


def test_reader_pages_show_no_machinery(built):
    for name in ("digest/2026-w38/index.html", "digest/index.html"):
        page = built.html(name)
        text = page.text_content()
        for word in ("substance", "Why this is here", "colloquy explain", "log2", "points"):
            assert word not in text, (name, word)
        assert not page.xpath("//details") and not page.xpath("//code")
    entry = built.feed("feeds/digest.atom.xml").entries[1]
    assert "substance" not in entry.content[0].value
    # The excerpts are there, for readers, with their authors.
    page = built.html("digest/2026-w38/index.html")
    assert texts(page, "//blockquote[@class='digest-excerpt']/footer/a")[:2] == ["Nora", "Ines"]
    assert texts(page, "//p[@class='meta']/a")[0] == "follow the digest (Atom feed)"


def test_strict_builds_fail_on_digest_problems(site):
    from colloquy.errors import ColloquyError

    populate(site)
    site.raw("digests/2026-w99.md", b"No such week.\n")
    with pytest.raises(ColloquyError, match="COLLOQUY_STRICT"):
        site.build(COLLOQUY_DIGEST_NOW=NOW, COLLOQUY_STRICT=True)


# -- a published week is a record ---------------------------------------------------------

LATER = "2027-03-03T12:00:00+01:00"


def week_view(site, slug="2026-w38"):
    """What readers see of a week: its page's digest and its feed entry."""
    page = site.html(f"digest/{slug}/index.html")
    body = lxml.html.tostring(page.xpath("//div[@class='digest-week']")[0])
    entry = next(e for e in site.feed("feeds/digest.atom.xml").entries if e.id.endswith(slug))
    return body, entry.content[0].value, entry.updated, entry.title


def threads_of(site, slug="2026-w38"):
    page = site.html(f"digest/{slug}/index.html")
    return [h.rstrip("/").rsplit("/", 1)[1]
            for h in page.xpath("//li[@class='digest-thread']/h3/a[1]/@href")]


def late_replies(site):
    """Replies in February to the W38 thread that ranked last: live, it would now rank second."""
    for n, who in enumerate(("Pia", "Quin", "Rosa", "Sven", "Tove")):
        site.comment("alpha", f"late-{n}", f"Answering this months later, as {who}, with words "
                     "of my own about the midnight comment.", author=who, reply_to="a-mon",
                     date=f"2027-02-0{n + 1}T10:00:00+01:00")


def test_a_published_week_is_frozen_beside_the_notes(built):
    import json

    stored = json.loads((built.content / "digests/2026-w38.selection.json").read_text())
    assert stored["week"] == "2026-W38"
    assert [t["thread"] for t in stored["threads"]] == ["deep", "a-utc", "a-mon"]
    assert stored["threads"][0]["featured"] == ["deep", "deep-r1"]
    assert stored["updated"] == "2026-09-20T23:59:59+02:00"
    # The running week is not frozen; quiet weeks have nothing to freeze; no temporary
    # file is left behind.
    assert sorted(p.name for p in (built.content / "digests").iterdir()) == [
        "2026-w37.selection.json", "2026-w38.md", "2026-w38.selection.json",
        "2026-w53.selection.json"]
    # A rebuild, days later in the same running week, reads them and writes nothing.
    stamps = {p.name: p.stat().st_mtime_ns for p in (built.content / "digests").iterdir()}
    built.build(COLLOQUY_DIGEST_NOW="2027-01-09T12:00:00+01:00")
    assert {p.name: p.stat().st_mtime_ns
            for p in (built.content / "digests").iterdir()} == stamps


def test_a_later_reply_changes_neither_the_page_nor_the_feed_entry(built):
    before = week_view(built)
    late_replies(built)
    built.build(COLLOQUY_DIGEST_NOW=LATER)
    assert week_view(built) == before
    assert threads_of(built) == ["deep", "a-utc", "a-mon"]
    # The essay page shows the replies: the build did read them.
    assert built.html("essays/alpha/index.html").xpath("//*[@id='c-late-4']")
    # Unfreezing takes the week afresh: the late replies lift the midnight thread, and
    # the feed entry says it was updated.
    conf = write_conf(built, built.root, COLLOQUY_DIGEST_NOW=LATER)
    assert cli.main(["--settings", str(conf), "digest", "unfreeze", "2026-W38"]) == 0
    built.build(COLLOQUY_DIGEST_NOW=LATER)
    assert threads_of(built) == ["deep", "a-mon", "a-utc"]
    after = week_view(built)
    assert after[0] != before[0] and after[1] != before[1]
    assert datetime.fromisoformat(after[2]) == datetime.fromisoformat(LATER)
    # ...and it is frozen again: the next reply changes nothing.
    built.comment("alpha", "later-still", "One more reply, much later, with words of its own.",
                  author="Uwe", reply_to="a-utc", date="2027-03-02T10:00:00+01:00")
    built.build(COLLOQUY_DIGEST_NOW="2027-03-10T12:00:00+01:00")
    assert week_view(built) == after


def test_the_current_text_is_shown_and_a_removed_comment_drops_out(built):
    body, content, updated, _ = week_view(built)
    assert b"What would it take" in body
    deep = built.content / "comments/beta/deep.md"
    deep.write_text(deep.read_text().replace("What would it take", "What could make"))
    (built.content / "comments/beta/deep-r1.md").unlink()
    built.build(COLLOQUY_DIGEST_NOW=LATER)
    page = built.html("digest/2026-w38/index.html")
    excerpts = texts(page, "//blockquote[@class='digest-excerpt']")
    assert any("What could make" in e for e in excerpts)
    assert not any("from the other side" in e for e in excerpts)       # deep-r1, removed
    assert threads_of(built) == ["deep", "a-utc", "a-mon"]
    assert week_view(built)[2] == updated


def test_the_entry_is_updated_when_the_author_changes_their_words(built):
    note = built.content / "digests/2026-w38.md"
    _, _, updated, _ = week_view(built)
    note.write_text(note.read_text().replace("remember to thank Nora", "and Olu"))
    built.build(COLLOQUY_DIGEST_NOW=LATER)
    assert week_view(built)[2] == updated          # private notes are not what readers see
    note.write_text(note.read_text().replace("My own words", "My own, better words"))
    built.build(COLLOQUY_DIGEST_NOW=LATER)
    _, content, new_updated, _ = week_view(built)
    assert "My own, better words" in content
    assert datetime.fromisoformat(new_updated) == datetime.fromisoformat(LATER)
    before = {n: (built.output / n).read_bytes()
              for n in ("feeds/digest.atom.xml", "feeds/digest.rss.xml")}
    built.build(COLLOQUY_DIGEST_NOW="2027-04-01T12:00:00+02:00")   # unchanged rebuild
    assert {n: (built.output / n).read_bytes() for n in before} == before


def test_a_week_that_cannot_be_frozen_is_still_published(site, caplog):
    populate(site)
    site.raw("digests", b"")   # a file where the folder should be: nothing can be written
    with caplog.at_level(logging.WARNING):
        site.build(COLLOQUY_DIGEST_NOW=NOW)
    assert "2026-w38.selection.json:1: the week's selection could not be frozen" in caplog.text
    assert threads_of(site) == ["deep", "a-utc", "a-mon"]


BROKEN = ['{"week": "2026-W38", "threads": [',                       # cut short
          '[1, 2]', '{"week": "2026-W37"}', '{"week": "2026-W38"}',
          '{"week": "2026-W38", "unfrozen": "2027-01-01T00:00:00"}',  # no UTC offset
          '{"week": "2026-W38", "unfrozen": 7}']


@pytest.mark.parametrize("change", [
    lambda d: d.update(updated="yesterday"), lambda d: d.update(threads="deep"),
    lambda d: d["threads"][0].pop("comments"), lambda d: d["threads"][0].update(featured=[[1]]),
    lambda d: d.update(tallies=[[1]]), lambda d: d.pop("responses")] + BROKEN)
def test_a_broken_frozen_file_is_reported_and_kept(built, caplog, change):
    import json

    frozen = built.content / "digests/2026-w38.selection.json"
    if isinstance(change, str):
        frozen.write_text(change)
    else:
        data = json.loads(frozen.read_text())
        change(data)
        frozen.write_text(json.dumps(data))
    kept = frozen.read_bytes()
    late_replies(built)
    with caplog.at_level(logging.WARNING):
        built.build(COLLOQUY_DIGEST_NOW=LATER)
    assert "2026-w38.selection.json:1: the week's frozen selection cannot be read" in caplog.text
    assert "colloquy digest unfreeze 2026-W38" in caplog.text
    assert frozen.read_bytes() == kept
    assert threads_of(built) == ["deep", "a-mon", "a-utc"]      # selected now


def test_unfreezing_a_week_that_is_not_frozen_says_so(site, tmp_path, capsys):
    populate(site)
    conf = write_conf(site, tmp_path, COLLOQUY_DIGEST_NOW=NOW)
    assert cli.main(["--settings", str(conf), "check"]) == 0    # commands only read
    assert not (site.content / "digests").exists()
    assert cli.main(["--settings", str(conf), "digest", "unfreeze", "2026-W38"]) == 2
    assert "week 2026-W38 is not frozen" in capsys.readouterr().err
    assert cli.main(["--settings", str(conf), "digest", "unfreeze", "38"]) == 2
    assert "is not a week" in capsys.readouterr().err


def test_hostile_note_text_is_cleaned_and_the_feed_stays_valid(site, caplog):
    populate(site)
    site.raw("digests/2026-w38.md", "title: Cafe\u0301 week\r\n\r\nBell\x07 and NUL\x00 and "
             "escape\x1b[31m red, and e\u0301.\r\n<script>alert(1)</script>\r\n".encode())
    with caplog.at_level(logging.WARNING):
        site.build(COLLOQUY_DIGEST_NOW=NOW)
    assert "2026-w38.md:1: characters a page or feed cannot carry were removed" in caplog.text
    for name in ("feeds/digest.atom.xml", "feeds/digest.rss.xml"):
        feed = site.feed(name)
        assert not feed.bozo, feed.bozo_exception
    page = site.html("digest/2026-w38/index.html")
    assert texts(page, "//h1") == ["Caf\u00e9 week"]                     # NFC
    words = texts(page, "//div[@class='digest-author']/p")[0]
    assert words.startswith("Bell and NUL and escape[31m red, and \u00e9.")


def test_links_follow_the_sites_url_settings(site):
    populate(site)
    site.build(COLLOQUY_DIGEST_NOW=NOW, ARTICLE_URL="{slug}.html", ARTICLE_SAVE_AS="{slug}.html")
    page = site.html("digest/2026-w38/index.html")
    first = page.xpath("//li[@class='digest-thread']")[0]
    assert first.xpath("h3/a/@href") == ["https://essays.example/beta/threads/deep/",
                                         "https://essays.example/beta.html"]
    assert first.xpath(".//blockquote/footer/a/@href")[0] == "https://essays.example/beta.html#c-deep"
    assert page.xpath("//ul[@class='digest-responses']/li/a[2]/@href") == [
        "https://essays.example/beta.html"]
    entry = site.feed("feeds/digest.atom.xml").entries[1]
    assert 'href="https://essays.example/beta/threads/deep/"' in entry.content[0].value
    assert (site.output / "beta/threads/deep/index.html").exists()


def test_digest_pages_offer_the_digest_feed_first(built):
    for name in ("digest/2026-w38/index.html", "digest/index.html"):
        page = built.html(name)
        first = page.xpath("//head/link[@rel='alternate']")[0]
        assert first.get("href") == "https://essays.example/feeds/digest.atom.xml"
        assert first.get("type") == "application/atom+xml"
    labels = texts(built.html("digest/index.html"), "//p[@class='follow']/a")
    assert labels == ["Atom feed", "RSS feed"]


def test_excerpts_read_as_the_comment_pages_do(site):
    populate(site)
    site.comment("beta", "quoted", 'She said "slow is fine" -- and I\'m not sure... (\'really\') it is.',
                 author="Wen", reply_to="deep", date="2026-09-18T10:00:00+02:00")
    site.build(COLLOQUY_DIGEST_NOW=NOW)
    essay = site.html("essays/beta/index.html")
    digest = site.html("digest/2026-w38/index.html")
    for comment_id in ("deep", "quoted"):
        shown = " ".join(essay.xpath(f"//*[@id='c-{comment_id}']//div[contains(@class,'e-content')]"
                                     )[0].text_content().split())
        excerpt = [e for e in texts(digest, "//blockquote[@class='digest-excerpt']/p")
                   + texts(digest, "//ul[@class='digest-voices']/li")
                   if shown[:25] in e]
        assert excerpt, (shown, comment_id)
    assert "She said “slow is fine” – and I’m not sure… (‘really’) it is." in \
        digest.text_content()
