"""Webmention endpoint discovery, in the order the Recommendation gives (§3.1.2).

1. Every HTTP `Link` header, in order (any number of them, any case of the name,
   several comma-separated links in one, several rel values in one link): the first
   link whose rel values include `webmention`.
2. Else, in an HTML document, the first `<link>` or `<a>` element, in document order,
   with rel containing `webmention` and an `href` attribute (an element without href is
   skipped; markup inside HTML comments or escaped as text is not markup).

The endpoint is resolved against the page's final URL after redirects; an empty href is
the page itself; the endpoint's own query string is kept as it is.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import httpx

from .fetch import Limits, Page, fetch
from .verify import resolve

_LINK_PART = re.compile(r'\s*<([^>]*)>((?:\s*;\s*[^;,"=]+(?:=(?:"[^"]*"|[^;,]*))?)*)')
_PARAM = re.compile(r'\s*;\s*([^=;,\s]+)\s*(?:=\s*("([^"]*)"|[^;,]*))?')


def parse_link_header(value: str) -> list[tuple[str, set[str]]]:
    """`<url>; rel="a b", <url2>; rel=c` → [(url, {"a", "b"}), (url2, {"c"})]."""
    links, position = [], 0
    while position < len(value):
        found = _LINK_PART.match(value, position)
        if not found:
            following = value.find(",", position)  # skip what cannot be read, to the next link
            if following < 0:
                break
            position = following + 1
            continue
        rels: set[str] = set()
        for param in _PARAM.finditer(found.group(2)):
            if param.group(1).lower() == "rel":
                raw = param.group(3) if param.group(3) is not None else (param.group(2) or "")
                rels.update(raw.lower().split())
        links.append((found.group(1).strip(), rels))
        position = found.end()
        while position < len(value) and value[position] in " \t,":
            position += 1
    return links


class _FirstEndpoint(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.href: str | None = None

    def handle_starttag(self, tag, attrs):
        if self.href is not None or tag not in ("link", "a"):
            return
        values = dict(attrs)
        if "href" not in values or values["href"] is None:
            return
        if "webmention" in (values.get("rel") or "").lower().split():
            self.href = values["href"]

    handle_startendtag = handle_starttag


def endpoint_in(page: Page) -> str | None:
    """The endpoint a fetched page advertises, absolute, or None."""
    for value in page.headers.get_list("link"):
        for url, rels in parse_link_header(value):
            if "webmention" in rels:
                return resolve(page.url, url) or None
    if page.content_type in ("text/html", "application/xhtml+xml"):
        parser = _FirstEndpoint()
        try:
            parser.feed(page.text)
            parser.close()
        except Exception:  # a page the lenient parser still refuses advertises nothing
            return None
        if parser.href is not None:
            return resolve(page.url, parser.href) or None
    return None


async def discover(http: httpx.AsyncClient, target: str, limits: Limits) -> str | None:
    """GET the target (redirects followed and checked) and find its endpoint.

    Raises fetch.FetchError when the target cannot be fetched."""
    page = await fetch(http, target, limits)
    if not 200 <= page.status < 300:
        return None
    return endpoint_in(page)
