"""The pages behind links in mails and the feed: act on a comment, confirm or end a
subscription. A GET only shows a page; its button POSTs, and only that acts.
"""

from __future__ import annotations

import time

from starlette.requests import Request
from starlette.responses import Response

from .. import notify
from . import links, pages, subscriptions
from .desk import FORM_MAX_AGE, Moderation, first, form_fields, moderate, moderation_of, shown


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
        item = {**shown(mod, conn, row), "email": None} if row else None  # link may leak
        return item, row["status"] if row else None, links.is_used(conn, token)

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
        done = await mod.intake.writer.run(
            lambda store: notify.confirmed(store, sub_id, time.time()))
        if not done:
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
