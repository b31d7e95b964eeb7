"""The text rule at the comment file, seen through real builds and `colloquy check`."""

from __future__ import annotations

import logging

import feedparser
import lxml.etree
import lxml.html

from colloquy.cli import main
from intake_support import site_settings_file

# Every kind of character XML 1.0 cannot carry that issue reports found in the wild.
BAD = {"esc": "\x1b[2J", "bel": "\x07", "vt": "\x0b", "ff": "\x0c", "soh": "\x01",
       "nul": "\x00", "fffe": "\ufffe", "ffff": "\uffff", "del": "\x7f", "c1": "\x85"}


def assert_every_page_and_feed_parses(output) -> int:
    """Each HTML page parses; each feed is well-formed XML and feedparser reads it whole."""
    count = 0
    for path in output.rglob("*"):
        if path.suffix == ".html":
            lxml.html.fromstring(path.read_bytes())
            count += 1
        elif path.name.endswith(".xml"):
            lxml.etree.fromstring(path.read_bytes())  # strict: raises on a bad character
            parsed = feedparser.parse(path.read_bytes())
            assert not parsed.bozo, (path, parsed.get("bozo_exception"))
            count += 1
    return count


def test_a_body_and_name_with_each_unclean_character_build(site, caplog):
    site.essay("on-noise", title="On Noise")
    for n, (name, ch) in enumerate(BAD.items()):
        comment_id = f"20260902-1000{n:02d}-abcdef"
        text = (f"id: {comment_id}\nauthor: Reader{ch} {name}\n"
                f"date: 2026-09-02T10:00:{n:02d}+00:00\n\nBefore{ch}after, in {name}.\n")
        site.raw(f"comments/on-noise/{comment_id}.md", text.encode("utf-8"))
    with caplog.at_level(logging.WARNING):
        output = site.build()
    assert assert_every_page_and_feed_parses(output) > 5
    page = site.html("essays/on-noise/index.html")
    shown = " ".join(page.xpath("//text()"))
    for name, ch in BAD.items():
        assert f"Before{ch.lstrip(ch[0])}after, in {name}." in shown
        assert f"Reader{ch.lstrip(ch[0])} {name}" in shown
    feed = site.feed("essays/on-noise/comments.atom.xml")
    assert len(feed.entries) == len(BAD)
    warnings = [r.getMessage() for r in caplog.records if "feeds (XML) cannot carry" in r.getMessage()]
    # One warning per unclean line (name and body), each naming the file and the line.
    assert len(warnings) == 2 * len(BAD)
    assert any("on-noise/20260902-100000-abcdef.md:2:" in w and "U+001B" in w for w in warnings)
    assert any("on-noise/20260902-100000-abcdef.md:5:" in w for w in warnings)


def test_check_lists_unclean_lines_as_warnings(site, capsys):
    site.essay("on-noise")
    site.comment("on-noise", "20260902-100000-abcdef", body="Bell\x07 here.")
    conf = site_settings_file(site)
    assert main(["--settings", str(conf), "check"]) == 1
    out = capsys.readouterr().out
    assert "20260902-100000-abcdef.md:5: warning: the line holds control characters or " \
           "noncharacters (U+0007)" in out


def test_check_lists_every_problem_of_every_file_at_its_line(site, capsys):
    site.essay("on-listening")
    site.raw("comments/on-listening/20260902-100000-aaaaaa.md", (
        "id: 20260902-100000-aaaaaa\n"
        "author:\n"
        "date: last tuesday\n"
        "replyto: 20260901-100000-bbbbbb\n"
        "websit: https://reader.example/\n"
        "kind: rant\n"
        "\nFour faults and then some.\n").encode())
    site.raw("comments/on-listening/20260902-110000-cccccc.md", (
        "id: 20260902-110000-cccccc\n"
        "author: Ana\n"
        "date: 2026-09-02T11:00:00+00:00\n"
        "reply-to: 20260101-000000-000000\n"
        "\nA reply to a comment that is not there.\n").encode())
    conf = site_settings_file(site)
    assert main(["--settings", str(conf), "check"]) == 1
    lines = [line.split(": ", 2)[:2] for line in capsys.readouterr().out.splitlines()
             if line.startswith(str(site.content)) or "comments/" in line]
    found = [(where.rsplit("/", 1)[1], kind) for where, kind in lines]
    assert found == [
        ("20260902-100000-aaaaaa.md:2", "error"),    # empty author (was reported at line 7)
        ("20260902-100000-aaaaaa.md:3", "error"),    # bad date
        ("20260902-100000-aaaaaa.md:4", "warning"),  # replyto → did you mean reply-to
        ("20260902-100000-aaaaaa.md:5", "warning"),  # websit → did you mean website
        ("20260902-100000-aaaaaa.md:6", "error"),    # unknown kind
        ("20260902-110000-cccccc.md:4", "warning"),  # unknown parent (was reported at line 1)
    ]


def test_hostile_shapes_past_every_limit_build(site):
    """#9: bodies that cost the square of their length (or ran out of time) before."""
    site.essay("on-shapes")
    bodies = {"quotes": "> " * 100_000, "links": "[](" * 3_334, "lists": "- " * 50_000,
              "references": "&#" * 60_000, "ticks": "``a`" * 2_500, "tags": "<a" * 5_000}
    for n, body in enumerate(bodies.values()):
        site.comment("on-shapes", f"20260902-1000{n:02d}-abcdef", body=body + "\n\nThe end.")
    output = site.build()
    assert_every_page_and_feed_parses(output)
    page = site.html("essays/on-shapes/index.html")
    shown = {a[2:] for a in page.xpath("//@id") if a.startswith("c-")}
    assert len(shown) == len(bodies)
    assert page.xpath("//div[contains(@class, 'comment-body')]//blockquote")  # still quotes
