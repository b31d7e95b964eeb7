"""The digest in a build: its weeks (context step), its pages and feed (output step).

Both steps take plain data (the build's context dict, summaries, settings, a template
getter), not Pelican's generator. Flow: published essays + their records + the author's
notes → digest.collect → archive.settle (published weeks keep their frozen selection) →
digest/<yyyy>-w<ww>/, digest/ and feeds/digest.{atom,rss}.xml. docs/digest.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

from . import feeds, settings as colloquy_settings
from .archive import settle
from .digest import (EPOCH, FeaturedMark, WeekDigest, collect, featured_marks,
                     with_excerpts)
from .errors import ColloquyError, CommentFileError, log_problems
from .followups import attach
from .notes import DraftNotice, Note, load_notes, note_markdown
from .outputs import input_hash
from .settings import site_timezone
from .weeks import Week, site_now


@dataclass
class DigestContext:
    weeks: list[WeekDigest]
    notes: dict[Week, Note]
    problems: list[CommentFileError]
    now: datetime
    marks: dict[str, list[FeaturedMark]]   # essay slug → its comments quoted in digests


def prepare(context: dict, summaries: dict, settings: dict, content_path: str,
            excerpts_of: Callable[[str], dict]) -> DigestContext:
    """generate_context step: follow-ups, notes, weeks (frozen once published), featured
    marks, set into `context` for the templates. Logs problems.

    Comments were scored when their folder was prepared; this step reads the summaries'
    records, and `excerpts_of(slug)` (BundleStore.load_excerpts) for the comments shown.
    """
    colloquy = colloquy_settings.resolve(settings)
    articles = list(context.get("articles", []))
    unpublished = {a.slug for name in ("drafts", "hidden_articles")
                   for a in context.get(name, [])}
    problems = attach(articles, {slug: s.records for slug, s in summaries.items()}, unpublished)
    weeks, notes, now, week_problems = _weeks(articles, summaries, settings, colloquy,
                                              content_path, write=True)
    problems += week_problems
    with_excerpts(weeks, excerpts_of)
    # Kept in the context, not on each essay: an attribute on a thousand essays costs a MB.
    marks = featured_marks(weeks)
    context["colloquy_featured"] = marks
    log_problems(problems)
    faults = [p for p in problems if not isinstance(p, DraftNotice)]   # drafts are normal
    if colloquy["COLLOQUY_STRICT"] and faults:
        raise ColloquyError(
            f"colloquy: {len(faults)} problem(s) in follow-up lines or digest files and "
            "COLLOQUY_STRICT is on; fix them (see `colloquy check`) or turn it off")
    context["colloquy_digest_weeks"] = weeks
    return DigestContext(weeks, notes, problems, now, marks)


def _weeks(essays, summaries: dict, settings: dict, colloquy: dict, content_path: str,
           write: bool, render: bool = True):
    """The published weeks, the notes, "now", and the problems found on the way."""
    tz = site_timezone(settings)
    now = site_now(colloquy, tz)
    folder = Path(content_path) / colloquy["COLLOQUY_DIGESTS_DIR"]
    notes, problems = load_notes(folder, tz, now, note_markdown(settings) if render else None)
    live, week_problems = collect(essays, summaries, tz, now, notes,
                                  colloquy["COLLOQUY_DIGEST_THREADS"])
    weeks, frozen_problems = settle(live, folder, essays, summaries, tz, now, notes, write)
    return weeks, notes, now, problems + week_problems + frozen_problems


def week_key(week: WeekDigest) -> list:
    """Everything a week's page shows, cheaply: its page is rewritten only when this moves."""
    def shown(items):
        return [(f.comment.id, f.comment.author, f.comment.permalink, f.comment.url,
                 f.excerpt, f.essay.slug, str(f.essay.title)) for f in items]

    return [week.title, week.span, week.note.html if week.note else "", week.tallies,
            [(t.essay.slug, str(t.essay.title), t.root.id, t.root.author, t.count, t.people,
              t.author_took_part, shown(t.featured), t.followups) for t in week.threads],
            [(t.essay.slug, str(t.essay.title), t.root.id, t.root.author, t.count)
             for t in week.more_threads],
            week.unlisted_threads, shown(week.responses), shown(week.new_voices),
            week.followups, str(week.published), str(week.updated)]


def write_pages(weeks: list[WeekDigest], get_template, context: dict, writer, outputs,
                info: feeds.FeedInfo, feed_items: int) -> None:
    """generate_output step: one page per published week, the archive, the feeds.

    A page is rendered only when what its week shows changed; the feed only when one of
    its weeks did, and then only those weeks, without the list of other active threads.
    `get_template` is the generator's (name without .html → a Jinja template).
    """
    page, index = get_template("digest"), get_template("digest_index")
    site_url = context.get("SITEURL", "")
    keys = {week.slug: input_hash([week_key(week), site_url]) for week in weeks}
    for week in weeks:
        if outputs.stale(week.url + "index.html", keys[week.slug]):
            # base.html links the digest feeds from every page: no page_feeds needed.
            writer.write_file(week.url + "index.html", page, context, week=week)
    key = input_hash([[(w.slug, w.title, w.tally_text) for w in weeks], site_url])
    if outputs.stale("digest/index.html", key):
        writer.write_file("digest/index.html", index, context, weeks=weeks)
    in_feed = weeks[:feed_items]
    key = input_hash([[keys[w.slug] for w in in_feed], info])
    stale = [outputs.stale(name, key) for name in ("feeds/digest.atom.xml",
                                                   "feeds/digest.rss.xml")]
    if not any(stale):
        return   # no week in the feed changed: skip rendering it
    body = get_template("_digest_week")
    entries = [feeds.Entry(
        id=info.tag(f"digest/{week.slug}"), title=f"{week.title} ({week.span})",
        link=info.url(week.url), published=week.published.astimezone(timezone.utc),
        updated=week.updated.astimezone(timezone.utc), author=info.author,
        content_html=body.render(week=week, base=info.site_url, in_feed=True,
                                 colloquy_urls=context["colloquy_urls"]))
        for week in in_feed]
    atom_bytes, rss_bytes = feeds.atom_and_rss(
        info, feed_id=info.tag("feeds/digest"), title=f"{info.site_name}: weekly digest",
        page_url=info.url("digest/"), atom_url=info.url("feeds/digest.atom.xml"),
        rss_url=info.url("feeds/digest.rss.xml"),
        subtitle="The week's conversations, gathered by the author",
        entries=entries, fallback_updated=EPOCH)
    outputs.write("feeds/digest.atom.xml", atom_bytes)
    outputs.write("feeds/digest.rss.xml", rss_bytes)
