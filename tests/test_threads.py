"""Comments → threads, responses, mentions, tallies; cross-file problems."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from colloquy.comments import Comment
from colloquy.threads import build_conversations

T0 = datetime(2026, 9, 1, tzinfo=timezone.utc)


def c(id, minutes=0, essay="e", **kw):
    return Comment(id=id, essay=essay, author=id.upper(), date=T0 + timedelta(minutes=minutes),
                   path=f"content/comments/{essay}/{id}.md", **kw)


def test_threads_nest_in_date_order_with_depths():
    comments = [c("root"), c("r2", 5, reply_to="root"), c("r1", 2, reply_to="root"),
                c("deep", 9, reply_to="r1"), c("other", 1)]
    conversations, problems = build_conversations(comments, {"e"})
    conv = conversations["e"]
    assert problems == []
    assert [t.id for t in conv.threads] == ["root", "other"]
    root = conv.threads[0]
    assert [r.id for r in root.replies] == ["r1", "r2"]
    assert [(x.id, x.depth, x.thread_id) for x in root.walk()] == [
        ("root", 0, "root"), ("r1", 1, "root"), ("deep", 2, "root"), ("r2", 1, "root")]


def test_kinds_are_sorted_into_sections():
    comments = [c("a"), c("resp", 1, kind="response", url="https://x.example/p"),
                c("men", 2, kind="mention", url="https://y.example/"), c("l1", 3, kind="like"),
                c("l2", 4, kind="like"), c("rp", 5, kind="repost")]
    conv = build_conversations(comments, {"e"})[0]["e"]
    assert [x.id for x in conv.responses] == ["resp"]
    assert [x.id for x in conv.mentions] == ["men"]
    assert [x.id for x in conv.roots] == ["resp", "a", "men"]
    assert (len(conv.likes), len(conv.reposts), conv.count) == (2, 1, 3)


def test_missing_parent_is_shown_top_level_with_a_warning():
    conv, problems = build_conversations([c("a"), c("b", 1, reply_to="gone")], {"e"})
    assert [t.id for t in conv["e"].threads] == ["a", "b"]
    assert conv["e"].threads[1].orphaned
    assert len(problems) == 1 and "reply-to 'gone'" in problems[0].problem
    assert "top-level" in problems[0].fix


def test_reply_cycle_is_cut_at_its_oldest_comment():
    comments = [c("x", 1, reply_to="z"), c("y", 2, reply_to="x"), c("z", 3, reply_to="y")]
    conv, problems = build_conversations(comments, {"e"})
    assert [t.id for t in conv["e"].threads] == ["x"]
    assert [n.id for n in conv["e"].threads[0].walk()] == ["x", "y", "z"]
    assert len(problems) == 3 and all("reply cycle" in p.problem for p in problems)


def test_duplicate_ids_and_unknown_essays_are_reported_and_skipped():
    comments = [c("a"), c("a", 1, essay="f"), c("b", essay="nowhere")]
    conversations, problems = build_conversations(comments, {"e", "f"})
    assert list(conversations) == ["e"]
    messages = sorted(p.problem for p in problems)
    assert messages[0].startswith("duplicate id 'a'")
    assert messages[1] == "no essay has the slug 'nowhere'"


def test_likes_never_form_threads():
    comments = [c("a"), c("l", 1, kind="like", reply_to="a"), c("r", 2, reply_to="l")]
    conv, problems = build_conversations(comments, {"e"})
    assert [t.id for t in conv["e"].threads] == ["a", "r"]
    assert conv["e"].threads[0].replies == []
    assert len(conv["e"].likes) == 1 and len(problems) == 2


def test_a_very_deep_thread_does_not_hit_recursion_limits():
    comments = [c("n0")] + [c(f"n{i}", i, reply_to=f"n{i-1}") for i in range(1, 3000)]
    conv = build_conversations(comments, {"e"})[0]["e"]
    assert sum(1 for _ in conv.threads[0].walk()) == 3000
