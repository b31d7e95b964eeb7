"""The moderator's credentials: the password hash, the private feed's key, login limits.

The password is stored as an scrypt hash (RFC 7914; N=2^15, r=8, p=1, a 16-byte salt)
in the store's `meta` table, set by `colloquy moderator set-password`; the server reads
it at each login, so a new password works at once and ends every session (the session
cookie is signed over a fingerprint of the hash). The feed key is a random string in
`meta`; revoking it makes a new one, and the old URL answers 404.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import sqlite3
import time
from collections import defaultdict, deque

PASSWORD_KEY = "moderator_password"
FEED_KEY = "moderation_feed_key"
SCRYPT = {"n": 2 ** 15, "r": 8, "p": 1}
MIN_PASSWORD = 10


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, maxmem=64 * 2 ** 20,
                            dklen=32, **SCRYPT)
    return "scrypt${n}${r}${p}$".format(**SCRYPT) + "$".join(
        base64.b64encode(part).decode("ascii") for part in (salt, digest))


def check_password(stored: str | None, password: str) -> bool:
    """Constant-time check of `password` against a stored hash; False for no hash."""
    try:
        scheme, n, r, p, salt, digest = (stored or "").split("$")
        expected = base64.b64decode(digest)
        actual = hashlib.scrypt(password.encode("utf-8"), salt=base64.b64decode(salt),
                                n=int(n), r=int(r), p=int(p), maxmem=64 * 2 ** 20,
                                dklen=len(expected))
    except ValueError:
        return False
    return scheme == "scrypt" and hmac.compare_digest(actual, expected)


def fingerprint(stored: str) -> str:
    """Changes when the password does: sessions are signed over it."""
    return hashlib.sha256(stored.encode("ascii")).hexdigest()[:16]


def _get(conn: sqlite3.Connection, key: str) -> str | None:
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    return row[0] if row else None


def _put(conn: sqlite3.Connection, key: str, value: str) -> None:
    conn.execute("INSERT INTO meta VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET "
                 "value = excluded.value", (key, value))


def password_hash(conn: sqlite3.Connection) -> str | None:
    return _get(conn, PASSWORD_KEY)


def set_password(conn: sqlite3.Connection, password: str) -> None:
    _put(conn, PASSWORD_KEY, hash_password(password))


def feed_key(conn: sqlite3.Connection, create: bool = False) -> str | None:
    key = _get(conn, FEED_KEY)
    if key is None and create:
        key = secrets.token_urlsafe(24)
        _put(conn, FEED_KEY, key)
    return key


def revoke_feed(conn: sqlite3.Connection) -> str:
    key = secrets.token_urlsafe(24)
    _put(conn, FEED_KEY, key)
    return key


class Throttle:
    """Failed logins per client address: `limit` in `window` seconds, then wait.

    Kept in memory: a restart forgets it, which costs an attacker a restart they cannot
    cause, and scrypt makes each guess slow anyway. Everything the server has counts as
    one extra address, so spreading guesses over many addresses is capped as well.
    """

    def __init__(self, limit: int = 5, window: float = 900, total: int = 50):
        self.limit, self.window, self.total = limit, window, total
        self.failures: dict[str, deque] = defaultdict(deque)

    def _recent(self, key: str, now: float) -> deque:
        times = self.failures[key]
        while times and times[0] <= now - self.window:
            times.popleft()
        return times

    def wait(self, ip: str, now: float | None = None) -> int:
        """Seconds this address must wait before trying again (0: it may try now)."""
        now = time.time() if now is None else now
        waits = [int(times[0] + self.window - now) + 1
                 for key, cap in ((ip, self.limit), ("*", self.total))
                 if len(times := self._recent(key, now)) >= cap]
        return max(waits, default=0)

    def failed(self, ip: str, now: float | None = None) -> None:
        now = time.time() if now is None else now
        self.failures[ip].append(now)
        self.failures["*"].append(now)
        if len(self.failures) > 10000:  # addresses that stopped trying
            for key in [k for k in self.failures if not self._recent(k, now)]:
                del self.failures[key]

    def succeeded(self, ip: str) -> None:
        self.failures.pop(ip, None)
