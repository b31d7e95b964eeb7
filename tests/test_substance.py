"""Substance scores: own words, link density, replies, the author, responses; reshares."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from colloquy import cli
from colloquy.comments import Comment
from colloquy.substance import analyse, assess, explain, score_all
from colloquy.threads import build_conversations

WHEN = datetime(2026, 9, 14, 10, 0, tzinfo=timezone.utc)


def make(id, body, author="Reader", reply_to=None, kind="comment", role=None, minute=0, **kw):
    return Comment(id=id, essay="e", author=author, date=WHEN.replace(minute=minute),
                   body=body, reply_to=reply_to, kind=kind, role=role, path=f"e/{id}.md", **kw)


def scored(*comments):
    conversations, problems = build_conversations(list(comments), {"e"})
    assert not [p for p in problems if p.fatal]
    score_all(conversations.values())
    return conversations["e"].by_id


@pytest.mark.parametrize("body, words, links", [
    ("Three plain words", 3, 0),
    ("> a quoted line of someone else\nMine here", 2, 0),
    ("Look https://example.org/a?b=c and www.example.com too", 3, 2),
    ("A [named link](https://example.org/x) counts its text", 6, 1),
    ("<https://example.org/auto> alone", 1, 1),
    ("Before\n\n```python\nprint('code is not words')\n```\nAfter", 2, 0),
    ("Text\n\n    indented code block here\n\nMore", 2, 0),
    ("Use `inline code` sparingly", 2, 0),
    ("don't split well-known U.S. words", 5, 0),
    ("", 0, 0),
])
def test_own_words_and_links(body, words, links):
    text = analyse(body)
    assert (text.words, text.links) == (words, links)


def test_worked_example_from_the_docs():
    # docs/substance.md, example 1: 34 own words, one link, two replies, the author below.
    body = ("I think the argument holds for letters but not for work chat, where a slow "
            "answer can block someone else for a day; see https://example.org/post for what "
            "we tried instead and why it half worked.")
    by_id = scored(make("a", body), make("b", "Interesting, thanks for the pointer to that.",
                                         author="Other", reply_to="a", minute=1),
                   make("c", "I'd like to write about this.", author="Mara", role="author",
                        reply_to="a", minute=2))
    comment = by_id["a"]
    assert (comment.own_words, comment.links) == (34, 1)
    result = assess(comment)
    points = {t.name: t.points for t in result.terms}
    assert points == {"own words": 5.13, "link density": -0.11, "replies drawn": 2.0,
                      "author took part": 2.0, "response": 0.0}
    assert comment.substance == result.substance == 9.02
    assert not comment.reshare


def test_replies_are_capped_and_self_replies_do_not_count():
    comments = [make("root", "A question worth asking about slowness and care.")]
    comments += [make(f"r{i}", "An answer with words.", author=f"P{i}", reply_to="root",
                      minute=i + 1) for i in range(7)]
    comments.append(make("self", "And one more from me.", reply_to="root", minute=30))
    by_id = scored(*comments)
    terms = {t.name: t.points for t in assess(by_id["root"]).terms}
    assert terms["replies drawn"] == 5.0


def test_author_deep_in_the_thread_counts_for_every_ancestor():
    by_id = scored(make("a", "First words of a thread here."),
                   make("b", "Second words in reply here.", author="B", reply_to="a", minute=1),
                   make("c", "Thanks both.", author="Mara", role="author", reply_to="b",
                        minute=2))
    assert "author" in explain(by_id["a"]) and by_id["a"].substance > by_id["b"].substance - 2
    assert {t.name: t.points for t in assess(by_id["a"]).terms}["author took part"] == 2
    # The author's own comment earns no author points and is never a reshare.
    assert not by_id["c"].reshare


@pytest.mark.parametrize("body, kind, reshare", [
    ("https://example.org/look-at-this", "comment", True),
    ("+1", "comment", True),
    ("Great post, see https://example.org/x", "comment", True),
    ("", "mention", True),
    ("This is a longer comment of mine with plenty of words and one link "
     "https://example.org/x at the end.", "comment", False),
    ("Short.", "response", False),
])
def test_reshares(body, kind, reshare):
    extra = {"url": "https://their.example/post"} if kind in ("response", "mention") else {}
    by_id = scored(make("x", body, kind=kind, **extra))
    assert by_id["x"].reshare is reshare


def test_response_bonus_and_floor_at_zero():
    by_id = scored(make("r", "I wrote a longer reply on my own site.", kind="response",
                        url="https://their.example/post"),
                   make("l", "https://example.org/only-a-link", author="L", minute=1))
    assert {t.name: t.points for t in assess(by_id["r"]).terms}["response"] == 3.0
    assert by_id["l"].substance == 0.0


def test_explain_command_prints_every_term(site, tmp_path, capsys):
    site.essay("e")
    site.comment("e", "c1", body="A reply with some words of its own and https://example.org/x")
    conf = write_conf(site, tmp_path)
    assert cli.main(["--settings", str(conf), "explain", "c1"]) == 0
    out = capsys.readouterr().out
    for name in ("own words", "link density", "replies drawn", "author took part", "response",
                 "substance", "reshare"):
        assert name in out
    assert cli.main(["--settings", str(conf), "explain", "nope"]) == 2
    assert "no comment has the id 'nope'" in capsys.readouterr().err


def write_conf(site, tmp_path, **extra):
    from conftest import REPO

    values = {"PATH": str(site.content), "OUTPUT_PATH": str(site.output),
              "THEME": str(REPO / "theme"), "SITEURL": "https://essays.example",
              "TIMEZONE": "Europe/Berlin", "ARTICLE_PATHS": ["essays"],
              "ARTICLE_EXCLUDES": ["comments", "digests"],
              "COLLOQUY_DIGEST_NOW": "2026-09-30T12:00:00+02:00"}
    values.update(extra)
    conf = tmp_path / "testconf.py"
    conf.write_text("".join(f"{k} = {v!r}\n" for k, v in values.items()), encoding="utf-8")
    return conf


# -- hostile shapes at the intake's length limit (#9): counted right, in linear time -----

@pytest.mark.parametrize("unit, words, links", [
    ("[](", 0, 0), ("[", 0, 0), ("<a", 5000, 0), ("<http://", 1250, 0),
    ("``a`", 1251, 0),  # 2,500 runs of one and two backticks: every pair found
    ("[a](https://x.example) ", 435, 435),  # 434 links, and the cut one a bare URL
    ("see `code` ", 910, 0),
])
def test_adversarial_bodies_at_the_limit(unit, words, links):
    body = (unit * (10_000 // len(unit) + 1))[:10_000]
    text = analyse(body)
    assert (text.words, text.links) == (words, links)


@pytest.mark.parametrize("line, kept", [
    ("a `code` b", "a   b"), ("a ``x`y`` b", "a   b"), ("a ``` b ` c", "a ``` b ` c"),
    ("`a``b``", "`a "), ("no code", "no code"),
])
def test_code_spans_pair_runs_of_equal_length(line, kept):
    from colloquy.substance import _strip_inline_code

    assert _strip_inline_code(line) == kept
