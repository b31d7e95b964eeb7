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
