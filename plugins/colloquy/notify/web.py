"""The served side of notifications, as `server.create_app` mounts it.

`routes(intake)`: /moderation/ (panel.py), the link and subscription pages (actions.py)
and the private feed (feed.py). `start_sender(intake)`: the outbox's sender for the
server's lifespan.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from . import actions, feed, letters, outbox, panel
from .desk import HEADERS, Moderation, logger


async def moderation_root(request: Request) -> Response:
    return RedirectResponse("/moderation/", 308, headers=HEADERS)


def start_sender(intake) -> outbox.Sender:
    """The outbox's sender, for the server's lifespan (idle when no SMTP host is set)."""
    mod: Moderation = intake.moderation
    if mod.smtp is None:
        logger.info("notify: COLLOQUY_SMTP_HOST is not set; no mail is sent")
    return outbox.Sender(intake, mod.smtp,
                         lambda conn, batch: letters.compose(mod.mail_ctx, conn, batch)).start()


def routes(intake) -> list[Route]:
    """The routes for server.create_app (before the site's catch-all mount)."""
    intake.moderation = Moderation(intake)
    return [
        Route("/moderation", moderation_root, methods=["GET"]),
        Route("/moderation/", panel.listing, methods=["GET"]),
        Route("/moderation/", panel.act, methods=["POST"]),
        Route("/moderation/login", panel.login_form, methods=["GET"]),
        Route("/moderation/login", panel.login, methods=["POST"]),
        Route("/moderation/logout", panel.logout, methods=["POST"]),
        Route("/moderation/link/{action}/{comment_id}/{token}", actions.link,
              methods=["GET", "POST"]),
        Route("/moderation/feed/{key}.atom", feed.serve, methods=["GET"]),
        Route(f"{intake.intake_url}/subscriptions/{{sub_id:int}}/{{purpose}}/{{key}}",
              actions.subscription, methods=["GET", "POST"]),
    ]
