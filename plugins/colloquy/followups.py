"""Follow-up essays: an essay names the conversation that prompted it, both sides link.

An essay's metadata may say `Followup: <essay-slug>` or `Followup: <essay-slug>#<thread-id>`
(Pelican lower-cases the key to `followup`). `attach()` resolves every such reference
against the published essays and their threads, then sets:

- `essay.followup_of`: a FollowupLink (what this essay follows up), or None;
- `essay.followups`:   the FollowupLinks of essays that follow this one (or one of its
                       threads) up; the thread page shows those naming its thread.

A reference that cannot be resolved is reported (file, line, fix) and the rest builds.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from .errors import CommentFileError
from .slugs import is_folder_name

THREAD_RE = re.compile(r"[a-z0-9][a-z0-9-]{0,79}")


# An essay's follow-up line or a digest file cannot be used as it is: a file problem
# like any other.
InputFileError = CommentFileError


@dataclass
class EssayRef:
    """What the digest and follow-ups need of an essay, from Pelican or from its file."""

    slug: str
    title: str
    date: datetime
    source_path: str
    followup: str | None = None
    status: str = "published"
    followup_of: "FollowupLink | None" = None
    followups: list = field(default_factory=list)


@dataclass(frozen=True)
class FollowupLink:
    """Essay `slug` follows up essay `target_slug` (and one of its threads, if named).
    Templates link them with `colloquy_urls` (urls.SiteUrls: the site's ARTICLE_URL)."""

    slug: str
    title: str
    date: datetime
    target_slug: str
    target_title: str
    thread_id: str | None = None
    thread_author: str | None = None


def reference_of(essay) -> str | None:
    value = getattr(essay, "followup", None)
    if value is None:
        value = (getattr(essay, "metadata", None) or {}).get("followup")
    if value is None:
        return None
    return str(value).strip()


def attach(essays, records: dict, known_unpublished: set[str] = frozenset()
           ) -> list[CommentFileError]:
    """Resolve every `followup` reference of `essays` (published ones); link both sides.

    `records` maps an essay's slug to its written comments (Records or Comments: anything
    with `id`, `thread_id` and `author`), to check thread ids and name thread starters.
    """
    by_slug = {e.slug: e for e in essays}
    problems: list[CommentFileError] = []
    # Only essays involved get the attributes (templates read a missing one as empty):
    # one more attribute on each of a thousand essays costs a megabyte.
    for essay in essays:
        if getattr(essay, "followup_of", None) is not None or getattr(essay, "followups", None):
            essay.followup_of, essay.followups = None, []
    for essay in sorted(essays, key=lambda e: (e.date, e.slug)):
        value = reference_of(essay)
        if value is None:
            continue
        link, problem = _resolve(essay, value, by_slug, records, known_unpublished)
        if problem:
            problems.append(problem)
        if link is None:
            continue
        essay.followup_of = link
        target = by_slug[link.target_slug]
        if not getattr(target, "followups", None):
            target.followups = []
        target.followups.append(link)
    return problems


def _resolve(essay, value: str, by_slug: dict, records: dict, unpublished: set[str]):
    path = getattr(essay, "source_path", "") or ""
    line = _line_of(path)
    target_slug, _, thread_id = value.partition("#")
    target_slug, thread_id = target_slug.strip(), thread_id.strip() or None

    def error(problem: str, fix: str, fatal: bool = True) -> InputFileError:
        return InputFileError(path, line, problem, fix, fatal=fatal)

    if not target_slug or not is_folder_name(target_slug) or (
            "#" in value and not thread_id):
        return None, error(f"followup '{value}' is not '<essay-slug>' or "
                           "'<essay-slug>#<thread-id>'",
                           "write e.g. 'Followup: the-case-for-slow-replies' or "
                           "'Followup: the-case-for-slow-replies#20260915-194712-3f9c2e'")
    if target_slug == essay.slug:
        return None, error("the essay names itself as the conversation it follows up",
                           "name the slug of the essay whose conversation prompted it")
    target = by_slug.get(target_slug)
    if target is None:
        why = ("is not published (a draft or hidden essay)" if target_slug in unpublished
               else "is not the slug of any essay")
        return None, error(f"followup '{value}': '{target_slug}' {why}",
                           "use the slug from the essay's URL (essays/<slug>/) of a published "
                           "essay, or remove the Followup line; the link is left out meanwhile")
    link = FollowupLink(essay.slug, str(essay.title), essay.date, target.slug, str(target.title))
    if thread_id is None:
        return link, None
    by_id = {r.id: r for r in records.get(target_slug, ())}
    comment = by_id.get(thread_id) if THREAD_RE.fullmatch(thread_id) else None
    if comment is None:
        return link, error(
            f"followup '{value}': essay '{target_slug}' has no thread '{thread_id}'",
            "use the id (file name) of the thread's first comment, found under "
            f"comments/{target_slug}/; meanwhile it links to the whole essay", fatal=False)
    root = by_id.get(comment.thread_id) or comment   # a reply's id stands for its thread
    return FollowupLink(essay.slug, str(essay.title), essay.date, target.slug,
                        str(target.title), root.id, root.author), None


def _line_of(path: str) -> int:
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            for number, text in enumerate(handle, 1):
                if text.lower().startswith("followup:"):
                    return number
                if not text.strip():
                    break
    except OSError:
        pass
    return 1
