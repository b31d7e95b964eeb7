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

`score_conversation()` stores the signals on each Comment (`own_words`, `links`,
`replies_drawn`, `author_replied`) with the result (`substance`, `reshare`); bundles copy
them into each light Record, so `assess()` can explain a comment or a record alike.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict, deque
from functools import lru_cache
from typing import Iterable, NamedTuple

from .comments import Comment

LINK_WEIGHT = 4.0
REPLY_POINTS = 1.0
MAX_REPLY_POINTS = 5.0
AUTHOR_POINTS = 2.0
RESPONSE_POINTS = 3.0
NEAR_EMPTY_WORDS = 3   # fewer own words than this: near-empty
LINK_DROP_WORDS = 12   # a link and fewer own words than this: a link drop
SCORE_VERSION = "1"    # change it with the formula: prepared bundles are then re-scored

# Each pattern below stops scanning at the character a later attempt would start from
# (`[`, `<`) and never gives back what it took (possessive `*+`), so a body of `[](`,
# `<a` or `[` repeated costs linear time, not the square of its length.
_MD_LINK = re.compile(r'!?\[([^\[\]\n]*+)\]\(\s*+<?[^()\[\]\s<>]*+>?(?:\s++"[^"\n]*+")?\s*+\)')
_REF_DEF = re.compile(r"^[ \t]{0,3}\[[^\[\]\n]++\]:[ \t]*+\S.*+$", re.MULTILINE)
_AUTOLINK = re.compile(r"<(?:https?|ftp)://[^<>\s]*+>|<[^<>\s@]++@[^<>\s]++>", re.IGNORECASE)
_BARE_URL = re.compile(r"(?:\bhttps?://|\bwww\.)[^\s<>()\[\]]++", re.IGNORECASE)
_TICKS = re.compile(r"`++")
_TAG = re.compile(r"</?[A-Za-z][^<>\n]*+>")
_WORD = re.compile(r"[^\W_]+(?:['’.-][^\W_]+)*")
_MARKUP = re.compile(r"[*_#~|]+")


class Text(NamedTuple):
    """What a comment body says in its own words."""

    words: int
    links: int
    own: str   # the body without quotes, code and URLs; link texts kept

    @property
    def text(self) -> str:
        """The own text as one plain line (for excerpts)."""
        return " ".join(_MARKUP.sub("", self.own).split())


class Term(NamedTuple):
    name: str
    detail: str
    points: float


class Assessment(NamedTuple):
    """How one comment's score was made."""

    terms: tuple[Term, ...]
    substance: float
    reshare: bool
    reason: str


@lru_cache(maxsize=256)   # a folder's comments are scored, then recorded: analyse once
def analyse(body: str) -> Text:
    """Own words and links of a Markdown body, with simple line rules and regexes.

    Each rule runs only when its marker character occurs: most comments are plain prose.
    """
    text = body
    if ">" in body or "`" in body or "~~~" in body or "    " in body or "\t" in body:
        text = _strip_quotes_and_code(body)
    links = 0
    if "[" in text:
        text, n = _REF_DEF.subn(" ", text)
        links += n
        text, n = _MD_LINK.subn(lambda m: f" {m.group(1)} ", text)
        links += n
    if "<" in text:
        text, n = _AUTOLINK.subn(" ", text)
        links += n
    if "http" in text or "www." in text or "HTTP" in text or "WWW." in text:
        text, n = _BARE_URL.subn(" ", text)
        links += n
    if "`" in text:
        text = "\n".join(_strip_inline_code(line) if "`" in line else line
                         for line in text.split("\n"))
    if "<" in text:
        text = _TAG.sub(" ", text)
    return Text(len(_WORD.findall(text)), links, text)


def _strip_inline_code(line: str) -> str:
    """The line without its code spans. As CommonMark pairs them, a run of backticks
    closes at the next run of the same length; each run is looked at once: linear."""
    runs = [match.span() for match in _TICKS.finditer(line)]
    later: dict[int, deque[int]] = defaultdict(deque)  # run length → indexes of its runs
    for index, (start, end) in enumerate(runs):
        later[end - start].append(index)
    pieces, kept_from, index = [], 0, 0
    while index < len(runs):
        start, end = runs[index]
        same = later[end - start]
        while same and same[0] <= index:
            same.popleft()
        if not same:  # no closing run: the backticks are plain text
            index += 1
            continue
        closing = same.popleft()
        pieces += [line[kept_from:start], " "]
        kept_from, index = runs[closing][1], closing + 1
    pieces.append(line[kept_from:])
    return "".join(pieces)


def _strip_quotes_and_code(body: str) -> str:
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
    return "\n".join(kept)


def excerpt(body: str, limit: int = 40) -> str:
    """The first `limit` words a comment wrote itself, as plain text."""
    words = analyse(body).text.split()
    if len(words) <= limit:
        return " ".join(words)
    return " ".join(words[:limit]).rstrip(",;:") + " …"


def points(c) -> tuple[float, float, float, float, float]:
    """The five terms of a scored Comment or Record: own words, link density, replies
    drawn, author took part, response."""
    words, links = c.own_words, c.links
    density = links / (links + words) if links else 0.0
    return (round(math.log2(1 + words), 2),
            round(-LINK_WEIGHT * density, 2) + 0.0,
            min(MAX_REPLY_POINTS, REPLY_POINTS * c.replies_drawn),
            AUTHOR_POINTS if c.author_replied and not c.is_author else 0.0,
            RESPONSE_POINTS if c.kind == "response" else 0.0)


def total(terms) -> float:
    return round(max(0.0, sum(terms)), 2)


def is_reshare(c) -> bool:
    """Link-only or near-empty, and neither a response, the author's, nor a tally."""
    if c.kind in ("response", "like", "repost") or c.is_author:
        return False
    return c.own_words < NEAR_EMPTY_WORDS or (c.links > 0 and c.own_words < LINK_DROP_WORDS)


def assess(c) -> Assessment:
    """A scored Comment or Record, term by term, each with a sentence."""
    words, links, replies = c.own_words, c.links, c.replies_drawn
    values = points(c)
    density = links / (links + words) if links else 0.0
    details = (
        f"{words} {_plural(words, 'word')} of its own "
        "(quoted lines, code and bare URLs left out); log2(1 + words)",
        f"{links} {_plural(links, 'link')}, density {density:.2f}; "
        f"-{LINK_WEIGHT:g} × links / (links + words)",
        f"{replies} direct {_plural(replies, 'reply', 'replies')} from others; "
        f"+{REPLY_POINTS:g} each, at most +{MAX_REPLY_POINTS:g}",
        "it is the author's own comment" if c.is_author else
        ("the author replied below it" if c.author_replied
         else "the author has not replied below it"),
        "written on the commenter's own site" if c.kind == "response"
        else f"a {c.kind}, not a response from their own site",
    )
    names = ("own words", "link density", "replies drawn", "author took part", "response")
    terms = tuple(Term(n, d, v) for n, d, v in zip(names, details, values))
    return Assessment(terms, total(values), is_reshare(c), _reshare_reason(c))


def _reshare_reason(c) -> str:
    words, links = c.own_words, c.links
    if c.kind in ("like", "repost"):
        return f"a {c.kind} is a tally, counted and never shown as a comment"
    if c.kind == "response":
        return "a response is written on the commenter's own site: never a reshare"
    if c.is_author:
        return "the author's own comments are never marked as reshares"
    if words < NEAR_EMPTY_WORDS:
        return f"near-empty: fewer than {NEAR_EMPTY_WORDS} words of its own"
    if links and words < LINK_DROP_WORDS:
        return f"a shared link with fewer than {LINK_DROP_WORDS} words of its own"
    return (f"{words} words of its own" + (f" around {links} {_plural(links, 'link')}"
                                           if links else ""))


def score_conversation(conversation) -> None:
    """Score every written comment of one essay's threaded conversation. Linear.

    Every signal is local to the essay, so each comment folder is scored on its own
    (in the process that prepares it) and never again until a file in it changes.
    """
    for root in conversation.roots:
        # Post-order without recursion: a node's "author below" is known after its replies.
        order = list(root.walk()) if root.replies else [root]
        below: dict[str, bool] = {}
        for node in reversed(order):
            flag = False
            for reply in node.replies:
                if reply.role == "author" or below[reply.id]:
                    flag = True
                    break
            below[node.id] = flag
        for node in order:
            text = analyse(node.body)
            node.own_words, node.links = text.words, text.links
            node.replies_drawn = sum(1 for r in node.replies if r.author != node.author)
            node.author_replied = below[node.id]
            node.substance = total(points(node))
            node.reshare = is_reshare(node)


def score_all(conversations: Iterable) -> None:
    for conversation in conversations:
        score_conversation(conversation)


def explain(comment: Comment) -> str:
    """The lines `colloquy explain ID` prints, for a comment already scored."""
    lines = [f"{comment.id} by {comment.author} on essay '{comment.essay}' "
             f"({comment.kind}, {comment.date.isoformat()})"]
    if comment.is_tally:
        lines.append(f"  a {comment.kind}: counted in tallies, never scored or featured")
        return "\n".join(lines)
    result = assess(comment)
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
