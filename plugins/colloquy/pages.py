"""The built site as `colloquy serve` serves it, and the intake's own pages.

`SitePages` is Starlette's StaticFiles over OUTPUT_PATH (html=True: `dir/` serves
`dir/index.html`, unknown paths the theme's `404.html` with status 404) and adds:

- a fresh signed form token in every HTML page, and the "awaiting moderation" notice
  when the page is reached through the signed mark a real post redirects to;
- 404 for every path with a segment starting with "." (`/.git/config`, `/.env`: a
  deployment that keeps output/ in git must not publish its history), except
  `/.well-known/`, which exists to be public (RFC 8615);
- feeds typed for who asks: `application/atom+xml` / `application/rss+xml` for feed
  readers, `application/xml` for a browser asking for a page (Accept: text/html), since
  browsers show the feed types as plain text or a download, while as XML they apply the
  feed's XSLT stylesheet and show a styled page;
- `/favicon.ico` from the theme when the site root has none.

`intake_page` renders the intake's confirm and refusal pages inside a built page's own
header and footer (404.html's, else index.html's), so they look like the site.
"""

from __future__ import annotations

import html
import os
import re
from pathlib import Path
from urllib.parse import parse_qs, quote

from jinja2 import Environment
from starlette.responses import Response
from starlette.staticfiles import StaticFiles

from . import tokens
from .guards import is_essay_name
from .headers import FEED_CSP
from .webmention import endpoint as webmention_endpoint

# The hidden field naming the essay in a built page's reply form (see _reply_form.html).

NOTICE_MARK = "<!--colloquy:notice-->"
PAGE_NOTICE_ID = "comment-notice"
NOTICES = {
    "pending": "Thank you: your comment has arrived and is awaiting moderation. It will "
               "appear on this page once the author has read it.",
    "published": "Thank you: your comment is published. It appears on this page when the "
                 "site has been rebuilt, usually within a minute.",
}
ESSAY_FIELD_RE = re.compile(r'name="essay" value="([^"]*)"')
FORM_RE = re.compile(r'(name="essay" value="([^"]*)"[^<]*>(?:\s*<input[^>]*>)*?'
                     r'\s*<input[^>]*?value=")' + re.escape(tokens.PLACEHOLDER) + '"')
FEED_TYPES = {".atom.xml": "application/atom+xml", ".rss.xml": "application/rss+xml"}
# What /favicon.ico serves when the site root has none (browsers ask for it on every page
# that names no icon, and feed readers always): the theme's, the SVG one included.
FAVICONS = ("theme/favicon.ico", "theme/images/favicon.ico", "theme/img/favicon.ico",
            "theme/favicon.svg")


class SitePages(StaticFiles):
    """The built site, with a fresh form token (and the post-submit notice) in each page."""

    def __init__(self, intake):
        super().__init__(directory=str(intake.output), html=True, check_dir=False)
        self.intake = intake

    async def get_response(self, path: str, scope) -> Response:
        segments = [s for s in path.replace("\\", "/").split("/") if s not in ("", ".")]
        hidden = [s for s in segments if s.startswith(".")]
        if hidden and not (segments[0] == ".well-known" and len(hidden) == 1):
            return await super().get_response("/\0not-found", scope)  # the themed 404
        if segments == ["favicon.ico"] and not (self.intake.output / "favicon.ico").is_file():
            for candidate in FAVICONS:
                if (self.intake.output / candidate).is_file():
                    return await super().get_response(candidate, scope)
        return await super().get_response(path, scope)

    def file_response(self, full_path, stat_result, scope, status_code: int = 200) -> Response:
        name = str(full_path)
        for suffix, feed_type in FEED_TYPES.items():
            if name.endswith(suffix):
                response = super().file_response(full_path, stat_result, scope, status_code)
                response.headers["content-type"] = feed_media_type(scope, feed_type)
                response.headers["vary"] = "Accept"
                response.headers["content-security-policy"] = FEED_CSP
                return response
        if not name.endswith(".html"):
            return super().file_response(full_path, stat_result, scope, status_code)
        page = Path(full_path).read_text(encoding="utf-8", errors="replace")
        secret = self.intake.secret
        page = sign_forms(page, secret)
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        first = ESSAY_FIELD_RE.search(page)
        state = first and tokens.read_mark(secret, query.get("comment", [""])[0],
                                           html.unescape(first[1]))
        if state and NOTICE_MARK in page:
            page = page.replace(NOTICE_MARK, notice_html(state), 1)
        return Response(page, status_code=status_code, media_type="text/html",
                        headers={"cache-control": "no-store",
                                 "link": webmention_endpoint.link_header(self.intake)})


def sign_forms(page: str, secret: bytes) -> str:
    """A fresh token for each form's placeholder, signed for the essay the form names in
    its hidden `essay` field (just before the token), whatever URL put the page here."""
    page = FORM_RE.sub(lambda m: m[1] + tokens.issue(secret, html.unescape(m[2])) + '"',
                       page)
    marker = f'value="{tokens.PLACEHOLDER}"'
    if marker in page:  # a form laid out otherwise: the page's first essay field
        first = ESSAY_FIELD_RE.search(page)
        essay = html.unescape(first[1]) if first else ""
        page = page.replace(marker, f'value="{tokens.issue(secret, essay)}"')
    return page


def feed_media_type(scope, feed_type: str) -> str:
    """The feed's own type, unless the client is a browser asking for a page."""
    accept = ""
    for key, value in scope.get("headers", []):
        if key == b"accept":
            accept = value.decode("latin-1").lower()
    wants_page = "text/html" in accept and feed_type not in accept
    return "application/xml; charset=utf-8" if wants_page else f"{feed_type}; charset=utf-8"


def notice_html(state: str) -> str:
    return (f'<p class="notice comment-notice" id="{PAGE_NOTICE_ID}" role="status">'
            f'{NOTICES[state]}</p>')


# -- the intake's own pages: confirm and refusal ------------------------------------------

_jinja = Environment(autoescape=True)
BODY = _jinja.from_string("""
<article class="intake-page">
  <h1>{{ title }}</h1>
  <div class="notice" id="intake-message" role="alert">
    {% if problems|length > 1 %}<p>{{ lead }}</p>
    <ul>{% for problem in problems %}<li>{{ problem }}</li>{% endfor %}</ul>
    {% else %}<p>{{ problems[0] }}</p>{% endif %}
  </div>
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
    {% if form.notify %}<p class="notify-optin"><label for="c-notify"><input id="c-notify" name="notify" type="checkbox" value="yes" checked> E-mail me when someone replies</label></p>{% endif %}
    <p><label for="c-body">{% if form.reply_to %}Your reply{% else %}Your comment{% endif %}</label>
       <textarea id="c-body" name="body" required rows="8" maxlength="{{ max_body }}">{{ form.body }}</textarea></p>
    <p class="hint">Markdown works: *emphasis*, **strong**, [a link](https://…), &gt; a quote, `code`. HTML tags are removed: put code in `backticks`.</p>
    <p><button type="submit">{% if form.reply_to %}Send reply{% else %}Send comment{% endif %}</button></p>
  </form>
  {% endif %}
  <p><a href="{{ back }}">Back to {% if form and form.essay %}the essay{% else %}the site{% endif %}</a></p>
</article>
""")
FALLBACK_SHELL = ("<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                  "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
                  "<title></title>\n<link rel=\"stylesheet\" href=\"/theme/css/colloquy.css\">\n"
                  "</head>\n<body>\n<main id=\"main\"></main>\n</body>\n</html>\n")
MAIN_RE = re.compile(r"(<main\b[^>]*>)(.*)(</main>)", re.DOTALL | re.IGNORECASE)
TITLE_RE = re.compile(r"(<title>)(.*?)(</title>)", re.DOTALL | re.IGNORECASE)
FORM_FIELDS = ("essay", "reply_to", "author", "website", "email", "body", "notify")


class Shell:
    """A built page's header and footer around the intake's own content, re-read when
    the site is rebuilt (the page's modification time changes)."""

    def __init__(self, output: Path):
        self.output = output
        self._cached: tuple[tuple[str, int], str] | None = None

    def page(self) -> str:
        for name in ("404.html", "index.html"):
            path = self.output / name
            try:
                stamp = (name, os.stat(path).st_mtime_ns)
            except OSError:
                continue
            if self._cached and self._cached[0] == stamp:
                return self._cached[1]
            page = path.read_text(encoding="utf-8", errors="replace")
            if MAIN_RE.search(page):
                # A root page built with RELATIVE_URLS links "./theme/...": from the
                # intake's own URL those must be taken from the root.
                page = page.replace(NOTICE_MARK, "").replace('="./', '="/')
                self._cached = (stamp, page)
                return page
        return FALLBACK_SHELL

    def render(self, title: str, sitename: str, content: str) -> str:
        page = self.page()
        full_title = _jinja.from_string("{{ t }}{% if s %} · {{ s }}{% endif %}").render(
            t=title, s=sitename)
        page = TITLE_RE.sub(lambda m: m[1] + full_title + m[3], page, count=1)
        page = MAIN_RE.sub(lambda m: m[1] + content + m[3], page, count=1)
        return page.replace("<head>", '<head>\n<meta name="robots" content="noindex">', 1)


def intake_page(intake, status: int, problems: list[str], fields: dict, title: str,
                headers: dict | None = None) -> Response:
    """A refusal or confirm page that keeps what the reader typed, with a fresh token."""
    essay = fields.get("essay", "")
    essay = essay if isinstance(essay, str) and is_essay_name(essay) else ""
    form = {name: str(fields.get(name, ""))[:20000] for name in FORM_FIELDS}
    form["essay"] = essay
    page_url = intake.index.url_of(essay) if essay else None
    content = BODY.render(
        title=title, problems=problems, lead="Please fix these and send it again:",
        form=form if page_url and fields.get("body") is not None else None,
        action=f"{intake.intake_url}/comments", token=tokens.issue(intake.secret, essay),
        max_name=intake.cfg["COLLOQUY_MAX_NAME_CHARS"],
        max_body=intake.cfg["COLLOQUY_MAX_BODY_CHARS"],
        back=quote(page_url) if page_url else "/")
    html = intake.shell.render(title, intake.settings.get("SITENAME", ""), content)
    all_headers = {"cache-control": "no-store"}
    all_headers.update(headers or {})
    return Response(html, status_code=status, media_type="text/html", headers=all_headers)
