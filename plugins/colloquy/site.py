"""The site as the command line loads it: comments, follow-ups and digests, without
Pelican's writers. `colloquy check`, `explain`, `digest draft` and `digest unfreeze` use it.

Comments are parsed, threaded and scored but not rendered: nothing here needs their HTML.
It only reads: a week's selection is frozen by the build, never by a command that looks.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from . import archive, settings as colloquy_settings, substance
from .digest import EPOCH, WeekDigest, collect, with_excerpts
from .errors import CommentFileError, display_path
from .followups import EssayRef
from .notes import DigestError, Note, draft_text, load_notes, write_draft
from .urls import SiteUrls
from .settings import site_timezone
from .weeks import Week, site_now


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
    folder: Path               # the author's notes and the weeks' frozen selections
    site_url: str
    max_threads: int
    excerpts: dict             # essay slug → comment id → bundles.excerpt


def load_site(settings: dict) -> SiteData:
    """Everything the build knows about comments, follow-ups and digests."""
    from .comments import load_comments
    from .followups import attach
    from .slugs import site_entries
    from .threads import build_conversations

    colloquy = colloquy_settings.resolve(settings)
    tz = site_timezone(settings)
    now = site_now(colloquy, tz)
    entries = site_entries(settings)
    essays, unpublished = _essays(entries.values(), tz)
    comments, problems = load_comments(colloquy_settings.comments_root(settings))
    conversations, thread_problems = build_conversations(comments, set(entries))
    problems += thread_problems
    urls = SiteUrls(settings, pages=[s for s, e in entries.items() if e.kind == "page"])
    summaries, excerpts = _summaries(conversations, colloquy["COLLOQUY_MAX_DEPTH"], urls)
    for essay in essays:
        conversations.setdefault(essay.slug, _empty(essay.slug))
    problems += attach(essays, {slug: s.records for slug, s in summaries.items()}, unpublished)
    folder = Path(settings["PATH"]) / colloquy["COLLOQUY_DIGESTS_DIR"]
    notes, note_problems = load_notes(folder, tz, now)
    live, week_problems = collect(essays, summaries, tz, now, notes,
                                  colloquy["COLLOQUY_DIGEST_THREADS"])
    weeks, frozen_problems = archive.settle(live, folder, essays, summaries, tz, now, notes,
                                            write=False)
    with_excerpts(weeks, lambda slug: excerpts.get(slug, {}))
    site_url = (settings.get("FEED_DOMAIN") or settings.get("SITEURL") or "").rstrip("/")
    return SiteData(essays, conversations, summaries,
                    problems + note_problems + week_problems + frozen_problems,
                    tz, now, notes, weeks, folder, site_url, colloquy["COLLOQUY_DIGEST_THREADS"],
                    excerpts)


def _essays(entries, tz) -> tuple[list[EssayRef], set[str]]:
    """The published essays as plain facts, and the slugs of the unpublished ones.
    Pages may have conversations, but the digest gathers the essays'."""
    essays, unpublished = [], set()
    for entry in entries:
        if entry.kind != "essay":
            continue
        if entry.status != "published":
            unpublished.add(entry.slug)
            continue
        moment = entry.date or EPOCH
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=tz)
        followup = entry.metadata.get("followup")
        essays.append(EssayRef(entry.slug, entry.title, moment, str(entry.path),
                               str(followup).strip() if followup is not None else None))
    return essays, unpublished


def _summaries(conversations: dict, max_depth: int, urls: SiteUrls) -> tuple[dict, dict]:
    """Each conversation scored, as the light records the digest reads; and each
    comment's excerpt (essay slug → comment id → bundles.excerpt)."""
    from .bundles import Summary, digest_facts

    summaries, excerpts = {}, {}
    for slug, conversation in conversations.items():
        for c in conversation.by_id.values():
            c.permalink = urls.permalink(c, max_depth)
        substance.score_conversation(conversation)
        records, excerpts[slug], tallies = digest_facts(conversation)
        summaries[slug] = Summary(slug, "", records=records, count=len(records),
                                  tallies=tallies)
    return summaries, excerpts


def _empty(slug: str):
    from .threads import Conversation

    return Conversation(slug)


def _week(site: SiteData, week_text: str | None) -> Week:
    """The week named on the command line, or the last one that ended."""
    if not week_text:
        return Week.of(site.now, site.tz).previous()
    try:
        return Week.parse(week_text)
    except ValueError as exc:
        raise DigestError(f"--week {exc}") from None


def draft(settings: dict, week_text: str | None = None, force: bool = False
          ) -> tuple[Path, Path | None, Week]:
    """Write content/digests/<yyyy>-w<ww>.md as a draft; never overwrite without --force.

    Returns (the note, the backup of the old note if --force replaced one, the week).
    """
    site = load_site(settings)
    running = Week.of(site.now, site.tz)
    week = _week(site, week_text)
    if week.start(site.tz) > site.now:
        raise DigestError(f"week {week.key} has not begun yet; draft a week that has "
                          f"(the running week is {running.key})")
    digest = _draft_digest(site, week)
    if digest is None:
        raise DigestError(f"week {week.key} ({week.span}) had no conversation, so it gets no "
                          "digest; pick another week with --week yyyy-Www")
    target = site.folder / f"{week.slug}.md"
    backup = write_draft(target, draft_text(digest, site.site_url, running == week, site.tz),
                         force)
    return target, backup, week


def _draft_digest(site: SiteData, week: Week) -> WeekDigest | None:
    for digest in site.weeks:
        if digest.week == week:
            return digest
    # The running week (or a week whose note had problems) is not in site.weeks: gather it.
    far_future = week.end(site.tz) + timedelta(days=1)
    weeks, _ = collect(site.essays, site.summaries, site.tz, far_future, {}, site.max_threads)
    weeks = [d for d in weeks if d.week == week]
    with_excerpts(weeks, lambda slug: site.excerpts.get(slug, {}))
    return next(iter(weeks), None)


def unfreeze(settings: dict, week_text: str) -> tuple[Path, Week]:
    """Let the next build take the week's selection afresh and mark its entry updated."""
    colloquy = colloquy_settings.resolve(settings)
    tz = site_timezone(settings)
    try:
        week = Week.parse(week_text)
    except ValueError as exc:
        raise DigestError(str(exc)) from None
    folder = Path(settings["PATH"]) / colloquy["COLLOQUY_DIGESTS_DIR"]
    try:
        path = archive.unfreeze(folder, week, site_now(colloquy, tz))
    except FileNotFoundError:
        raise DigestError(
            f"week {week.key} is not frozen ({display_path(str(archive.selection_path(folder, week)))} "
            "does not exist): its selection is taken at the first build after the week "
            "ends") from None
    except OSError as exc:
        raise DigestError(f"cannot write {display_path(str(exc.filename or folder))}: "
                          f"{exc.strerror or exc}") from None
    return path, week
