"""Security headers on every answer `colloquy serve` gives, and one place for the 500.

The site is static, its only form posts to this same origin, and it runs no inline
script or style (theme/static/js/reply.js is a file), so the policy can be strict:

- Content-Security-Policy: everything from this origin only; no inline script or style,
  no plugins, no <base> rewriting, forms post only here, and no other site may frame a
  page (`frame-ancestors 'none'`: a framed reply form is a clickjacking target). Images
  may also come from https: (an essay may show one from elsewhere).
- X-Frame-Options: DENY, for browsers older than frame-ancestors.
- X-Content-Type-Options: nosniff: a comment body can never be read as a script.
- Referrer-Policy: strict-origin-when-cross-origin: a link in a comment does not tell
  the other site which page (or thread) the reader came from, only this site's origin.
- Permissions-Policy: the site needs no camera, microphone, location, payment...
- Cross-Origin-Opener-Policy: same-origin: a page opened from a comment's link cannot
  reach back into ours.

A header the app set itself (say a future page that needs another policy) is left as is.
"""

from __future__ import annotations

import logging

from . import text

logger = logging.getLogger("colloquy.intake")

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' https:; "
       "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
       "form-action 'self'; frame-ancestors 'none'")
# A feed opened in a browser without its XSLT stylesheet is shown by the browser's own
# XML viewer, which styles itself inline (and with data: images); a feed runs no script,
# so that is allowed on feeds alone.
FEED_CSP = CSP.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'").replace(
    "img-src 'self' https:", "img-src 'self' https: data:")
PERMISSIONS = ("camera=(), microphone=(), geolocation=(), payment=(), usb=(), "
               "interest-cohort=(), browsing-topics=()")
HEADERS = (
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"strict-origin-when-cross-origin"),
    (b"permissions-policy", PERMISSIONS.encode()),
    (b"cross-origin-opener-policy", b"same-origin"),
)
ERROR = b"Something went wrong on our side; please try again later."


class SecurityHeaders:
    """ASGI middleware: adds HEADERS to every HTTP answer, and turns an exception nothing
    else caught into a bare 500, logged once (Starlette's own handler would log it and
    raise it again for the server to log a second time)."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        started = False

        async def send_with_headers(message):
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                present = {name.lower() for name, _ in message.get("headers", [])}
                message["headers"] = list(message.get("headers", [])) + [
                    (name, value) for name, value in HEADERS if name not in present]
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        except Exception:
            logger.exception("error while handling %s %s", scope.get("method"),
                             text.for_terminal(scope.get("path", "")[:200]))
            if started:  # half an answer is out: the connection is closed, nothing to add
                return
            wants_json = any(k == b"accept" and b"application/json" in v
                             for k, v in scope.get("headers", []))
            body = b'{"error": "' + ERROR + b'"}' if wants_json else ERROR
            await send_with_headers({"type": "http.response.start", "status": 500,
                                     "headers": [(b"content-type", b"application/json"
                                                  if wants_json else b"text/plain; charset=utf-8"),
                                                 (b"content-length", str(len(body)).encode())]})
            await send_with_headers({"type": "http.response.body", "body": body})
