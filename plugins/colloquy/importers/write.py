"""Writing a plan: the only place an import changes anything.

Essays, pages and comment files are written one atomic file each (`files.atomic_write`,
exclusive: never over an existing file), at paths made by `files.inside`, which cannot
leave content/ whatever an export's names hold. Pending items go into the intake store.
`--dry-run` stops before any of it.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from ..comments import Comment, format_comment
from ..errors import ColloquyError
from ..files import UnsafePath, atomic_write, inside
from ..slugs import is_folder_name
from .essays import Site
from .inputs import progress_bar, wants_progress
from .plan import Plan
from .report import Report

WRITERS = 8  # fsync waits on the disk, not the CPU: a few threads overlap those waits


def apply(result: Plan, site: Site, report: Report, dry_run: bool) -> None:
    """Write entries, comment files and pending rows. Each file atomic; nothing overwritten."""
    try:
        _write_entries(result, site, report, dry_run)
        _write_comments(result, site, report, dry_run)
        _queue(result, site, report, dry_run)
    except OSError as exc:
        where = exc.filename or site.content
        raise ColloquyError(f"{where}: cannot write ({exc.strerror or exc}); fix the folder's "
                            "permissions or free space, then run the import again (what was "
                            "written is kept and will not be written twice)") from None


def _write_entries(result: Plan, site: Site, report: Report, dry_run: bool) -> None:
    for entry in result.entries:
        folder = site.pages_dir if entry.kind == "page" else site.essays_dir
        name = f"{folder.name}/{entry.slug}.md"
        try:
            if not is_folder_name(entry.slug):  # also names its comment folder
                raise UnsafePath(entry.slug)
            target = inside(folder, f"{entry.slug}.md")
        except UnsafePath:
            report.skip(f"its slug cannot be a file name under {folder.name}/",
                        source_id=entry.source_id, thread_title=entry.title,
                        thread_url=entry.url, detail=entry.slug, what=entry.kind)
            continue
        if entry.slug in site.essays or target.exists():
            report.entries_kept.append(name)
            continue
        report.entries_new.append(name)
        if not dry_run:
            try:
                atomic_write(target, entry.text, exclusive=True)
            except FileExistsError:  # appeared meanwhile: never replace an essay
                report.entries_new.remove(name)
                report.entries_kept.append(name)


def _write_comments(result: Plan, site: Site, report: Report, dry_run: bool) -> None:
    total = len(result.comments)
    with progress_bar("writing comments", total,
                      wants_progress(items=total) and not dry_run) as bar:
        for comment, outcome in _write_all(result.comments, site, dry_run):
            bar.advance()
            item = result.items.get(comment.id)
            if outcome == "unsafe":
                report.skip("its essay or id cannot be a file name", item or comment)
            elif outcome == "exists":
                report.already += 1
                report.note("kept", "a comment file with its id is already there, without "
                            "matching source keys; left as it is", item or comment)
            else:
                report.imported[comment.kind] += 1


def _write_all(comments: list[Comment], site: Site, dry_run: bool):
    """Yield (comment, "written" | "exists" | "unsafe") for each comment."""
    def write(comment: Comment) -> str:
        try:
            target = inside(site.comments_root, comment.essay, f"{comment.id}.md")
        except UnsafePath:
            return "unsafe"
        if dry_run:
            return "written"
        try:
            atomic_write(target, format_comment(comment), exclusive=True)
        except FileExistsError:
            return "exists"
        return "written"

    if len(comments) < 50 or dry_run:
        yield from ((comment, write(comment)) for comment in comments)
        return
    with ThreadPoolExecutor(WRITERS) as pool:
        yield from zip(comments, pool.map(write, comments))


def _queue(result: Plan, site: Site, report: Report, dry_run: bool) -> None:
    if not result.pending:
        return
    if dry_run:
        for comment, _, _ in result.pending:
            report.pending += 1
            report.note("queued", "waiting for moderation in the old system",
                        result.items.get(comment.id) or comment)
        return
    from ..store import Store

    store = Store(site.store_path())
    try:
        for comment, email, ip in result.pending:
            if store.add_pending(comment, email=email, ip=ip):
                report.pending += 1
                report.note("queued", "waiting for moderation in the old system",
                            result.items.get(comment.id) or comment)
            else:
                report.already += 1
    finally:
        store.close()
