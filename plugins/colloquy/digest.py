"""The weekly digest: ISO weeks in the site's TIMEZONE, what each one gathers, pages, feed.

Flow: scored conversations + published essays + the author's notes (content/digests/
<yyyy>-w<ww>.md) → `collect()` → one WeekDigest per ended ISO week that had conversation →
`write_output()` writes digest/<yyyy>-w<ww>/, digest/ and feeds/digest.{atom,rss}.xml.
`draft()` writes a prefilled note for the author (`colloquy digest draft`).
Quiet weeks publish nothing; the running week waits until it ends. docs/digest.md.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import tempfile
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from typing import Any, NamedTuple

from . import feeds, substance
from . import settings as colloquy_settings
from .settings import site_timezone
from .bundles import Record
from .comments import read_header
from .errors import ColloquyError, CommentFileError
from .followups import EssayRef, FollowupLink, InputFileError
from .outputs import input_hash
from .urls import SiteUrls

logger = logging.getLogger(__name__)

NOTE_NAME_RE = re.compile(r"(\d{4})-w(\d{2})\.md")
WEEK_RE = re.compile(r"(\d{4})-[Ww](\d{2})")
HTML_COMMENT_RE = re.compile(r"<!--.*?-->", re.DOTALL)
FEATURED_PER_THREAD = 2    # excerpts per thread, from different people
EXCERPT_WORDS = 40
MORE_THREADS = 20          # other active threads listed as links; the rest are counted
EPOCH = datetime(2000, 1, 1, tzinfo=timezone.utc)


class DigestError(ColloquyError):
    """A digest cannot be drafted as asked (the message says why and what to do)."""


# -- weeks -------------------------------------------------------------------------------

@dataclass(frozen=True, order=True)
class Week:
    """An ISO week: Monday 00:00 to the next Monday 00:00, in the site's time zone."""

    year: int
    number: int

    @classmethod
    def parse(cls, text: str) -> "Week":
        """'2026-W37' (or 2026-w37) → Week; ValueError with a message naming the fix."""
        match = WEEK_RE.fullmatch(text.strip())
        if not match:
            raise ValueError(f"'{text}' is not a week; write it like 2026-W37 "
                             "(ISO year, W, two-digit week)")
        return cls.checked(int(match.group(1)), int(match.group(2)))

    @classmethod
    def checked(cls, year: int, number: int) -> "Week":
        try:
            date.fromisocalendar(year, number, 1)
        except ValueError:
            raise ValueError(f"{year} has no ISO week {number} (weeks run 01 to 52, "
                             "or 53 in some years)") from None
        return cls(year, number)

    @classmethod
    def of(cls, moment: datetime, tz) -> "Week":
        year, number, _ = moment.astimezone(tz).isocalendar()
        return cls(year, number)

    @property
    def key(self) -> str:
        return f"{self.year}-W{self.number:02d}"

    @property
    def slug(self) -> str:
        return f"{self.year}-w{self.number:02d}"

    @property
    def url(self) -> str:
        return f"digest/{self.slug}/"

    @property
    def monday(self) -> date:
        return date.fromisocalendar(self.year, self.number, 1)

    def start(self, tz) -> datetime:
        return datetime.combine(self.monday, time(0), tzinfo=tz)

    def end(self, tz) -> datetime:
        """The first moment after the week: the next Monday, 00:00 local time."""
        return datetime.combine(self.monday + timedelta(days=7), time(0), tzinfo=tz)

    def last_moment(self, tz) -> datetime:
        """Sunday 23:59:59 local: the stable date of the week's feed entry."""
        return datetime.combine(self.monday + timedelta(days=6), time(23, 59, 59), tzinfo=tz)

    def previous(self) -> "Week":
        return Week(*(self.monday - timedelta(days=7)).isocalendar()[:2])

    @property
    def span(self) -> str:
        """'7–13 September 2026', or across months and years as needed."""
        first, last = self.monday, self.monday + timedelta(days=6)
        if first.year != last.year:
            return f"{first.day} {first:%B %Y} – {last.day} {last:%B %Y}"
        if first.month != last.month:
            return f"{first.day} {first:%B} – {last.day} {last:%B %Y}"
        return f"{first.day}–{last.day} {last:%B %Y}"


def site_now(settings: dict, tz) -> datetime:
    """COLLOQUY_DIGEST_NOW (ISO 8601, for tests and reproducible builds) or the clock."""
    value = settings.get("COLLOQUY_DIGEST_NOW")
    if value:
        if isinstance(value, datetime):
            moment = value
        else:
            try:
                moment = datetime.fromisoformat(str(value))
            except ValueError:
                logger.error("colloquy: Invalid 'COLLOQUY_DIGEST_NOW' value: %r; using the "
                             "clock. Write it like 2026-09-21T08:00:00+02:00", value)
                return datetime.now(timezone.utc)
        return moment if moment.tzinfo else moment.replace(tzinfo=tz)
    return datetime.now(timezone.utc)


# -- the author's notes ------------------------------------------------------------------

@dataclass
class Note:
    """The author's own words for one week: content/digests/<yyyy>-w<ww>.md."""

    week: Week
    path: str
    body: str
    title: str | None = None
    date: datetime | None = None
    html: str = ""


def read_note(path: Path, tz) -> Note:
    """Parse one digest file; InputFileError naming the file and the fix if unusable."""
    match = NOTE_NAME_RE.fullmatch(path.name)
    if not match:
        raise InputFileError(path, 1, f"'{path.name}' is not named after a week",
                             "name it <ISO year>-w<two-digit week>.md, e.g. 2026-w37.md")
    try:
        week = Week.checked(int(match.group(1)), int(match.group(2)))
    except ValueError as exc:
        raise InputFileError(path, 1, f"'{path.name}': {exc}",
                             "rename the file to a week that exists, e.g. 2026-w37.md") from None
    try:
        text = path.read_bytes().decode("utf-8").removeprefix("\ufeff").replace("\r\n", "\n")
    except UnicodeDecodeError:
        raise InputFileError(path, 1, "invalid UTF-8", "re-save the file as UTF-8") from None
    lines = text.split("\n")
    found = read_header(lines, path, known=("week", "title", "date"), fold_case=True)
    if found.problems:
        raise found.problems[0]
    header, body_start = found.fields, found.body_start
    note = Note(week, str(path), "\n".join(lines[body_start:]).strip("\n"))
    if "week" in header:
        value, line = header["week"]
        try:
            named = Week.parse(value)
        except ValueError as exc:
            raise InputFileError(path, line, f"week: {exc}",
                                 f"write 'week: {week.key}' to match the file name") from None
        if named != week:
            raise InputFileError(path, line, f"'week: {value}' does not match the file name",
                                 f"write 'week: {week.key}', or rename the file to "
                                 f"{named.slug}.md")
    if header.get("title", ("", 0))[0]:
        note.title = header["title"][0]
    if header.get("date", ("", 0))[0]:
        value, line = header["date"]
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            raise InputFileError(path, line, f"date '{value}' is not ISO 8601",
                                 "write it like 2026-09-14T08:30:00+02:00, or remove the line "
                                 "(the end of the week is used)") from None
        note.date = moment if moment.tzinfo else moment.replace(tzinfo=tz)
    return note


def load_notes(folder: Path, tz, now: datetime, render=None
               ) -> tuple[dict[Week, Note], list[CommentFileError]]:
    """Every usable note by week, and the problems of the others (which are skipped)."""
    notes: dict[Week, Note] = {}
    problems: list[CommentFileError] = []
    if not folder.is_dir():
        return notes, problems
    for path in sorted(folder.iterdir()):
        if path.suffix != ".md" or path.name.startswith(".") or not path.is_file():
            continue
        try:
            note = read_note(path, tz)
        except InputFileError as exc:
            problems.append(exc)
            continue
        if note.week.start(tz) > now:
            problems.append(InputFileError(
                path, 1, f"week {note.week.key} has not begun yet (it starts "
                f"{note.week.start(tz):%Y-%m-%d}); a digest is written after its week",
                "rename the file to the week it is about, e.g. the last finished one"))
            continue
        if render is not None:
            note.html = render(HTML_COMMENT_RE.sub("", note.body))
        notes[note.week] = note
    return notes, problems


def markdown_renderer(settings: dict):
    """The site's own Markdown settings, for the author's (trusted) words.

    The Markdown instance is made on first use: most builds have few notes or none.
    """
    made = []

    def render(text: str) -> str:
        if not made:
            import markdown

            config = dict(settings.get("MARKDOWN") or {})
            configs = dict(config.get("extension_configs") or {})
            extensions = list(configs) + [e for e in config.get("extensions", [])
                                          if e not in configs]
            made.append(markdown.Markdown(extensions=extensions, extension_configs=configs,
                                          output_format=config.get("output_format", "html5")))
        md = made[0]
        md.reset()
        return md.convert(text)
    return render


# -- what a week gathers -----------------------------------------------------------------
# The digest works on light Records (bundles.py): every comment's substance is already on
# its record, so gathering a year of weeks never loads a bundle.

@dataclass
class Featured:
    """A contribution shown in a digest; excerpt and score terms are made when shown."""

    comment: Record
    essay: Any
    words: int = 0   # excerpt length

    @property
    def excerpt(self) -> str:
        return _words(self.comment.excerpt, self.words, self.comment.excerpt_cut)

    @property
    def terms(self) -> tuple:
        return substance.assess(self.comment).terms


class ThreadLink(NamedTuple):
    """An active thread listed without excerpts."""

    essay: Any
    root: Record
    count: int


@dataclass
class ThreadDigest:
    essay: Any
    root: Record
    new: list[Record]
    score: float
    featured: list[Featured]
    author_took_part: bool

    @property
    def people(self) -> int:
        return len({c.author.casefold() for c in self.new if not c.is_author})

    @property
    def followups(self) -> list[FollowupLink]:
        return [f for f in getattr(self.essay, "followups", []) if f.thread_id == self.root.id]


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

    `essays` are the published essays (Pelican articles or EssayRefs) with `followup_of`
    attached; `summaries` map an essay's slug to its Summary (records and tally dates).
    One pass over the records groups them by week: linear. The `max_threads` best threads
    of a week get excerpts; the others are listed as links.
    """
    by_slug = {e.slug: e for e in essays}
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
        digest.note = notes.get(week)
        digest.published = (digest.note.date if digest.note and digest.note.date
                            else week.last_moment(tz))
        digests.append(digest)
    return digests, problems


def _week_digest(week, records, by_slug, by_id, first_seen, followups, tally_kinds,
                 max_threads) -> WeekDigest:
    digest = WeekDigest(week)
    per_thread: dict[tuple[str, str], list[Record]] = defaultdict(list)
    for r in records:
        per_thread[(r.essay, r.thread_id or r.id)].append(r)
    for (slug, thread_id), new in per_thread.items():
        root = by_id[(slug, thread_id)]
        if all(r.reshare for r in new):
            continue   # only shared links: counted, never featured
        if len(new) == 1 and new[0] is root and root.kind in ("response", "mention"):
            continue   # listed among responses, or counted as a mention
        digest.threads.append(ThreadDigest(
            by_slug[slug], root, new, round(sum(r.substance for r in new if not r.reshare), 2),
            [], any(r.is_author for r in new)))
    digest.threads.sort(key=lambda t: (-t.score, -max(r.date for r in t.new).timestamp(),
                                       t.essay.slug, t.root.id))
    digest.more_threads = [ThreadLink(t.essay, t.root, len(t.new))
                           for t in digest.threads[max_threads:max_threads + MORE_THREADS]]
    digest.unlisted_threads = max(0, len(digest.threads) - max_threads - MORE_THREADS)
    active = len(digest.threads)
    del digest.threads[max_threads:]
    for thread in digest.threads:
        readers = sorted((r for r in thread.new if not r.reshare and not r.is_author),
                         key=lambda r: (-r.substance, r.date, r.id))
        chosen: dict[str, Record] = {}   # the best of each person, the best people first
        for r in readers:
            chosen.setdefault(r.author.casefold(), r)
        thread.featured = [_featured(r, thread.essay)
                           for r in list(chosen.values())[:FEATURED_PER_THREAD]]
    responses = sorted((r for r in records if r.kind == "response"),
                       key=lambda r: (-r.substance, r.date, r.id))
    digest.responses = [_featured(r, by_slug[r.essay]) for r in responses]
    digest.followups = sorted(followups, key=lambda f: (f.date, f.slug))
    voices = [r for r in records if not r.is_author and not r.reshare and r.kind != "mention"
              and first_seen.get(r.author.casefold()) == (r.date, r.id)]
    digest.new_voices = [Featured(r, by_slug[r.essay], 20) for r in voices]
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


def _featured(r: Record, essay) -> Featured:
    return Featured(r, essay, EXCERPT_WORDS)


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


# -- the build ---------------------------------------------------------------------------

@dataclass
class DigestContext:
    weeks: list[WeekDigest]
    notes: dict[Week, Note]
    problems: list[CommentFileError]
    now: datetime
    marks: dict[str, list[FeaturedMark]]   # essay slug → its comments quoted in digests


def _notes(generator):
    """The site's time zone, the digest's "now", and the author's notes for each week."""
    tz = site_timezone(generator.settings)
    now = site_now(generator.colloquy, tz)
    folder = Path(generator.path) / generator.colloquy["COLLOQUY_DIGESTS_DIR"]
    notes, problems = load_notes(folder, tz, now, markdown_renderer(generator.settings))
    return tz, now, notes, problems


def prepare(generator) -> DigestContext:
    """generate_context step: follow-ups, notes, weeks, featured marks. Logs problems.

    Comments were scored when their folder was prepared (see ColloquyGenerator.decorate);
    this step only reads the summaries' records.
    """
    from .followups import attach
    from .errors import log_problems

    colloquy = generator.colloquy
    articles = list(generator.context.get("articles", []))
    unpublished = {a.slug for name in ("drafts", "hidden_articles")
                   for a in generator.context.get(name, [])}
    summaries = generator.summaries
    problems = attach(articles, {slug: s.records for slug, s in summaries.items()}, unpublished)
    tz, now, notes, note_problems = _notes(generator)
    weeks, week_problems = collect(articles, summaries, tz, now, notes,
                                   colloquy["COLLOQUY_DIGEST_THREADS"])
    problems += note_problems + week_problems
    # Kept in the context, not on each essay: an attribute on a thousand essays costs a MB.
    marks = featured_marks(weeks)
    generator.context["colloquy_featured"] = marks

    log_problems(problems)
    if colloquy["COLLOQUY_STRICT"] and problems:
        raise ColloquyError(
            f"colloquy: {len(problems)} problem(s) in follow-up lines or digest files and "
            "COLLOQUY_STRICT is on; fix them (see `colloquy check`) or turn it off")
    generator.context["colloquy_digest_weeks"] = weeks
    return DigestContext(weeks, notes, problems, now, marks)


def week_key(week: WeekDigest) -> list:
    """Everything a week's page shows, cheaply: its page is rewritten only when this moves."""
    return [week.title, week.span, week.note.html if week.note else "", week.tallies,
            [(t.essay.slug, t.root.id, t.root.author, t.score, len(t.new), t.people,
              t.author_took_part, [(f.comment.id, f.comment.substance, f.comment.excerpt,
                                    f.comment.replies_drawn, f.comment.author_replied)
                                   for f in t.featured], t.followups) for t in week.threads],
            [(t.essay.slug, t.root.id, t.count) for t in week.more_threads],
            week.unlisted_threads,
            [(f.comment.id, f.comment.excerpt) for f in week.responses + week.new_voices],
            week.followups, str(week.published)]


def write_output(generator, writer, outputs, info: feeds.FeedInfo, context: DigestContext
                 ) -> None:
    """generate_output step: one page per published week, the archive, the feeds.

    A page is rendered only when what its week shows changed; the feed only when one of
    its weeks did, and then only those weeks, without the list of other active threads.
    """
    body = generator.env.get_template("_digest_week.html")
    page = generator.get_template("digest")
    index = generator.get_template("digest_index")
    site_url = generator.settings.get("SITEURL", "")
    limit = generator.colloquy["COLLOQUY_DIGEST_FEED_ITEMS"]
    keys = {week.slug: input_hash([week_key(week), site_url]) for week in context.weeks}
    for week in context.weeks:
        if outputs.stale(week.url + "index.html", keys[week.slug]):
            # base.html links the digest feeds from every page: no page_feeds needed.
            writer.write_file(week.url + "index.html", page, generator.context, week=week)
    key = input_hash([[(w.slug, w.title, w.tally_text) for w in context.weeks], site_url])
    if outputs.stale("digest/index.html", key):
        writer.write_file("digest/index.html", index, generator.context, weeks=context.weeks)
    in_feed = context.weeks[:limit]
    key = input_hash([[keys[w.slug] for w in in_feed], info])
    stale = [outputs.stale(name, key) for name in ("feeds/digest.atom.xml",
                                                   "feeds/digest.rss.xml")]
    if not any(stale):
        return   # no week in the feed changed: skip rendering it
    entries = [feeds.Entry(
        id=info.tag(f"digest/{week.slug}"), title=f"{week.title} ({week.span})",
        link=info.url(week.url), published=week.published.astimezone(timezone.utc),
        updated=week.published.astimezone(timezone.utc), author=info.author,
        content_html=body.render(week=week, base=info.site_url, explain=False, in_feed=True))
        for week in in_feed]
    atom_bytes, rss_bytes = feeds.atom_and_rss(
        info, feed_id=info.tag("feeds/digest"), title=f"{info.site_name}: weekly digest",
        page_url=info.url("digest/"), atom_url=info.url("feeds/digest.atom.xml"),
        rss_url=info.url("feeds/digest.rss.xml"),
        subtitle="The week's conversations, gathered by the author",
        entries=entries, fallback_updated=EPOCH)
    outputs.write("feeds/digest.atom.xml", atom_bytes)
    outputs.write("feeds/digest.rss.xml", rss_bytes)


# -- the command line: the site without Pelican's writers ----------------------------------

@dataclass
class SiteData:
    essays: list[EssayRef]
    conversations: dict
    summaries: dict
    problems: list[CommentFileError]
    tz: Any
    now: datetime
    notes: dict[Week, Note]
    weeks: list[WeekDigest]
    folder: Path
    site_url: str
    max_threads: int


def load_site(settings: dict) -> SiteData:
    """Everything the build knows about comments, follow-ups and digests, for the CLI.

    Comments are parsed and threaded but not rendered: nothing here needs their HTML.
    """
    from .bundles import Summary, record
    from .slugs import site_entries
    from .comments import load_comments
    from .followups import attach
    from .threads import Conversation, build_conversations

    colloquy = colloquy_settings.resolve(settings)
    tz = site_timezone(settings)
    now = site_now(colloquy, tz)
    essays, unpublished = [], set()
    for slug, entry in site_entries(settings).items():
        if entry.kind != "essay":
            continue
        path, meta = entry.path, entry.metadata
        if str(meta.get("status", "published")) != "published":
            unpublished.add(slug)
            continue
        moment = meta.get("date") or EPOCH
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=tz)
        followup = meta.get("followup")
        essays.append(EssayRef(slug, str(meta.get("title", slug)), moment, str(path),
                               str(followup).strip() if followup is not None else None))
    comments, problems = load_comments(colloquy_settings.comments_root(settings))
    conversations, thread_problems = build_conversations(
        comments, {e.slug for e in essays} | unpublished)
    problems += thread_problems
    max_depth = colloquy["COLLOQUY_MAX_DEPTH"]
    urls = SiteUrls(settings)
    summaries = {}
    for slug, conversation in conversations.items():
        for c in conversation.by_id.values():
            c.permalink = urls.permalink(c, max_depth)
        substance.score_conversation(conversation)
        summaries[slug] = Summary(
            slug, "", records=[record(c) for c in conversation.written],
            tallies=[(c.kind, c.date) for c in conversation.likes + conversation.reposts])
    for essay in essays:
        conversations.setdefault(essay.slug, Conversation(essay.slug))
    problems += attach(essays, {slug: s.records for slug, s in summaries.items()}, unpublished)
    folder = Path(settings["PATH"]) / colloquy["COLLOQUY_DIGESTS_DIR"]
    notes, note_problems = load_notes(folder, tz, now)
    weeks, week_problems = collect(essays, summaries, tz, now, notes,
                                   colloquy["COLLOQUY_DIGEST_THREADS"])
    site_url = (settings.get("FEED_DOMAIN") or settings.get("SITEURL") or "").rstrip("/")
    return SiteData(essays, conversations, summaries, problems + note_problems + week_problems,
                    tz, now, notes, weeks, folder, site_url, colloquy["COLLOQUY_DIGEST_THREADS"])


def draft(settings: dict, week_text: str | None = None, force: bool = False
          ) -> tuple[Path, Path | None, Week]:
    """Write content/digests/<yyyy>-w<ww>.md prefilled; never overwrite without --force.

    Returns (the note, the backup of the old note if --force replaced one, the week).
    """
    site = load_site(settings)
    running = Week.of(site.now, site.tz)
    if week_text:
        try:
            week = Week.parse(week_text)
        except ValueError as exc:
            raise DigestError(f"--week {exc}") from None
    else:
        week = running.previous()
    if week.start(site.tz) > site.now:
        raise DigestError(f"week {week.key} has not begun yet; draft a week that has "
                          f"(the running week is {running.key})")
    digest = _draft_digest(site, week)
    if digest is None:
        raise DigestError(f"week {week.key} ({week.span}) had no conversation, so it gets no "
                          "digest; pick another week with --week yyyy-Www")
    target = site.folder / f"{week.slug}.md"
    backup = None
    if target.exists():
        if not force:
            raise DigestError(
                f"{_display(target)} already exists; your words are kept. Edit that file, "
                "or run again with --force to start over (the old file is kept as a .bak)")
        backup = _free_name(target.with_name(target.name + ".bak"))
        shutil.copy2(target, backup)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".md", dir=target.parent)
    with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
        handle.write(draft_text(digest, site.site_url, running == week, site.tz))
    os.replace(tmp, target)
    return target, backup, week


def _draft_digest(site: SiteData, week: Week) -> WeekDigest | None:
    for digest in site.weeks:
        if digest.week == week:
            return digest
    # The running week (or a week whose note had problems) is not in site.weeks: gather it.
    far_future = week.end(site.tz) + timedelta(days=1)
    weeks, _ = collect(site.essays, site.summaries, site.tz, far_future, {}, site.max_threads)
    return next((d for d in weeks if d.week == week), None)


def _free_name(path: Path) -> Path:
    candidate, n = path, 1
    while candidate.exists():
        candidate, n = path.with_name(f"{path.name}.{n}"), n + 1
    return candidate


def _display(path: Path) -> str:
    from .errors import display_path

    return display_path(str(path))


def _safe(text: str) -> str:
    """Text that cannot end the HTML comment it sits in."""
    return text.replace("--", "–")


def draft_text(digest: WeekDigest, site_url: str, running: bool, tz=timezone.utc) -> str:
    """The prefilled note: header, the week's material as a hidden note, a first paragraph."""
    week = digest.week
    url = (site_url + "/") if site_url else ""
    lines = [f"week: {week.key}", f"title: Week {week.number}, {week.year}", "", "<!--",
             f"Notes for the digest of week {week.key} ({week.span}). Everything between",
             "these comment marks is for you and is never published. Write the week's opening",
             "below them in your own words: it leads the digest page and its feed entry.",
             "The ranked threads, responses, follow-ups, new voices and tallies follow your",
             "words on every build. Add a line like",
             f"'date: {week.end(tz).replace(hour=9).isoformat()}' to the header to date the",
             "feed entry yourself; otherwise it is dated at the end of the week."]
    if running:
        lines.append("This week is still running: it is published once it ends.")
    lines += ["", "Threads, ranked by substance:"]
    for rank, thread in enumerate(digest.threads, 1):
        lines.append(_safe(f"{rank}. “{_plain(thread.essay.title)}”: thread started by "
                           f"{thread.root.author}, {len(thread.new)} new "
                           f"({thread.score:g} points)"))
        lines.append(f"   {url}{thread.root.permalink}")
        for item in thread.featured:
            lines.append(_safe(f"   {item.comment.author} ({item.comment.substance:g}): "
                               f"“{item.excerpt}”"))
    if not digest.threads:
        lines.append("(none)")
    if digest.more_threads:
        others = len(digest.more_threads) + digest.unlisted_threads
        lines.append(f"... and {others} more active threads.")
    if digest.responses:
        lines += ["", "Responses from other sites:"]
        lines += [_safe(f"- {r.comment.author} on “{_plain(r.essay.title)}”: {r.comment.url}")
                  for r in digest.responses]
    if digest.followups:
        lines += ["", "Follow-up essays:"]
        lines += [_safe(f"- “{_plain(f.title)}” follows up “{_plain(f.target_title)}”")
                  for f in digest.followups]
    if digest.new_voices:
        lines += ["", "New voices: " + _safe(", ".join(v.comment.author
                                                       for v in digest.new_voices))]
    lines += ["", "Tallies: " + digest.tally_text, "-->", ""]
    opening = (f"This week {digest.tally_text.split(', ')[0] if digest.tallies else 'nothing'} "
               "came in.")
    if digest.threads:
        top = digest.threads[0]
        opening += (f" The conversation I keep thinking about is the one {top.root.author} "
                    f"started under “{_plain(top.essay.title)}”.")
    lines += [opening, ""]
    return "\n".join(lines)


def _plain(text: str) -> str:
    return re.sub(r"<[^>]+>", "", str(text))
