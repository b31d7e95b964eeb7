"""Helpers for the intake tests: a small built-looking site, a real server on loopback."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
SECRET = "test-secret-0123456789abcdef0123456789abcdef"

PAGE = """<!doctype html><html><head><title>{slug}</title></head><body>
<main id="main"><!--colloquy:notice-->
<form class="reply-form" method="post" action="/intake/comments">
<input type="hidden" name="essay" value="{slug}">
<input type="hidden" name="token" value="colloquy-form-token">
</form></main></body></html>
"""


class FakeSite:
    """Output pages and comment files as a build leaves them, without running Pelican."""

    def __init__(self, root: Path, essays=("first-essay", "second-essay")):
        self.root = root
        self.content = root / "content"
        self.output = root / "output"
        (self.content / "comments").mkdir(parents=True)
        for slug in essays:
            self.add_essay(slug)
        (self.output / "theme" / "css").mkdir(parents=True)
        (self.output / "theme" / "css" / "colloquy.css").write_text("body{}\n")

    def add_essay(self, slug: str) -> None:
        page = self.output / "essays" / slug / "index.html"
        page.parent.mkdir(parents=True, exist_ok=True)
        page.write_text(PAGE.format(slug=slug), encoding="utf-8")

    def add_comment(self, essay: str, comment_id: str, author: str = "Reader") -> Path:
        path = self.content / "comments" / essay / f"{comment_id}.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"id: {comment_id}\nauthor: {author}\n"
                        f"date: 2026-09-02T10:00:00+00:00\n\nA reply.\n", encoding="utf-8")
        return path

    def settings(self, **overrides) -> dict:
        values = {"PATH": str(self.content), "OUTPUT_PATH": str(self.output), "SITEURL": "",
                  "SITENAME": "Test site", "COLLOQUY_SITE_DIR": str(self.root),
                  "ARTICLE_URL": "essays/{slug}/", "ARTICLE_SAVE_AS": "essays/{slug}/index.html",
                  "PAGE_URL": "{slug}/", "PAGE_SAVE_AS": "{slug}/index.html",
                  "COLLOQUY_MIN_FILL_SECONDS": 3}
        values.update(overrides)
        return values

    def settings_file(self, **overrides) -> Path:
        path = self.root / "siteconf.py"
        lines = [f"{key} = {value!r}" for key, value in self.settings(**overrides).items()]
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def running_app(settings: dict, siteurl: str | None = None, own_siteurl: bool = False):
    """create_app(settings) on uvicorn in a thread, on a real loopback socket. With
    `own_siteurl`, SITEURL is the server's own address (or `siteurl` when given)."""
    import uvicorn

    from colloquy.server import LIMITS, create_app

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    base = f"http://127.0.0.1:{sock.getsockname()[1]}"
    if own_siteurl:
        settings = {**settings, "SITEURL": siteurl or base}
    app = create_app(settings)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", proxy_headers=False,
                                           access_log=False, **LIMITS))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.01)
    try:
        yield base, app
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def serve_process(settings_file: Path, port: int, env_extra: dict | None = None
                  ) -> subprocess.Popen:
    """`colloquy serve` as its own process (for the kill test and the benchmark)."""
    env = dict(os.environ, COLLOQUY_SECRET=SECRET, PYTHONPATH=str(REPO / "plugins"))
    env.update(env_extra or {})
    process = subprocess.Popen(
        [sys.executable, "-m", "colloquy", "--settings", str(settings_file), "serve",
         "--port", str(port), "--log-level", "warning"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(process.stderr.read().decode())
        try:
            if httpx.get(f"http://127.0.0.1:{port}/intake/health", timeout=1).status_code == 200:
                return process
        except httpx.TransportError:
            time.sleep(0.05)
    process.kill()
    raise RuntimeError("colloquy serve did not start")


def site_settings_file(site, **extra) -> Path:
    """A settings file for a conftest `site`: the repository's pelicanconf.py, pointed at the
    temporary site (the `colloquy` command reads settings from a file)."""
    conf = site.root / "siteconf.py"
    lines = ["import runpy as _runpy",
             f"globals().update({{k: v for k, v in _runpy.run_path({str(REPO / 'pelicanconf.py')!r})"
             ".items() if k.isupper()})",
             f"PATH = {str(site.content)!r}", f"OUTPUT_PATH = {str(site.output)!r}",
             f"CACHE_PATH = {str(site.cache)!r}", f"THEME = {str(REPO / 'theme')!r}",
             "COLLOQUY_WORKERS = 1"]
    lines += [f"{key} = {value!r}" for key, value in extra.items()]
    conf.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return conf
