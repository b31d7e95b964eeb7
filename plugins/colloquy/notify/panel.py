"""/moderation/ itself: log in, list what waits, approve or reject one or many, log out.

Works on a 390-px phone and without JavaScript; every form carries a CSRF token bound to
the session; failed logins are rate-limited per address and overall.
"""

from __future__ import annotations

import asyncio
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from .. import tokens
from ..text import clean_line
from . import links, moderator, pages
from .desk import (COOKIE, FORM_MAX_AGE, HEADERS, SESSION_MAX_AGE, client, first, form_fields,
                   logger, moderate, moderation_of, shown)


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
    # scrypt takes ~0.1 s and 32 MiB by design: off the event loop, so pages keep answering
    if not await asyncio.to_thread(moderator.check_password, stored, first(fields, "password")):
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
