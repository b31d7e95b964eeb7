"""Comment Markdown → sanitised HTML: one source, one expected result."""

from __future__ import annotations

import lxml.html
import pytest
from hypothesis import given
from hypothesis import strategies as st

from colloquy import markup
from colloquy.markup import render, sanitise, text_of
from xss import VECTORS, fragment_bits


@pytest.mark.parametrize("vector", VECTORS)
def test_nothing_executable_survives(vector):
    html = render(vector)
    assert fragment_bits(html) == [], html


def test_there_are_at_least_thirty_vectors():
    assert len(VECTORS) >= 30


@pytest.mark.parametrize("source, expected", [
    ("*em* and **strong**", "<p><em>em</em> and <strong>strong</strong></p>"),
    ("> quoted\n\nreply", "<blockquote>\n<p>quoted</p>\n</blockquote>\n<p>reply</p>"),
    ("`x < y`", "<p><code>x &lt; y</code></p>"),
    ("# Big heading", "<p><strong>Big heading</strong></p>"),
    ("<b>bold?</b> stays as text", "<p>bold? stays as text</p>"),
    ("~~gone~~", "<p><del>gone</del></p>"),
    ("3. third\n4. fourth", '<ol start="3">\n<li>third</li>\n<li>fourth</li>\n</ol>'),
    ("- one\n- two", "<ul>\n<li>one</li>\n<li>two</li>\n</ul>"),
])
def test_markdown_renders(source, expected):
    assert render(source) == expected


@pytest.mark.parametrize("source", [
    "[a link](https://example.org/page)",
    "see https://example.org/page.",
    "<https://example.org/page>",
])
def test_links_get_nofollow_ugc_noopener(source):
    links = lxml.html.fragment_fromstring(render(source), create_parent="div").findall(".//a")
    assert [a.get("href") for a in links] == ["https://example.org/page"]
    assert links[0].get("rel") == "nofollow ugc noopener"


def test_relative_and_protocol_relative_links_lose_their_href():
    html = render("[a](/admin) [b](//evil.example/x)")
    assert "href" not in html


def test_sanitise_keeps_allowed_html_from_imports():
    assert sanitise('<p onclick="x()">Hi <a href="https://a.example">a</a></p>') == (
        '<p>Hi <a href="https://a.example" rel="nofollow ugc noopener">a</a></p>')


def test_text_of_gives_plain_text():
    html = render("*Hi* & [there](https://x.example)\n\n> quoted `<b>`")
    assert " ".join(text_of(html).split()) == "Hi & there quoted <b>"


def test_rendering_does_not_leak_memory():
    def rss_kib():
        with open("/proc/self/status") as status:
            return next(int(line.split()[1]) for line in status if line.startswith("VmRSS"))
    body = "Some *text* with https://example.org/x and ~~more~~ words. " * 10
    render(body)
    before = rss_kib()
    for number in range(5000):
        render(f"{body} {number}")
    assert rss_kib() - before < 8 * 1024  # the stock wrapper leaked ~70 MiB here


# -- hostile shapes at and past the limits (#9): the cost is bounded by construction -----

@pytest.mark.parametrize("unit", ["> ", "- ", "1. ", "> - ", "* > 2) "])
def test_nesting_on_one_line_is_capped_before_rendering(unit):
    from colloquy.markup import MAX_NESTING, cap_nesting

    body = unit * 100_000 + "deep words"
    capped = cap_nesting(body)
    assert len(capped) < len(unit) * (MAX_NESTING + 1) + 20  # the run is gone, the words stay
    assert capped.endswith("deep words")
    html = render(unit * 10_000 + "deep words")
    tree = lxml.html.fromstring(f"<div>{html}</div>")
    depth = max(len(node.xpath("ancestor::*")) for node in tree.iter())
    assert depth <= 2 * (MAX_NESTING + 2) and "deep words" in html  # a list is <ol><li>


def test_ordinary_nesting_is_left_alone():
    from colloquy.markup import cap_nesting

    body = "> > quoted twice\n> - a list in a quote\n\n1. one\n   - two\n2) not a marker x"
    assert cap_nesting(body) == body


def test_a_body_past_the_render_cap_is_cut_at_a_space():
    from colloquy.markup import MAX_RENDER_CHARS

    html = render("word " * (MAX_RENDER_CHARS // 5 + 1000))
    assert html.endswith("<p>[…]</p>")
    assert html.count("word") <= MAX_RENDER_CHARS // 5
    assert render("&#" * MAX_RENDER_CHARS).endswith("<p>[…]</p>")


@pytest.mark.parametrize("source, expected", [
    ("> Where do replies go?\n\nUnder the comment they \"answer\", I hope.",
     "Under the comment they “answer”, I hope."),
    ("> > quoted twice\n> once\n\nmine & **yours**", "mine & yours"),
    ("> only a quote", "only a quote"),                      # nothing else: the quote
    ("Fish & chips <b>now</b>", "Fish & chips now"),          # entities read, tags gone
    ("word " * 40, "word " * 16 + "word…"),                  # cut at a word, ≤ 90
])
def test_first_words_are_the_comments_own_plain_words(source, expected):
    assert markup.first_words(markup.render(source)) == expected.strip()


@given(st.text(max_size=400))
def test_first_words_are_short_plain_text_whatever_the_body(body):
    words = markup.first_words(markup.render(body))
    assert len(words) <= 90
    assert "\n" not in words and "<blockquote>" not in words
