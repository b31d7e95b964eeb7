"""The intake server: the built site and the comment intake on one origin.

`create_app(settings)` returns a Starlette app made of

- `posts.routes`: comments posted to `<COLLOQUY_INTAKE_URL>/comments` (posts.py);
- `pages.SitePages`: the built site, OUTPUT_PATH, with fresh form tokens (pages.py);
- `headers.SecurityHeaders` around everything: security headers on every answer, and
  any unexpected exception answered with a bare 500, logged once (headers.py).

The site's settings are resolved once into an `Intake` (intake.py). Other parts add
their routes as one line in `routes` below (each module's `routes(intake)`), and their
background tasks as one line in `lifespan`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import Mount

from . import posts
from .headers import SecurityHeaders
from .intake import Intake, SiteIndex  # noqa: F401  (SiteIndex: part of this module's surface)
from .notify import web as notify_web
from .pages import SitePages
from .webmention import endpoint as webmention_endpoint

logger = logging.getLogger("colloquy.intake")

# uvicorn's limits for `colloquy serve` (docs/deployment.md): past 200 open connections
# and tasks new requests get 503 rather than piling up; an idle keep-alive connection is
# closed after 5 s; a request head still incomplete after 16 KiB is refused; a restart
# waits 10 s for requests in flight.
LIMITS = {"limit_concurrency": 200, "backlog": 256, "timeout_keep_alive": 5,
          "h11_max_incomplete_event_size": 16 * 1024, "timeout_graceful_shutdown": 10}


def create_app(settings: dict) -> Starlette:
    """The intake app for a site's Pelican settings (as `read_settings` returns them)."""
    intake = Intake(settings)
    intake.start()

    @contextlib.asynccontextmanager
    async def lifespan(app):
        task = asyncio.create_task(purge_daily(intake))
        webmentions = asyncio.create_task(webmention_endpoint.worker(intake))
        sender = notify_web.start_sender(intake)
        try:
            yield
        finally:
            task.cancel()
            webmentions.cancel()
            await sender.close()
            intake.stop()

    routes = [
        *posts.routes(intake),
        *webmention_endpoint.routes(intake),
        *notify_web.routes(intake),
        Mount("/", app=SitePages(intake)),  # last: every path no route above took
    ]
    app = Starlette(routes=routes, lifespan=lifespan,
                    middleware=[Middleware(SecurityHeaders)])
    app.state.intake = intake
    return app


async def purge_daily(intake: Intake) -> None:
    """Retention: erase e-mail and IP addresses COLLOQUY_RETENTION_DAYS after moderation."""
    while True:
        await asyncio.sleep(24 * 3600)
        try:
            await intake.writer.run(lambda store: store.purge(
                intake.cfg["COLLOQUY_RETENTION_DAYS"], time.time()))
        except Exception:
            logger.exception("retention purge failed; will retry tomorrow")


def cmd_serve(args) -> int:
    """`colloquy serve`: the site and the comment intake on one port."""
    import uvicorn

    from .config import load_site_settings

    settings = load_site_settings(args.settings)
    level = getattr(logging, args.log_level.upper())
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("colloquy: %(message)s"))
    for name in ("colloquy.intake", "colloquy.moderation", "colloquy.notify"):
        logging.getLogger(name).addHandler(handler)
        logging.getLogger(name).setLevel(level)
    app = create_app(settings)
    intake: Intake = app.state.intake
    print(f"Serving {intake.output} and the comment intake on http://{args.host}:{args.port}/ "
          f"(forms post to {intake.intake_url}/comments; store {intake.store.path}; "
          f"{intake.env} mode)", flush=True)
    uvicorn.run(app, host=args.host, port=args.port, proxy_headers=False,
                server_header=False, access_log=args.access_log, log_level=args.log_level,
                **LIMITS)
    return 0
