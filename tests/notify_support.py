"""Helpers for the notification tests: a real SMTP server (aiosmtpd) and an app whose
SITEURL is its own loopback address, so the links in its mails lead back to it."""

from __future__ import annotations

import email
import socket
import threading
import time
from contextlib import contextmanager
from email import policy

import httpx
import lxml.html

from colloquy import tokens
from intake_support import SECRET, FakeSite, running_app

ESSAY = "first-essay"
PARENT = "20260902-100000-abcdef"


def site_with_a_comment(tmp_path, monkeypatch) -> FakeSite:
    """A built site in development mode with one published comment to answer."""
    monkeypatch.setenv("COLLOQUY_SECRET", SECRET)
    monkeypatch.delenv("COLLOQUY_ENV", raising=False)
    site = FakeSite(tmp_path / "site")
    site.add_comment(ESSAY, PARENT, author="First Reader")
    return site



class Inbox:
    """aiosmtpd handler: every message received, parsed with the email package."""

    def __init__(self):
        self.messages: list[email.message.EmailMessage] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.original_content or envelope.content,
                                           policy=policy.default)
        message["X-Envelope-To"] = ",".join(envelope.rcpt_tos)
        with self.lock:
            self.messages.append(message)
        return "250 Message accepted"

    def to(self, address: str) -> list:
        with self.lock:
            return [m for m in self.messages
                    if m["X-Envelope-To"].casefold() == address.casefold()]

    def wait(self, address: str, count: int = 1, timeout: float = 15) -> list:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.to(address)
            if len(found) >= count:
                return found
            time.sleep(0.05)
        raise AssertionError(f"{address} got {len(self.to(address))} mail(s), not {count}")


@contextmanager
def smtp_server(port: int):
    from aiosmtpd.controller import Controller

    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox
    finally:
        controller.stop()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


AUTHOR = "author@essays.example"


def mail_settings(smtp_port: int, **overrides) -> dict:
    values = {"COLLOQUY_SMTP_HOST": "127.0.0.1", "COLLOQUY_SMTP_PORT": smtp_port,
              "COLLOQUY_SMTP_TLS": "none", "COLLOQUY_MAIL_FROM": "comments@essays.example",
              "COLLOQUY_NOTIFY_EMAIL": AUTHOR, "COLLOQUY_NOTIFY_BATCH_SECONDS": 0,
              "COLLOQUY_OUTBOX_RETRY_SECONDS": 0.2, "COLLOQUY_MIN_FILL_SECONDS": 0,
              "COLLOQUY_AUTO_APPROVE_AFTER": 0}
    values.update(overrides)
    return values


def app_at(settings: dict, siteurl: str | None = None):
    """create_app on uvicorn in a thread, SITEURL set to its own address (or `siteurl`)."""
    return running_app(settings, siteurl, own_siteurl=True)


def post_comment(base: str, essay: str, body: str, author: str = "Ada", **extra) -> str:
    """Send a comment as the form would (JSON answer); returns the new comment's id."""
    token = tokens.issue(SECRET.encode(), essay, issued=time.time() - 10)
    response = httpx.post(f"{base}/intake/comments", headers={"accept": "application/json"},
                          data={"essay": essay, "author": author, "body": body,
                                "token": token, **extra})
    assert response.status_code == 202, response.text
    return response.json()["id"]


def parts(message) -> tuple[str, str]:
    """(plain text, html) of a multipart/alternative mail."""
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    return text, html


def links_in(message) -> list[str]:
    _, html = parts(message)
    return [a.get("href") for a in lxml.html.fromstring(html).iter("a") if a.get("href")]


def page(response: httpx.Response):
    return lxml.html.fromstring(response.text)


def form_of(response: httpx.Response) -> tuple[str, dict]:
    """The (action, hidden fields) of the page's one form."""
    form = page(response).forms[0]
    return form.action, {i.name: i.value for i in form.inputs if i.get("type") == "hidden"}
