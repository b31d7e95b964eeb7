"""Helpers for the webmention tests: a reader's own site on loopback, and polling."""

from __future__ import annotations

import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx


@dataclass
class Answer:
    status: int = 200
    body: bytes | str = b""
    headers: dict = field(default_factory=lambda: {"content-type": "text/html; charset=utf-8"})
    delay: float = 0.0


class ReaderSite:
    """A small web site on 127.0.0.1 in a thread. `pages[path] = Answer(...)`; every
    request is recorded in `requests` as (method, path, headers, body)."""

    def __init__(self):
        self.pages: dict[str, Answer] = {}
        self.requests: list[tuple[str, str, dict, bytes]] = []
        site = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self, method):
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length) if length else b""
                site.requests.append((method, self.path, dict(self.headers), body))
                answer = site.pages.get(self.path) or site.pages.get(self.path.split("?")[0]) \
                    or Answer(404, b"not found", {"content-type": "text/plain"})
                if answer.delay:
                    time.sleep(answer.delay)
                data = answer.body.encode("utf-8") if isinstance(answer.body, str) else answer.body
                self.send_response(answer.status)
                for name, value in (answer.headers.items() if isinstance(answer.headers, dict)
                                    else answer.headers):
                    self.send_header(name, value)
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                try:
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def do_GET(self):
                self._answer("GET")

            def do_POST(self):
                self._answer("POST")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        # By name: an IP address in a URL is redacted from comment files.
        self.named_url = self.url.replace("127.0.0.1", "localhost")

    def page(self, path: str, body: str = "", status: int = 200, named: bool = False,
             **kwargs) -> str:
        self.pages[path] = Answer(status, body, **kwargs)
        return (self.named_url if named else self.url) + path

    def posts(self, path: str) -> list[dict]:
        from urllib.parse import parse_qs

        return [{k: v[0] for k, v in parse_qs(body.decode()).items()}
                for method, p, _, body in self.requests if method == "POST" and p == path]


@contextmanager
def reader_site():
    site = ReaderSite()
    thread = threading.Thread(target=site.server.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    try:
        yield site
    finally:
        site.server.shutdown()
        site.server.server_close()


def h_entry(target: str, kind: str = "in-reply-to", text: str = "I answered this at length.",
            author: str = "Rosa Quill", author_url: str = "https://rosa.example/",
            published: str = "2026-09-03T12:00:00+00:00") -> str:
    """A reader's post: an h-entry replying to, liking or reposting the target."""
    return f"""<!doctype html><html><head><title>A post</title></head><body>
<article class="h-entry">
  <span class="p-author h-card"><img class="u-photo" src="/me.jpg" alt="">
    <a class="u-url p-name" href="{author_url}">{author}</a></span>
  <a class="u-{kind}" href="{target}">the essay</a>
  <time class="dt-published" datetime="{published}">3 Sept</time>
  <div class="e-content"><p>{text}</p></div>
</article></body></html>"""


def wait_for_status(base: str, location: str, settled=("verified", "refused", "deleted"),
                    timeout: float = 60.0, moderation: str | None = None) -> dict:
    """GET the status URL until the webmention leaves the queue (and, with `moderation`,
    until its comment reaches that state: a webmention published at once is verified on
    commit, and its file is written and the row marked approved just after)."""
    from urllib.parse import urlsplit

    url = base + urlsplit(location).path  # the address may be SITEURL's, not the test's
    deadline = time.monotonic() + timeout
    while True:
        found = httpx.get(url, headers={"accept": "application/json"}).json()
        done = found["status"] in settled and (
            moderation is None or found.get("moderation") == moderation)
        if done or time.monotonic() > deadline:
            return found
        time.sleep(0.05)


def send(base: str, source: str, target: str) -> httpx.Response:
    return httpx.post(f"{base}/intake/webmention", data={"source": source, "target": target},
                      headers={"accept": "application/json"})
