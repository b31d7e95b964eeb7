"""What verify.py reads from a source: unit cases, hostile ones as carefully as good ones."""

from __future__ import annotations

import pytest

from colloquy.webmention.verify import comparable_url, excerpt, links_to, read_entry

TARGET = "https://essays.example/essays/on-listening/"
PAGE = "https://reader.example/post"


@pytest.mark.parametrize("a, b", [
    ("https://essays.example/essays/x/", "http://essays.example/essays/x"),
    ("https://ESSAYS.example:443/essays/x/index.html", "https://essays.example/essays/x/#c-1"),
])
def test_lenient_url_comparison(a, b):
    assert comparable_url(a) == comparable_url(b)


@pytest.mark.parametrize("a, b", [
    ("https://essays.example/essays/x/", "https://essays.example/essays/xy/"),
    ("https://essays.example/essays/x/", "https://essays.example:8443/essays/x/"),
    ("https://essays.example/essays/x/?a=1", "https://essays.example/essays/x/"),
])
def test_different_urls_stay_different(a, b):
    assert comparable_url(a) != comparable_url(b)


def test_relative_links_and_base_are_resolved():
    assert links_to('<a href="/essays/on-listening/">x</a>', "text/html",
                    "https://essays.example/other", TARGET)
    assert links_to('<base href="https://essays.example/essays/"><a href="on-listening/">x</a>',
                    "text/html", PAGE, TARGET)


@pytest.mark.parametrize("body", [
    "<div>" * 50_000 + f'<a href="{TARGET}">deep</a>',
    "\x00\ufffe<a href='" + TARGET + "'>x</a>",
    "<a href=\"" + TARGET + "\"",          # the tag never closes
])
def test_hostile_html_never_raises(body):
    assert links_to(body, "text/html", PAGE, TARGET) in (True, False)
    entry = read_entry(body, PAGE, TARGET)
    assert entry.kind == "mention" and entry.author


def test_deep_json_is_no_link():
    assert links_to("[" * 100_000 + "]" * 100_000, "application/json", PAGE, TARGET) is False


def test_names_and_text_follow_the_text_rule():
    page = f"""<article class="h-entry"><a class="u-in-reply-to" href="{TARGET}">re</a>
      <span class="p-author h-card"><span class="p-name">\u202eRosa\u200b Quill\x07</span></span>
      <div class="e-content"><script>alert(1)</script><p>* not a list</p><p>1. nor this,
      [nor](javascript:x) a link &lt;b&gt;</p><img src=x onerror=alert(1)></div></article>"""
    entry = read_entry(page, PAGE, TARGET)
    assert entry.author == "Rosa Quill"
    assert "alert" not in entry.text and "<" not in entry.text.replace("\\<", "")
    assert entry.text.startswith("\\* not a list")
    assert "1\\. nor this" in entry.text and "\\[nor\\]" in entry.text


def test_excerpt_cuts_at_a_word():
    text = excerpt("<p>" + "word " * 500 + "</p>", 100)
    assert len(text) <= 102 and text.endswith(" …") and "wor …" not in text


def test_an_in_reply_to_elsewhere_is_a_mention():
    page = f"""<article class="h-entry"><a class="u-in-reply-to" href="https://else.example/">
      re</a><div class="e-content">I also link <a href="{TARGET}">here</a>.</div></article>"""
    assert read_entry(page, PAGE, TARGET).kind == "mention"


# -- open-ended input: whatever a source or a header says, reading never fails ----------

from hypothesis import given, settings as hypothesis_settings, strategies as st  # noqa: E402

from colloquy.text import clean  # noqa: E402
from colloquy.webmention.discover import parse_link_header  # noqa: E402

URL_PART = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40)


@hypothesis_settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_any_link_header_parses_without_error(header):
    for url, rels in parse_link_header(header):
        assert isinstance(url, str) and all(rel == rel.lower() for rel in rels)


@hypothesis_settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.from_regex(r"[a-z0-9/._?=&-]{1,30}", fullmatch=True),
                          st.lists(st.sampled_from(["webmention", "other", "me", "x-y"]),
                                   min_size=1, max_size=3),
                          st.booleans()), min_size=1, max_size=4))
def test_well_formed_link_headers_read_back(links):
    header = ", ".join(f'<{url}>; rel={chr(34) + " ".join(rels) + chr(34) if quoted else rels[0]}'
                       for url, rels, quoted in links)
    expected = [(url, set(rels) if quoted else {rels[0]}) for url, rels, quoted in links]
    assert parse_link_header(header) == expected


@hypothesis_settings(max_examples=150, deadline=None)
@given(st.text(max_size=400), st.sampled_from(["text/html", "application/json", "text/plain",
                                               "image/png", ""]))
def test_any_source_body_gives_an_answer(body, content_type):
    assert links_to(body, content_type, PAGE, TARGET) in (True, False)


@hypothesis_settings(max_examples=150, deadline=None)
@given(st.text(max_size=600), st.integers(min_value=20, max_value=300))
def test_any_content_makes_a_clean_short_escaped_excerpt(html, limit):
    text = excerpt(html, limit)
    assert clean(text) == text
    unescaped = text.replace("\\\\", "").replace("\\<", "").replace("\\>", "")
    assert "<" not in unescaped and ">" not in unescaped
    assert len(text.replace("\\", "")) <= limit + 2


@hypothesis_settings(max_examples=150, deadline=None)
@given(URL_PART, URL_PART)
def test_url_comparison_never_raises_and_is_reflexive(host, path):
    url = f"https://{host}/{path}"
    assert comparable_url(url) == comparable_url(url)
