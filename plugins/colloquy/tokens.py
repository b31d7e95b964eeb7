"""Signed form tokens and the secret that signs them.

A token says "this server handed out a form for this essay at this time":
`v1.<issued unix seconds>.<nonce>.<signature>`, the signature being an HMAC-SHA256 of
issued-at, essay and nonce under COLLOQUY_SECRET. Built pages carry PLACEHOLDER; the
intake server swaps in a fresh token each time it serves a page (see server.py).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
import time
from pathlib import Path

from .errors import SettingError

PLACEHOLDER = "colloquy-form-token"
SECRET_ENV = "COLLOQUY_SECRET"


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
        raise TokenError("The form token is missing (the page was not served by the "
                         "comment server).")
    parts = token.split(".")
    if len(parts) != 4 or parts[0] != "v1" or not parts[1].isdigit():
        raise TokenError("The form token is malformed.")
    issued, nonce, signature = int(parts[1]), parts[2], parts[3]
    if not hmac.compare_digest(_sign(secret, issued, essay, nonce), signature):
        raise TokenError("The form token does not match this essay or this site.")
    age = now() - issued
    if age > max_age:
        raise TokenError("The form has expired (it was opened too long ago).")
    if age < min_age:
        raise TokenError("The form was sent too quickly after the page opened.")
    return age


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
    secret_file.parent.mkdir(parents=True, exist_ok=True)
    generated = secrets.token_hex(32)
    fd = os.open(secret_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(generated + "\n")
    return generated.encode("ascii")
