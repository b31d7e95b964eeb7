"""Endpoint discovery against local reproductions of the 23 webmention.rocks discovery
tests, written from their published descriptions (https://webmention.rocks/)."""

from __future__ import annotations

import asyncio

import pytest
from webmention_support import Answer, reader_site

from colloquy.webmention import discover, fetch
from colloquy.webmention.discover import parse_link_header

HTML = {"content-type": "text/html; charset=utf-8"}


def page(body: str, head: str = "") -> str:
    return (f"<!doctype html><html><head><title>Discovery test</title>{head}</head>"
            f"<body><article class='h-entry'><div class='e-content'>{body}</div></article>"
            "</body></html>")


def with_link(value, name="Link"):
    values = value if isinstance(value, list) else [value]
    return [("content-type", "text/html; charset=utf-8")] + [(name, v) for v in values]


# number: (headers, html, the endpoint a sender must find, relative to the reader's site)
CASES = {
    1: (with_link("</test/1/webmention>; rel=webmention"), page("Link header, relative"),
        "/test/1/webmention"),
    2: (with_link("<{base}/test/2/webmention>; rel=webmention"), page("absolute"),
        "/test/2/webmention"),
    3: (HTML, page("link tag", '<link rel="webmention" href="/test/3/webmention">'),
        "/test/3/webmention"),
    4: (HTML, page("link tag", '<link href="{base}/test/4/webmention" rel="webmention">'),
        "/test/4/webmention"),
    5: (HTML, page('Its <a rel="webmention" href="/test/5/webmention">endpoint</a>.'),
        "/test/5/webmention"),
    6: (HTML, page('Its <a href="{base}/test/6/webmention" rel="webmention">endpoint</a>.'),
        "/test/6/webmention"),
    7: (with_link("<{base}/test/7/webmention>; rel=webmention", name="LinK"), page("casing"),
        "/test/7/webmention"),
    8: (with_link('<{base}/test/8/webmention>; rel="webmention"'), page("quoted rel"),
        "/test/8/webmention"),
    9: (HTML, page("two rels", '<link rel="webmention somethingelse" '
                               'href="{base}/test/9/webmention">'), "/test/9/webmention"),
    10: (with_link('<{base}/test/10/webmention>; rel="webmention somethingelse"'),
         page("two rels in the header"), "/test/10/webmention"),
    11: (with_link('</test/11/webmention>; rel="webmention"'),
         page('and an <a href="/test/11/webmention/error" rel="webmention">a tag</a>',
              '<link rel="webmention" href="/test/11/webmention/error">'),
         "/test/11/webmention"),
    12: (HTML, page('a <a href="/test/12/webmention" rel="webmention">correct endpoint</a>',
                    '<link rel="not-webmention" href="/test/12/webmention/error">'),
         "/test/12/webmention"),
    13: (HTML, page('a comment <!-- <a href="/test/13/webmention/error" rel="webmention"></a> '
                    '--> and a <a href="/test/13/webmention" rel="webmention">correct one</a>'),
         "/test/13/webmention"),
    14: (HTML, page('code <code>&lt;a href="/test/14/webmention/error" rel="webmention"&gt;'
                    '&lt;/a&gt;</code> and a <a href="/test/14/webmention" rel="webmention">'
                    'correct one</a>'), "/test/14/webmention"),
    15: (HTML, page("empty href", '<link rel="webmention" href="">'), "/test/15"),
    16: (HTML, page('an <a href="/test/16/webmention" rel="webmention">a tag</a>, later a '
                    '<link rel="webmention" href="/test/16/webmention/error">'),
         "/test/16/webmention"),
    17: (HTML, page('a <link rel="webmention" href="/test/17/webmention"> tag, later an '
                    '<a href="/test/17/webmention/error" rel="webmention">a tag</a>'),
         "/test/17/webmention"),
    18: (with_link(['<{base}/test/18/webmention/error>; rel="other"',
                    '<{base}/test/18/webmention>; rel="webmention"']), page("two headers"),
         "/test/18/webmention"),
    19: (with_link('<{base}/test/19/webmention/error>; rel="other", '
                   '<{base}/test/19/webmention>; rel="webmention"'), page("one header"),
         "/test/19/webmention"),
    20: (HTML, page('a <link rel="webmention"> without href, then '
                    '<a href="/test/20/webmention" rel="webmention">this one</a>'),
         "/test/20/webmention"),
    21: (HTML, page("query", '<link rel="webmention" href="/test/21/webmention?query=yes">'),
         "/test/21/webmention?query=yes"),
    22: (HTML, page("relative to the path", '<link rel="webmention" href="22/webmention">'),
         "/test/22/webmention"),
}


def serve_cases(reader):
    for number, (headers, body, _) in CASES.items():
        headers = [(k, v.format(base=reader.url)) for k, v in
                   (headers.items() if isinstance(headers, dict) else headers)]
        reader.pages[f"/test/{number}"] = Answer(200, body.replace("{base}", reader.url),
                                                 headers)
    # 23: the target redirects, and the endpoint is relative to the page it lands on.
    reader.page("/test/23/page", "", status=302, headers={"location": "/test/23/page/k3y"})
    reader.page("/test/23/page/k3y", page(
        "landed", '<link rel="webmention" href="webmention-endpoint/k3y">'))


EXPECTED = {**{n: case[2] for n, case in CASES.items()},
            23: "/test/23/page/webmention-endpoint/k3y"}


def target_of(number: int) -> str:
    return "/test/23/page" if number == 23 else f"/test/{number}"


@pytest.fixture(scope="module")
def rocks():
    with reader_site() as reader:
        serve_cases(reader)
        yield reader


@pytest.mark.parametrize("number", sorted(EXPECTED))
def test_discovery_case(rocks, number):
    limits = fetch.Limits(allow_private=True)

    async def find(url):
        async with fetch.client() as http:
            return await discover.discover(http, url, limits)

    found = asyncio.run(find(rocks.url + target_of(number)))
    assert found == rocks.url + EXPECTED[number]


def test_no_endpoint_and_private_targets():
    async def find(url, allow):
        async with fetch.client() as http:
            return await discover.discover(http, url, fetch.Limits(allow_private=allow))

    with reader_site() as reader:
        url = reader.page("/plain", page("no endpoint here"))
        assert asyncio.run(find(url, True)) is None
        with pytest.raises(fetch.FetchError, match="private, loopback"):
            asyncio.run(find(url, False))


@pytest.mark.parametrize("header, expected", [
    ("<https://e.example/a>; rel=webmention", [("https://e.example/a", {"webmention"})]),
    ('<https://e.example/a>; REL="Webmention other"', [("https://e.example/a",
                                                         {"webmention", "other"})]),
    ('<https://e.example/a,b>; title="x, y"; rel=webmention',
     [("https://e.example/a,b", {"webmention"})]),
    ("junk, <https://e.example/b>; rel=webmention", [("https://e.example/b", {"webmention"})]),
    ("", []),
])
def test_link_header_parsing(header, expected):
    assert parse_link_header(header) == expected
