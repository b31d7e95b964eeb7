"""The intake's stateless guards: what a submission must look like before it is queued.

Each guard raises `Refused(status, message)` with a message written for the person who
typed the comment. The stateful guards (per-address rate limit, duplicates) live in the
store, where they run inside the same transaction as the insert.
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

from .comments import ID_RE, is_http_url
from .store import Refused, Submission

HONEYPOT = "leave_empty"  # hidden from people by CSS; bots fill every field
EMAIL_RE = re.compile(r"[^@\s<>\"']{1,64}@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
LINK_RE = re.compile(r"https?://|\bwww\.|\]\(\s*(?!https?://)", re.IGNORECASE)
MAX_WEBSITE = 300
MAX_EMAIL = 254


def one_line(value: str) -> str:
    return " ".join(value.split())


def count_links(body: str) -> int:
    return len(LINK_RE.findall(body))


def check_honeypot(fields: dict[str, str]) -> None:
    if fields.get(HONEYPOT, "").strip():
        raise Refused(400, "A field meant to stay empty was filled in, so this looks "
                      "automated. If you are a person, clear the field labelled "
                      "'Leave this empty' and send again.")


def submission(fields: dict[str, str], ip: str | None, cfg: dict) -> Submission:
    """Validate the form fields (everything but token, origin and the store's guards)."""
    essay = fields.get("essay", "").strip()
    if not ID_RE.fullmatch(essay):
        raise Refused(404, "This comment names no essay that exists here.")
    reply_to = fields.get("reply_to", "").strip() or None
    if reply_to is not None and not ID_RE.fullmatch(reply_to):
        raise Refused(404, "The comment you are replying to does not exist on this essay.")
    author = one_line(fields.get("author", ""))
    if not author:
        raise Refused(422, "Please give a name: it is shown with your comment.")
    if len(author) > cfg["COLLOQUY_MAX_NAME_CHARS"]:
        raise Refused(422, f"Your name is {len(author)} characters long; the limit is "
                      f"{cfg['COLLOQUY_MAX_NAME_CHARS']}.")
    website = fields.get("website", "").strip() or None
    if website is not None and (len(website) > MAX_WEBSITE or not is_http_url(website)):
        raise Refused(422, "Your website must be a web address starting with http:// or "
                      f"https:// (at most {MAX_WEBSITE} characters), or left empty.")
    email = fields.get("email", "").strip() or None
    if email is not None and (len(email) > MAX_EMAIL or not EMAIL_RE.fullmatch(email)):
        raise Refused(422, "That e-mail address does not look right; correct it or leave it "
                      "empty (it is optional and never shown).")
    body = fields.get("body", "").replace("\r\n", "\n").replace("\x00", "").strip()
    if not body:
        raise Refused(422, "Please write something: the comment is empty.")
    limit = cfg["COLLOQUY_MAX_BODY_CHARS"]
    if len(body) > limit:
        raise Refused(422, f"Your comment is {len(body):,} characters long; the limit is "
                      f"{limit:,}. Shorten it, or write a response on your own site.")
    links = count_links(body)
    if links > cfg["COLLOQUY_MAX_LINKS"]:
        raise Refused(422, f"Your comment has {links} links; at most "
                      f"{cfg['COLLOQUY_MAX_LINKS']} are allowed.")
    notify = fields.get("notify", "").strip().lower() in ("yes", "on", "1", "true")
    if notify and not email:
        raise Refused(422, "To be e-mailed when someone replies, give your e-mail address "
                      "(or untick the box).")
    return Submission(essay=essay, author=author, body=body, reply_to=reply_to,
                      website=website, email=email, ip=ip, notify=notify)


def origin_of(url: str) -> str | None:
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}".lower()


def check_origin(headers, allowed: set[str], host: str | None) -> None:
    """Refuse a post a browser made from another site's page.

    Browsers send Origin with every form POST; if it is absent the Referer is used; a
    client that sends neither (curl, a script) is not a browser tricked into posting and
    is let through. Allowed: the request's own host, SITEURL's origin, and
    COLLOQUY_ALLOWED_ORIGINS.
    """
    claimed = headers.get("origin")
    if claimed is None:
        referer = headers.get("referer")
        if not referer:
            return
        claimed = origin_of(referer) or "null"
    claimed = claimed.strip().lower()
    if claimed in allowed:
        return
    if host and claimed != "null" and urlsplit(claimed).netloc == host.lower():
        return
    raise Refused(403, f"This form was sent from another site ({claimed[:100]}); comments "
                  "can only be sent from this site's own pages.")


def client_ip(peer: str | None, headers, trusted: frozenset[str]) -> str | None:
    """The commenter's address: the peer, or X-Forwarded-For's last untrusted hop when the
    peer is a trusted reverse proxy."""
    if peer and peer in trusted:
        forwarded = headers.get("x-forwarded-for", "")
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        for hop in reversed(hops):
            if hop not in trusted:
                try:
                    return str(ipaddress.ip_address(hop))
                except ValueError:
                    return peer
        return peer
    return peer
