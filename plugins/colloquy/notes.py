"""The author's notes: content/digests/<yyyy>-w<ww>.md, their own words for a week.

A note has a short header (`week:`, `title:`, `date:`, `status:`), then Markdown. What
sits between `<!--` and `-->` is private and never published. `colloquy digest draft`
writes a note with `status: draft`: nothing of a draft is published until the author
deletes that line, and the machine-written material (scores, a possible opening) lives
only inside the private marks. docs/digest.md.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from .comments import read_header
from .errors import ColloquyError, CommentFileError, display_path
from .files import atomic_write
from .followups import InputFileError
from .text import clean, unclean_lines
from .weeks import Week

NOTE_NAME_RE = re.compile(r"(\d{4})-w(\d{2})\.md")
HTML_COMMENT_RE = re.compile(r"<!--.*?-->", re.DOTALL)
HEADER_KEYS = ("week", "title", "date", "status")
# Pelican's Markdown reader adds this to the shared MARKDOWN setting; in a note it would
# take an opening line such as "Note: this week…" for metadata and drop it.
META_EXTENSIONS = {"meta", "markdown.extensions.meta"}


class DigestError(ColloquyError):
    """A digest cannot be drafted as asked (the message says why and what to do)."""


class DraftNotice(InputFileError):
    """A note still marked `status: draft`: not published, and not a fault of the site."""


@dataclass
class Note:
    """The author's own words for one week."""

    week: Week
    path: str
    body: str
    title: str | None = None
    date: datetime | None = None
    draft: int = 0   # the line of `status: draft`; 0 when the note is published
    html: str = ""

    @property
    def words(self) -> str:
        """The body as published: private notes left out."""
        return HTML_COMMENT_RE.sub("", self.body).strip()

    @property
    def fingerprint(self) -> str:
        """Changes exactly when what readers see of the note changes."""
        published = [self.title or "", self.date.isoformat() if self.date else "", self.words]
        return hashlib.sha256("\n\0".join(published).encode("utf-8")).hexdigest()[:16]


def read_note(path: Path, tz) -> tuple[Note, list[CommentFileError]]:
    """Parse one note; InputFileError naming the file and the fix if it is unusable.
    Also returns warnings about what was cleaned on the way in."""
    week = _week_of_name(path)
    try:
        raw = path.read_bytes().decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError:
        raise InputFileError(path, 1, "invalid UTF-8", "re-save the file as UTF-8") from None
    warnings = [InputFileError(path, line, "characters a page or feed cannot carry were "
                               "removed", "re-save the file without them", fatal=False)
                for line in unclean_lines(raw)[:1]]
    lines = clean(raw).split("\n")
    found = read_header(lines, path, known=HEADER_KEYS, fold_case=True)
    if found.problems:
        raise found.problems[0]
    header, body_start = found.fields, found.body_start
    note = Note(week, str(path), "\n".join(lines[body_start:]).strip("\n"))
    _check_week_line(path, week, header.get("week"))
    note.title = header.get("title", ("", 0))[0] or None
    if header.get("date", ("", 0))[0]:
        note.date = _date(path, *header["date"], tz)
    if "status" in header:
        value, line = header["status"]
        if value.lower() not in ("draft", "published"):
            raise InputFileError(path, line, f"status '{value}' is neither draft nor published",
                                 "delete the line when your words are ready to publish")
        note.draft = line if value.lower() == "draft" else 0
    return note, warnings


def _week_of_name(path: Path) -> Week:
    match = NOTE_NAME_RE.fullmatch(path.name)
    if not match:
        raise InputFileError(path, 1, f"'{path.name}' is not named after a week",
                             "name it <ISO year>-w<two-digit week>.md, e.g. 2026-w37.md")
    try:
        return Week.checked(int(match.group(1)), int(match.group(2)))
    except ValueError as exc:
        raise InputFileError(path, 1, f"'{path.name}': {exc}",
                             "rename the file to a week that exists, e.g. 2026-w37.md") from None


def _check_week_line(path: Path, week: Week, found: tuple[str, int] | None) -> None:
    if found is None:
        return
    value, line = found
    try:
        named = Week.parse(value)
    except ValueError as exc:
        raise InputFileError(path, line, f"week: {exc}",
                             f"write 'week: {week.key}' to match the file name") from None
    if named != week:
        raise InputFileError(path, line, f"'week: {value}' does not match the file name",
                             f"write 'week: {week.key}', or rename the file to {named.slug}.md")


def _date(path: Path, value: str, line: int, tz) -> datetime:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise InputFileError(path, line, f"date '{value}' is not ISO 8601",
                             "write it like 2026-09-14T08:30:00+02:00, or remove the line "
                             "(the end of the week is used)") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=tz)


def load_notes(folder: Path, tz, now: datetime, render=None
               ) -> tuple[dict[Week, Note], list[CommentFileError]]:
    """Every publishable note by week, and the problems of the others (which are skipped).
    A draft is left out with a notice: its week is published as if it had no note."""
    notes: dict[Week, Note] = {}
    problems: list[CommentFileError] = []
    if not folder.is_dir():
        return notes, problems
    for path in sorted(folder.iterdir()):
        if path.suffix != ".md" or path.name.startswith(".") or not path.is_file():
            continue
        try:
            note, warnings = read_note(path, tz)
        except InputFileError as exc:
            problems.append(exc)
            continue
        problems += warnings
        if note.week.start(tz) > now:
            problems.append(InputFileError(
                path, 1, f"week {note.week.key} has not begun yet (it starts "
                f"{note.week.start(tz):%Y-%m-%d}); a digest is written after its week",
                "rename the file to the week it is about, e.g. the last finished one"))
            continue
        if note.draft:
            problems.append(DraftNotice(
                path, note.draft, "still a draft: nothing in it is published",
                "delete the line 'status: draft' when your words are ready", fatal=False))
            continue
        if render is not None:
            note.html = render(note.words)
        notes[note.week] = note
    return notes, problems


def note_markdown(settings: dict):
    """A Markdown renderer of the notes' own: the site's extensions, without meta.

    The instance is made on first use: most builds have few notes or none.
    """
    made = []

    def render(text: str) -> str:
        if not made:
            import markdown

            config = dict(settings.get("MARKDOWN") or {})
            configs = {name: value for name, value
                       in dict(config.get("extension_configs") or {}).items()
                       if name not in META_EXTENSIONS}
            extensions = list(configs) + [e for e in config.get("extensions", [])
                                          if e not in configs and e not in META_EXTENSIONS]
            made.append(markdown.Markdown(extensions=extensions, extension_configs=configs,
                                          output_format=config.get("output_format", "html5")))
        md = made[0]
        md.reset()
        return md.convert(text)
    return render


# -- drafts ------------------------------------------------------------------------------

def write_draft(target: Path, text: str, force: bool) -> Path | None:
    """Write a drafted note; never replace one without `force`, and then keep a backup.
    Returns the backup's path, if one was made."""
    backup = None
    if target.exists():
        if not force:
            raise DigestError(
                f"{display_path(str(target))} already exists; your words are kept. Edit that "
                "file, or run again with --force to start over (the old file is kept as a .bak)")
        backup = _free_name(target.with_name(target.name + ".bak"))
        atomic_write(backup, target.read_bytes(), exclusive=True)
    try:
        atomic_write(target, text, exclusive=not force)
    except FileExistsError:   # written meanwhile, by hand or by another run
        raise DigestError(f"{display_path(str(target))} appeared while drafting; your words "
                          "are kept") from None
    return backup


def _free_name(path: Path) -> Path:
    candidate, n = path, 1
    while candidate.exists():
        candidate, n = path.with_name(f"{path.name}.{n}"), n + 1
    return candidate


def _safe(text: str) -> str:
    """Text that cannot end the HTML comment it sits in."""
    return text.replace("--", "–")


def _plain(text: str) -> str:
    return re.sub(r"<[^>]+>", "", str(text))


def draft_text(digest, site_url: str, running: bool, tz=timezone.utc) -> str:
    """The drafted note: a header marked `status: draft`, and, inside the private marks,
    the week's material with its scores and a possible opening. Nothing is published
    until the author deletes the status line, and then only what they wrote outside."""
    week = digest.week
    url = (site_url + "/") if site_url else ""
    lines = [f"week: {week.key}", f"title: Week {week.number}, {week.year}", "status: draft",
             "", "<!--",
             f"Notes for the digest of week {week.key} ({week.span}). Everything between",
             "these comment marks is for you and is never published. Write the week's opening",
             "below them in your own words: it leads the digest page and its feed entry.",
             "This file is a draft: nothing in it is published until you delete the line",
             "'status: draft' above. The threads, responses, follow-ups, new voices and",
             "tallies of the week follow your words on the page. Add a line like",
             f"'date: {week.end(tz).replace(hour=9).isoformat()}' to the header to date the",
             "feed entry yourself; otherwise it is dated at the end of the week."]
    if running:
        lines.append("This week is still running: it is published once it ends.")
    lines += ["", "Threads, ranked by substance:"]
    lines += _thread_lines(digest, url)
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
    lines += ["", "Tallies: " + digest.tally_text, "",
              "A possible opening, if it says what you mean (copy it below the marks):",
              _safe(_suggested_opening(digest)), "-->", "", ""]
    return "\n".join(lines)


def _thread_lines(digest, url: str) -> list[str]:
    lines = []
    for rank, thread in enumerate(digest.threads, 1):
        lines.append(_safe(f"{rank}. “{_plain(thread.essay.title)}”: thread started by "
                           f"{thread.root.author}, {thread.count} new "
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
    return lines


def _suggested_opening(digest) -> str:
    first = digest.tally_text.split(", ")[0] if digest.tallies else "nothing"
    opening = f"This week {first} came in."
    if digest.threads:
        top = digest.threads[0]
        opening += (f" The conversation I keep thinking about is the one {top.root.author} "
                    f"started under “{_plain(top.essay.title)}”.")
    return opening
