"""Follow-up essays: both sides link; unknown targets are reported and the rest builds."""

from __future__ import annotations

import logging

from colloquy.checks import check_site

NOW = "2026-10-20T12:00:00+02:00"


def populate(site, **followups):
    site.essay("origin", date="2026-09-01 09:00")
    site.comment("origin", "root", "A thread that deserved an essay of its own, I think.",
                 author="Ines", date="2026-09-02T10:00:00+02:00")
    site.comment("origin", "reply", "And a reply inside it, with a few words of mine.",
                 author="Olu", reply_to="root", date="2026-09-03T10:00:00+02:00")
    for slug, value in followups.items():
        site.essay(slug, date="2026-09-20 09:00", followup=value)


def test_thread_followup_links_both_ways(site):
    populate(site, sequel="origin#root")
    site.build(COLLOQUY_DIGEST_NOW=NOW)
    sequel = site.html("essays/sequel/index.html")
    note = sequel.xpath("//p[contains(@class,'followup-of')]")[0]
    assert [a.get("href") for a in note.xpath(".//a")] == [
        "https://essays.example/essays/origin/threads/root/",
        "https://essays.example/essays/origin/"]
    assert "the thread started by Ines" in note.text_content()
    origin = site.html("essays/origin/index.html")
    assert origin.xpath("//p[contains(@class,'followed-up')]/a[1]/@href") == [
        "https://essays.example/essays/sequel/"]
    thread = site.html("essays/origin/threads/root/index.html")
    assert thread.xpath("//p[contains(@class,'followed-up')]/a/@href") == [
        "https://essays.example/essays/sequel/"]
    # The thread's digest names the essay it prompted; the follow-up is in its own week's.
    thread_week = site.html("digest/2026-w36/index.html")
    assert thread_week.xpath("//li[@class='digest-thread']/p[@class='meta']/a/@href") == [
        "https://essays.example/essays/sequel/"]
    week = site.html("digest/2026-w38/index.html")
    assert week.xpath("//ul[@class='digest-followups']/li/a[1]/@href") == [
        "https://essays.example/essays/sequel/"]


def test_essay_followup_and_a_reply_id_stand_for_their_thread(site):
    populate(site, whole="origin", viareply="origin#reply")
    site.build(COLLOQUY_DIGEST_NOW=NOW)
    origin = site.html("essays/origin/index.html")
    assert sorted(origin.xpath("//p[contains(@class,'followed-up')]/a[not(contains(@href,"
                               "'threads'))]/@href")) == [
        "https://essays.example/essays/viareply/", "https://essays.example/essays/whole/"]
    thread = site.html("essays/origin/threads/root/index.html")
    assert thread.xpath("//p[contains(@class,'followed-up')]/a/@href") == [
        "https://essays.example/essays/viareply/"]
    whole = site.html("essays/whole/index.html")
    assert whole.xpath("//p[contains(@class,'followup-of')]/a/@href") == [
        "https://essays.example/essays/origin/"]


def test_unknown_targets_are_reported_and_the_rest_builds(site, caplog):
    populate(site, lost="no-such-essay", badthread="origin#nope", selfref="selfref",
             good="origin")
    with caplog.at_level(logging.WARNING):
        site.build(COLLOQUY_DIGEST_NOW=NOW)
    log = "\n".join(r.getMessage() for r in caplog.records)
    assert ("lost.md:5: followup 'no-such-essay': 'no-such-essay' is not the slug of any "
            "essay; use the slug") in log
    assert "badthread.md:5: followup 'origin#nope': essay 'origin' has no thread 'nope'" in log
    assert "selfref.md:5: the essay names itself" in log
    assert not site.html("essays/lost/index.html").xpath("//p[contains(@class,'followup-of')]")
    # An unknown thread falls back to the whole essay.
    assert site.html("essays/badthread/index.html").xpath(
        "//p[contains(@class,'followup-of')]/a/@href") == ["https://essays.example/essays/origin/"]
    assert site.html("essays/good/index.html").xpath("//p[contains(@class,'followup-of')]")
    problems = check_site(site.settings(COLLOQUY_DIGEST_NOW=NOW))
    assert sorted(p.path.rsplit("/", 1)[1] for p in problems) == [
        "badthread.md", "lost.md", "selfref.md"]
