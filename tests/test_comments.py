"""The comment file format: one source → one expected outcome per test."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from colloquy.comments import (Comment, format_comment, load_comments, parse_comment,
                               write_comment)
from colloquy.errors import CommentFileError

GOOD = """id: 20260915-071203-a1b2c3
author: Jonas  Berg
date: 2026-09-15T07:12:03+02:00
reply-to: 20260914-100000-ffffff
website: https://jonas.example.net/
mood: curious

Hello *there*.
"""


def write(tmp_path, text, name="20260915-071203-a1b2c3", essay="an-essay"):
    path = tmp_path / essay / f"{name}.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    return path


def error_for(tmp_path, text, **kwargs) -> CommentFileError:
    with pytest.raises(CommentFileError) as info:
        parse_comment(write(tmp_path, text, **kwargs))
    return info.value


def test_parses_every_field(tmp_path):
    comment = parse_comment(write(tmp_path, GOOD))
    assert comment.id == "20260915-071203-a1b2c3"
    assert comment.essay == "an-essay"
    assert comment.author == "Jonas Berg"
    assert comment.date.utcoffset().total_seconds() == 7200
    assert comment.reply_to == "20260914-100000-ffffff"
    assert comment.website == "https://jonas.example.net/"
    assert comment.kind == "comment"
    assert comment.extra == {"mood": "curious"}
    assert comment.body == "Hello *there*."


def test_crlf_and_bom_are_accepted(tmp_path):
    text = "\ufeff" + GOOD.replace("\n", "\r\n")
    assert parse_comment(write(tmp_path, text)).author == "Jonas Berg"


@pytest.mark.parametrize("text, line, words", [
    ("Just a body with no header.\n", 1, "no header"),
    ("", 1, "no header"),
    ("id: 20260915-071203-a1b2c3\nauthor: A\n\nbody", 3, "missing required key 'date'"),
    ("id: 20260915-071203-a1b2c3\ndate: 2026-09-15T07:12:03Z\n\nbody", 3,
     "missing required key 'author'"),
    ("id: 20260915-071203-a1b2c3\nauthor: A\ndate: yesterday\n\nbody", 3,
     "date 'yesterday' is not ISO 8601"),
    ("id: 20260915-071203-a1b2c3\nauthor: A\ndate: 2026-09-15T07:12:03\n\nbody", 3,
     "with a UTC offset"),
    ("id: 20260915-071203-a1b2c3\nauthor: A\nauthor: B\ndate: 2026-09-15T07:12:03Z\n\nx", 3,
     "key 'author' given twice"),
    ("id: 20260915-071203-a1b2c3\nAuthor: A\ndate: 2026-09-15T07:12:03Z\n\nx", 2,
     "key 'Author' is not lower-case"),
    ("id: other-id\nauthor: A\ndate: 2026-09-15T07:12:03Z\n\nx", 1,
     "does not match the file name"),
    ("id: 20260915-071203-a1b2c3\nauthor: A\ndate: 2026-09-15T07:12:03Z\nkind: rant\n\nx", 4,
     "unknown kind 'rant'"),
    ("id: 20260915-071203-a1b2c3\nauthor: A\ndate: 2026-09-15T07:12:03Z\nkind: response\n\nx",
     5, "needs the http(s) URL"),
    ("id: 20260915-071203-a1b2c3\nauthor: A\ndate: 2026-09-15T07:12:03Z\nthis is prose\n\nx", 4,
     "header line is not 'key: value'"),
    ("id: 20260915-071203-a1b2c3\nauthor: A\ndate: 2026-09-15T07:12:03Z\n"
     "reply-to: 20260915-071203-a1b2c3\n\nx", 4, "replies to itself"),
])
def test_bad_files_name_line_and_fix(tmp_path, text, line, words):
    error = error_for(tmp_path, text)
    assert error.line == line
    assert words in error.problem
    assert error.fix  # every message says how to fix it
    assert str(error).startswith(f"{error.path}:{line}: ")


def test_invalid_utf8_names_the_line(tmp_path):
    raw = b"id: 20260915-071203-a1b2c3\nauthor: Ren\xe9\ndate: 2026-09-15T07:12:03Z\n\nx"
    error = error_for(tmp_path, raw)
    assert error.line == 2
    assert "invalid UTF-8" in error.problem
    assert "UTF-8" in error.fix


def test_bad_website_is_dropped_with_a_warning(tmp_path):
    text = GOOD.replace("https://jonas.example.net/", "javascript:alert(1)")
    warnings: list[CommentFileError] = []
    comment = parse_comment(write(tmp_path, text), warnings=warnings)
    assert comment.website is None
    assert len(warnings) == 1 and not warnings[0].fatal
    assert warnings[0].line == 5 and "website" in warnings[0].problem


def test_load_comments_keeps_going_past_broken_files(tmp_path):
    write(tmp_path, GOOD)
    write(tmp_path, "no header here\n", name="broken")
    comments, problems = load_comments(tmp_path)
    assert [c.id for c in comments] == ["20260915-071203-a1b2c3"]
    assert [p.path.endswith("broken.md") for p in problems] == [True]


def make_comment(**changes) -> Comment:
    values = dict(id="20260915-071203-a1b2c3", essay="an-essay", author="Ana",
                  date=datetime(2026, 9, 15, 7, 12, 3, tzinfo=timezone.utc), body="Hi.")
    values.update(changes)
    return Comment(**values)


def test_write_then_parse_round_trips(tmp_path):
    original = make_comment(reply_to="20260914-000000-000000", kind="response",
                            url="https://ana.example/post", extra={"lang": "en"},
                            source="web", source_id="42")
    path = write_comment(tmp_path, original)
    again = parse_comment(path)
    for name in ("id", "essay", "author", "date", "body", "reply_to", "kind", "url", "source",
                 "source_id", "extra"):
        assert getattr(again, name) == getattr(original, name), name


def test_write_never_clobbers_and_leaves_no_temp_files(tmp_path):
    write_comment(tmp_path, make_comment())
    with pytest.raises(FileExistsError):
        write_comment(tmp_path, make_comment(body="changed"))
    assert [p.name for p in (tmp_path / "an-essay").iterdir()] == ["20260915-071203-a1b2c3.md"]


@pytest.mark.parametrize("field, value", [
    ("author", "ana@example.org"),
    ("body", "write me at ana.b+x@mail.example.org or call 192.168.10.20"),
    ("body", "my box is 2001:db8::1 and fe80::1ff:fe23:4567:890a"),
])
def test_no_email_or_ip_address_is_ever_written(tmp_path, field, value):
    text = format_comment(make_comment(**{field: value}))
    assert "@" not in text
    assert "192.168" not in text and "2001:db8" not in text and "fe80" not in text
    assert "[address removed]" in text


def test_unsafe_ids_are_refused_before_touching_disk(tmp_path):
    with pytest.raises(ValueError):
        write_comment(tmp_path, make_comment(essay="../../etc"))
