"""`colloquy webmention send`: tell the sites the essays link to.

Loaded by cli.build_parser through `add_commands`; httpx and rich are imported only
when the command runs.
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from ..errors import ColloquyError

PROGRESS_FROM = 10  # sends: fewer finish before a bar is worth drawing


def add_commands(commands) -> None:
    webmention = commands.add_parser(
        "webmention", help="tell the sites your essays link to (Webmention)",
        description="Webmention: let the pages your essays link to know about them. "
                    "Receiving needs no command: `colloquy serve` takes webmentions and "
                    "`colloquy pending` lists them.")
    sub = webmention.add_subparsers(dest="webmention_command", required=True,
                                    metavar="COMMAND")
    send = sub.add_parser(
        "send", help="find the Webmention endpoint of each page your essays link to, and "
                     "notify it",
        description="Send a webmention for every link in your published essays (and in "
                    "your own replies) that was not sent before, or whose essay changed, or "
                    "that you removed since. It reads the built site: build first, with "
                    "the publishing settings (SITEURL must be the public address).")
    send.add_argument("--dry-run", action="store_true",
                      help="list what would be sent; fetch and send nothing")
    send.add_argument("--essay", metavar="SLUG", help="only this essay")
    send.set_defaults(func=cmd_send)


def cmd_send(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.table import Table

    from .. import settings as colloquy_settings
    from ..config import load_site_settings
    from ..slugs import is_folder_name, site_entries
    from ..store import Store, default_store_path
    from ..urls import SiteUrls
    from . import fetch, send

    settings = load_site_settings(args.settings)
    cfg = colloquy_settings.resolve(settings)
    site_url = (settings.get("SITEURL") or "").rstrip("/")
    if not site_url.startswith(("http://", "https://")):
        raise ColloquyError("SITEURL is empty: webmentions name the essays' public "
                            "addresses. Run with the publishing settings, e.g. `colloquy "
                            "--settings publishconf.py webmention send`")
    output = settings.get("OUTPUT_PATH") or "output"
    urls = SiteUrls(settings)
    essays = site_entries(settings, kinds=("essay",))
    found = send.sources(output, colloquy_settings.comments_root(settings), site_url, urls,
                         essays, args.essay)
    if args.essay and not found:
        where = f"{output}/{urls.essay(args.essay, 'essay')}" if is_folder_name(args.essay) \
            else output
        raise ColloquyError(f"no built essay '{args.essay}' at {where}; build the site "
                            "first, or check the slug")
    console = Console()
    with Store(default_store_path(settings)) as store:
        jobs = send.plan(store, found)
        if not jobs:
            console.print(f"Nothing new to send: {len(found)} source(s) checked, every link "
                          "already notified.")
            return 0
        if args.dry_run:
            table = Table(title=f"Would send {len(jobs)} webmention(s)")
            for column in ("source", "target", "why"):
                table.add_column(column, overflow="fold")
            for job in jobs:
                table.add_row(job.source.url, job.target, job.reason)
            console.print(table)
            return 0
        limits = fetch.Limits.from_settings(cfg)
        concurrency = int(cfg["COLLOQUY_WEBMENTION_CONCURRENCY"])
        results = asyncio.run(_run(store, jobs, limits, concurrency, console))
    table = Table(title=f"Webmentions: {len(results)} target(s)")
    for column in ("source", "target", "outcome", "endpoint"):
        table.add_column(column, overflow="fold")
    for result in sorted(results, key=lambda r: (r.job.source.url, r.job.target)):
        outcome = result.outcome + (f" ({result.detail})" if result.detail else "")
        if not result.job.linked:
            outcome += ", link removed"
        table.add_row(result.job.source.url, result.job.target, outcome, result.endpoint or "")
    console.print(table)
    errors = sum(r.outcome == "error" for r in results)
    if errors:
        print(f"{errors} send(s) failed; they are tried again on the next run.",
              file=sys.stderr)
    return 1 if errors else 0


async def _run(store, jobs, limits, concurrency, console):
    from rich.progress import Progress

    from . import send

    if len(jobs) < PROGRESS_FROM or not console.is_terminal:
        return await send.send_all(store, jobs, limits, concurrency)
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task("Sending webmentions", total=len(jobs))
        return await send.send_all(store, jobs, limits, concurrency,
                                   progress=lambda: progress.advance(task))
