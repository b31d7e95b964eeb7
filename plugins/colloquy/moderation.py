"""Moderation: list pending comments, approve (publish) or reject them, purge addresses.

Approving turns a store row into a comment file, written atomically by
`comments.write_comment` (which also redacts any e-mail or IP address that made its way
into the text), then marks the row approved. The file is written first: if anything
stops in between, the row is still pending and approving again finds the file already
there and just finishes the job.
"""

from __future__ import annotations

import json
import logging
import sys
import textwrap
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

from . import builds, notify, settings as colloquy_settings, text
from .comments import comment_path, parse_comment, write_comment
from .errors import ColloquyError
from .settings import comments_root
from .store import Store, StoredComment, default_store_path

logger = logging.getLogger("colloquy.moderation")


def publish(store: Store, root: Path, comment_id: str, auto: bool = False) -> Path:
    """Write the comment file for a stored comment and mark it approved. Idempotent."""
    row = store.get(comment_id)
    if row is None:
        raise ColloquyError(f"no comment with id '{comment_id}' in the store; "
                            "see `colloquy pending`")
    target = comment_path(root, row.essay, row.id)
    try:
        target = write_comment(root, row.to_comment())
    except FileExistsError:
        existing = parse_comment(target, row.essay)  # a half-finished earlier approval
        if existing.id != row.id:
            raise ColloquyError(f"{target} exists and is another comment; move it away "
                                "and approve again") from None
    with store.transaction():
        store.set_status(row.id, "approved", time.time(), auto=auto)
        notify.published(store, row.id)
    return target


def reject(store: Store, comment_id: str) -> StoredComment:
    row = store.get(comment_id)
    if row is None:
        raise ColloquyError(f"no comment with id '{comment_id}' in the store; "
                            "see `colloquy pending`")
    if row.status == "approved":
        raise ColloquyError(f"{comment_id} is already published; delete its file under "
                            f"content/comments/{row.essay}/ to take it down")
    with store.transaction():
        store.set_status(row.id, "rejected", time.time())
    return row


def purge(store: Store, settings: dict) -> tuple[int, int]:
    days = colloquy_settings.resolve(settings)["COLLOQUY_RETENTION_DAYS"]
    with store.transaction():
        return store.purge(days, time.time())


class Rebuilder:
    """Rebuilds in the background after auto-approvals, one build at a time, coalescing
    requests that arrive while a build runs. Each build goes to a fresh folder and is
    swapped in only if it succeeds (builds.py): a failed one never reaches readers."""

    def __init__(self, settings: dict):
        self.settings = settings
        self.wanted = threading.Event()
        threading.Thread(target=self._loop, name="colloquy-rebuild", daemon=True).start()

    def request(self) -> None:
        self.wanted.set()

    def _loop(self) -> None:
        while True:
            self.wanted.wait()
            self.wanted.clear()
            try:
                if not builds.build(self.settings, echo=False):
                    logger.error("rebuild after auto-approval failed; the site served is the "
                                 "previous one (see `colloquy pending`)")
            except Exception:
                logger.exception("rebuild after auto-approval failed")


# -- the listing -------------------------------------------------------------------------

def age(created: float, now: float) -> str:
    seconds = max(0, int(now - created))
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            n = seconds // size
            return f"{n} {unit}{'s' if n != 1 else ''} ago"
    return "just now"


def format_pending(rows: list[StoredComment], store: Store, root: Path, now: float,
                   full: bool = False, width: int = 78) -> str:
    """The listing. Everything a commenter wrote passes through `text.for_terminal`:
    an escape sequence in a name or body is shown as `\\x1b[...`, never obeyed (it
    could clear the screen, retitle the window, hide a line or fill the clipboard)."""
    if not rows:
        return "No comments are waiting for moderation."
    safe = text.for_terminal
    plural = "comment is" if len(rows) == 1 else "comments are"
    out = [f"{len(rows)} {plural} waiting for moderation (oldest first):", ""]
    for row in rows:
        where = f"on {safe(row.essay)}"
        if row.reply_to:
            parent = store.get(row.reply_to)
            reply_to = safe(row.reply_to)
            if comment_path(root, row.essay, row.reply_to).exists():
                where += f", replying to {reply_to}"
            elif parent is not None:
                where += f", replying to {reply_to} (itself still {parent.status})"
            else:
                where += f", replying to {reply_to} (missing: it will show as top-level)"
        out.append(f"{safe(row.id)}  {where}")
        who = safe(row.author)
        if row.email:
            who += f" <{safe(row.email)}>"
        details = [who]
        if row.website:
            details.append(safe(row.website))
        if row.ip:
            details.append(f"ip {safe(row.ip)}")
        if row.source == "webmention":  # received live: say what it is and where it is
            details.append(f"webmention, {safe(row.kind)}, from {safe(row.url or '')}")
        elif row.source != "web":
            details.append(f"imported from {safe(row.source)}")
        if row.kind != "comment" and row.source != "webmention":
            details.append(safe(row.kind))
        details.append(age(row.created, now))
        out.append("  " + " · ".join(details))
        body = row.body if full else _excerpt(row.body)
        for paragraph in body.split("\n"):
            wrapped = textwrap.wrap(safe(paragraph), width - 4) or [""]
            out.extend("  | " + line for line in wrapped)
        out.append("")
    out.append("Approve with `colloquy approve ID...`, reject with `colloquy reject ID...`.")
    return "\n".join(out)


def _excerpt(body: str, limit: int = 400) -> str:
    lines = body.strip().split("\n")
    shown = "\n".join(lines[:6])
    if len(shown) > limit:
        shown = shown[:limit].rstrip() + " …"
    elif len(lines) > 6:
        shown += "\n…"
    return shown


# -- CLI commands ----------------------------------------------------------------------

def _open(args) -> tuple[dict, Store]:
    from .config import load_site_settings

    settings = load_site_settings(args.settings)
    return settings, Store(default_store_path(settings))


def cmd_pending(args) -> int:
    settings, store = _open(args)
    with store:
        rows = store.list("pending", essay=args.essay)
        if args.json:
            print(json.dumps([{**row.__dict__, "created": datetime.fromtimestamp(
                row.created, timezone.utc).isoformat()} for row in rows], indent=2))
        else:
            print(format_pending(rows, store, comments_root(settings), time.time(),
                                 full=args.full))
            failed_build = builds.failure_note(settings)
            if failed_build:
                print("\n" + failed_build)
    return 0


def cmd_approve(args) -> int:
    settings, store = _open(args)
    root = comments_root(settings)
    failures = published = 0
    with store:
        for comment_id in args.ids:
            row = store.get(comment_id)
            if row is None:
                print(f"colloquy: no comment '{comment_id}' in the store; see `colloquy "
                      "pending`", file=sys.stderr)
                failures += 1
                continue
            if row.status == "approved" and comment_path(root, row.essay, row.id).exists():
                print(f"{comment_id}: already approved")
                continue
            try:
                path = publish(store, root, comment_id)
            except (ColloquyError, ValueError, OSError) as exc:  # this one fails, not the rest
                print(f"colloquy: {comment_id}: {text.for_terminal(str(exc))}", file=sys.stderr)
                failures += 1
                continue
            published += 1
            print(f"approved {comment_id} → {path}")
            if row.reply_to and not comment_path(root, row.essay, row.reply_to).exists():
                print(f"  note: its parent {row.reply_to} is not published; it shows as a "
                      "top-level comment until the parent is approved")
        purge(store, settings)
    wants_rebuild = args.rebuild if args.rebuild is not None else \
        colloquy_settings.resolve(settings)["COLLOQUY_REBUILD"]
    if published and wants_rebuild:
        print("Rebuilding the site…", flush=True)
        if not builds.build(settings):
            print("colloquy: the rebuild failed; the site in the output folder is the "
                  "previous one. See the messages above.", file=sys.stderr)
            return 1
    elif published:
        print("Rebuild the site to show them (`colloquy build`, or use --rebuild).")
    return 1 if failures else 0


def cmd_reject(args) -> int:
    settings, store = _open(args)
    failures = 0
    days = colloquy_settings.resolve(settings)["COLLOQUY_RETENTION_DAYS"]
    with store:
        for comment_id in args.ids:
            try:
                reject(store, comment_id)
            except ColloquyError as exc:
                print(f"colloquy: {exc}", file=sys.stderr)
                failures += 1
                continue
            print(f"rejected {comment_id} (deleted from the store after {days} days)")
        purge(store, settings)
    return 1 if failures else 0


def cmd_purge(args) -> int:
    settings, store = _open(args)
    with store:
        erased, deleted = purge(store, settings)
    days = colloquy_settings.resolve(settings)["COLLOQUY_RETENTION_DAYS"]
    print(f"Erased the e-mail and IP addresses of {erased} comment(s) moderated more than "
          f"{days} days ago; deleted {deleted} rejected comment(s).")
    return 0
