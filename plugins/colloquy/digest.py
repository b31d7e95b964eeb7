"""The digest's selection: what one ISO week gathers, from plain data.

`collect(essays, summaries, tz, now, notes)` takes the published essays as plain facts
(Pelican articles or EssayRefs, with `followup_of` attached), each essay's light Records
(bundles.py: every comment's substance is already on its record, so a year of weeks
never loads a bundle) and the author's notes, and returns one WeekDigest per ended ISO
week that had conversation, newest first. `with_excerpts` then gives the few comments
the weeks show their words, from a function the caller passes. Nothing here reads files
or knows Pelican; archive.py freezes a week once it is published, digest_pages.py writes
it. docs/digest.md.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from functools import cached_property
from typing import Any, Callable, NamedTuple

from .bundles import Record
from .errors import CommentFileError
from .followups import FollowupLink, InputFileError
from .notes import Note
from .weeks import Week

FEATURED_PER_THREAD = 2    # excerpts per thread, from different people
EXCERPT_WORDS = 40
VOICE_WORDS = 20
MORE_THREADS = 20          # other active threads listed as links; the rest are counted
EPOCH = datetime(2000, 1, 1, tzinfo=timezone.utc)


@dataclass
class Featured:
    """A contribution shown in a digest. Its words are not in its record (records are
    kept for every comment of the site): `with_excerpts` gives them to the weeks shown."""

    comment: Record
    essay: Any
    words: int = EXCERPT_WORDS   # excerpt length
    own_words: tuple[str, bool] = ("", False)   # bundles.excerpt: (text, cut short)

    @cached_property  # read by the page's change key and by the page itself
    def excerpt(self) -> str:
        text, cut = self.own_words
        return typeset(_words(text, self.words, cut))


class ThreadLink(NamedTuple):
    """An active thread listed without excerpts."""

    essay: Any
    root: Record
    count: int


@dataclass
class ThreadDigest:
    essay: Any
    root: Record
    count: int                  # its comments that week
    people: int                 # readers among them (the author not counted)
    score: float                # for the author's notes and `colloquy explain`, never shown
    featured: list[Featured]
    author_took_part: bool
    followups: list[FollowupLink] = field(default_factory=list)


@dataclass
class WeekDigest:
    week: Week
    threads: list[ThreadDigest] = field(default_factory=list)       # ranked, with excerpts
    more_threads: list[ThreadLink] = field(default_factory=list)    # also active, links only
    unlisted_threads: int = 0                                       # active, not even linked
    responses: list[Featured] = field(default_factory=list)
    followups: list[FollowupLink] = field(default_factory=list)
    new_voices: list[Featured] = field(default_factory=list)
    tallies: list[tuple[int, str]] = field(default_factory=list)
    note: Note | None = None
    published: datetime = EPOCH
    updated: datetime = EPOCH   # the feed entry's: moves only with the note or an unfreeze

    @property
    def slug(self) -> str:
        return self.week.slug

    @property
    def url(self) -> str:
        return self.week.url

    @property
    def span(self) -> str:
        return self.week.span

    @property
    def title(self) -> str:
        if self.note and self.note.title:
            return self.note.title
        return f"Week {self.week.number}, {self.week.year}"

    @property
    def tally_text(self) -> str:
        return ", ".join(f"{n} {label}" for n, label in self.tallies)

    @property
    def shows_anything(self) -> bool:
        return bool(self.threads or self.responses or self.followups or self.new_voices
                    or self.more_threads)


@dataclass(frozen=True)
class FeaturedMark:
    """On an essay: one of its comments was featured in a week's digest."""

    week_slug: str
    week_title: str
    thread_id: str
    comment_id: str
    author: str


def collect(essays, summaries: dict, tz, now: datetime, notes: dict[Week, Note],
            max_threads: int = 10) -> tuple[list[WeekDigest], list[CommentFileError]]:
    """Every published week, newest first, and problems with notes for quiet weeks.

    `summaries` map an essay's slug to its Summary (records and tally dates). One pass
    over the records groups them by week: linear. The `max_threads` best threads of a
    week get excerpts; the others are listed as links.
    """
    by_slug = {e.slug: e for e in essays}
    written, tallies, first_seen, by_id = _group(by_slug, summaries, tz)
    followups_by_week: dict[Week, list[FollowupLink]] = defaultdict(list)
    for essay in essays:
        if getattr(essay, "followup_of", None) is not None:
            followups_by_week[Week.of(essay.date, tz)].append(essay.followup_of)

    digests = []
    problems: list[CommentFileError] = []
    for week in sorted(set(written) | set(followups_by_week) | set(notes), reverse=True):
        if week.end(tz) > now:      # the running week waits until it ends
            continue
        records = sorted(written.get(week, []), key=lambda r: (r.date, r.id))
        if all(r.reshare for r in records) and not followups_by_week.get(week):
            if week in notes:
                problems.append(InputFileError(
                    notes[week].path, 1, f"week {week.key} had no conversation, so it has no "
                    "digest and these words are not published",
                    "move them to a week that had conversation, or delete the file",
                    fatal=False))
            continue
        digest = _week_digest(week, records, by_slug, by_id, first_seen,
                              followups_by_week.get(week, []), tallies.get(week, {}),
                              max_threads)
        digests.append(dated(digest, notes.get(week), tz))
    return digests, problems


def with_excerpts(weeks: list[WeekDigest],
                  excerpts_of: Callable[[str], dict[str, tuple[str, bool]]]) -> None:
    """Give every contribution the weeks show its words: `excerpts_of(slug)` maps the
    essay's comment ids to (text, cut short), and is asked once per essay."""
    by_essay: dict[str, list[Featured]] = defaultdict(list)
    for week in weeks:
        featured = [f for t in week.threads for f in t.featured]
        for item in featured + week.responses + week.new_voices:
            by_essay[item.comment.essay].append(item)
    for slug, items in by_essay.items():
        excerpts = excerpts_of(slug)
        for item in items:
            item.own_words = excerpts.get(item.comment.id, ("", False))


def dated(digest: WeekDigest, note: Note | None, tz) -> WeekDigest:
    """The week with its note and the dates its note (or the week's end) gives it."""
    digest.note = note
    digest.published = note.date if note and note.date else digest.week.last_moment(tz)
    digest.updated = digest.published
    return digest


def _group(by_slug: dict, summaries: dict, tz):
    """Records and tallies by week, each reader's first own words, records by id."""
    written: dict[Week, list[Record]] = defaultdict(list)
    tallies: dict[Week, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    first_seen: dict[str, tuple] = {}
    by_id: dict[tuple[str, str], Record] = {}
    weeks_by_day: dict[date, Week] = {}

    def week_of(moment: datetime) -> Week:   # one Week per local day, not per comment
        day = moment.astimezone(tz).date()
        found = weeks_by_day.get(day)
        if found is None:
            found = weeks_by_day[day] = Week(*day.isocalendar()[:2])
        return found

    for slug, summary in summaries.items():
        if slug not in by_slug:
            continue   # drafts' conversations stay out of the digest
        for kind, moment in summary.tallies:
            tallies[week_of(moment)][kind] += 1
        for r in summary.records:
            by_id[(slug, r.id)] = r
            written[week_of(r.date)].append(r)
            if not r.is_author and not r.reshare and r.kind != "mention":
                person = r.author.casefold()   # a mention is a site linking here, not a voice
                order = (r.date, r.id)
                if person not in first_seen or order < first_seen[person]:
                    first_seen[person] = order
    return written, tallies, first_seen, by_id


def _week_digest(week, records, by_slug, by_id, first_seen, followups, tally_kinds,
                 max_threads) -> WeekDigest:
    digest = WeekDigest(week)
    ranked = _ranked_threads(records, by_slug, by_id)
    digest.threads = [_thread_digest(essay, root, new, score)
                      for score, essay, root, new in ranked[:max_threads]]
    linked = ranked[max_threads:max_threads + MORE_THREADS]
    digest.more_threads = [ThreadLink(essay, root, len(new)) for _, essay, root, new in linked]
    digest.unlisted_threads = max(0, len(ranked) - max_threads - MORE_THREADS)
    active = len(ranked)
    responses = sorted((r for r in records if r.kind == "response"),
                       key=lambda r: (-r.substance, r.date, r.id))
    digest.responses = [Featured(r, by_slug[r.essay]) for r in responses]
    digest.followups = sorted(followups, key=lambda f: (f.date, f.slug))
    voices = [r for r in records if not r.is_author and not r.reshare and r.kind != "mention"
              and first_seen.get(r.author.casefold()) == (r.date, r.id)]
    digest.new_voices = [Featured(r, by_slug[r.essay], VOICE_WORDS) for r in voices]
    people = {r.author.casefold() for r in records if not r.is_author and r.kind != "mention"}
    counts = [
        (len(records), "comment"),
        (active, "active thread"),
        (len({r.essay for r in records}), "essay talked about"),
        (len(people), "person"),
        (len(digest.new_voices), "new voice"),
        (len(responses), "response from another site"),
        (len(followups), "follow-up essay"),
        (sum(1 for r in records if r.kind == "mention"), "mention"),
        (sum(1 for r in records if r.reshare), "shared link"),
        (tally_kinds.get("like", 0), "like"),
        (tally_kinds.get("repost", 0), "repost"),
    ]
    plurals = {"person": "people", "essay talked about": "essays talked about",
               "response from another site": "responses from other sites"}
    digest.tallies = [(n, label if n == 1 else plurals.get(label, label + "s"))
                      for n, label in counts if n]
    return digest


def _ranked_threads(records, by_slug, by_id) -> list[tuple[float, Any, Record, list[Record]]]:
    """The week's active threads, best first: (score, essay, root, the week's records)."""
    per_thread: dict[tuple[str, str], list[Record]] = defaultdict(list)
    for r in records:
        per_thread[(r.essay, r.thread_id or r.id)].append(r)
    ranked = []
    for (slug, thread_id), new in per_thread.items():
        root = by_id[(slug, thread_id)]
        if all(r.reshare for r in new):
            continue   # only shared links: counted, never featured
        if len(new) == 1 and new[0] is root and root.kind in ("response", "mention"):
            continue   # listed among responses, or counted as a mention
        score = round(sum(r.substance for r in new if not r.reshare), 2)
        latest = max(r.date for r in new).timestamp()
        ranked.append((-score, -latest, slug, root.id, by_slug[slug], root, new))
    ranked.sort(key=lambda t: t[:4])
    return [(-t[0], *t[4:]) for t in ranked]


def _thread_digest(essay, root: Record, new: list[Record], score: float) -> ThreadDigest:
    """A thread as the digest shows it, the best people of it featured."""
    readers = sorted((r for r in new if not r.reshare and not r.is_author),
                     key=lambda r: (-r.substance, r.date, r.id))
    chosen: dict[str, Record] = {}   # the best of each person, the best people first
    for r in readers:
        chosen.setdefault(r.author.casefold(), r)
    return ThreadDigest(
        essay, root, len(new), len({r.author.casefold() for r in new if not r.is_author}),
        score, [Featured(r, essay) for r in list(chosen.values())[:FEATURED_PER_THREAD]],
        any(r.is_author for r in new),
        [f for f in getattr(essay, "followups", []) if f.thread_id == root.id])


# An excerpt is plain text (the records keep no HTML), so the smart punctuation the comment
# pages get from cmark is given here: the same comment reads the same in both places.
_OPENS_AFTER = r"(?:^|(?<=[\s(\[{\u2014\u2013/]))"
_PUNCTUATION = [(re.compile(r"---"), "\u2014"), (re.compile(r"--"), "\u2013"),
                (re.compile(r"\.\.\."), "\u2026"),
                (re.compile(_OPENS_AFTER + '"'), "\u201c"), (re.compile('"'), "\u201d"),
                (re.compile(_OPENS_AFTER + "'"), "\u2018"), (re.compile("'"), "\u2019")]


def typeset(text: str) -> str:
    """Curly quotes, dashes and ellipses in plain text, as cmark's smart punctuation."""
    for pattern, replacement in _PUNCTUATION:
        text = pattern.sub(replacement, text)
    return text


def _words(text: str, limit: int, cut: bool = False) -> str:
    """The first `limit` words, with an ellipsis when anything was left out."""
    words = text.split()
    if len(words) <= limit and not cut:
        return text
    return " ".join(words[:limit]).rstrip(",;:") + " …"


def featured_marks(weeks: list[WeekDigest]) -> dict[str, list[FeaturedMark]]:
    """Essay slug → the digest excerpts taken from its comments, oldest week first."""
    marks: dict[str, list[FeaturedMark]] = defaultdict(list)
    for week in reversed(weeks):
        for item in [f for t in week.threads for f in t.featured] + week.responses:
            r = item.comment
            marks[r.essay].append(FeaturedMark(week.slug, week.title, r.thread_id or r.id,
                                               r.id, r.author))
    return marks
