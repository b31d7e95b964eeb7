"""E-mail and IP addresses: none may ever be written into content/.

Whatever Colloquy writes into a comment file (a header value or the body) passes through
`redact_addresses` first; addresses stay in the intake store, never in published files.
"""

from __future__ import annotations

import ipaddress
import re

EMAIL_RE = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# Candidates only; ipaddress decides (so times like 12:30:45 are left alone).
IP_CANDIDATE_RE = re.compile(r"(?<![\w.:])[0-9A-Fa-f]*[:.][0-9A-Fa-f:.]*[0-9A-Fa-f](?:%\w+)?(?![\w:])")
REDACTED = "[address removed]"


def redact_addresses(text: str) -> str:
    """Replace e-mail and IP addresses: none may ever be written into content/."""
    text = EMAIL_RE.sub(REDACTED, text)
    return IP_CANDIDATE_RE.sub(_redact_ip, text)


def _redact_ip(match: re.Match) -> str:
    text = match.group(0)
    host, _, port = text.rpartition(":")
    for candidate, rest in ((text.split("%")[0], ""), (host, f":{port}")):
        try:
            ipaddress.ip_address(candidate)
        except ValueError:
            continue
        return REDACTED + rest  # an IPv4 address with a port keeps the port
    return text
