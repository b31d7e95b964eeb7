"""Comment HTML from exports → the Markdown of a comment file.

Comment bodies are rendered with raw HTML switched off, so HTML kept as it is would show
up as visible tags. Exported HTML is first cleaned by `markup.sanitise` (the same
allowlist the site renders through), then the few tags that survive are written as
Markdown: paragraphs, line breaks, links as [text](url), emphasis, strong, strike,
block quotes as "> ", code and preformatted blocks, lists and rules. Text that Markdown
would read as syntax is escaped, so a comment says what its author typed.
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

from ..markup import sanitise
from ..text import clean

_BLOCKISH = re.compile(
    r"<(/?)(?:div|section|article|header|footer|aside|figure|figcaption|table|thead|tbody|tr|"
    r"dl|dt|dd|h[1-6]|address|center|main|nav|details|summary)\b[^>]*>", re.IGNORECASE)
_CELL = re.compile(r"</?t[dh]\b[^>]*>", re.IGNORECASE)
_BLOCK_TAGS = ("p", "pre", "blockquote", "ul", "ol", "li", "hr", "div", "h1", "h2", "h3",
               "h4", "h5", "h6", "table", "figure", "section", "address", "dl")
_HAS_BLOCK = re.compile(r"<(?:%s)\b" % "|".join(_BLOCK_TAGS), re.IGNORECASE)
# Characters that start Markdown syntax inside a line, and at the start of a line.
_INLINE_SPECIAL = re.compile(r"([\\`*_\[\]<])")  # `<` too: CommonMark would read a tag
_LINE_START = re.compile(r"^(\s*)(#{1,6}(?=\s|$)|>|[-+*](?=\s)|\d+(?=[.)]\s)|=+\s*$|-{3,}\s*$)")
_IMG = re.compile(r"<img\b[^>]*>", re.IGNORECASE)
_ATTR = r"""\b%s\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))"""
_ENTITY_LIKE = re.compile(r"&(?=#?\w+;)")


def autop(text: str) -> str:
    """WordPress's wpautop, simplified: blank lines part paragraphs, newlines are breaks.

    Applied only to text that has no block-level HTML of its own (as WordPress does to
    plain comment text when it displays it).
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n").strip()
    if not text or _HAS_BLOCK.search(text):
        return text
    paragraphs = re.split(r"\n\s*\n", text)
    return "".join("<p>" + p.strip().replace("\n", "<br>\n") + "</p>\n" for p in paragraphs)


def html_to_markdown(fragment: str, plain_text_breaks: bool = True) -> str:
    """Sanitise an exported HTML fragment and write it as comment Markdown."""
    fragment = clean(fragment)  # the one rule first: the sanitiser cannot take a lone surrogate
    if plain_text_breaks:
        fragment = autop(fragment)
    fragment = _BLOCKISH.sub(lambda m: "</p>" if m.group(1) else "<p>", fragment)
    fragment = _CELL.sub(" ", fragment)
    fragment = re.sub(r"<(/?)b\b[^>]*>", r"<\1strong>", fragment, flags=re.IGNORECASE)
    fragment = re.sub(r"<(/?)i\b[^>]*>", r"<\1em>", fragment, flags=re.IGNORECASE)
    fragment = re.sub(r"<(/?)(?:s|strike)\b[^>]*>", r"<\1del>", fragment, flags=re.IGNORECASE)
    fragment = _IMG.sub(_image_link, fragment)
    fragment = re.sub(r"<(/?)tt\b[^>]*>", r"<\1code>", fragment, flags=re.IGNORECASE)
    converter = _Converter()
    converter.feed(sanitise(fragment))
    converter.close()
    return converter.markdown()


class _Converter(HTMLParser):
    """Walks sanitised HTML (a small, known tag set) and writes Markdown blocks."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        # Finished blocks, already prefixed: (text, outermost list number or None, item start)
        self.blocks: list[tuple[str, int | None, bool]] = []
        self.list_count = 0
        self.line: list[str] = []     # the inline text of the block being written
        self.quote = 0                # blockquote depth
        self.lists: list[list] = []   # [kind, counter] per open list
        self.pre = False
        self.code = False
        self.links: list[str | None] = []
        self.item_prefix: str | None = None

    # -- blocks ------------------------------------------------------------------------

    def _prefix(self) -> str:
        return "> " * self.quote

    def _flush(self) -> None:
        text = "".join(self.line)
        self.line = []
        if self.pre:
            return
        text = re.sub(r"\s+", " ", text)
        # Hard breaks: leading and trailing ones mean nothing; the rest end a line.
        text = re.sub(r"^(?: ?\x00br\x00 ?)+|(?: ?\x00br\x00 ?)+$", "", text).strip(" ")
        text = re.sub(r" ?\x00br\x00 ?", "  \n", text)
        if not text.strip():
            return
        text = "\n".join(_LINE_START.sub(_escape_start, line) for line in text.split("\n"))
        indent = "    " * max(len(self.lists) - 1, 0)
        lines = text.split("\n")
        item_start = self.item_prefix is not None
        if self.item_prefix is not None:
            first = indent + self.item_prefix
            rest = indent + " " * len(self.item_prefix)
            self.item_prefix = None
        else:
            first = rest = indent + ("    " if self.lists else "")
        out = [first + lines[0]] + [rest + line for line in lines[1:]]
        self._add("\n".join(self._prefix() + line for line in out), item_start)

    def _add(self, text: str, item_start: bool = False) -> None:
        root = self.lists[0][2] if self.lists else None
        self.blocks.append((text, root, item_start))

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in ("p", "blockquote", "ul", "ol", "li", "pre", "hr"):
            self._flush()
        if tag == "blockquote":
            self.quote += 1
        elif tag in ("ul", "ol"):
            self.list_count += 1
            self.lists.append([tag, 0, self.list_count])
        elif tag == "li":
            if not self.lists:
                self.list_count += 1
                self.lists.append(["ul", 0, self.list_count])
            kind = self.lists[-1]
            kind[1] += 1
            self.item_prefix = "- " if kind[0] == "ul" else f"{kind[1]}. "
        elif tag == "pre":
            self.pre = True
        elif tag == "hr":
            self._add(self._prefix() + "* * *")
        elif tag == "br":
            if self.pre:
                self.line.append("\n")
            else:
                self.line.append("\x00br\x00")
        elif tag in ("em", "strong"):
            if not self.pre:
                self.line.append({"em": "*", "strong": "**"}[tag])
        elif tag == "code":
            if not self.pre:
                self.code = True
                self.line.append("\x00code\x00")
        elif tag == "a":
            href = attrs.get("href")
            self.links.append(href)
            if href and not self.pre:
                self.line.append("[")

    def handle_endtag(self, tag):
        if tag in ("p", "li"):
            self._flush()
        elif tag == "blockquote":
            self._flush()
            self.quote = max(self.quote - 1, 0)
        elif tag in ("ul", "ol"):
            self._flush()
            if self.lists:
                self.lists.pop()
        elif tag == "pre":
            code = "".join(self.line).replace("\x00code\x00", "").strip("\n")
            self.line = []
            self.pre = False
            if code.strip():
                # An indented block: the comment renderer has no fenced-code extension.
                indent = "    " * (len(self.lists) + 1)
                self._add("\n".join(self._prefix() + (indent + ln if ln.strip() else "")
                                    for ln in code.split("\n")))
        elif tag in ("em", "strong"):
            if not self.pre:
                self.line.append({"em": "*", "strong": "**"}[tag])
        elif tag == "code":
            if not self.pre and self.code:
                self.code = False
                self._close_code()
        elif tag == "a":
            href = self.links.pop() if self.links else None
            if href and not self.pre:
                self.line.append(f"]({_link_target(href)})")

    def _close_code(self) -> None:
        # Find the opening marker and turn the span between into a code span.
        joined = "".join(self.line)
        start = joined.rfind("\x00code\x00")
        inner = joined[start + len("\x00code\x00"):]
        ticks = "``" if "`" in inner else "`"
        pad = " " if inner.startswith("`") or inner.endswith("`") else ""
        self.line = [joined[:start], f"{ticks}{pad}{inner}{pad}{ticks}" if inner else ""]

    def handle_data(self, data):
        if self.pre:
            self.line.append(data)
            return
        data = re.sub(r"\s+", " ", data)
        if self.code:
            self.line.append(data)
            return
        self.line.append(_escape_inline(data))

    def close(self):
        super().close()
        if self.pre:
            self.handle_endtag("pre")
        self._flush()

    def markdown(self) -> str:
        """Blocks apart by blank lines; items of one list (one item a block) kept tight."""
        out: list[str] = []
        previous = None
        for text, root, item_start in self.blocks:
            if not text.strip():
                continue
            tight = (previous is not None and item_start and previous[2]
                     and root is not None and previous[1] == root)
            out.append(("\n" if tight else "\n\n") + text if out else text)
            previous = (text, root, item_start)
        return "".join(out).strip("\n")


def _escape_start(match: re.Match) -> str:
    marker = match.group(2)
    if marker[0].isdigit():  # "1." starts a list; "1\." does not
        return match.group(1) + marker + "\\"
    return match.group(1) + "\\" + marker


def _escape_inline(text: str) -> str:
    text = _INLINE_SPECIAL.sub(r"\\\1", text)
    return _ENTITY_LIKE.sub("&amp;", text)


def _link_target(href: str) -> str:
    href = href.replace(" ", "%20").replace("(", "%28").replace(")", "%29")
    return href


def _image_link(match: re.Match) -> str:
    """Images are not shown in comments (they track readers); keep a link to them."""
    tag = match.group(0)
    src = re.search(_ATTR % "src", tag, re.IGNORECASE)
    alt = re.search(_ATTR % "alt", tag, re.IGNORECASE)
    if not src:
        return ""
    href = next(g for g in src.groups() if g is not None)
    label = next((g for g in alt.groups() if g is not None), "") if alt else ""
    return f'<a href="{href}">image: {html.escape(label.strip() or "(no description)")}</a>'


def html_to_text(fragment: str) -> str:
    """Plain text of an HTML fragment, on one line (for summaries and titles)."""
    text = re.sub(r"<[^>]+>", " ", clean(fragment or ""))
    return " ".join(html.unescape(text).split())
