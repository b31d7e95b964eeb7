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

import hashlib
import math
import pickle
import re
from pathlib import Path
from typing import Iterable, NamedTuple

from .comments import Comment

WORD_POINTS = "log2(1 + own words)"
LINK_WEIGHT = 4.0
REPLY_POINTS = 1.0
MAX_REPLY_POINTS = 5.0
AUTHOR_POINTS = 2.0
RESPONSE_POINTS = 3.0
NEAR_EMPTY_WORDS = 3   # fewer own words than this: near-empty
LINK_DROP_WORDS = 12   # a link and fewer own words than this: a link drop
COUNT_VERSION = "2"    # change it whenever analyse() counts differently

_MD_LINK = re.compile(r"!?\[([^\]\n]*)\]\(\s*<?[^)\s>]*>?(?:\s+\"[^\"]*\")?\s*\)")
_REF_DEF = re.compile(r"^\s{0,3}\[[^\]\n]+\]:\s*\S+.*$", re.MULTILINE)
_AUTOLINK = re.compile(r"<(?:https?|ftp)://[^>\s]*>|<[^>\s@]+@[^>\s]+>", re.IGNORECASE)
_BARE_URL = re.compile(r"(?:\bhttps?://|\bwww\.)[^\s<>()\[\]]+", re.IGNORECASE)
_INLINE_CODE = re.compile(r"(`+)(?:(?!\1).)+?\1")
_TAG = re.compile(r"</?[A-Za-z][^>\n]*>")
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


class Scored(NamedTuple):
    """What score_all learnt of a comment, kept so the digest need not redo it."""

    words: int
    links: int
    author_replied: bool


class CountCache:
    """(own words, links) per body hash, kept between builds in Pelican's cache folder,
    so analyse() runs only on bodies it has not seen."""

    def __init__(self, path: str | Path | None):
        self.path = Path(path) if path else None
        self.entries: dict[bytes, tuple[int, int]] = {}
        self.used: set[bytes] = set()
        self.dirty = False
        if self.path and self.path.exists():
            try:
                with self.path.open("rb") as handle:
                    version, entries = pickle.load(handle)
                if version == COUNT_VERSION:
                    self.entries = entries
            except Exception:  # a stale or torn cache is only a slower build
                self.entries = {}

    def counts(self, body: str) -> tuple[int, int]:
        key = hashlib.blake2b(body.encode("utf-8"), digest_size=16).digest()
        self.used.add(key)
        found = self.entries.get(key)
        if found is None:
            text = analyse(body)
            found = self.entries[key] = (text.words, text.links)
            self.dirty = True
        return found

    def save(self) -> None:
        if len(self.entries) > 2 * len(self.used) + 1000:  # forget bodies long gone
            self.entries = {key: self.entries[key] for key in self.used if key in self.entries}
            self.dirty = True
        if not (self.path and self.dirty):
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        with tmp.open("wb") as handle:
            pickle.dump((COUNT_VERSION, self.entries), handle, protocol=pickle.HIGHEST_PROTOCOL)
        tmp.replace(self.path)
        self.dirty = False


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
        text = _INLINE_CODE.sub(" ", text)
    if "<" in text:
        text = _TAG.sub(" ", text)
    return Text(len(_WORD.findall(text)), links, text)


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


def excerpt(comment: Comment, limit: int = 40, text: Text | None = None) -> str:
    """The first `limit` words a comment wrote itself, as plain text."""
    words = (text or analyse(comment.body)).text.split()
    if len(words) <= limit:
        return " ".join(words)
    return " ".join(words[:limit]).rstrip(",;:") + " …"


def author_below(comment: Comment) -> bool:
    """Did the site's author reply anywhere under this comment?"""
    return any(c.is_author for c in comment.walk() if c is not comment)


def points(comment: Comment, words: int, links: int, author_replied: bool
           ) -> tuple[float, float, float, float, float]:
    """The five terms: own words, link density, replies drawn, author took part, response."""
    density = links / (links + words) if links else 0.0
    replies = 0
    for reply in comment.replies:
        if reply.author != comment.author:
            replies += 1
    return (round(math.log2(1 + words), 2),
            round(-LINK_WEIGHT * density, 2) + 0.0,
            min(MAX_REPLY_POINTS, REPLY_POINTS * replies),
            AUTHOR_POINTS if author_replied and not comment.is_author else 0.0,
            RESPONSE_POINTS if comment.kind == "response" else 0.0)


def total(terms) -> float:
    return round(max(0.0, sum(terms)), 2)


def assess(comment: Comment, author_replied: bool, text: Text | None = None) -> Assessment:
    """Score one comment, with a sentence for each term. `author_replied`: below it."""
    text = text or analyse(comment.body)
    words, links = text.words, text.links
    values = points(comment, words, links, author_replied)
    density = links / (links + words) if links else 0.0
    replies = sum(1 for r in comment.replies if r.author != comment.author)
    details = (
        f"{words} {_plural(words, 'word')} of its own "
        "(quoted lines, code and bare URLs left out); log2(1 + words)",
        f"{links} {_plural(links, 'link')}, density {density:.2f}; "
        f"-{LINK_WEIGHT:g} × links / (links + words)",
        f"{replies} direct {_plural(replies, 'reply', 'replies')} from others; "
        f"+{REPLY_POINTS:g} each, at most +{MAX_REPLY_POINTS:g}",
        "it is the author's own comment" if comment.is_author else
        ("the author replied below it" if author_replied
         else "the author has not replied below it"),
        "written on the commenter's own site" if comment.kind == "response"
        else f"a {comment.kind}, not a response from their own site",
    )
    names = ("own words", "link density", "replies drawn", "author took part", "response")
    terms = tuple(Term(n, d, v) for n, d, v in zip(names, details, values))
    return Assessment(terms, total(values), is_reshare(comment, words, links),
                      _reshare_reason(comment, words, links))


def is_reshare(comment: Comment, words: int, links: int) -> bool:
    """Link-only or near-empty, and neither a response, the author's, nor a tally."""
    if comment.kind == "response" or comment.is_author or comment.is_tally:
        return False
    return words < NEAR_EMPTY_WORDS or (links > 0 and words < LINK_DROP_WORDS)


def _reshare_reason(comment: Comment, words: int, links: int) -> str:
    if comment.is_tally:
        return f"a {comment.kind} is a tally, counted and never shown as a comment"
    if comment.kind == "response":
        return "a response is written on the commenter's own site: never a reshare"
    if comment.is_author:
        return "the author's own comments are never marked as reshares"
    if words < NEAR_EMPTY_WORDS:
        return f"near-empty: fewer than {NEAR_EMPTY_WORDS} words of its own"
    if links and words < LINK_DROP_WORDS:
        return f"a shared link with fewer than {LINK_DROP_WORDS} words of its own"
    return (f"{words} words of its own" + (f" around {links} {_plural(links, 'link')}"
                                           if links else ""))


def score_all(conversations: Iterable, cache: CountCache | None = None) -> dict[str, Scored]:
    """Set `substance`, `reshare`, `own_words` and `links` on every comment. Linear.

    Returns what it learnt per comment id, for the digest's excerpts and explanations.
    """
    scored: dict[str, Scored] = {}
    cache = cache or CountCache(None)
    for conversation in conversations:
        for root in conversation.roots:
            _score_tree(root, scored, cache)
    cache.save()
    return scored


def _score_tree(root: Comment, scored: dict[str, Scored], cache: CountCache) -> None:
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
        words, links = cache.counts(node.body)
        author_replied = below[node.id]
        node.substance = total(points(node, words, links, author_replied))
        node.reshare = is_reshare(node, words, links)
        node.own_words = words
        node.links = links
        scored[node.id] = Scored(words, links, author_replied)


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
