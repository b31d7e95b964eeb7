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
              ) -> tuple[int, bool]:
    """Record a subscription; returns (its id, whether it is confirmed already)."""
    email = email.strip()
    known = conn.execute("SELECT 1 FROM subscriptions WHERE email = ? COLLATE NOCASE AND "
                         "status = 'confirmed' LIMIT 1", (email,)).fetchone()
    status = "confirmed" if known else "unconfirmed"
    conn.execute("INSERT INTO subscriptions (comment, email, status, created, confirmed) "
                 "VALUES (?, ?, ?, ?, ?) ON CONFLICT (comment) DO NOTHING",
                 (comment_id, email, status, now, now if known else None))
    row = conn.execute("SELECT id, status FROM subscriptions WHERE comment = ?",
                       (comment_id,)).fetchone()
    return row[0], row[1] == "confirmed"


def get(conn: sqlite3.Connection, sub_id: int) -> sqlite3.Row | None:
    return conn.execute("SELECT * FROM subscriptions WHERE id = ?", (sub_id,)).fetchone()


def active(conn: sqlite3.Connection, comment_id: str) -> sqlite3.Row | None:
    """The confirmed subscription to replies to this comment, if any."""
    return conn.execute("SELECT * FROM subscriptions WHERE comment = ? AND "
                        "status = 'confirmed' AND email IS NOT NULL",
                        (comment_id,)).fetchone()


def confirm(conn: sqlite3.Connection, sub_id: int, now: float) -> str:
    """Confirm; returns the status the subscription is in afterwards."""
    row = get(conn, sub_id)
    if row is None:
        return "missing"
    if row["status"] == "unconfirmed" and row["email"]:
        conn.execute("UPDATE subscriptions SET status = 'confirmed', confirmed = ? "
                     "WHERE id = ?", (now, sub_id))
        return "confirmed"
    return row["status"] if row["email"] else "ended"


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
