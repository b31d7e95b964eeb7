"""A verified webmention becomes a comment row; a withdrawn one goes away.

The row lives in the intake store's `comments` table with `source='webmention'`, `url`
the source and `source_id` a stable id of (source, conversation, answered comment), so
`colloquy pending`, `approve` and `reject` treat it like any comment and `approve`
writes its file. The same source sent again replaces what was stored and keeps the id.

`accept` and `withdraw` run inside the store's write transaction; what they return says
what to do with files once it has committed (see `queue.Worker`).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timezone

from .. import notify
from ..comments import Comment, is_http_url
from ..store import Store, StoredComment, new_comment_id
from .verify import Entry

TALLIES = ("like", "repost")


@dataclass
class Outcome:
    comment_id: str | None
    action: str            # "pending", "publish", "rewrite", "unpublish" or "none"
    kind: str = ""


def source_id(source: str, essay: str, reply_to: str) -> str:
    """Stable across sends: the same source answering the same page keeps its row."""
    key = f"{source}\n{essay}\n{reply_to}".encode("utf-8")
    return hashlib.sha256(key).hexdigest()[:24]


def initials(name: str) -> str:
    """What an avatar shows instead of the author's photo, which is never fetched."""
    letters = [word[0] for word in name.split() if word[0].isalnum()]
    return "".join(letters[:2]).upper() or "?"


def find(store: Store, source: str, essay: str, reply_to: str) -> StoredComment | None:
    row = store.conn.execute("SELECT id FROM comments WHERE source = 'webmention' AND "
                             "source_id = ?", (source_id(source, essay, reply_to),)).fetchone()
    return store.get(row[0]) if row else None


def trusted_host(store: Store, host: str) -> bool:
    """A host with a webmention the author approved by hand (not by a rule) is trusted."""
    return store.conn.execute(
        "SELECT 1 FROM webmentions w JOIN comments c ON c.id = w.comment_id "
        "WHERE w.source_host = ? AND c.status = 'approved' AND c.auto = 0 LIMIT 1",
        (host,)).fetchone() is not None


def accept(store: Store, job, entry: Entry, reply_to: str, cfg: dict, now: float) -> Outcome:
    """Turn a verified webmention into a pending (or published) comment row.

    `job` is the queue row (source, essay, source_host, reply_to as targeted); `reply_to`
    the published comment it answers, if any. This is the place where a new response
    arrives, so a notification of the author belongs after it.
    """
    kind = entry.kind
    if kind == "response" and not entry.text.strip():
        kind = "mention"  # a reply with no words of its own: listed, never threaded
    answered = (reply_to or None) if kind == "response" else None
    when = datetime.fromtimestamp(now, timezone.utc).replace(microsecond=0)
    date = min(entry.published, when) if entry.published else when
    website = entry.author_url if entry.author_url and is_http_url(entry.author_url) \
        and len(entry.author_url) <= 300 else None
    existing = find(store, job.source, job.essay, job.reply_to)
    comment = Comment(id=existing.id if existing else new_comment_id(when), essay=job.essay,
                      author=entry.author, date=date, body=entry.text, reply_to=answered,
                      kind=kind, url=job.source, website=website, source="webmention",
                      source_id=source_id(job.source, job.essay, job.reply_to),
                      extra={"initials": initials(entry.author)})
    if existing:
        store.conn.execute(
            "UPDATE comments SET author = ?, website = ?, body = ?, body_hash = ?, kind = ?, "
            "url = ?, reply_to = ?, date = ?, extra = ? WHERE id = ?",
            (comment.author, website, comment.body, store.body_hash(job.essay, comment.body),
             kind, job.source, answered, date.isoformat(), json.dumps(comment.extra),
             existing.id))
        action = "rewrite" if existing.status == "approved" else "pending"
        if existing.status == "rejected":
            action = "none"  # the author said no; an edit does not ask again
    else:
        _insert(store, comment, now)
        action = "pending"
    if action == "pending" and (
            (cfg["COLLOQUY_WEBMENTION_TRUST_DOMAINS"] and trusted_host(store, job.source_host))
            or (cfg["COLLOQUY_WEBMENTION_PUBLISH_TALLIES"] and kind in TALLIES)):
        action = "publish"
    if action in ("pending", "publish"):  # the author hears of it, like of a new comment
        # (colloquy.notify; one published at once is listed as such, as a returning
        # commenter's is)
        notify.pending_added(store, comment.id)
    return Outcome(comment.id, action, kind)


def _insert(store: Store, comment: Comment, now: float) -> None:
    for _ in range(20):  # ids share a second: retry on the rare 24-bit collision
        if store.insert(comment, None, None, now):
            return
        comment.id = new_comment_id(comment.date)
    raise RuntimeError("could not find a free comment id")


def withdraw(store: Store, job) -> Outcome:
    """The source is gone (410) or no longer links: delete what it left.

    A pending or rejected row is deleted; a published one too, and the caller removes
    its file. Returns action "none" when nothing was stored.
    """
    existing = find(store, job.source, job.essay, job.reply_to)
    if existing is None:
        return Outcome(None, "none")
    store.conn.execute("DELETE FROM comments WHERE id = ?", (existing.id,))
    action = "unpublish" if existing.status == "approved" else "deleted"
    return Outcome(existing.id, action, existing.kind)
