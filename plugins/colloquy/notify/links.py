"""Signed links and form tokens: what a mail or a page can ask the server to do.

An action link (approve or reject one comment) carries a token made by
`tokens.issue` over "link:<action>:<comment id>": it names the action and the comment, it
expires after COLLOQUY_LINK_MAX_AGE seconds, and once used its signature is recorded in
`used_links`, so it works once. Following it (GET) only shows a page; the page's button
POSTs with a CSRF token bound to the link, and only that POST acts.

CSRF tokens are the same primitive over "csrf:<binding>": the binding is the session for
moderation pages, the link for link pages. Form tokens sign an essay slug, which never
holds a colon, so no token of one kind passes for another.

Subscription keys (confirm, unsubscribe) never expire: an unsubscribe link must work for
as long as mail is sent. They are an HMAC over the subscription's id, recomputed from the
secret, so nothing secret is stored.
"""

from __future__ import annotations

import hmac
import sqlite3

from .. import tokens

ACTIONS = ("approve", "reject")


class LinkError(Exception):
    """A link or token that cannot be accepted; `reason` is shown to the person."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def issue_action(secret: bytes, action: str, comment_id: str) -> str:
    return tokens.issue(secret, f"link:{action}:{comment_id}")


def check_action(secret: bytes, action: str, comment_id: str, token: str,
                 max_age: float) -> None:
    if action not in ACTIONS:
        raise LinkError("This link names no action this server knows.")
    try:
        tokens.verify(secret, token, f"link:{action}:{comment_id}", 0, max_age)
    except tokens.TokenError as exc:
        if "expired" in exc.reason:
            raise LinkError("This link has expired. Moderate from the moderation page or "
                            "with `colloquy pending`, or wait for the next mail.") from None
        raise LinkError("This link is not valid: it was changed, or it comes from another "
                        "site.") from None


def signature(token: str) -> str:
    return token.rsplit(".", 1)[-1]


def is_used(conn: sqlite3.Connection, token: str) -> bool:
    return conn.execute("SELECT 1 FROM used_links WHERE signature = ?",
                        (signature(token),)).fetchone() is not None


def use(conn: sqlite3.Connection, token: str, now: float) -> bool:
    """Record the link as used; False if it was used already (call in a transaction)."""
    return conn.execute("INSERT OR IGNORE INTO used_links VALUES (?, ?)",
                        (signature(token), now)).rowcount == 1


def issue_csrf(secret: bytes, binding: str) -> str:
    return tokens.issue(secret, f"csrf:{binding}")


def check_csrf(secret: bytes, binding: str, token: str, max_age: float) -> None:
    try:
        tokens.verify(secret, token or "", f"csrf:{binding}", 0, max_age)
    except tokens.TokenError:
        raise LinkError("The form's security token is missing or out of date. Go back, "
                        "reload the page and try again.") from None


def subscription_key(secret: bytes, sub_id: int, purpose: str) -> str:
    """The key in a subscription's confirm or unsubscribe link."""
    return tokens._sign(secret, 0, f"subscription:{purpose}:{sub_id}", "")


def check_subscription_key(secret: bytes, sub_id: int, purpose: str, key: str) -> bool:
    return hmac.compare_digest(subscription_key(secret, sub_id, purpose), key or "")
