"""A comment sent to the intake: read, parse, judge, queue, answer.

`POST <COLLOQUY_INTAKE_URL>/comments` takes an HTML form (urlencoded or multipart) or
JSON. The body is read up to COLLOQUY_MAX_REQUEST_BYTES within READ_SECONDS, parsed
strictly (UTF-8 only, strings only, bounded), every value passed through the text rule
(`text.clean`), and judged by the guards; the comment is queued through the writer and
the answer is sent after the commit.

Every refusal is a clear 4xx: an HTML page that keeps what the reader typed (with a
fresh token, so they can send again) for form posts, `{"error": ...}` for JSON clients.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from urllib.parse import parse_qsl, quote, unquote, urlsplit

from starlette.datastructures import Headers
from starlette.formparsers import MultiPartException, MultiPartParser
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from . import guards, text, tokens
from .guards import Invalid, Refused
from .pages import NOTICES, PAGE_NOTICE_ID, intake_page
from .store import Duplicate, RateLimited

logger = logging.getLogger("colloquy.intake")

READ_SECONDS = 30      # a body trickled slower than this is refused (408), freeing the slot
MAX_FIELDS = 50        # a comment form has 8; far more is not a comment
THREAD_RE = re.compile(r"threads/[a-z0-9][a-z0-9-]{0,79}/")


class NeedsToken(Exception):
    """The form token failed: the reader gets a 'confirm your comment' page."""


def routes(intake) -> list[Route]:
    return [
        Route(f"{intake.intake_url}/comments", post_comment, methods=["POST"]),
        Route(f"{intake.intake_url}/comments", comments_get, methods=["GET"]),
        Route(f"{intake.intake_url}/health", health, methods=["GET"]),
    ]


def wants_json(request: Request) -> bool:
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("application/json"):
        return True
    accept = request.headers.get("accept", "")
    return "application/json" in accept and "text/html" not in accept


async def read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length", "")
    too_big = Refused(413, f"The comment is too large to accept (the limit is "
                      f"{limit // 1024} KiB for the whole form).")
    if declared.isascii() and declared.isdigit() and int(declared[:20]) > limit:
        raise too_big
    body = bytearray()
    try:
        async with asyncio.timeout(READ_SECONDS):
            async for chunk in request.stream():
                body += chunk
                if len(body) > limit:
                    raise too_big
    except TimeoutError:
        raise Refused(408, "The comment arrived too slowly; please send it again.") from None
    return bytes(body)


async def parse_fields(request: Request, body: bytes) -> dict[str, str]:
    """The posted fields as clean strings, or Refused(400/415) saying what is wrong."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type == "application/x-www-form-urlencoded":
        try:
            pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True,
                              errors="strict", max_num_fields=MAX_FIELDS)
        except UnicodeDecodeError:
            raise Refused(400, "The form was not sent as UTF-8 text.") from None
        except ValueError:
            raise Refused(400, "The form has too many fields.") from None
    elif content_type == "application/json":
        pairs = json_pairs(body)
    elif content_type == "multipart/form-data":
        pairs = await multipart_pairs(request.headers, body)
    else:
        raise Refused(415, "Send the comment as an HTML form or as JSON "
                      "(Content-Type application/x-www-form-urlencoded or application/json).")
    fields: dict[str, str] = {}
    for key, value in pairs:
        fields.setdefault(text.clean(key), text.clean(value))
    return fields


def json_pairs(body: bytes) -> list[tuple[str, str]]:
    try:
        data = json.loads(body)
    except RecursionError:
        raise Refused(400, "The JSON is nested too deeply; send one flat object.") from None
    except (ValueError, UnicodeDecodeError):
        raise Refused(400, "The request body is not valid JSON.") from None
    if not isinstance(data, dict):
        raise Refused(400, "Send a JSON object with essay, author and body.")
    pairs = []
    for key, value in data.items():
        if value is None:
            continue
        if not isinstance(value, str):
            if key in guards.FIELDS:
                raise Refused(400, f"The field '{key}' must be text (a JSON string).")
            continue  # fields we do not read may hold anything
        pairs.append((key, value))
    return pairs


class StrictMultiPart(MultiPartParser):
    """Starlette's multipart parser, but a value that is not UTF-8 is refused rather than
    read as Latin-1 (which would store mojibake), as the urlencoded form is."""

    def on_part_end(self) -> None:
        part = self._current_part
        if part.file is not None:
            return super().on_part_end()
        try:
            self.items.append((part.field_name, bytes(part.data).decode("utf-8")))
        except UnicodeDecodeError:
            raise MultiPartException("The form was not sent as UTF-8 text.") from None


async def multipart_pairs(headers: Headers, body: bytes) -> list[tuple[str, str]]:
    async def stream():
        yield body

    parser = StrictMultiPart(headers, stream(), max_files=MAX_FIELDS, max_fields=MAX_FIELDS)
    try:
        form = await parser.parse()
    except MultiPartException as exc:
        message = exc.message if "UTF-8" in exc.message else \
            "The form could not be read (its multipart body is broken)."
        raise Refused(400, message) from None
    await form.close()  # attached files are not read: a comment is text
    return [(key, value) for key, value in form.multi_items() if isinstance(value, str)]


def back_to(request: Request, intake, essay: str, state: str) -> str:
    """The page the form was on (from Referer, if it is one of this site's essay pages),
    with the signed mark that shows the notice there."""
    page = intake.index.url_of(essay) or "/"
    folder = intake.index.folder_of(essay) or page
    referer = request.headers.get("referer", "")
    if referer:
        try:
            parts = urlsplit(referer)
            path = unquote(parts.path, errors="strict")
        except (ValueError, UnicodeDecodeError):
            parts = path = None
        host = request.headers.get("host", "")
        if (parts and (not parts.netloc or parts.netloc == host)
                and (path == page or (path.startswith(folder)
                                      and THREAD_RE.fullmatch(path[len(folder):])))):
            page = path
    return (f"{quote(page)}?comment={tokens.mark(intake.secret, essay, state)}"
            f"#{PAGE_NOTICE_ID}")


async def post_comment(request: Request) -> Response:
    intake = request.app.state.intake
    cfg = intake.cfg
    json_client = wants_json(request)
    fields: dict[str, str] = {}
    try:
        body = await read_body(request, cfg["COLLOQUY_MAX_REQUEST_BYTES"])
        fields = await parse_fields(request, body)
        if cfg["COLLOQUY_CHECK_ORIGIN"]:
            guards.check_origin(request.headers, intake.allowed_origins,
                                request.headers.get("host"))
        guards.check_honeypot(fields)
        peer = request.client.host if request.client else None
        ip = guards.client_ip(peer, request.headers, intake.trusted)
        sub = guards.submission(fields, ip, cfg, intake.author_name)
        if not intake.index.has_essay(sub.essay):
            raise Refused(404, f"There is no essay '{sub.essay}' on this site to comment on.")
        if sub.reply_to and not intake.index.has_comment(sub.essay, sub.reply_to):
            raise Refused(404, "The comment you are replying to is not published on this "
                          "essay (it may have been removed).")
        try:
            tokens.verify(intake.secret, fields.get("token", ""), sub.essay,
                          cfg["COLLOQUY_MIN_FILL_SECONDS"], cfg["COLLOQUY_TOKEN_MAX_AGE"])
        except tokens.TokenError as exc:
            raise NeedsToken(exc.reason) from None
        comment_id, published = await intake.writer.run(
            lambda store: queue(store, sub, intake.limits, tokens.now()),
            after=lambda result: auto_publish(intake, *result))
    except ClientDisconnect:
        return Response(status_code=400)  # nobody is left to read an answer
    except Refused as refused:
        logger.info("refused %d: %s", refused.status, text.for_terminal(refused.message))
        headers = {"retry-after": str(refused.retry_after)} if refused.retry_after else None
        if json_client:
            extra = {"problems": refused.problems} if isinstance(refused, Invalid) else {}
            return JSONResponse({"error": refused.message, **extra}, refused.status,
                                headers=headers)
        problems = refused.problems if isinstance(refused, Invalid) else [refused.message]
        return intake_page(intake, refused.status, problems, fields,
                           "Your comment was not sent yet", headers)
    except NeedsToken as problem:
        logger.info("asked to confirm: %s", problem)
        message = f"{problem} Your comment is kept below: check it and send it again."
        if json_client:
            return JSONResponse({"error": message}, 403)
        return intake_page(intake, 403, [message], fields, "Please confirm your comment")
    state = "published" if published else "pending"
    logger.info("comment %s on %s: %s", comment_id, text.for_terminal(sub.essay), state)
    if json_client:
        return JSONResponse({"id": comment_id, "status": state,
                             "message": NOTICES[state]}, 202)
    return RedirectResponse(back_to(request, intake, sub.essay, state), status_code=303)


def queue(store, sub, limits, now: float) -> tuple[str, bool]:
    """In the writer's transaction: the store's guards, then the insert."""
    try:
        return store.intake(sub, limits, now)
    except RateLimited as limited:
        raise Refused(429, f"Too many comments from your address: at most {limited.limit} "
                      f"every {duration(limited.window)}. Please try again in "
                      f"{duration(limited.wait)}.", retry_after=limited.wait) from None
    except Duplicate:
        raise Refused(409, "This comment has already been sent to this essay; it is "
                      "waiting for moderation or already published.") from None


def duration(seconds: float) -> str:
    seconds = int(seconds)
    if seconds < 120:
        return f"{seconds} seconds"
    if seconds < 7200:
        return f"{round(seconds / 60)} minutes"
    return f"{round(seconds / 3600)} hours"


def auto_publish(intake, comment_id: str, trusted: bool) -> tuple[str, bool]:
    """Runs in the writer thread after the commit: publish a returning commenter's comment."""
    if not trusted:
        return comment_id, False
    from .moderation import publish

    try:
        publish(intake.store, intake.comments_root, comment_id, auto=True)
    except Exception:  # it stays pending: nothing is lost, the author will see it
        logger.exception("could not auto-approve %s; left pending", comment_id)
        return comment_id, False
    if intake.rebuilder:
        intake.rebuilder.request()
    return comment_id, True


async def comments_get(request: Request) -> Response:
    return PlainTextResponse("Comments are sent here with POST, from the form on an essay's "
                             "page.", 405, headers={"allow": "POST"})


async def health(request: Request) -> Response:
    return PlainTextResponse("ok")
