"""Does a source link to its target, and what does it say? (Webmention §3.2.2, mf2.)

The link check follows the Recommendation: in HTML an `href` or `src` attribute naming
the target counts (parsed, so a URL in the text, in an HTML comment or in escaped markup
does not); in JSON a string value equal to the target; in plain text the target as a
substring. URLs compare leniently: scheme, trailing slash and fragment do not matter.

What the source says is read with mf2py: the h-entry (the first one that names the
target, else the first), its author by the authorship algorithm (the entry's p-author,
then rel=author, then the page's representative h-card), published, content (sanitised
like a comment and cut to an excerpt) and its kind from in-reply-to, like-of, repost-of
and bookmark-of.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

from .. import markup
from ..text import clean, clean_name

HTML_TYPES = ("text/html", "application/xhtml+xml")
MAX_NESTING = 300  # deeper sources are read as pages without microformats
KIND_PROPERTIES = (("in-reply-to", "response"), ("like-of", "like"),
                   ("repost-of", "repost"), ("bookmark-of", "repost"))
# Markdown that plain text must not turn into: the excerpt shows as it was written.
_MARKDOWN = re.compile(r"([\\`*_\[\]<>#~|])")
_LINE_START = re.compile(r"^(\s*)(?:([-+=])|(\d+)([.)]))", re.MULTILINE)
_BLOCK_END = re.compile(r"</(?:p|li|blockquote|pre|h[1-6])>|<br\s*/?>|<hr\s*/?>")


def comparable_url(url: str) -> str:
    """The part of a URL that must match: host (default port dropped), path without a
    trailing slash, query. Scheme and fragment are left out."""
    try:
        parts = urlsplit(url.strip())
        host = (parts.hostname or "").lower()
    except ValueError:  # "https://[" and the like: no page at all
        return ""
    port = parts.port if _has_valid_port(parts) else None
    if port and port not in (80, 443):
        host += f":{port}"
    path = parts.path.rstrip("/")
    if path.endswith("/index.html"):
        path = path[: -len("/index.html")]
    return f"{host}{path}" + (f"?{parts.query}" if parts.query else "")


def _has_valid_port(parts) -> bool:
    try:
        parts.port
    except ValueError:
        return False
    return True


def same_page(a: str, b: str) -> bool:
    key = comparable_url(a) if a and b else ""
    return bool(key) and key == comparable_url(b)


def resolve(base: str, href: str) -> str:
    """href made absolute against base; "" when it cannot be (a malformed URL)."""
    try:
        return urljoin(base, href.strip())
    except ValueError:
        return ""


class _Links(HTMLParser):
    """Every href and src value in a document (comments and text are not markup)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.urls: list[str] = []
        self.base: str | None = None

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name in ("href", "src") and value is not None:
                if tag == "base" and name == "href" and self.base is None:
                    self.base = value
                self.urls.append(value)

    handle_startendtag = handle_starttag


class _Depth(HTMLParser):
    """How deeply elements nest (void elements and stray end tags forgiven)."""

    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta",
            "source", "track", "wbr", "p", "li", "option"}  # the last: often left open

    def __init__(self):
        super().__init__(convert_charrefs=False)
        self.depth = self.deepest = 0

    def handle_starttag(self, tag, attrs):
        if tag not in self.VOID:
            self.depth += 1
            self.deepest = max(self.deepest, self.depth)

    def handle_endtag(self, tag):
        if tag not in self.VOID and self.depth:
            self.depth -= 1


def nesting(body: str) -> int:
    parser = _Depth()
    try:
        parser.feed(body)
        parser.close()
    except Exception:  # a document the lenient parser refuses counts as too deep
        return MAX_NESTING + 1
    return parser.deepest


def links_to(body: str, content_type: str, page_url: str, target: str) -> bool:
    """Whether the fetched source links to target, by the rules of its content type."""
    if content_type in HTML_TYPES or content_type == "":
        parser = _Links()
        try:
            parser.feed(body)
            parser.close()
        except Exception:  # HTMLParser is lenient; anything it still chokes on has no link
            return False
        base = (resolve(page_url, parser.base) or page_url) if parser.base else page_url
        return any(same_page(resolve(base, url), target) for url in parser.urls)
    if content_type == "application/json" or content_type.endswith("+json"):
        try:
            data = json.loads(body)
        except (ValueError, RecursionError):
            return False
        return target in _json_strings(data)
    if content_type == "text/plain":
        return target in body
    return False


def _json_strings(data) -> set[str]:
    found, stack = set(), [data]
    while stack:  # iterative: JSON from outside may nest deeply
        item = stack.pop()
        if isinstance(item, str):
            found.add(item)
        elif isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return found


@dataclass
class Entry:
    """What a verified source says, ready to become a comment."""

    kind: str = "mention"            # response, like, repost or mention
    author: str = ""
    author_url: str | None = None
    published: datetime | None = None
    text: str = ""                   # the excerpt, Markdown-escaped plain text
    names_comment: list[str] = field(default_factory=list)  # in-reply-to URLs (ours)


def read_entry(body: str, page_url: str, target: str, excerpt_chars: int = 600) -> Entry:
    """Read the source's h-entry with mf2py (see the module docstring)."""
    import mf2py

    parsed: dict = {}  # a page read as without microformats: a mention by its host
    if nesting(body) <= MAX_NESTING:  # parse time and recursion grow with the depth
        try:
            parsed = mf2py.parse(doc=body, url=page_url, html_parser="html.parser")
        except Exception:  # hostile markup the parser chokes on reads as no microformats
            parsed = {}
    entries = list(_entries(parsed.get("items", [])))
    entry = next((e for e in entries if _names_target(e, target)), None) or \
        (entries[0] if entries else {"properties": {}})
    props = entry.get("properties", {})
    found = Entry()
    for prop, kind in KIND_PROPERTIES:
        urls = [u for u in (_url_of(v) for v in props.get(prop, [])) if same_page(u, target)]
        if urls:
            found.kind = kind
            found.names_comment = urls if prop == "in-reply-to" else []
            break
    name, url = author_of(entry, parsed, page_url)
    found.author = clean_name(name)[:80] or (urlsplit(page_url).hostname or "someone")
    found.author_url = url if url and url.startswith(("http://", "https://")) else None
    found.published = _date(props.get("published", [None])[0])
    if found.kind not in ("like", "repost"):
        found.text = excerpt(_content_html(props), excerpt_chars)
    return found


def _entries(items):
    """Every h-entry in document order, those nested in h-feeds and other items too."""
    stack = list(reversed(items))
    while stack:
        item = stack.pop()
        if "h-entry" in item.get("type", []):
            yield item
        stack.extend(reversed(item.get("children", [])))


def _names_target(entry: dict, target: str) -> bool:
    props = entry.get("properties", {})
    return any(same_page(_url_of(v), target)
               for prop, _ in KIND_PROPERTIES for v in props.get(prop, []))


def _url_of(value) -> str:
    if isinstance(value, dict):
        urls = value.get("properties", {}).get("url") or [value.get("value", "")]
        value = urls[0] if urls else ""
    return value if isinstance(value, str) else ""


def author_of(entry: dict, parsed: dict, page_url: str) -> tuple[str, str | None]:
    """Name and URL of the author (authorship algorithm, without fetching author pages)."""
    author = (entry.get("properties", {}).get("author") or [None])[0]
    if isinstance(author, dict):
        props = author.get("properties", {})
        name = _first_str(props.get("name")) or author.get("value", "")
        url = _first_str(props.get("url"))
        if name and not name.startswith(("http://", "https://")):
            return name, url
        author = url or name
    if isinstance(author, str) and author:
        if author.startswith(("http://", "https://")):
            card = _card_with_url(parsed, author)
            return (_card_name(card) if card else urlsplit(author).hostname or ""), author
        return author, None
    for url in parsed.get("rels", {}).get("author", []):
        card = _card_with_url(parsed, url)
        if card:
            return _card_name(card), url
    card = representative_card(parsed, page_url)
    if card:
        return _card_name(card), _first_str(card["properties"].get("url"))
    return "", None


def representative_card(parsed: dict, page_url: str) -> dict | None:
    cards = [i for i in parsed.get("items", []) if "h-card" in i.get("type", [])]
    me = parsed.get("rels", {}).get("me", [])
    for card in cards:
        props = card.get("properties", {})
        urls, uids = props.get("url", []), props.get("uid", [])
        if any(same_page(u, page_url) for u in urls if isinstance(u, str)) and \
                any(same_page(u, page_url) for u in uids if isinstance(u, str)):
            return card
        if any(isinstance(u, str) and u in me for u in urls):
            return card
    if len(cards) == 1 and any(same_page(u, page_url) for u in
                               cards[0].get("properties", {}).get("url", [])
                               if isinstance(u, str)):
        return cards[0]
    return None


def _card_with_url(parsed: dict, url: str) -> dict | None:
    stack = list(parsed.get("items", []))
    while stack:
        item = stack.pop()
        props = item.get("properties", {})
        if "h-card" in item.get("type", []) and any(
                isinstance(u, str) and same_page(u, url) for u in props.get("url", [])):
            return item
        stack.extend(item.get("children", []))
        stack.extend(v for values in props.values() for v in values if isinstance(v, dict)
                     and "type" in v)
    return None


def _card_name(card: dict) -> str:
    return _first_str(card.get("properties", {}).get("name")) or ""


def _first_str(values) -> str | None:
    for value in values or []:
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None


def _date(value) -> datetime | None:
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip().replace(" ", "T", 1)
    text = re.sub(r"([+-]\d\d)(\d\d)$", r"\1:\2", text).replace("Z", "+00:00")
    try:
        date = datetime.fromisoformat(text)
    except ValueError:
        return None
    return date if date.tzinfo else date.replace(tzinfo=timezone.utc)


def _content_html(props: dict) -> str:
    for prop in ("content", "summary", "name"):
        value = (props.get(prop) or [None])[0]
        if isinstance(value, dict):
            return value.get("html") or _escape_html(value.get("value", ""))
        if isinstance(value, str) and value.strip():
            return _escape_html(value)
    return ""


def _escape_html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def excerpt(html: str, limit: int) -> str:
    """Sanitised HTML → plain paragraphs, cut at a word near `limit`, Markdown-escaped."""
    safe = markup.sanitise(html)
    text = markup.text_of(_BLOCK_END.sub("\n\n", safe))
    paragraphs = [" ".join(p.split()) for p in clean(text).split("\n\n")]
    text = "\n\n".join(p for p in paragraphs if p)
    if len(text) > limit:
        cut = text[:limit]
        cut = cut[: cut.rfind(" ")] if " " in cut[limit // 2:] else cut
        text = cut.rstrip(" ,;:.\n") + " …"
    text = _MARKDOWN.sub(r"\\\1", text)
    return _LINE_START.sub(_escape_line_start, text)


def _escape_line_start(match: re.Match) -> str:
    if match.group(2):
        return f"{match.group(1)}\\{match.group(2)}"
    return f"{match.group(1)}{match.group(3)}\\{match.group(4)}"
