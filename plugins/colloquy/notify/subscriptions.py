"""Commenters' subscriptions to replies: double opt-in, one-click unsubscribe.

A subscription is made when a commenter ticks "E-mail me when someone replies" and gives
an address. It starts unconfirmed; the confirmation mail's link (a POST behind a page)
confirms it. Only a confirmed subscription is ever sent a notice. An address that has
confirmed before is trusted again at once, so a regular commenter confirms only once.

Unsubscribing ends every subscription of that address and erases the address: the row
stays, addressless, so old links keep answering "you are unsubscribed".
Addresses live here and nowhere else (never in content/, never in the outbox).
"""

from __future__ import annotations

import sqlite3

CONFIRM_DAYS = 7  # an unconfirmed address is erased after this


def subscribe(conn: sqlite3.Connection, comment_id: str, email: str, now: float
              ) -> tuple[int, str]:
    """Record a subscription; returns its id and what follows: 'confirmed' (the address
    confirmed before), 'asked' (a confirmation mail went to it within CONFIRM_DAYS, and
    confirming that one confirms this one too) or 'ask' (send a confirmation mail).

    So the comment form cannot be used to send an address more than one confirmation
    mail a week, whatever is posted with it."""
    email = email.strip()
    known = conn.execute(
        "SELECT status FROM subscriptions WHERE email = ? COLLATE NOCASE AND "
        "(status = 'confirmed' OR (status = 'unconfirmed' AND created >= ?)) "
        "ORDER BY status = 'confirmed' DESC LIMIT 1",
        (email, now - CONFIRM_DAYS * 86400)).fetchone()
    confirmed = known is not None and known[0] == "confirmed"
    conn.execute("INSERT INTO subscriptions (comment, email, status, created, confirmed) "
                 "VALUES (?, ?, ?, ?, ?) ON CONFLICT (comment) DO NOTHING",
                 (comment_id, email, "confirmed" if confirmed else "unconfirmed", now,
                  now if confirmed else None))
    row = conn.execute("SELECT id FROM subscriptions WHERE comment = ?",
                       (comment_id,)).fetchone()
    return row[0], "confirmed" if confirmed else ("asked" if known else "ask")


def get(conn: sqlite3.Connection, sub_id: int) -> sqlite3.Row | None:
    return conn.execute("SELECT * FROM subscriptions WHERE id = ?", (sub_id,)).fetchone()


def active(conn: sqlite3.Connection, comment_id: str) -> sqlite3.Row | None:
    """The confirmed subscription to replies to this comment, if any."""
    return conn.execute("SELECT * FROM subscriptions WHERE comment = ? AND "
                        "status = 'confirmed' AND email IS NOT NULL",
                        (comment_id,)).fetchone()


def confirm(conn: sqlite3.Connection, sub_id: int, now: float) -> list[int]:
    """Confirm this subscription and every other unconfirmed one of its address; returns
    their ids ([] when it has ended, expired or never was)."""
    row = get(conn, sub_id)
    if row is None or not row["email"] or row["status"] == "ended":
        return []
    ids = [r[0] for r in conn.execute(
        "SELECT id FROM subscriptions WHERE email = ? COLLATE NOCASE AND "
        "status = 'unconfirmed'", (row["email"],))]
    conn.execute(f"UPDATE subscriptions SET status = 'confirmed', confirmed = ? WHERE id IN "
                 f"({','.join('?' * len(ids))})", (now, *ids))
    return ids or [sub_id]  # confirmed before: following the link again is no error


def unsubscribe(conn: sqlite3.Connection, sub_id: int, now: float) -> int:
    """End every subscription of this one's address and erase it; returns how many."""
    row = get(conn, sub_id)
    if row is None or not row["email"]:
        return 0
    return conn.execute("UPDATE subscriptions SET status = 'ended', email = NULL, ended = ? "
                        "WHERE email = ? COLLATE NOCASE", (now, row["email"])).rowcount


def purge(conn: sqlite3.Connection, retention_days: float, now: float) -> int:
    """Erase unconfirmed addresses after CONFIRM_DAYS, and subscriptions to comments that
    were rejected or are gone; delete ended rows after the retention period."""
    erased = conn.execute(
        "UPDATE subscriptions SET status = 'ended', email = NULL, ended = ? "
        "WHERE email IS NOT NULL AND ((status = 'unconfirmed' AND created < ?) OR "
        "comment NOT IN (SELECT id FROM comments WHERE status != 'rejected'))",
        (now, now - CONFIRM_DAYS * 86400)).rowcount
    conn.execute("DELETE FROM subscriptions WHERE status = 'ended' AND ended < ?",
                 (now - retention_days * 86400,))
    conn.execute("DELETE FROM outbox WHERE status != 'waiting' AND done < ?",
                 (now - retention_days * 86400,))
    conn.execute("DELETE FROM used_links WHERE used < ?", (now - retention_days * 86400,))
    return erased
