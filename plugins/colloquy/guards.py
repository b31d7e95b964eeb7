"""The intake's stateless guards: what a submission must look like before it is queued.

Each guard raises `Refused(status, message)` with a message written for the person who
typed the comment. The stateful guards (per-address rate limit, duplicates) live in the
store, where they run inside the same transaction as the insert; intake.py turns what
they raise into a Refused.

Every field passes the one rule for text from outside (colloquy/text.py) before it is
judged: a name is `clean_name`d (bidi controls and invisible characters go; nothing
visible left is no name), a body `clean`ed (nothing a feed cannot carry).
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

from . import slugs, text
from .comments import ID_RE, is_http_url
from .store import Submission

HONEYPOT = "leave_empty"  # hidden from people by CSS; bots fill every field
FIELDS = ("essay", "reply_to", "author", "website", "email", "body", "token", HONEYPOT)
EMAIL_RE = re.compile(r"[^@\s<>\"']{1,64}@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
LINK_RE = re.compile(r"https?://|\bwww\.|\]\(\s*(?!https?://)", re.IGNORECASE)
MAX_SLUG = 200
MAX_WEBSITE = 300
MAX_EMAIL = 254


class Refused(Exception):
    """A request the intake refuses: an HTTP status and a message for the person."""

    def __init__(self, status: int, message: str, retry_after: int | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.retry_after = retry_after


class Invalid(Refused):
    """Every problem of a form at once (422), so the reader fixes them in one go."""

    def __init__(self, problems: list[str]):
        super().__init__(422, " ".join(problems))
        self.problems = problems


def is_essay_name(essay: str) -> bool:
    """A slug Pelican could have given (whatever it allows, as long as it can be a folder
    name); whether that essay exists is the site index's question."""
    return len(essay) <= MAX_SLUG and slugs.is_folder_name(essay)


def count_links(body: str) -> int:
    return len(LINK_RE.findall(body))


def check_honeypot(fields: dict[str, str]) -> None:
    if fields.get(HONEYPOT, "").strip():
        raise Refused(400, "A field meant to stay empty was filled in, so this looks "
                      "automated. If you are a person, clear the field labelled "
                      "'Leave this empty' and send again.")


def submission(fields: dict[str, str], ip: str | None, cfg: dict,
               author_name: str = "") -> Submission:
    """Validate the form fields (everything but token, origin and the store's guards).

    `author_name` is the essay author's (AUTHOR): a name that reads the same once
    invisible characters, case and spacing are set aside is refused, since nothing
    on the form proves who sent it. Every problem is reported at once (`Invalid`).
    """
    essay = fields.get("essay", "").strip()
    if not is_essay_name(essay):
        raise Refused(404, "This comment names no essay that exists here.")
    reply_to = fields.get("reply_to", "").strip() or None
    if reply_to is not None and not ID_RE.fullmatch(reply_to):
        raise Refused(404, "The comment you are replying to does not exist on this essay.")
    problems: list[str] = []
    author = text.clean_name(fields.get("author", ""))
    if not author:
        problems.append("Please give a name with at least one visible letter: it is "
                        "shown with your comment.")
    elif len(author) > cfg["COLLOQUY_MAX_NAME_CHARS"]:
        problems.append(f"Your name is {len(author)} characters long; the limit is "
                        f"{cfg['COLLOQUY_MAX_NAME_CHARS']}.")
    elif author_name and text.comparable(author) == text.comparable(author_name):
        problems.append(f"“{author}” is the name of this site's author; please sign with "
                        "your own name.")
    website = text.clean_line(fields.get("website", "")) or None
    if website is not None and (len(website) > MAX_WEBSITE or not is_http_url(website)):
        problems.append("Your website must be a web address starting with http:// or "
                        f"https:// (at most {MAX_WEBSITE} characters), or left empty.")
    email = text.clean_line(fields.get("email", "")) or None
    if email is not None and (len(email) > MAX_EMAIL or not EMAIL_RE.fullmatch(email)):
        problems.append("That e-mail address does not look right; correct it or leave it "
                        "empty (it is optional and never shown).")
    body = text.clean(fields.get("body", "")).strip()
    limit = cfg["COLLOQUY_MAX_BODY_CHARS"]
    links = count_links(body)
    if not text.is_visible(body):
        problems.append("Please write something: the comment is empty.")
    elif len(body) > limit:
        problems.append(f"Your comment is {len(body):,} characters long; the limit is "
                        f"{limit:,}. Shorten it, or write a response on your own site.")
    elif links > cfg["COLLOQUY_MAX_LINKS"]:
        problems.append(f"Your comment has {links} links; at most "
                        f"{cfg['COLLOQUY_MAX_LINKS']} are allowed.")
    notify = fields.get("notify", "").strip().lower() in ("yes", "on", "1", "true")
    if notify and not email:
        problems.append("To be e-mailed when someone replies, give your e-mail address "
                        "(or untick the box).")
    if problems:
        raise Invalid(problems)
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
    claimed_origin = origin_of(claimed)  # None for anything unparsable ("http://[::1")
    if host and claimed_origin and urlsplit(claimed_origin).netloc == host.lower():
        return
    shown = text.clean_line(claimed)[:100]
    raise Refused(403, f"This form was sent from another site ({shown}); comments can only "
                  "be sent from this site's own pages.")


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
