"""Delivery through a real SMTP server: plain, STARTTLS or implicit TLS.

The password is never a Pelican setting (pelicanconf.py is usually in version control):
it is read, at each delivery, from the environment variable named by
COLLOQUY_SMTP_PASSWORD_ENV or from the file COLLOQUY_SMTP_PASSWORD_FILE (a secret file,
as systemd's LoadCredential= or a container secret provides), so it can be rotated
without a restart.

`deliver` sorts failures into two kinds: `Temporary` (the server is down, busy, says
4xx, or refuses the login) is retried with backoff; `Permanent` (a 5xx for the recipient
or the message itself) is not, since sending the same thing again gets the same answer.
"""

from __future__ import annotations

import os
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path

from ..errors import SettingError

MODES = {"none": 25, "starttls": 587, "tls": 465}


class Temporary(Exception):
    """Delivery failed for now; try again later."""


class Permanent(Exception):
    """The server refused this message for good."""


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int
    tls: str
    user: str | None
    password_env: str
    password_file: Path | None
    timeout: float = 30.0

    def password(self) -> str | None:
        if self.password_file is not None:
            try:
                return self.password_file.read_text(encoding="utf-8").strip() or None
            except OSError as exc:
                raise Temporary(f"cannot read the SMTP password file {self.password_file}: "
                                f"{exc.strerror}") from None
        return os.environ.get(self.password_env) or None


def config(cfg: dict, site_path) -> SmtpConfig | None:
    """The SMTP settings (as settings.resolve checked them), with what only makes sense
    together checked here; None when COLLOQUY_SMTP_HOST is not set."""
    if "COLLOQUY_SMTP_PASSWORD" in cfg:
        raise SettingError("COLLOQUY_SMTP_PASSWORD is set in the settings file; remove it "
                           "and put the password in the server's environment (variable "
                           "COLLOQUY_SMTP_PASSWORD) or in a file named by "
                           "COLLOQUY_SMTP_PASSWORD_FILE")
    host = cfg["COLLOQUY_SMTP_HOST"]
    if not host:
        return None
    tls = cfg["COLLOQUY_SMTP_TLS"]  # settings.py checked its kind, and the port's
    port = cfg["COLLOQUY_SMTP_PORT"] or MODES[tls]
    for name in ("COLLOQUY_NOTIFY_EMAIL", "COLLOQUY_MAIL_FROM"):
        if not cfg[name] or "@" not in str(cfg[name]):
            raise SettingError(f"{name} must be an e-mail address when COLLOQUY_SMTP_HOST "
                               f"is set (it is {cfg[name]!r})")
    secret_file = cfg["COLLOQUY_SMTP_PASSWORD_FILE"]
    return SmtpConfig(host=str(host), port=port, tls=tls, user=cfg["COLLOQUY_SMTP_USER"],
                      password_env=cfg["COLLOQUY_SMTP_PASSWORD_ENV"],
                      password_file=site_path(secret_file) if secret_file else None)


def deliver(smtp: SmtpConfig, message: EmailMessage) -> None:
    """Hand one message to the SMTP server, or raise Temporary / Permanent."""
    context = ssl.create_default_context()
    try:
        if smtp.tls == "tls":
            client = smtplib.SMTP_SSL(smtp.host, smtp.port, timeout=smtp.timeout,
                                      context=context)
        else:
            client = smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout)
        with client:
            if smtp.tls == "starttls":
                client.starttls(context=context)
            if smtp.user:
                client.login(smtp.user, smtp.password() or "")
            client.send_message(message)
    except smtplib.SMTPRecipientsRefused as exc:
        codes = [code for code, _ in exc.recipients.values()]
        if all(code >= 500 for code in codes):
            raise Permanent(f"the server refused the recipient ({codes[0]})") from None
        raise Temporary(f"the server deferred the recipient ({codes[0]})") from None
    except smtplib.SMTPDataError as exc:
        text = exc.smtp_error.decode("utf-8", "replace")[:200] if isinstance(
            exc.smtp_error, bytes) else str(exc.smtp_error)[:200]
        if exc.smtp_code >= 500:
            raise Permanent(f"the server refused the message: {exc.smtp_code} {text}") from None
        raise Temporary(f"the server deferred the message: {exc.smtp_code} {text}") from None
    except smtplib.SMTPAuthenticationError as exc:
        raise Temporary(f"the SMTP login failed ({exc.smtp_code}): check COLLOQUY_SMTP_USER "
                        "and the password") from None
    except (smtplib.SMTPException, OSError) as exc:  # down, refused, TLS, timeout
        raise Temporary(f"{type(exc).__name__}: {exc}"[:300]) from None
