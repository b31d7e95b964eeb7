"""Webmention benchmark: webmentions accepted per second, and verified per second.

    python benchmarks/webmention.py [--clients 8] [--count 2000] [--concurrency 4]

Starts a reader's site on loopback (a threaded http.server in this process, serving one
h-entry reply per source URL, each linking to the essay) and `colloquy serve` (uvicorn)
in a subprocess on a throwaway site under benchmarks/.sites/webmention/ with a fresh
store. Then N keep-alive clients POST distinct (source, target) pairs to
/intake/webmention and every answer is checked to be 201 with a status URL: that is the
accept rate (with the verification worker running beside it, as in production). The
verify rate is the number of webmentions verified divided by the time from the first
POST until the store shows the last one verified; it includes fetching each source over
HTTP, the link check, mf2 parsing and the write of a pending comment row.

What is switched off, honestly: the per-address and per-host rate limits (every client
and every source are 127.0.0.1), and the private-address refusal (the sources are on
loopback). Everything else runs as in production.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import sqlite3
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlencode

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
ESSAY = "benchmark-essay"

sys.path.insert(0, str(HERE))
from intake import free_port, start_server  # noqa: E402  (the same server, started alike)


def make_site(root: Path, concurrency: int) -> Path:
    if root.exists():
        shutil.rmtree(root)
    page = root / "output" / "essays" / ESSAY / "index.html"
    page.parent.mkdir(parents=True)
    page.write_text("<!doctype html><title>x</title>\n", encoding="utf-8")
    (root / "content" / "comments").mkdir(parents=True)
    conf = root / "siteconf.py"
    conf.write_text("\n".join([
        f"PATH = {str(root / 'content')!r}", f"OUTPUT_PATH = {str(root / 'output')!r}",
        f"COLLOQUY_SITE_DIR = {str(root)!r}", "SITEURL = 'https://essays.example'",
        # Where the essay page above is: the site's URL settings say where essays live.
        "ARTICLE_URL = 'essays/{slug}/'", "ARTICLE_SAVE_AS = 'essays/{slug}/index.html'",
        "COLLOQUY_WEBMENTION_ALLOW_PRIVATE = True", "COLLOQUY_WEBMENTION_RATE_LIMIT = 0",
        "COLLOQUY_WEBMENTION_SOURCE_RATE_LIMIT = 0",
        f"COLLOQUY_WEBMENTION_CONCURRENCY = {concurrency}"]) + "\n", encoding="utf-8")
    return conf


TARGET = f"https://essays.example/essays/{ESSAY}/"
POST = (f"<!doctype html><html><head><title>A reply</title></head><body>"
        f"<article class='h-entry'><span class='p-author h-card'><a class='u-url p-name' "
        f"href='https://reader.example/'>Reader {{n}}</a></span>"
        f"<a class='u-in-reply-to' href='{TARGET}'>the essay</a>"
        f"<time class='dt-published' datetime='2026-09-03T12:00:00+00:00'>3 Sept</time>"
        f"<div class='e-content'><p>Reply {{n}}: {'a sentence of some length. ' * 20}</p>"
        f"</div></article><footer>{'<p>more of the page around the post</p>' * 60}</footer>"
        f"</body></html>")


class Source(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # else headers and body, sent apart, wait 40 ms for an ACK

    def do_GET(self):
        body = POST.replace("{n}", self.path.rsplit("/", 1)[-1]).encode()
        self.send_response(200)
        self.send_header("content-type", "text/html; charset=utf-8")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


async def client(port: int, source_base: str, jobs: asyncio.Queue, results: list) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    while True:
        try:
            i = jobs.get_nowait()
        except asyncio.QueueEmpty:
            break
        body = urlencode({"source": f"{source_base}/posts/{i}", "target": TARGET}).encode()
        writer.write((f"POST /intake/webmention HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                      "Content-Type: application/x-www-form-urlencoded\r\n"
                      f"Content-Length: {len(body)}\r\n\r\n").encode() + body)
        head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
        length = int(next(line.split(":", 1)[1] for line in head.split("\r\n")
                          if line.lower().startswith("content-length:")))
        await reader.readexactly(length)
        results.append(head.split()[1] == "201" and "\r\nlocation: " in head.lower())
    writer.close()


async def accept(port: int, source_base: str, clients: int, count: int) -> list[bool]:
    jobs: asyncio.Queue = asyncio.Queue()
    for i in range(count):
        jobs.put_nowait(i)
    results: list[bool] = []
    await asyncio.gather(*(client(port, source_base, jobs, results) for _ in range(clients)))
    return results


def progress(db_path: Path) -> tuple[int, int]:
    """(verified, verified or refused) webmentions in the store."""
    db = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=10)
    try:
        counts = dict(db.execute("SELECT status, count(*) FROM webmentions GROUP BY status"))
    except sqlite3.OperationalError:
        return 0, 0
    finally:
        db.close()
    return counts.get("verified", 0), counts.get("verified", 0) + counts.get("refused", 0)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--count", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=4,
                        help="COLLOQUY_WEBMENTION_CONCURRENCY for the server")
    args = parser.parse_args()

    root = HERE / ".sites" / "webmention"
    conf = make_site(root, args.concurrency)
    sources = ThreadingHTTPServer(("127.0.0.1", 0), Source)
    sources.daemon_threads = True
    threading.Thread(target=sources.serve_forever, daemon=True).start()
    source_base = f"http://127.0.0.1:{sources.server_address[1]}"
    port = free_port()
    server = start_server(conf, port)
    db_path = root / "var" / "colloquy.sqlite3"
    try:
        started = time.perf_counter()
        results = asyncio.run(accept(port, source_base, args.clients, args.count))
        accepted_in = time.perf_counter() - started
        # Until every accepted webmention is verified or refused (or ten minutes pass).
        done, settled = progress(db_path)
        while settled < sum(results) and time.perf_counter() - started < 600:
            time.sleep(0.2)
            done, settled = progress(db_path)
        verified_in = time.perf_counter() - started
    finally:
        server.terminate()
        server.wait(timeout=10)
        sources.shutdown()
    ok = sum(results)
    print(f"clients {args.clients}, webmentions {args.count}, worker concurrency "
          f"{args.concurrency}, {os.cpu_count()} CPUs, Python {sys.version.split()[0]}")
    print(f"accepted {ok} (201 + Location) in {accepted_in:.2f} s = "
          f"{ok / accepted_in:,.0f} accepted/s")
    print(f"verified {done} in {verified_in:.2f} s from the first POST = "
          f"{done / verified_in:,.1f} verified/s")
    if ok < args.count or done < ok:
        print(f"not all went through: {args.count - ok} refused at once, {ok - done} not "
              f"verified (the store's webmentions table says why: {db_path})")
    return 0 if ok == args.count and done == args.count else 1


if __name__ == "__main__":
    sys.exit(main())
