"""The intake server: the built site and the comment intake on one origin.

`create_app(settings)` returns a Starlette app that

- serves OUTPUT_PATH (Starlette's StaticFiles, html=True), swapping a fresh signed form
  token into every HTML page it serves and, after a post, the "awaiting moderation"
  notice;
- takes comments at `<COLLOQUY_INTAKE_URL>/comments` (form posts and JSON), runs the
  guards, and queues each comment in the store; the answer is sent after the commit.

Refusals are one-line messages: an HTML page that keeps what the reader typed (with a
fresh token, so they can send again) for form posts, `{"error": ...}` for JSON clients.
Nothing else escapes: an unexpected exception is logged and answered with a bare 500.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import re
import time
from pathlib import Path
from urllib.parse import parse_qs, parse_qsl, urlsplit

from jinja2 import Environment
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from . import guards, settings as colloquy_settings, tokens
from .comments import ID_RE
from .notify import web as notify_web
from .errors import SettingError
from .store import Limits, Refused, Store, Writer, default_store_path, site_path

logger = logging.getLogger("colloquy.intake")

NOTICE_MARK = "<!--colloquy:notice-->"
PAGE_PATH_RE = re.compile(r"/essays/[a-z0-9][a-z0-9-]*/(?:threads/[a-z0-9][a-z0-9-]*/)?")
NOTICES = {
    "pending": "Thank you: your comment has arrived and is awaiting moderation. It will "
               "appear on this page once the author has read it.",
    "published": "Thank you: your comment is published. It appears on this page when the "
                 "site has been rebuilt, usually within a minute.",
}


class NeedsToken(Exception):
    """The form token failed: the reader gets a 'confirm your comment' page."""


class Intake:
    """Everything the intake needs, resolved once from the site's settings."""

    def __init__(self, settings: dict):
        self.settings = settings
        self.cfg = colloquy_settings.resolve(settings)
        check_numbers(self.cfg)
        self.env = os.environ.get("COLLOQUY_ENV") or self.cfg["COLLOQUY_ENV"]
        if self.env not in ("development", "production"):
            raise SettingError(f"COLLOQUY_ENV is '{self.env}'; use 'development' or "
                               "'production'")
        site_url = (settings.get("SITEURL") or "").rstrip("/")
        self.site_origin = guards.origin_of(site_url) if site_url else None
        if self.env == "production":
            missing = []
            if not self.site_origin:
                missing.append("SITEURL must be the site's public address (e.g. "
                               "'https://example.org'): set it in publishconf.py and serve "
                               "with --settings publishconf.py")
            if not os.environ.get(tokens.SECRET_ENV):
                missing.append(f"{tokens.SECRET_ENV} is not set: put a long random string "
                               "in the server's environment, e.g. `python -c 'import "
                               "secrets; print(secrets.token_hex(32))'`")
            if missing:
                raise SettingError("COLLOQUY_ENV is 'production' but " + "; and ".join(missing))
        self.secret = tokens.load_secret(self.env, site_path(settings,
                                                            self.cfg["COLLOQUY_SECRET_FILE"]))
        self.output = Path(settings.get("OUTPUT_PATH") or "output")
        self.comments_root = Path(settings.get("PATH") or "content") / \
            self.cfg["COLLOQUY_COMMENTS_DIR"]
        self.intake_url = "/" + self.cfg["COLLOQUY_INTAKE_URL"].strip("/")
        if self.intake_url == "/" or "://" in self.intake_url:
            raise SettingError("COLLOQUY_INTAKE_URL must be a path on this server such as "
                               f"'/intake', not '{self.cfg['COLLOQUY_INTAKE_URL']}'")
        self.allowed_origins = {o.rstrip("/").lower()
                                for o in self.cfg["COLLOQUY_ALLOWED_ORIGINS"]}
        if self.site_origin:
            self.allowed_origins.add(self.site_origin)
        self.trusted = frozenset(self.cfg["COLLOQUY_TRUSTED_PROXIES"])
        self.limits = Limits(rate_limit=int(self.cfg["COLLOQUY_RATE_LIMIT"]),
                             rate_window=float(self.cfg["COLLOQUY_RATE_WINDOW"]),
                             duplicate_window=float(self.cfg["COLLOQUY_DUPLICATE_WINDOW"]),
                             auto_approve_after=int(self.cfg["COLLOQUY_AUTO_APPROVE_AFTER"]))
        self.index = SiteIndex(self.output, self.comments_root)
        self.store = Store(default_store_path(settings))
        self.writer: Writer | None = None
        self.rebuilder = None

    def start(self) -> None:
        from .moderation import Rebuilder

        with self.store.transaction():
            erased, deleted = self.store.purge(self.cfg["COLLOQUY_RETENTION_DAYS"], tokens.now())
        if erased or deleted:
            logger.info("retention: erased addresses of %d comment(s), deleted %d rejected",
                        erased, deleted)
        self.writer = Writer(self.store)
        if self.cfg["COLLOQUY_REBUILD"]:
            self.rebuilder = Rebuilder(self.settings)

    def stop(self) -> None:
        if self.writer:
            self.writer.close()
            self.writer = None
        self.store.close()


NUMBERS = ("COLLOQUY_MIN_FILL_SECONDS", "COLLOQUY_TOKEN_MAX_AGE", "COLLOQUY_RATE_LIMIT",
           "COLLOQUY_RATE_WINDOW", "COLLOQUY_MAX_LINKS", "COLLOQUY_MAX_BODY_CHARS",
           "COLLOQUY_MAX_NAME_CHARS", "COLLOQUY_MAX_REQUEST_BYTES", "COLLOQUY_DUPLICATE_WINDOW",
           "COLLOQUY_AUTO_APPROVE_AFTER", "COLLOQUY_RETENTION_DAYS")
LISTS = ("COLLOQUY_ALLOWED_ORIGINS", "COLLOQUY_TRUSTED_PROXIES")


def check_numbers(cfg: dict) -> None:
    """Refuse a malformed intake setting at start, naming it, rather than failing later."""
    for name in NUMBERS:
        value = cfg[name]
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
            raise SettingError(f"{name} is {value!r}; it must be a number, 0 or more "
                               f"(default {colloquy_settings.DEFAULTS[name]!r})")
    for name in LISTS:
        value = cfg[name]
        if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
            raise SettingError(f"{name} is {value!r}; it must be a list of strings, "
                               "e.g. ['127.0.0.1']")


class SiteIndex:
    """Which essays and comment ids exist, re-read when their folders change.

    Essays are the built pages (OUTPUT_PATH/essays/<slug>/index.html): exactly what
    readers can see and answer. Comment ids are the file names in content/comments/<slug>/.
    A folder is listed again only when its modification time changes; a name found in the
    cache is trusted for FRESH seconds without even a stat(), a name not found always
    re-checks the folder (so a new essay or approval counts at once).
    """

    FRESH = 1.0

    def __init__(self, output: Path, comments_root: Path):
        self.essays_dir = output / "essays"
        self.comments_root = comments_root
        self._folders: dict[Path, tuple[float, int, set[str]]] = {}

    def _names(self, folder: Path, list_names, known: str) -> bool:
        checked, stamp, names = self._folders.get(folder, (0.0, -1, set()))
        now = time.monotonic()
        if known in names and now - checked < self.FRESH:
            return True
        try:
            current = folder.stat().st_mtime_ns
        except OSError:
            current = 0
        if current != stamp:
            names = list_names(folder) if current else set()
        self._folders[folder] = (now, current, names)
        return known in names

    def has_essay(self, slug: str) -> bool:
        return self._names(self.essays_dir, lambda folder: {
            p.name for p in folder.iterdir() if (p / "index.html").is_file()}, slug)

    def has_comment(self, essay: str, comment_id: str) -> bool:
        return self._names(self.comments_root / essay,
                           lambda folder: {p.stem for p in folder.glob("*.md")}, comment_id)


class SitePages(StaticFiles):
    """The built site, with a fresh form token (and the post-submit notice) in each page."""

    def __init__(self, intake: Intake):
        super().__init__(directory=str(intake.output), html=True, check_dir=False)
        self.intake = intake

    def file_response(self, full_path, stat_result, scope, status_code: int = 200) -> Response:
        if not str(full_path).endswith(".html"):
            return super().file_response(full_path, stat_result, scope, status_code)
        page = Path(full_path).read_text(encoding="utf-8", errors="replace")
        essay = essay_of(scope.get("path", ""))
        marker = f'value="{tokens.PLACEHOLDER}"'
        if marker in page:
            page = page.replace(marker, f'value="{tokens.issue(self.intake.secret, essay)}"')
        state = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("comment", [""])[0]
        if state in NOTICES and NOTICE_MARK in page:
            page = page.replace(NOTICE_MARK, notice_html(state), 1)
        return Response(page, status_code=status_code, media_type="text/html",
                        headers={"cache-control": "no-store"})


def essay_of(path: str) -> str:
    parts = path.strip("/").split("/")
    if len(parts) >= 2 and parts[0] == "essays" and ID_RE.fullmatch(parts[1]):
        return parts[1]
    return ""


def notice_html(state: str) -> str:
    return (f'<p class="notice comment-notice" id="comment-notice" role="status">'
            f'{NOTICES[state]}</p>')


# -- the refusal / confirm page -------------------------------------------------------------

_jinja = Environment(autoescape=True)
PAGE = _jinja.from_string("""<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <meta name="robots" content="noindex">
  <title>{{ title }} · {{ sitename }}</title>
  <link rel="stylesheet" href="/theme/css/colloquy.css">
</head>
<body>
<main id="main">
  <h1>{{ title }}</h1>
  <p class="notice" id="intake-message" role="alert">{{ message }}</p>
  {% if form %}
  <form class="reply-form" method="post" action="{{ action }}">
    <input type="hidden" name="essay" value="{{ form.essay }}">
    {% if form.reply_to %}<input type="hidden" name="reply_to" value="{{ form.reply_to }}">{% endif %}
    <input type="hidden" name="token" value="{{ token }}">
    <p class="hp" aria-hidden="true"><label for="c-leave-empty">Leave this empty</label>
       <input id="c-leave-empty" name="leave_empty" tabindex="-1" autocomplete="off"></p>
    <p><label for="c-name">Name</label>
       <input id="c-name" name="author" required maxlength="{{ max_name }}" value="{{ form.author }}"></p>
    <p><label for="c-website">Your website <span class="optional">(optional)</span></label>
       <input id="c-website" name="website" type="url" maxlength="300" value="{{ form.website }}"></p>
    <p><label for="c-email">E-mail <span class="optional">(optional, never shown)</span></label>
       <input id="c-email" name="email" type="email" maxlength="254" value="{{ form.email }}"></p>
    <p><label for="c-body">{% if form.reply_to %}Your reply{% else %}Your comment{% endif %}</label>
       <textarea id="c-body" name="body" required rows="8" maxlength="{{ max_body }}">{{ form.body }}</textarea></p>
    <p class="hint">Markdown works: *emphasis*, **strong**, [a link](https://…), &gt; a quote, `code`. HTML tags are removed: put code in `backticks`.</p>
    <p><button type="submit">{% if form.reply_to %}Send reply{% else %}Send comment{% endif %}</button></p>
  </form>
  {% endif %}
  <p><a href="{{ back }}">Back to {% if form and form.essay %}the essay{% else %}the site{% endif %}</a></p>
</main>
</body>
</html>
""")

FORM_FIELDS = ("essay", "reply_to", "author", "website", "email", "body")


def refusal_page(intake: Intake, status: int, message: str, fields: dict, title: str,
                 headers: dict | None = None) -> Response:
    essay = fields.get("essay", "")
    essay = essay if isinstance(essay, str) and ID_RE.fullmatch(essay) else ""
    form = {name: str(fields.get(name, ""))[:20000] for name in FORM_FIELDS}
    form["essay"] = essay
    known = essay and intake.index.has_essay(essay)
    html = PAGE.render(
        title=title, message=message, sitename=intake.settings.get("SITENAME", ""),
        form=form if known and fields.get("body") is not None else None,
        action=f"{intake.intake_url}/comments", token=tokens.issue(intake.secret, essay),
        max_name=intake.cfg["COLLOQUY_MAX_NAME_CHARS"],
        max_body=intake.cfg["COLLOQUY_MAX_BODY_CHARS"],
        back=f"/essays/{essay}/" if known else "/")
    all_headers = {"cache-control": "no-store"}
    all_headers.update(headers or {})
    return Response(html, status_code=status, media_type="text/html", headers=all_headers)


# -- the intake endpoint --------------------------------------------------------------------

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
    if declared.isdigit() and int(declared) > limit:
        raise too_big
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise too_big
    return bytes(body)


async def parse_fields(request: Request, body: bytes) -> dict[str, str]:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type == "application/x-www-form-urlencoded":
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            raise Refused(400, "The form was not sent as UTF-8 text.") from None
        fields: dict[str, str] = {}
        for key, value in parse_qsl(text, keep_blank_values=True):
            fields.setdefault(key, value)
        return fields
    if content_type == "application/json":
        try:
            data = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            raise Refused(400, "The request body is not valid JSON.") from None
        if not isinstance(data, dict):
            raise Refused(400, "Send a JSON object with essay, author and body.")
        return {str(k): v if isinstance(v, str) else ("" if v is None else str(v))
                for k, v in data.items()}
    if content_type == "multipart/form-data":
        request._body = body  # parse what was already read (and size-checked)
        form = await request.form()
        return {key: value for key, value in form.items() if isinstance(value, str)}
    raise Refused(415, "Send the comment as an HTML form or as JSON "
                  "(Content-Type application/x-www-form-urlencoded or application/json).")


def back_to(request: Request, essay: str, state: str) -> str:
    """The page the form was on (from Referer, if it is one of this site's essay pages)."""
    page = f"/essays/{essay}/"
    referer = request.headers.get("referer", "")
    if referer:
        parts = urlsplit(referer)
        host = request.headers.get("host", "")
        if ((not parts.netloc or parts.netloc == host) and essay_of(parts.path) == essay
                and PAGE_PATH_RE.fullmatch(parts.path)):
            page = parts.path
    return f"{page}?comment={state}#comment-notice"


async def post_comment(request: Request) -> Response:
    intake: Intake = request.app.state.intake
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
        sub = guards.submission(fields, ip, cfg)
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
        now = tokens.now()
        comment_id, published = await intake.writer.run(
            lambda store: store.intake(sub, intake.limits, now),
            after=lambda result: auto_publish(intake, *result))
    except Refused as refused:
        logger.info("refused %d: %s", refused.status, refused.message)
        headers = {"retry-after": str(refused.retry_after)} if refused.retry_after else None
        if json_client:
            return JSONResponse({"error": refused.message}, refused.status, headers=headers)
        return refusal_page(intake, refused.status, refused.message, fields,
                            "Your comment was not sent yet", headers)
    except NeedsToken as problem:
        logger.info("asked to confirm: %s", problem)
        message = f"{problem} Your comment is kept below: check it and send it again."
        if json_client:
            return JSONResponse({"error": message}, 403)
        return refusal_page(intake, 403, message, fields, "Please confirm your comment")
    state = "published" if published else "pending"
    logger.info("comment %s on %s: %s", comment_id, sub.essay, state)
    if json_client:
        return JSONResponse({"id": comment_id, "status": state,
                             "message": NOTICES[state]}, 202)
    return RedirectResponse(back_to(request, sub.essay, state), status_code=303)


def auto_publish(intake: Intake, comment_id: str, trusted: bool) -> tuple[str, bool]:
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


async def server_error(request: Request, exc: Exception) -> Response:
    logger.error("error while handling %s %s", request.method, request.url.path,
                 exc_info=exc)
    if wants_json(request):
        return JSONResponse({"error": "Something went wrong on our side; please try again "
                                      "later."}, 500)
    return PlainTextResponse("Something went wrong on our side; please try again later.", 500)


def create_app(settings: dict) -> Starlette:
    """The intake app for a site's Pelican settings (as `read_settings` returns them)."""
    intake = Intake(settings)
    intake.start()

    @contextlib.asynccontextmanager
    async def lifespan(app):
        task = asyncio.create_task(purge_daily(intake))
        sender = notify_web.start_sender(intake)
        try:
            yield
        finally:
            task.cancel()
            await sender.close()
            intake.stop()

    routes = [
        Route(f"{intake.intake_url}/comments", post_comment, methods=["POST"]),
        Route(f"{intake.intake_url}/comments", comments_get, methods=["GET"]),
        Route(f"{intake.intake_url}/health", health, methods=["GET"]),
        *notify_web.routes(intake),
        Mount("/", app=SitePages(intake)),
    ]
    app = Starlette(routes=routes, lifespan=lifespan,
                    exception_handlers={Exception: server_error, 500: server_error})
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

    from .cli import load_site_settings

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
                server_header=False, access_log=args.access_log, log_level=args.log_level)
    return 0
