"""A published week is a record: its selection, frozen beside the author's notes.

The first build after a week ends writes content/digests/<yyyy>-w<ww>.selection.json:
which threads, excerpts, responses, follow-ups and new voices the week shows, in order,
and its tallies, as ids and numbers (no text; each thread's score, for the author to
review, is never shown). Later builds show that
selection with the comments' current text; a comment removed since drops out. The feed
entry's `updated` moves only when what readers see of the note changes (the file keeps
the note's fingerprint) or when `colloquy digest unfreeze` asks for a fresh selection.
Writing is atomic and never fails a build: a folder that cannot be written gets a
warning, and the week is shown as selected now. docs/digest.md.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from .digest import Featured, ThreadDigest, ThreadLink, VOICE_WORDS, WeekDigest, dated
from .errors import CommentFileError
from .files import atomic_write
from .followups import InputFileError
from .notes import Note
from .weeks import Week

SUFFIX = ".selection.json"
FORMAT = 1


def selection_path(folder: Path, week: Week) -> Path:
    return folder / f"{week.slug}{SUFFIX}"


def settle(live: list[WeekDigest], folder: Path, essays, summaries: dict, tz, now: datetime,
           notes: dict[Week, Note], write: bool = True
           ) -> tuple[list[WeekDigest], list[CommentFileError]]:
    """Every published week as it was first published, newest first.

    `live` is this build's selection of every ended week (digest.collect). A week with a
    frozen selection is shown from it; the others are frozen now, when `write` is set
    (the build; `colloquy check` and the other commands only read).
    """
    now = now.replace(microsecond=0)   # dates people read in the file
    by_slug = {e.slug: e for e in essays}
    by_id = {(slug, r.id): r for slug, s in summaries.items() if slug in by_slug
             for r in s.records}
    live_by_week = {d.week: d for d in live}
    stored_weeks = {w for w in _stored_weeks(folder) if w.end(tz) <= now}
    weeks, problems = [], []
    for week in sorted(set(live_by_week) | stored_weeks, reverse=True):
        path = selection_path(folder, week)
        note = notes.get(week)
        stored, digest, readable = {}, None, True
        if week in stored_weeks:
            try:
                stored, digest = _load(path, week, by_slug, by_id)
            except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError) as exc:
                problems.append(_unreadable(path, week, exc))
                stored, readable = {}, False
        if digest is not None:
            _as_frozen(digest, stored, note, tz, now, path if write else None, problems)
            if not digest.shows_anything:
                continue   # everything it showed was removed since
        elif week in live_by_week:
            digest = live_by_week[week]
            if "unfrozen" in stored:   # `colloquy digest unfreeze`: a fresh selection
                digest.updated = max(digest.updated, _moment(stored["unfrozen"]))
            if readable:   # never replace a file the author may want to repair
                fingerprint = note.fingerprint if note else None
                _store(path if write else None, freeze(digest, fingerprint, now), problems)
        else:
            continue
        digest.updated = max(digest.updated, digest.published)
        weeks.append(digest)
    return weeks, problems


def _as_frozen(digest: WeekDigest, stored: dict, note: Note | None, tz, now: datetime,
               path: Path | None, problems: list) -> None:
    """Date a frozen week; its entry is updated now if the author changed their words."""
    dated(digest, note, tz)
    digest.updated = _moment(stored["updated"])
    fingerprint = note.fingerprint if note else None
    if stored.get("note") != fingerprint:
        digest.updated = now
        _store(path, stored | {"note": fingerprint, "updated": now.isoformat()}, problems)


def _load(path: Path, week: Week, by_slug: dict, by_id: dict
          ) -> tuple[dict, WeekDigest | None]:
    """The file's data, and the frozen week if it holds one; raises if it is not valid."""
    stored = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(stored, dict) or stored.get("week") != week.key:
        raise ValueError(f"it does not name week {week.key}")
    if "threads" not in stored:
        if "unfrozen" not in stored:
            raise ValueError("it holds neither a selection nor an unfreeze")
        _moment(stored["unfrozen"])
        return stored, None
    _moment(stored["updated"])
    return stored, thaw(stored, week, by_slug, by_id)


def _moment(text) -> datetime:
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        raise ValueError(f"'{text}' has no UTC offset")
    return moment


def _unreadable(path: Path, week: Week, exc: Exception) -> CommentFileError:
    return InputFileError(
        path, 1, f"the week's frozen selection cannot be read ({type(exc).__name__}: {exc}); "
        "the week is shown as selected now, and the file is left as it is",
        f"restore it from your repository, or run `colloquy digest unfreeze {week.key}` "
        "to take a fresh selection", fatal=False)


def _stored_weeks(folder: Path) -> list[Week]:
    weeks = []
    if folder.is_dir():
        for path in folder.glob(f"*{SUFFIX}"):
            try:
                weeks.append(Week.parse(path.name.removesuffix(SUFFIX)))
            except ValueError:
                continue   # not ours to judge: only files named after a week are read
    return weeks


def freeze(digest: WeekDigest, note_fingerprint: str | None, now: datetime) -> dict:
    """The week's selection as plain data, in the order it is shown."""
    def ref(item: Featured) -> dict:
        return {"essay": item.essay.slug, "comment": item.comment.id}

    return {
        "week": digest.week.key,
        "format": FORMAT,
        "frozen": now.isoformat(),
        "updated": digest.updated.isoformat(),
        "note": note_fingerprint,
        "threads": [{"essay": t.essay.slug, "thread": t.root.id, "comments": t.count,
                     "people": t.people, "author_took_part": t.author_took_part, "score": t.score,
                     "featured": [f.comment.id for f in t.featured],
                     "prompted": [f.slug for f in t.followups]} for t in digest.threads],
        "more_threads": [{"essay": t.essay.slug, "thread": t.root.id, "comments": t.count}
                         for t in digest.more_threads],
        "unlisted_threads": digest.unlisted_threads,
        "responses": [ref(r) for r in digest.responses],
        "followups": [f.slug for f in digest.followups],
        "new_voices": [ref(v) for v in digest.new_voices],
        "tallies": [[n, label] for n, label in digest.tallies],
    }


def thaw(stored: dict, week: Week, by_slug: dict, by_id: dict) -> WeekDigest:
    """The frozen selection with today's comments; what no longer exists drops out."""
    digest = WeekDigest(week)
    for t in stored["threads"]:
        essay, root = by_slug.get(t["essay"]), by_id.get((t["essay"], t["thread"]))
        if essay is None or root is None:
            continue
        featured = [Featured(by_id[(essay.slug, c)], essay) for c in t["featured"]
                    if (essay.slug, c) in by_id]
        digest.threads.append(ThreadDigest(
            essay, root, int(t["comments"]), int(t["people"]), float(t["score"]), featured,
            bool(t["author_took_part"]), _followups(t["prompted"], by_slug)))
    for t in stored["more_threads"]:
        essay, root = by_slug.get(t["essay"]), by_id.get((t["essay"], t["thread"]))
        if essay is not None and root is not None:
            digest.more_threads.append(ThreadLink(essay, root, int(t["comments"])))
    digest.unlisted_threads = int(stored["unlisted_threads"])
    digest.responses = _featured(stored["responses"], by_slug, by_id)
    digest.followups = _followups(stored["followups"], by_slug)
    digest.new_voices = _featured(stored["new_voices"], by_slug, by_id, VOICE_WORDS)
    digest.tallies = [(int(n), str(label)) for n, label in stored["tallies"]]
    return digest


def _featured(refs: list, by_slug: dict, by_id: dict, words: int | None = None):
    found = [(by_slug.get(r["essay"]), by_id.get((r["essay"], r["comment"]))) for r in refs]
    return [Featured(comment, essay, *([words] if words else []))
            for essay, comment in found if essay is not None and comment is not None]


def _followups(slugs: list, by_slug: dict) -> list:
    found = [getattr(by_slug.get(slug), "followup_of", None) for slug in slugs]
    return [link for link in found if link is not None]


def _store(path: Path | None, data: dict, problems: list) -> None:
    """Write a week's file (unless `path` is None: a command that only reads)."""
    if not path:
        return
    text = json.dumps(data, ensure_ascii=False, indent=1) + "\n"
    try:
        atomic_write(path, text)
    except OSError as exc:
        problems.append(InputFileError(
            path, 1, f"the week's selection could not be frozen ({exc.strerror or exc}); "
            "it is shown as selected now, and may change with later comments",
            f"make {path.parent} writable and build again", fatal=False))


def unfreeze(folder: Path, week: Week, now: datetime) -> Path:
    """Mark a week for a fresh selection at the next build, its feed entry updated `now`."""
    path = selection_path(folder, week)
    if not path.exists():
        raise FileNotFoundError(path)
    text = json.dumps({"week": week.key, "format": FORMAT,
                       "unfrozen": now.replace(microsecond=0).isoformat()},
                      indent=1) + "\n"
    return atomic_write(path, text)
