"""The one header reader: comment files, digest notes and imports all read `key: value`
lines with it, and it lists every problem with its line."""

from __future__ import annotations

from colloquy.comments import read_header


def problems(text: str, **options) -> list[tuple[int, str]]:
    found = read_header(text.split("\n"), "c.md", **options)
    return [(p.line, p.problem) for p in found.problems]


def test_a_good_header_gives_keys_with_their_lines_and_the_body_start():
    lines = "id: a\nauthor: Ines\ndate: 2026-09-02T10:00:00+00:00\n\nBody.\n".split("\n")
    found = read_header(lines, "a.md")
    assert found.fields == {"id": ("a", 1), "author": ("Ines", 2),
                            "date": ("2026-09-02T10:00:00+00:00", 3)}
    assert (found.body_start, found.problems) == (4, [])


def test_every_problem_is_listed_with_its_line():
    text = "id: a\nAuthor: Ines\nnot a header line\nid: b\ndate: today\n\nBody."
    assert problems(text) == [
        (2, "key 'Author' is not lower-case"),
        (3, "header line is not 'key: value': 'not a header line'"),
        (4, "key 'id' given twice (first on line 1)")]


def test_no_header_and_a_header_that_never_ends():
    assert [p for _, p in problems("Just a body.\n")] == ["no header"]
    assert [p for _, p in problems("\nid: a\n")] == ["no header"]
    assert problems("id: a\nauthor: b") == [(2, "the header never ends")]


def test_an_optional_header_of_known_keys_as_digest_notes_have():
    found = read_header("Title: Week one\n\nMy words.".split("\n"), "n.md",
                        known=("week", "title"), fold_case=True)
    assert (found.fields, found.body_start, found.problems) == ({"title": ("Week one", 1)}, 2, [])
    found = read_header("My words: the week.\nMore.".split("\n"), "n.md",
                        known=("week", "title"), fold_case=True)
    assert (found.fields, found.body_start) == ({}, 0)
