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


# -- the text rule: characters XML cannot carry are cleaned when read, with a warning ----

UNCLEAN = ["\x1b[2J", "\x07", "\x0b", "\x0c", "\x01", "\ufffe", "\uffff", "\x00", "\x7f", "\x85"]


@pytest.mark.parametrize("bad", UNCLEAN)
def test_unclean_body_is_cleaned_with_a_warning_naming_the_line(tmp_path, bad):
    text = GOOD.replace("Hello *there*.", f"Hello{bad} *there*.")
    warnings: list[CommentFileError] = []
    comment = parse_comment(write(tmp_path, text), warnings=warnings)
    assert comment.body == "Hello" + bad.lstrip(bad[0]) + " *there*."
    [warning] = warnings
    assert not warning.fatal and warning.line == 8
    assert f"U+{ord(bad[0]):04X}" in warning.problem
    assert "delete them" in warning.fix


def test_unclean_author_and_values_are_cleaned(tmp_path):
    text = GOOD.replace("Jonas  Berg", "Jo\x00nas\u200b Berg\x1b").replace("curious", "cu\x07rious")
    warnings: list[CommentFileError] = []
    comment = parse_comment(write(tmp_path, text), warnings=warnings)
    assert comment.author == "Jonas Berg"
    assert comment.extra == {"mood": "curious"}
    assert [w.line for w in warnings] == [2, 2, 6]  # removed characters; then invisible ones


def test_text_not_in_nfc_is_normalised_with_a_warning(tmp_path):
    text = GOOD.replace("Jonas  Berg", "Rene\u0301").replace("Hello", "Cafe\u0301")
    warnings: list[CommentFileError] = []
    comment = parse_comment(write(tmp_path, text), warnings=warnings)
    assert comment.author == "René" and comment.body.startswith("Café")
    assert [(w.line, "NFC" in w.problem) for w in warnings] == [(2, True), (8, True)]


@pytest.mark.parametrize("name, words", [
    ("\u200b\u200b", "no visible character"), ("\u202e\u2066", "no visible character"),
    ("\x00", "key 'author' is empty"), (" \x1b ", "key 'author' is empty")])
def test_author_with_nothing_visible_is_an_error(tmp_path, name, words):
    error = error_for(tmp_path, GOOD.replace("Jonas  Berg", name))
    assert error.line == 2 and words in error.problem


def test_lone_carriage_returns_end_lines(tmp_path):
    comment = parse_comment(write(tmp_path, GOOD.replace("\n", "\r")))
    assert comment.author == "Jonas Berg" and comment.body == "Hello *there*."


# -- every problem of a file, in one pass, each at its own line --------------------------

FOUR_FAULTS = """id: 20260915-071203-a1b2c3
author:
date: yesterday
replyto: 20260914-100000-ffffff
kind: rant
websit: https://x.example/

Body.
"""


def test_every_problem_of_a_file_is_found_at_its_line(tmp_path):
    from colloquy.comments import read_comment

    comment, problems = read_comment(write(tmp_path, FOUR_FAULTS))
    assert comment is None
    assert [(p.line, p.fatal) for p in problems] == [
        (2, True), (3, True), (4, False), (5, True), (6, False)]
    assert "key 'author' is empty" in problems[0].problem
    assert "did you mean 'reply-to'" in problems[2].problem
    assert "did you mean 'website'" in problems[4].problem


def test_unknown_keys_that_resemble_nothing_pass_silently(tmp_path):
    warnings: list[CommentFileError] = []
    parse_comment(write(tmp_path, GOOD), warnings=warnings)  # `mood:` is the author's own
    assert warnings == []


def test_read_header_never_raises_and_reports_each_line(tmp_path):
    from colloquy.comments import read_header

    lines = ["id: x", "Author: A", "id: y", "not a header line", "date: d", "", "body"]
    header, body_start, problems = read_header(lines, tmp_path / "f.md")
    assert {k: v for k, v in header.items()} == {
        "id": ("x", 1), "author": ("A", 2), "date": ("d", 5)}
    assert body_start == 6
    assert [p.line for p in problems] == [2, 3, 4]
    header, body_start, problems = read_header(["id: x", "author: A"], "f.md")
    assert (body_start, [p.line for p in problems]) == (2, [2])
    assert "never ends" in problems[0].problem
    assert read_header(["prose"], "f.md")[2][0].problem == "no header"
    # An optional header of known keys (a digest note): the first other line is body.
    note = ["Title: A week", "week: 2026-w37", "", "Words."]
    assert read_header(note, "n.md", known=("week", "title"), fold_case=True) == (
        {"title": ("A week", 1), "week": ("2026-w37", 2)}, 3, [])
    assert read_header(["Note: this week", "", "x"], "n.md", known=("week",)) == ({}, 0, [])
    assert read_header(["", "x"], "n.md", known=("week",)) == ({}, 0, [])
    assert read_header(["week: 1", "Words."], "n.md", known=("week",)).body_start == 1


def test_write_comment_takes_any_folder_name_pelican_allows(tmp_path):
    path = write_comment(tmp_path, make_comment(essay="Cancel_Dajie"))
    assert path == tmp_path / "Cancel_Dajie" / "20260915-071203-a1b2c3.md"
    assert parse_comment(path).essay == "Cancel_Dajie"


@pytest.mark.parametrize("essay", ["..", ".hidden", "a/b", "", "a\x00b"])
def test_write_comment_refuses_folder_names_that_leave_the_root(tmp_path, essay):
    with pytest.raises(ValueError):
        write_comment(tmp_path, make_comment(essay=essay))
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("date", ["0001-01-01T00:00:00+05:00", "9999-12-31T23:59:59-05:00"])
def test_dates_at_the_ends_of_time_are_refused_not_fatal(tmp_path, date):
    error = error_for(tmp_path, GOOD.replace("2026-09-15T07:12:03+02:00", date))
    assert error.line == 3 and "outside the years" in error.problem


def test_bidi_and_invisible_characters_leave_names_with_a_warning(tmp_path):
    warnings: list[CommentFileError] = []
    text = GOOD.replace("Jonas  Berg", "Ma\u200bra \u202eEllison")
    comment = parse_comment(write(tmp_path, text), warnings=warnings)
    assert comment.author == "Mara Ellison"
    assert [(w.line, w.fatal, "bidirectional" in w.problem) for w in warnings] == [
        (2, False, True)]


def test_written_files_follow_the_text_rule(tmp_path):
    path = write_comment(tmp_path, make_comment(author="A\x1bna", body="Hi\x07 there\ufffe.",
                                                extra={"mood": "ca\x00lm"}))
    warnings: list[CommentFileError] = []
    again = parse_comment(path, warnings=warnings)
    assert (again.author, again.body, again.extra) == ("Ana", "Hi there.", {"mood": "calm"})
    assert warnings == []  # nothing left to clean when read
