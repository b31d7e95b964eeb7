"""The served side of notifications: /moderation/, action links, subscription links.

`routes(intake)` returns the routes `server.create_app` mounts. Every answer is
`no-store`, may not be framed (CSP frame-ancestors 'none', X-Frame-Options DENY), and
sends no Referer onward (the URLs carry secrets). Nothing changes on a GET: each link
opens a page whose button POSTs with a CSRF token. Approving and rejecting call
moderation.publish and moderation.reject, and ask the intake's Rebuilder for a build
when COLLOQUY_REBUILD is on.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime, timezone
from urllib.parse import parse_qsl, quote

from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from .. import markup, tokens
from ..errors import ColloquyError
from ..text import clean, clean_line
from ..store import site_path
from .. import notify
from . import feed, letters, links, moderator, outbox, pages, smtp, subscriptions

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
            link_max_age=self.link_max_age)
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


# -- the list -----------------------------------------------------------------------------

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
                essay_url=f"/essays/{row['essay']}/", parent=parent,
                html=Markup(markup.render(clean(row["body"]))))


async def listing(request: Request) -> Response:
    mod = moderation_of(request)
    sid = await mod.session(request)
    if sid is None:
        return RedirectResponse("/moderation/login", 303, headers=HEADERS)

    def read(conn):
        pending = conn.execute("SELECT * FROM comments WHERE status = 'pending' "
                               "ORDER BY created, id LIMIT 200").fetchall()
        recent = conn.execute("SELECT * FROM comments WHERE status = 'approved' "
                              "ORDER BY moderated DESC LIMIT 20").fetchall()
        return [shown(mod, conn, r) for r in pending], [shown(mod, conn, r) for r in recent]

    pending, recent = await mod.db(read)
    notice = clean_line(request.query_params.get("done", ""))[:300] or None
    return mod.page(pages.LIST, title="Waiting for moderation", pending=pending,
                    recent=recent, nav=True, csrf=links.issue_csrf(mod.intake.secret,
                                                                   f"session:{sid}"),
                    notice=notice)


async def act(request: Request) -> Response:
    mod = moderation_of(request)
    sid = await mod.session(request)
    if sid is None:
        return mod.page(pages.CONFIRM, 401, title="Please log in again",
                        problem="Your session has ended.", back="/moderation/login",
                        back_label="Log in")
    fields = await form_fields(request)
    try:
        links.check_csrf(mod.intake.secret, f"session:{sid}", first(fields, "csrf"),
                         SESSION_MAX_AGE)
    except links.LinkError as exc:
        return mod.page(pages.CONFIRM, 403, title="Not done", problem=exc.reason,
                        back="/moderation/", back_label="Back to the list")
    action, _, one = first(fields, "act").partition(":")
    ids = [one] if one else fields.get("id", [])
    if action not in links.ACTIONS or not ids:
        return RedirectResponse("/moderation/?done=" + quote("Nothing was selected."), 303,
                                headers=HEADERS)
    done, problems = await moderate(mod, action, ids)
    summary = f"{'Approved' if action == 'approve' else 'Rejected'} {done} comment(s)."
    if problems:
        summary += " " + " ".join(problems)
    return RedirectResponse("/moderation/?done=" + quote(summary[:300]), 303, headers=HEADERS)


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
        return done, problems

    done, problems = await mod.after_commit(run)
    if done and action == "approve" and intake.rebuilder:
        intake.rebuilder.request()
    logger.info("moderation: %s %d comment(s) from the web", action, done)
    return done, problems


# -- logging in ---------------------------------------------------------------------------

NO_PASSWORD = ("No moderator password is set. On the server, run `colloquy moderator "
               "set-password` in the site's folder, then come back.")


async def login_form(request: Request, status: int = 200, problem: str | None = None,
                     headers: dict | None = None) -> Response:
    mod = moderation_of(request)
    can_login = bool(await mod.db(moderator.password_hash))
    return mod.page(pages.LOGIN, status, headers, title="Moderation: log in",
                    can_login=can_login, problem=problem or (None if can_login else NO_PASSWORD),
                    csrf=links.issue_csrf(mod.intake.secret, "login"))


async def login(request: Request) -> Response:
    mod = moderation_of(request)
    ip = client(request)
    wait = mod.throttle.wait(ip)
    if wait:
        return await login_form(request, 429, f"Too many failed logins. Try again in "
                                f"{wait // 60 + 1} minutes.", {"retry-after": str(wait)})
    fields = await form_fields(request)
    try:
        links.check_csrf(mod.intake.secret, "login", first(fields, "csrf"), FORM_MAX_AGE)
    except links.LinkError as exc:
        return await login_form(request, 403, exc.reason)
    stored = await mod.db(moderator.password_hash)
    if not stored:
        return await login_form(request, 403)
    if not moderator.check_password(stored, first(fields, "password")):
        mod.throttle.failed(ip)
        logger.warning("moderation: a failed login")  # no address: logs stay address-free
        return await login_form(request, 401, "That password is not right.")
    mod.throttle.succeeded(ip)
    cookie = tokens.issue(mod.intake.secret, f"session:{moderator.fingerprint(stored)}")
    response = RedirectResponse("/moderation/", 303, headers=HEADERS)
    response.set_cookie(COOKIE, cookie, max_age=SESSION_MAX_AGE, path="/moderation",
                        httponly=True, samesite="strict", secure=mod.secure(request))
    return response


async def logout(request: Request) -> Response:
    mod = moderation_of(request)
    sid = await mod.session(request)
    fields = await form_fields(request)
    if sid is not None:
        try:
            links.check_csrf(mod.intake.secret, f"session:{sid}", first(fields, "csrf"),
                             SESSION_MAX_AGE)
        except links.LinkError as exc:
            return mod.page(pages.CONFIRM, 403, title="Not logged out", problem=exc.reason,
                            back="/moderation/", back_label="Back")
    response = RedirectResponse("/moderation/login", 303, headers=HEADERS)
    response.delete_cookie(COOKIE, path="/moderation", httponly=True, samesite="strict",
                           secure=mod.secure(request))
    return response


# -- links from mails and the feed ---------------------------------------------------------

async def link(request: Request) -> Response:
    """GET shows the comment and a button; POST (with the page's CSRF token) acts, once."""
    mod = moderation_of(request)
    action = request.path_params["action"]
    comment_id = request.path_params["comment_id"]
    token = request.path_params["token"]
    verb = "Approve" if action == "approve" else "Reject"
    try:
        links.check_action(mod.intake.secret, action, comment_id, token, mod.link_max_age)
    except links.LinkError as exc:
        return refused(mod, 410 if "expired" in exc.reason else 404, exc.reason)

    def look(conn):
        row = conn.execute("SELECT * FROM comments WHERE id = ?", (comment_id,)).fetchone()
        return (shown(mod, conn, row) if row else None, row["status"] if row else None,
                links.is_used(conn, token))

    item, status, used = await mod.db(look)
    if used:
        return refused(mod, 410, "This link has been used already: each link works once.")
    if item is None:
        return refused(mod, 404, "This comment is no longer in the store.")
    if status != "pending":
        return refused(mod, 409, f"This comment was {status} already; nothing was changed.")
    binding = f"link:{links.signature(token)}"
    if request.method == "GET":
        return mod.page(pages.CONFIRM, title=f"{verb} this comment?", item=item,
                        button=verb, action=request.url.path,
                        csrf=links.issue_csrf(mod.intake.secret, binding))
    fields = await form_fields(request)
    try:
        links.check_csrf(mod.intake.secret, binding, first(fields, "csrf"), FORM_MAX_AGE)
    except links.LinkError as exc:
        return refused(mod, 403, exc.reason)
    if not await mod.db(lambda conn: links.use(conn, token, time.time())):
        return refused(mod, 410, "This link has been used already: each link works once.")
    done, problems = await moderate(mod, action, [comment_id])
    if not done:
        return refused(mod, 409, " ".join(problems) or "Nothing was changed.")
    past = "approved" if action == "approve" else "rejected"
    notice = f"The comment is {past}." + (" The site is being rebuilt." if (
        action == "approve" and mod.intake.rebuilder) else "")
    return mod.page(pages.CONFIRM, title=f"Comment {past}", notice=notice, item=item,
                    back="/moderation/", back_label="All waiting comments")


def refused(mod: Moderation, status: int, reason: str) -> Response:
    return mod.page(pages.CONFIRM, status, title="This link cannot be used", problem=reason,
                    back="/moderation/", back_label="Go to the moderation page")


# -- commenters' subscriptions -------------------------------------------------------------

async def subscription(request: Request) -> Response:
    """Confirm (GET: a page, POST: done) or unsubscribe (POST: RFC 8058 one-click)."""
    mod = moderation_of(request)
    sub_id = request.path_params["sub_id"]
    purpose = request.path_params["purpose"]
    if purpose not in ("confirm", "unsubscribe") or not links.check_subscription_key(
            mod.intake.secret, sub_id, purpose, request.path_params["key"]):
        return mod.page(pages.CONFIRM, 404, title="Unknown link",
                        problem="This link is not valid: it may have been cut short. "
                                "Copy the whole link from the mail.", back="/",
                        back_label="Go to the site")
    confirm = purpose == "confirm"
    if request.method == "GET":
        return mod.page(pages.CONFIRM, title="E-mail me about replies?" if confirm
                        else "Stop these mails?", action=request.url.path,
                        button="Yes, e-mail me about replies" if confirm else "Unsubscribe",
                        back="/", back_label="Go to the site")
    await form_fields(request)  # one-click clients post List-Unsubscribe=One-Click
    if confirm:
        state = await mod.intake.writer.run(
            lambda store: notify.confirmed(store, sub_id, time.time()))
        if state != "confirmed":
            return mod.page(pages.CONFIRM, 410, title="Not confirmed",
                            problem="This subscription has ended or expired; tick the box "
                                    "again with your next comment.", back="/",
                            back_label="Go to the site")
        text = "Confirmed: you will get a mail when your comment is published and when " \
               "someone replies to it. Every mail has a link to stop them."
        return mod.page(pages.CONFIRM, title="Confirmed", notice=text, back="/",
                        back_label="Go to the site")
    await mod.db(lambda conn: subscriptions.unsubscribe(conn, sub_id, time.time()))
    return mod.page(pages.CONFIRM, title="Unsubscribed", notice="You will get no more mail "
                    "from this site, and your address has been erased.", back="/",
                    back_label="Go to the site")


async def moderation_root(request: Request) -> Response:
    return RedirectResponse("/moderation/", 308, headers=HEADERS)


def start_sender(intake) -> outbox.Sender:
    """The outbox's sender, for the server's lifespan (idle when no SMTP host is set)."""
    mod: Moderation = intake.moderation
    if mod.smtp is None:
        logger.info("notify: COLLOQUY_SMTP_HOST is not set; no mail is sent")
    return outbox.Sender(intake, mod.smtp,
                         lambda conn, batch: letters.compose(mod.mail_ctx, conn, batch)).start()


def moderation_of(request: Request) -> Moderation:
    return request.app.state.intake.moderation


def routes(intake) -> list[Route]:
    """The routes for server.create_app (before the site's catch-all mount)."""
    intake.moderation = Moderation(intake)
    return [
        Route("/moderation", moderation_root, methods=["GET"]),
        Route("/moderation/", listing, methods=["GET"]),
        Route("/moderation/", act, methods=["POST"]),
        Route("/moderation/login", login_form, methods=["GET"]),
        Route("/moderation/login", login, methods=["POST"]),
        Route("/moderation/logout", logout, methods=["POST"]),
        Route("/moderation/link/{action}/{comment_id}/{token}", link, methods=["GET", "POST"]),
        Route("/moderation/feed/{key}.atom", feed.serve, methods=["GET"]),
        Route(f"{intake.intake_url}/subscriptions/{{sub_id:int}}/{{purpose}}/{{key}}",
              subscription, methods=["GET", "POST"]),
    ]
