"""Intake benchmark: accepted comments per second and latency at N concurrent clients.

    python benchmarks/intake.py [--clients 8] [--count 20000] [--form]

Starts `colloquy serve` (uvicorn) on loopback in a subprocess, on a throwaway site
under benchmarks/.sites/intake/ with a fresh store, then runs N keep-alive HTTP/1.1
clients (plain asyncio, so the client costs little CPU) posting distinct comments. It
reports accepted posts per second and p50/p99/max latency, then opens the store and
checks that every acknowledged id is there.

What is switched off, honestly: the per-address rate limit (COLLOQUY_RATE_LIMIT = 0),
because every client posts from 127.0.0.1. Everything else runs as in production: each
post carries a valid signed form token (the benchmark holds the secret and mints tokens
dated 10 s ago, so the minimum-fill-time and expiry checks pass), a same-site Origin
header, and the body-size, field, link, duplicate, essay and parent checks all run; the
store commits with synchronous=FULL before each answer.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO / "plugins"))

from colloquy import tokens  # noqa: E402

SECRET = "benchmark-secret-" + "0" * 32
ESSAY = "benchmark-essay"
PARENT = "20260902-100000-abcdef"


def make_site(root: Path) -> Path:
    if root.exists():
        shutil.rmtree(root)
    page = root / "output" / "essays" / ESSAY / "index.html"
    page.parent.mkdir(parents=True)
    page.write_text("<!doctype html><title>x</title><!--colloquy:notice-->\n", encoding="utf-8")
    parent = root / "content" / "comments" / ESSAY / f"{PARENT}.md"
    parent.parent.mkdir(parents=True)
    parent.write_text(f"id: {PARENT}\nauthor: A\ndate: 2026-09-02T10:00:00+00:00\n\nHi.\n")
    conf = root / "siteconf.py"
    conf.write_text("\n".join([
        f"PATH = {str(root / 'content')!r}", f"OUTPUT_PATH = {str(root / 'output')!r}",
        f"COLLOQUY_SITE_DIR = {str(root)!r}", "SITEURL = ''", "COLLOQUY_RATE_LIMIT = 0",
        # Where the essay page above is: the site's URL settings say where essays live.
        "ARTICLE_URL = 'essays/{slug}/'", "ARTICLE_SAVE_AS = 'essays/{slug}/index.html'",
        "COLLOQUY_AUTO_APPROVE_AFTER = 0"]) + "\n", encoding="utf-8")
    return conf


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(conf: Path, port: int) -> subprocess.Popen:
    env = dict(os.environ, COLLOQUY_SECRET=SECRET, PYTHONPATH=str(REPO / "plugins"))
    process = subprocess.Popen([sys.executable, "-m", "colloquy", "--settings", str(conf),
                                "serve", "--port", str(port), "--log-level", "warning"],
                               env=env)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return process
        except OSError:
            time.sleep(0.05)
    process.kill()
    raise SystemExit("colloquy serve did not start")


async def read_response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    length = 0
    for line in lines[1:]:
        if line.lower().startswith("content-length:"):
            length = int(line.split(":", 1)[1])
    return status, await reader.readexactly(length)


async def client(n: int, port: int, jobs: asyncio.Queue, results: list, form: bool) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    secret = SECRET.encode()
    origin = f"http://127.0.0.1:{port}"
    while True:
        try:
            i = jobs.get_nowait()
        except asyncio.QueueEmpty:
            break
        fields = {"essay": ESSAY, "author": f"Client {n}", "website": "https://example.org/",
                  "email": f"reader{n}@example.org",
                  "body": f"Comment {i} from client {n}: a few words, *emphasis*, and "
                          f"[one link](https://example.org/{i}).",
                  "token": tokens.issue(secret, ESSAY, time.time() - 10)}
        if i % 4 == 0:
            fields["reply_to"] = PARENT
        if form:
            body, kind = urlencode(fields).encode(), "application/x-www-form-urlencoded"
        else:
            body, kind = json.dumps(fields).encode(), "application/json"
        request = (f"POST /intake/comments HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                   f"Origin: {origin}\r\nAccept: application/json\r\nContent-Type: {kind}\r\n"
                   f"Content-Length: {len(body)}\r\n\r\n").encode() + body
        started = time.perf_counter()
        writer.write(request)
        status, payload = await read_response(reader)
        elapsed = time.perf_counter() - started
        results.append((status, elapsed, json.loads(payload).get("id") if status == 202 else
                        payload[:200]))
    writer.close()


async def run(port: int, clients: int, count: int, form: bool, first: int = 0
              ) -> tuple[list, float]:
    jobs: asyncio.Queue = asyncio.Queue()
    for i in range(first, first + count):
        jobs.put_nowait(i)
    results: list = []
    started = time.perf_counter()
    await asyncio.gather(*(client(n, port, jobs, results, form) for n in range(clients)))
    return results, time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--count", type=int, default=20000)
    parser.add_argument("--warmup", type=int, default=500)
    parser.add_argument("--form", action="store_true", help="post form-encoded, not JSON")
    args = parser.parse_args()

    root = HERE / ".sites" / "intake"
    conf = make_site(root)
    port = free_port()
    server = start_server(conf, port)
    try:
        asyncio.run(run(port, args.clients, args.warmup, args.form))
        results, seconds = asyncio.run(run(port, args.clients, args.count, args.form,
                                           first=args.warmup))
    finally:
        server.terminate()
        server.wait(timeout=10)

    accepted = [r for r in results if r[0] == 202]
    refused = [r for r in results if r[0] != 202]
    latencies = sorted(r[1] * 1000 for r in results)
    quantiles = statistics.quantiles(latencies, n=100)
    db = sqlite3.connect(f"file:{root / 'var' / 'colloquy.sqlite3'}?mode=ro", uri=True)
    stored = {row[0] for row in db.execute("SELECT id FROM comments")}
    db.close()
    lost = [r[2] for r in accepted if r[2] not in stored]
    print(f"clients {args.clients}, posts {len(results)} ({'form' if args.form else 'JSON'}), "
          f"{os.cpu_count()} CPUs, Python {sys.version.split()[0]}")
    print(f"accepted {len(accepted)} in {seconds:.2f} s = {len(accepted) / seconds:,.0f} "
          f"accepted/s")
    print(f"latency ms: p50 {quantiles[49]:.1f}  p99 {quantiles[98]:.1f}  max {latencies[-1]:.1f}")
    print(f"refused {len(refused)}; acknowledged but missing from the store: {len(lost)}")
    for sample in refused[:3]:
        print("  refused:", sample)
    return 1 if lost or refused else 0


if __name__ == "__main__":
    sys.exit(main())
