"""Creation over resharing: a substance score for every comment, explainable term by term.

The score adds up five signals, each computed from the comment file and the thread
around it (never from rendered HTML, so scoring stays linear and cheap):

    own words      log2(1 + words of its own)   quoted lines, code and bare URLs left out
    link density   -4 × links / (links + own words)
    replies drawn  +1 for each direct reply from someone else, at most +5
    author joined  +2 when the site's author replied somewhere below it
    response       +3 when it is a response written on the commenter's own site

The total never goes below zero. A comment (or mention) with fewer than NEAR_EMPTY_WORDS
words of its own, or with a link and fewer than LINK_DROP_WORDS words, is a reshare:
shown as posted, counted, never featured. docs/substance.md has worked examples.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Iterable

from .comments import Comment

WORD_POINTS = "log2(1 + own words)"
LINK_WEIGHT = 4.0
REPLY_POINTS = 1.0
MAX_REPLY_POINTS = 5.0
AUTHOR_POINTS = 2.0
RESPONSE_POINTS = 3.0
NEAR_EMPTY_WORDS = 3   # fewer own words than this: near-empty
LINK_DROP_WORDS = 12   # a link and fewer own words than this: a link drop

_MD_LINK = re.compile(r"!?\[([^\]\n]*)\]\(\s*<?[^)\s>]*>?(?:\s+\"[^\"]*\")?\s*\)")
_REF_DEF = re.compile(r"^\s{0,3}\[[^\]\n]+\]:\s*\S+.*$", re.MULTILINE)
_AUTOLINK = re.compile(r"<(?:https?|ftp)://[^>\s]*>|<[^>\s@]+@[^>\s]+>", re.IGNORECASE)
_BARE_URL = re.compile(r"(?:\bhttps?://|\bwww\.)[^\s<>()\[\]]+", re.IGNORECASE)
_INLINE_CODE = re.compile(r"(`+)(?:(?!\1).)+?\1")
_TAG = re.compile(r"</?[A-Za-z][^>\n]*>")
_WORD = re.compile(r"[^\W_]+(?:['’.-][^\W_]+)*")
_MARKUP = re.compile(r"[*_#~|]+")


@dataclass(frozen=True)
class Text:
    """What a comment body says in its own words."""

    words: int
    links: int
    text: str   # own text, one line, link texts kept, URLs and quotes and code gone


@dataclass(frozen=True)
class Term:
    name: str
    detail: str
    points: float


@dataclass(frozen=True)
class Assessment:
    """How one comment's score was made."""

    terms: tuple[Term, ...]
    substance: float
    reshare: bool
    reason: str


def analyse(body: str) -> Text:
    """Own words and links of a Markdown body, with simple line rules and regexes."""
    kept: list[str] = []
    fence = None
    previous_blank = True
    in_indented_code = False
    for line in body.split("\n"):
        stripped = line.lstrip()
        if fence:
            if stripped.startswith(fence):
                fence = None
            continue
        if stripped.startswith(("```", "~~~")):
            fence = stripped[:3]
            continue
        blank = not stripped
        indented = line.startswith(("    ", "\t"))
        if indented and not blank and (previous_blank or in_indented_code):
            in_indented_code = True
            continue
        in_indented_code = in_indented_code and blank
        previous_blank = blank
        if stripped.startswith(">"):   # quoted: someone else's words
            continue
        kept.append(line)
    text = "\n".join(kept)
    links = 0
    text, n = _REF_DEF.subn(" ", text)
    links += n
    text, n = _MD_LINK.subn(lambda m: f" {m.group(1)} ", text)
    links += n
    text, n = _AUTOLINK.subn(" ", text)
    links += n
    text, n = _BARE_URL.subn(" ", text)
    links += n
    text = _INLINE_CODE.sub(" ", text)
    text = _TAG.sub(" ", text)
    words = len(_WORD.findall(text))
    return Text(words, links, " ".join(_MARKUP.sub("", text).split()))


def excerpt(comment: Comment, limit: int = 40) -> str:
    """The first `limit` words a comment wrote itself, as plain text."""
    words = analyse(comment.body).text.split()
    if len(words) <= limit:
        return " ".join(words)
    return " ".join(words[:limit]).rstrip(",;:") + " …"


def author_below(comment: Comment) -> bool:
    """Did the site's author reply anywhere under this comment?"""
    return any(c.is_author for c in comment.walk() if c is not comment)


def assess(comment: Comment, author_replied: bool, text: Text | None = None) -> Assessment:
    """Score one comment. `author_replied`: the author answered somewhere below it."""
    text = text or analyse(comment.body)
    words, links = text.words, text.links
    terms = [Term("own words", f"{words} {_plural(words, 'word')} of its own "
                  "(quoted lines, code and bare URLs left out); log2(1 + words)",
                  math.log2(1 + words))]
    density = links / (links + words) if links else 0.0
    terms.append(Term("link density", f"{links} {_plural(links, 'link')}, density "
                      f"{density:.2f}; -{LINK_WEIGHT:g} × links / (links + words)",
                      -LINK_WEIGHT * density))
    replies = sum(1 for r in comment.replies if r.author != comment.author)
    terms.append(Term("replies drawn", f"{replies} direct {_plural(replies, 'reply', 'replies')} "
                      f"from others; +{REPLY_POINTS:g} each, at most +{MAX_REPLY_POINTS:g}",
                      min(MAX_REPLY_POINTS, REPLY_POINTS * replies)))
    joined = author_replied and not comment.is_author
    terms.append(Term("author took part",
                      "the author replied below it" if joined else
                      ("it is the author's own comment" if comment.is_author
                       else "the author has not replied below it"),
                      AUTHOR_POINTS if joined else 0.0))
    response = comment.kind == "response"
    terms.append(Term("response", "written on the commenter's own site" if response
                      else f"a {comment.kind}, not a response from their own site",
                      RESPONSE_POINTS if response else 0.0))
    terms = tuple(Term(t.name, t.detail, round(t.points, 2) + 0.0) for t in terms)
    substance = round(max(0.0, sum(t.points for t in terms)), 2)
    reshare, reason = _reshare(comment, words, links)
    return Assessment(terms, substance, reshare, reason)


def _reshare(comment: Comment, words: int, links: int) -> tuple[bool, str]:
    if comment.is_tally:
        return False, f"a {comment.kind} is a tally, counted and never shown as a comment"
    if comment.kind == "response":
        return False, "a response is written on the commenter's own site: never a reshare"
    if comment.is_author:
        return False, "the author's own comments are never marked as reshares"
    if words < NEAR_EMPTY_WORDS:
        return True, f"near-empty: fewer than {NEAR_EMPTY_WORDS} words of its own"
    if links and words < LINK_DROP_WORDS:
        return True, f"a shared link with fewer than {LINK_DROP_WORDS} words of its own"
    return False, (f"{words} words of its own" + (f" around {links} {_plural(links, 'link')}"
                                                  if links else ""))


def score_all(conversations: Iterable) -> None:
    """Set `substance`, `reshare`, `own_words` and `links` on every comment. Linear."""
    for conversation in conversations:
        for root in conversation.roots:
            _score_tree(root)


def _score_tree(root: Comment) -> None:
    # Post-order without recursion: a node's "author below" is known after its replies.
    below: dict[int, bool] = {}
    order = list(root.walk())
    for node in reversed(order):
        below[id(node)] = any(r.is_author or below[id(r)] for r in node.replies)
    for node in order:
        text = analyse(node.body)
        result = assess(node, below[id(node)], text)
        node.substance = result.substance
        node.reshare = result.reshare
        node.own_words = text.words
        node.links = text.links


def explain(comment: Comment) -> str:
    """The lines `colloquy explain ID` prints."""
    result = assess(comment, author_below(comment))
    lines = [f"{comment.id} by {comment.author} on essay '{comment.essay}' "
             f"({comment.kind}, {comment.date.isoformat()})"]
    if comment.is_tally:
        lines.append(f"  a {comment.kind}: counted in tallies, never scored or featured")
        return "\n".join(lines)
    width = max(len(t.name) for t in result.terms)
    for term in result.terms:
        lines.append(f"  {term.name:<{width}}  {term.points:+6.2f}  {term.detail}")
    lines.append(f"  {'substance':<{width}}  {result.substance:6.2f}  "
                 "the sum, never below zero")
    verdict = "yes, shown but never featured" if result.reshare else "no"
    lines.append(f"  reshare: {verdict} ({result.reason})")
    lines.append("  The formula: docs/substance.md")
    return "\n".join(lines)


def _plural(n: int, one: str, many: str | None = None) -> str:
    return one if n == 1 else (many or one + "s")
