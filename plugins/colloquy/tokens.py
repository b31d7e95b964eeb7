"""Signed form tokens and the secret that signs them.

A token says "this server handed out a form for this essay at this time":
`v1.<issued unix seconds>.<nonce>.<signature>`, the signature being an HMAC-SHA256 of
issued-at, essay and nonce under COLLOQUY_SECRET. Built pages carry PLACEHOLDER; the
intake server swaps in a fresh token each time it serves a page (see pages.py).

The same secret signs the mark that brings a reader back to the page after a post
(`?comment=<mark>`): the "awaiting moderation" notice shows only for a mark this server
made in the last few minutes, not for any `?comment=pending` typed into an address.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
import secrets
import time
from pathlib import Path

from .errors import SettingError
from .files import atomic_write

PLACEHOLDER = "colloquy-form-token"
SECRET_ENV = "COLLOQUY_SECRET"
# Only ASCII, bounded fields: int() of 4,300 digits raises, and str.isdigit() accepts
# digits of every script; compare_digest refuses non-ASCII text.
TOKEN_RE = re.compile(r"v1\.([0-9]{1,12})\.([A-Za-z0-9_-]{1,32})\.([A-Za-z0-9_=-]{1,64})")
MARK_RE = re.compile(r"(pending|published)\.([0-9]{1,12})\.([A-Za-z0-9_=-]{1,64})")
MARK_MAX_AGE = 600


def now() -> float:
    """The clock every guard reads (tests may monkeypatch it)."""
    return time.time()


class TokenError(Exception):
    """A token that cannot be accepted; `reason` is shown to the reader."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def _sign(secret: bytes, issued: int, essay: str, nonce: str) -> str:
    mac = hmac.new(secret, f"{issued}.{essay}.{nonce}".encode("utf-8"), hashlib.sha256)
    return base64.urlsafe_b64encode(mac.digest()[:18]).decode("ascii")


def issue(secret: bytes, essay: str, issued: float | None = None) -> str:
    issued_at = int(now() if issued is None else issued)
    nonce = secrets.token_urlsafe(9)
    return f"v1.{issued_at}.{nonce}.{_sign(secret, issued_at, essay, nonce)}"


def verify(secret: bytes, token: str, essay: str, min_age: float, max_age: float) -> float:
    """Return the token's age in seconds, or raise TokenError saying what is wrong."""
    if not token or token == PLACEHOLDER:
        raise TokenError("This form did not come from this site's comment server, or its "
                         "page was saved before sending.")
    match = TOKEN_RE.fullmatch(token)
    if not match:
        raise TokenError("The form was damaged on its way (its hidden check field is not "
                         "one this site makes).")
    issued, nonce, signature = int(match[1]), match[2], match[3]
    if not hmac.compare_digest(_sign(secret, issued, essay, nonce), signature):
        raise TokenError("This form belongs to another page or another site.")
    age = now() - issued
    if age > max_age:
        raise TokenError("The form has expired (it was opened too long ago).")
    if age < min_age:
        raise TokenError("The form was sent a moment too quickly after the page opened.")
    return age


def _mark_key(secret: bytes) -> bytes:
    """A key of its own for marks, so that no mark can ever pass for a form token."""
    return hmac.new(secret, b"colloquy notice mark", hashlib.sha256).digest()


def mark(secret: bytes, essay: str, state: str, issued: float | None = None) -> str:
    """The signed `?comment=` value that shows `state`'s notice on `essay`'s page."""
    issued_at = int(now() if issued is None else issued)
    return f"{state}.{issued_at}.{_sign(_mark_key(secret), issued_at, essay, state)}"


def read_mark(secret: bytes, value: str, essay: str) -> str | None:
    """The state a mark made by `mark` carries, or None if it is forged, for another
    essay, or older than MARK_MAX_AGE."""
    match = MARK_RE.fullmatch(value)
    if not match:
        return None
    state, issued = match[1], int(match[2])
    if not hmac.compare_digest(_sign(_mark_key(secret), issued, essay, state), match[3]):
        return None
    return state if 0 <= now() - issued <= MARK_MAX_AGE else None


def load_secret(env: str, secret_file: Path) -> bytes:
    """COLLOQUY_SECRET from the environment; in development, a generated one in var/."""
    value = os.environ.get(SECRET_ENV, "")
    if value:
        if len(value) < 16:
            raise SettingError(f"{SECRET_ENV} is too short ({len(value)} characters); use at "
                               "least 32, e.g. `python -c 'import secrets; "
                               "print(secrets.token_hex(32))'`")
        return value.encode("utf-8")
    if env == "production":
        raise SettingError(f"{SECRET_ENV} is not set and COLLOQUY_ENV is 'production'; set it "
                           "in the server's environment to a long random string, e.g. "
                           "`python -c 'import secrets; print(secrets.token_hex(32))'`")
    try:
        existing = secret_file.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        existing = ""
    if len(existing) >= 32:
        return existing.encode("ascii")
    generated = secrets.token_hex(32)
    atomic_write(secret_file, generated + "\n", mode=0o600)  # a secret: the owner's alone
    return generated.encode("ascii")
