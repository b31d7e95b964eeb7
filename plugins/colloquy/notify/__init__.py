"""Notifications: mail to the author and to commenters who asked, and web moderation.

The rest of Colloquy calls three hooks, each inside the store transaction of the event,
so a message is queued durably exactly when its cause is committed:

- `pending_added(store, comment_id, subscribe=False)`: a new pending item (a web comment,
  a verified webmention, an import that asks for it). Queues the author's notice and, when
  the commenter ticked "E-mail me when someone replies", their subscription and its
  confirmation mail (double opt-in).
- `published(store, comment_id)`: a comment was approved. Queues "your comment is
  published" for its confirmed subscriber and "someone replied" for the parent's.
- `purge(store, retention_days, now)`: erases subscription addresses that are no longer
  needed; part of `colloquy purge` and the server's daily retention pass.

Nothing is composed or sent here: the outbox holds what to say about which comment, and
the sender in `colloquy serve` (outbox.Sender) writes and delivers the mail later.
"""

from __future__ import annotations

import time

from . import outbox, subscriptions


def pending_added(store, comment_id: str, subscribe: bool = False) -> None:
    """Call inside the transaction that added the pending row."""
    now = time.time()
    outbox.enqueue(store.conn, "pending", comment_id, None, now)
    if not subscribe:
        return
    row = store.conn.execute("SELECT email FROM comments WHERE id = ?",
                             (comment_id,)).fetchone()
    if row and row[0]:
        sub_id, then = subscriptions.subscribe(store.conn, comment_id, row[0], now)
        if then == "ask":
            outbox.enqueue(store.conn, "confirm", comment_id, sub_id, now)


def published(store, comment_id: str) -> None:
    """Call inside the transaction that marked the comment approved."""
    now = time.time()
    own = subscriptions.active(store.conn, comment_id)
    if own:
        outbox.enqueue(store.conn, "published", comment_id, own["id"], now)
    row = store.conn.execute("SELECT reply_to, email FROM comments WHERE id = ?",
                             (comment_id,)).fetchone()
    parent = subscriptions.active(store.conn, row[0]) if row and row[0] else None
    if parent and (row[1] or "").strip().casefold() != parent["email"].casefold():
        outbox.enqueue(store.conn, "reply", comment_id, parent["id"], now)  # not to oneself


def confirmed(store, sub_id: int, now: float) -> bool:
    """Confirm a subscription (inside a transaction), with the address's other unconfirmed
    ones; for those whose comment is published by now, the "published" notice they missed
    is queued. False when there was nothing to confirm (ended or expired)."""
    ids = subscriptions.confirm(store.conn, sub_id, now)
    for sub in ids:
        row = store.conn.execute("SELECT s.comment FROM subscriptions s JOIN comments c ON "
                                 "c.id = s.comment WHERE s.id = ? AND c.status = 'approved'",
                                 (sub,)).fetchone()
        if row:
            outbox.enqueue(store.conn, "published", row[0], sub, now)
    return bool(ids)


def purge(store, retention_days: float, now: float) -> int:
    """Erase addresses no longer needed; returns how many were erased."""
    return subscriptions.purge(store.conn, retention_days, now)
