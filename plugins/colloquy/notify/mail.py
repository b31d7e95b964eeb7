"""One mail: plain text and HTML, with headers nothing from outside can break.

Every header goes through `email.message.EmailMessage` under the SMTP policy, which
refuses a value holding a line break; values made from outside text (a commenter's
name, an essay title) are first made one clean line by `text.clean_line`, so a name
such as "Ann\\r\\nBcc: x@example.org" is a name with odd spaces, never a new header.
Addresses are parsed into `headerregistry.Address`, which refuses anything that is not
one address. Non-ASCII is encoded per RFC 2047 / RFC 6532 by the email package itself; text that
merely looks like an RFC 2047 encoded word ("=?utf-8?b?...?=") is kept from being taken
for one (`header_text`): the email package would decode it, then fail to write it.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime

from ..text import clean, clean_line

_SPECIALS = re.compile(r'[()<>\[\]:;@\\,."]')


def header_text(value: str) -> str:
    """One clean line, with "=?" split so it never opens an encoded word."""
    return clean_line(value).replace("=?", "= ?")


class BadAddress(ValueError):
    """Not one plain e-mail address."""


def address(addr_spec: str, name: str = "") -> Address:
    """An Address for `addr_spec`, with an optional display name; BadAddress if not one."""
    spec = clean_line(addr_spec or "")
    if spec.count("@") != 1 or any(ch in spec for ch in " <>,;:\"()[]\\"):
        raise BadAddress(f"{spec!r} is not a single e-mail address")
    # A name with RFC 5322 specials must be quoted, and the email package can lose the
    # quotes when it folds a long header, turning 'A: b@c' into a group and an address
    # (found by Hypothesis). A name of plain words folds safely: specials become spaces.
    plain = header_text(_SPECIALS.sub(" ", clean_line(name)))[:120]
    try:
        return Address(display_name=plain, addr_spec=spec)
    except (ValueError, IndexError) as exc:
        raise BadAddress(f"{spec!r} is not a single e-mail address: {exc}") from None


def message(sender: Address, recipient: Address, subject: str, text: str, html: str,
            message_id: str, headers: dict[str, str] | None = None,
            when: datetime | None = None) -> EmailMessage:
    """A multipart/alternative mail; `message_id` is the stable part of its Message-ID,
    so a message sent twice (after a crash between sending and recording it) can be
    recognised as one."""
    mail = EmailMessage(policy=policy.SMTP)
    mail["From"] = sender
    mail["To"] = recipient
    mail["Subject"] = header_text(subject)[:200]
    mail["Date"] = format_datetime(when or datetime.now(timezone.utc))
    mail["Message-ID"] = f"<colloquy.{message_id}@{sender.domain or 'localhost'}>"
    mail["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation replies to this
    for name, value in (headers or {}).items():
        mail[name] = header_text(value)
    mail.set_content(clean(text))
    mail.add_alternative(clean(html), subtype="html")
    return mail
