"""The Webmention endpoint of `colloquy serve` (W3C Recommendation, §3.2).

`POST <COLLOQUY_INTAKE_URL>/webmention` (and `POST /webmention`) takes form-encoded
`source` and `target`, checks them at once (http(s) URLs, not equal, the target a page
of ours that takes responses, the source's domain not blocked, rate limits per address
and per source host), queues them in the store and answers 201 with a `Location`
status URL. The worker (queue.py) verifies later. GET on the status URL shows queued,
verified, refused or deleted, and why. Refusals are 4xx with one sentence, as JSON when
the client asks for JSON, else plain text.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from urllib.parse import parse_qsl, urlsplit

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from .. import guards
from . import queue
from .targets import NotOurs, Targets

MAX_REQUEST_BYTES = 8 * 1024
MAX_URL_CHARS = 2048


class Refused(Exception):
    """A webmention refused before it is queued: the status and one sentence."""

    def __init__(self, status: int, message: str, retry_after: int | None = None):
        super().__init__(message)
        self.status, self.message, self.retry_after = status, message, retry_after


class RateLimiter:
    """At most `limit` events per key in `window` seconds (in memory: limits need no
    durability, and a restart forgets them harmlessly)."""

    def __init__(self, limit: int, window: float):
        self.limit, self.window = limit, window
        self.events: dict[str, deque] = {}

    def hit(self, key: str, now: float) -> int:
        """Count one event; return 0, or the seconds to wait when over the limit."""
        if not self.limit or not key:
            return 0
        if len(self.events) > 10000:  # forget idle keys, so memory stays bounded
            self.events = {k: q for k, q in self.events.items() if q and q[-1] > now - self.window}
        seen = self.events.setdefault(key, deque())
        while seen and seen[0] <= now - self.window:
            seen.popleft()
        if len(seen) >= self.limit:
            return int(seen[0] + self.window - now) + 1
        seen.append(now)
        return 0


class Receiver:
    """What the endpoint and the worker share for one running server."""

    def __init__(self, intake):
        cfg = intake.cfg
        self.intake = intake
        self.targets = Targets(intake.index, intake.output, intake.site_origin)
        window = float(cfg["COLLOQUY_RATE_WINDOW"])
        self.per_address = RateLimiter(int(cfg["COLLOQUY_WEBMENTION_RATE_LIMIT"]), window)
        self.per_host = RateLimiter(int(cfg["COLLOQUY_WEBMENTION_SOURCE_RATE_LIMIT"]), window)
        self.blocked = [d.lower().strip(".") for d in cfg["COLLOQUY_WEBMENTION_BLOCKLIST"]]
        self.wake: asyncio.Event | None = None

    def status_url(self, request: Request, token: str) -> str:
        """Absolute, on SITEURL's origin when there is one (behind a TLS proxy the request
        itself may look like plain http)."""
        if self.intake.site_origin:
            return f"{self.intake.site_origin}{endpoint_path(self.intake)}/status/{token}"
        return str(request.url_for("webmention_status", token=token))

    def is_blocked(self, host: str) -> bool:
        return any(host == d or host.endswith("." + d) for d in self.blocked)


def endpoint_path(intake) -> str:
    return f"{intake.intake_url}/webmention"


def link_header(intake) -> str:
    """The `Link` header value every served HTML page carries."""
    return f'<{endpoint_path(intake)}>; rel="webmention"'


def routes(intake) -> list[Route]:
    """The endpoint's routes, for server.create_app; also readies the worker's share."""
    intake.webmentions = Receiver(intake)
    path = endpoint_path(intake)
    return [
        Route(path, receive, methods=["POST"]),
        Route("/webmention", receive, methods=["POST"]),
        Route(path, explain, methods=["GET"]),
        Route("/webmention", explain, methods=["GET"]),
        Route(f"{path}/status/{{token}}", status, methods=["GET"], name="webmention_status"),
    ]


async def worker(intake) -> None:
    """The verification worker, for the server's lifespan."""
    receiver: Receiver = intake.webmentions
    receiver.wake = asyncio.Event()
    await queue.Worker(intake, receiver.wake).run()


def _answer(request: Request, code: int, message: str, headers=None, **extra) -> Response:
    accept = request.headers.get("accept", "")
    if "application/json" in accept and "text/html" not in accept:
        return JSONResponse({"error" if code >= 400 else "message": message, **extra},
                            code, headers=headers)
    return PlainTextResponse(message + "\n", code, headers=headers)


async def receive(request: Request) -> Response:
    intake = request.app.state.intake
    receiver: Receiver = intake.webmentions
    try:
        source, target = await _read_form(request)
        match = _check(receiver, request, source, target)
        token = await intake.writer.run(
            lambda store: queue.enqueue(store, source, target, match, time.time()))
    except Refused as refused:
        headers = {"retry-after": str(refused.retry_after)} if refused.retry_after else None
        return _answer(request, refused.status, refused.message, headers)
    if receiver.wake is not None:
        receiver.wake.set()
    location = receiver.status_url(request, token)
    return _answer(request, 201, f"Thank you: the webmention from {source} is queued for "
                   f"verification. Its status: {location}", {"location": location},
                   status="queued", location=location)


async def _read_form(request: Request) -> tuple[str, str]:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "application/x-www-form-urlencoded":
        raise Refused(415, "Send source and target form-encoded "
                      "(Content-Type: application/x-www-form-urlencoded).")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_REQUEST_BYTES:
        raise Refused(413, f"The request is larger than {MAX_REQUEST_BYTES // 1024} KiB.")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_REQUEST_BYTES:
            raise Refused(413, f"The request is larger than {MAX_REQUEST_BYTES // 1024} KiB.")
    try:
        fields = dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
    except UnicodeDecodeError:
        raise Refused(400, "The form is not UTF-8 text.") from None
    found = []
    for name in ("source", "target"):
        value = fields.get(name, "").strip()
        if not value:
            raise Refused(400, f"The '{name}' field is missing: send source and target.")
        if len(value) > MAX_URL_CHARS:
            raise Refused(400, f"The {name} URL is longer than {MAX_URL_CHARS} characters.")
        try:
            parts = urlsplit(value)
            host, _port = parts.hostname, parts.port
        except ValueError:  # an unclosed "[" or a port that is not a number
            host = None
        if not host or parts.scheme.lower() not in ("http", "https") or \
                any(ch.isspace() or ord(ch) < 32 for ch in value):
            raise Refused(400, f"The {name} must be an http:// or https:// URL.")
        found.append(value)
    return found[0], found[1]


def _check(receiver: Receiver, request: Request, source: str, target: str):
    from .verify import comparable_url

    if comparable_url(source) == comparable_url(target):
        raise Refused(400, "The source and the target are the same page.")
    try:
        match = receiver.targets.match(target, request.headers.get("host"))
    except NotOurs as problem:
        raise Refused(400, f"Not a page that takes responses: {problem}.") from None
    host = (urlsplit(source).hostname or "").lower()
    if receiver.is_blocked(host):
        raise Refused(403, f"Webmentions from {host} are not accepted here.")
    now = time.time()
    peer = request.client.host if request.client else None
    ip = guards.client_ip(peer, request.headers, receiver.intake.trusted)
    for limiter, key, what in ((receiver.per_address, ip, "your address"),
                               (receiver.per_host, host, host)):
        wait = limiter.hit(key or "", now)
        if wait:
            raise Refused(429, f"Too many webmentions from {what}; try again in {wait} "
                          "seconds.", retry_after=wait)
    return match


async def explain(request: Request) -> Response:
    return PlainTextResponse(
        "This is a Webmention endpoint (https://www.w3.org/TR/webmention/): POST source "
        "and target, form-encoded.\n", 405, headers={"allow": "POST"})


async def status(request: Request) -> Response:
    intake = request.app.state.intake
    token = request.path_params["token"]
    if len(token) > 64:
        found = None
    else:
        found = await intake.writer.run(lambda store: queue.status_of(store, token))
    if found is None:
        return _answer(request, 404, "No webmention has this status address.")
    accept = request.headers.get("accept", "")
    if "application/json" in accept:
        return JSONResponse(found, headers={"cache-control": "no-store"})
    lines = [f"{key}: {value}" for key, value in found.items() if value not in ("", None)]
    return PlainTextResponse("\n".join(lines) + "\n", headers={"cache-control": "no-store"})
