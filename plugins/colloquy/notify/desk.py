"""What the served pages share: the intake, sessions, forms, and how to moderate.

Every answer made here is `no-store`, may not be framed (CSP frame-ancestors 'none',
X-Frame-Options DENY), and sends no Referer onward (the URLs carry secrets).
Approving and rejecting call moderation.publish and moderation.reject, and ask the
intake's Rebuilder for a build when COLLOQUY_REBUILD is on.
"""

from __future__ import annotations

import logging
from datetime import datetime, timezone
from urllib.parse import parse_qsl

from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from .. import markup, tokens
from ..errors import ColloquyError
from ..store import site_path
from ..text import clean, clean_line
from . import letters, links, moderator, pages, smtp

logger = logging.getLogger("colloquy.notify")

COOKIE = "colloquy_moderator"
SESSION_MAX_AGE = 7 * 24 * 3600
FORM_MAX_AGE = 24 * 3600
MAX_FORM_BYTES = 64 * 1024
HEADERS = {
    "cache-control": "no-store",
    "content-security-policy": "default-src 'none'; style-src 'unsafe-inline'; "
                               "img-src 'self'; form-action 'self'; frame-ancestors 'none'; "
                               "base-uri 'none'",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "x-content-type-options": "nosniff",
}


class Moderation:
    """State the pages share: the intake, the mail context, the login throttle."""

    def __init__(self, intake):
        self.intake = intake
        self.throttle = moderator.Throttle()
        self.site_name = clean_line(intake.settings.get("SITENAME") or "Colloquy")
        self.link_max_age = float(intake.cfg["COLLOQUY_LINK_MAX_AGE"])
        self.ctx = letters.Context(
            secret=intake.secret, site_name=self.site_name,
            base=(intake.settings.get("SITEURL") or "").rstrip("/"),
            intake_url=intake.intake_url, output=intake.output,
            comments_root=intake.comments_root, sender=None, author=None,
            link_max_age=self.link_max_age, index=intake.index)
        # Checked now, so a wrong SMTP setting stops `colloquy serve` with its name.
        self.smtp = smtp.config(intake.cfg, lambda value: site_path(intake.settings, value))
        self.mail_ctx = letters.context(intake) if self.smtp else None

    async def db(self, fn):
        return await self.intake.writer.run(lambda store: fn(store.conn))

    async def after_commit(self, fn):
        """Run fn(store) in the writer thread outside a transaction (publish makes its own)."""
        return await self.intake.writer.run(lambda store: store, after=fn)

    def page(self, template, status: int = 200, headers: dict | None = None,
             **values) -> Response:
        values.setdefault("site_name", self.site_name)
        return HTMLResponse(pages.render(template, **values), status,
                            headers={**HEADERS, **(headers or {})})

    # -- sessions -------------------------------------------------------------------------

    async def session(self, request: Request) -> str | None:
        """The session's signature if the cookie is a valid session, else None."""
        cookie = request.cookies.get(COOKIE, "")
        stored = await self.db(moderator.password_hash)
        if not cookie or not stored:
            return None
        try:
            tokens.verify(self.intake.secret, cookie,
                          f"session:{moderator.fingerprint(stored)}", 0, SESSION_MAX_AGE)
        except tokens.TokenError:
            return None
        return links.signature(cookie)

    def secure(self, request: Request) -> bool:
        site = self.intake.settings.get("SITEURL") or ""
        return request.url.scheme == "https" or site.startswith("https://")


def moderation_of(request: Request) -> Moderation:
    return request.app.state.intake.moderation


async def form_fields(request: Request) -> dict[str, str]:
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM_BYTES:
            break
    fields: dict[str, list[str]] = {}
    for key, value in parse_qsl(body[:MAX_FORM_BYTES].decode("utf-8", "replace"),
                                keep_blank_values=True):
        fields.setdefault(key, []).append(value)
    return fields


def first(fields: dict, name: str) -> str:
    return (fields.get(name) or [""])[0]


def client(request: Request) -> str:
    from ..guards import client_ip

    peer = request.client.host if request.client else None
    return client_ip(peer, request.headers, request.app.state.intake.trusted) or "?"


def shown(mod: Moderation, conn, row) -> dict:
    """A store row as the list shows it."""
    parent = letters.item(mod.ctx, conn, row["reply_to"], with_parent=False) \
        if row["reply_to"] else None
    if row["reply_to"] and parent is None:
        parent = letters.published_item(mod.ctx, row["essay"], row["reply_to"])
    when = datetime.fromtimestamp(row["created"], timezone.utc).strftime("%-d %b %Y %H:%M UTC")
    website = row["website"] if (row["website"] or "").startswith(("http://", "https://")) \
        else None
    return dict(id=row["id"], author=clean_line(row["author"]), website=website,
                email=row["email"], source=row["source"], kind=row["kind"], when=when,
                essay_title=mod.ctx.essay_title(row["essay"]),
                essay_url=mod.ctx.essay_url(row["essay"]), parent=parent,
                html=Markup(markup.render(clean(row["body"]))))


async def moderate(mod: Moderation, action: str, ids: list[str]) -> tuple[int, list[str]]:
    """Approve or reject each id with moderation.publish / reject; rebuild if asked."""
    from ..moderation import publish, reject

    intake = mod.intake

    def run(store):
        done, problems = 0, []
        for comment_id in ids[:200]:
            row = store.get(comment_id)
            if row is None or row.status != "pending":
                problems.append(f"{comment_id[:80]} is not waiting.")
                continue
            try:
                if action == "approve":
                    publish(store, intake.comments_root, comment_id)
                else:
                    reject(store, comment_id)
                done += 1
            except ColloquyError as exc:
                problems.append(str(exc))
            except OSError as exc:  # the comment stays pending; the author can try again
                logger.error("moderation: could not %s %s: %s", action, comment_id, exc)
                problems.append(f"{comment_id}: could not write its file ({exc.strerror}).")
        return done, problems

    done, problems = await mod.after_commit(run)
    if done and action == "approve" and intake.rebuilder:
        intake.rebuilder.request()
    logger.info("moderation: %s %d comment(s) from the web", action, done)
    return done, problems
