"""The notification commands: `colloquy outbox` and `colloquy moderator ...`.

They open the store directly, so they work whether or not `colloquy serve` runs (SQLite
lets both at once); a retried message is sent by the server's sender within a second.
"""

from __future__ import annotations

import getpass
import sys
import time
from datetime import datetime, timezone

from ..errors import ColloquyError
from ..text import for_terminal
from . import moderator, outbox


def add_commands(commands) -> None:
    """Called once from cli.build_parser()."""
    box = commands.add_parser(
        "outbox", help="list mail waiting or failed; retry failed mail",
        description="List the notification mail waiting to be sent and what failed, with "
                    "the SMTP server's answer; queue failed mail again. `colloquy serve` "
                    "sends it (docs/notifications.md).")
    box.add_argument("--retry", nargs="*", type=int, metavar="ID",
                     help="queue failed messages again (all, or those ids)")
    box.add_argument("--all", action="store_true", help="list sent messages too")
    box.set_defaults(func=cmd_outbox)

    mod = commands.add_parser(
        "moderator", help="web moderation: password and private feed",
        description="Set the password of /moderation/ on `colloquy serve`, and show or "
                    "revoke the private moderation feed (docs/moderation.md).")
    sub = mod.add_subparsers(dest="moderator_command", required=True, metavar="COMMAND")
    password = sub.add_parser(
        "set-password", help="set the /moderation/ password",
        description="Set the password of /moderation/ (at least 10 characters), asked twice "
                    "or read from standard input with --stdin. It is stored as an scrypt "
                    "hash in the intake store; sessions made with the old one end.")
    password.add_argument("--stdin", action="store_true",
                          help="read the password from the first line of standard input")
    password.set_defaults(func=cmd_set_password)
    feed = sub.add_parser(
        "feed", help="show the private moderation feed's URL",
        description="Print the secret URL of the Atom feed of comments waiting for "
                    "moderation; --revoke makes a new one and the old one stops working.")
    feed.add_argument("--revoke", action="store_true",
                      help="make a new URL; the old one stops working at once")
    feed.set_defaults(func=cmd_feed)


def _open(args):
    from ..config import load_site_settings
    from ..store import Store, default_store_path

    settings = load_site_settings(args.settings)
    return settings, Store(default_store_path(settings))


def _when(seconds: float | None) -> str:
    if not seconds:
        return "-"
    return datetime.fromtimestamp(seconds, timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def cmd_outbox(args) -> int:
    _, store = _open(args)
    with store:
        if args.retry is not None:
            with store.transaction():
                count = outbox.retry(store.conn, time.time(), args.retry or None)
            print(f"Queued {count} failed message(s) again; `colloquy serve` sends them.")
            return 0
        rows = outbox.listing(store.conn, include_sent=args.all)
    if not rows:
        print("The outbox is empty: nothing is waiting and nothing has failed.")
        return 0
    print(f"{'id':>5}  {'status':8} {'kind':9} {'comment':24} {'tries':>5}  when / error")
    for row in rows:
        detail = _when(row["done"] if row["status"] != "waiting" else row["due"])
        if row["error"]:
            detail += "  " + for_terminal(row["error"])[:200]
        print(f"{row['id']:>5}  {row['status']:8} {row['kind']:9} {row['ref'][:24]:24} "
              f"{row['attempts']:>5}  {detail}")
    if any(row["status"] == "failed" for row in rows):
        print("Queue failed ones again with `colloquy outbox --retry`.")
    return 0


def cmd_set_password(args) -> int:
    if args.stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass("New moderator password: ")
        if getpass.getpass("Again: ") != password:
            raise ColloquyError("the two passwords differ; nothing was changed")
    if len(password) < moderator.MIN_PASSWORD:
        raise ColloquyError(f"the password is {len(password)} characters long; use at least "
                            f"{moderator.MIN_PASSWORD} (a few words are easy to type on a "
                            "phone)")
    _, store = _open(args)
    with store, store.transaction():
        moderator.set_password(store.conn, password)
    print("The moderator password is set; sessions logged in with the old one have ended. "
          "Log in at /moderation/ on `colloquy serve`.")
    return 0


def cmd_feed(args) -> int:
    settings, store = _open(args)
    with store, store.transaction():
        key = moderator.revoke_feed(store.conn) if args.revoke else \
            moderator.feed_key(store.conn, create=True)
    base = (settings.get("SITEURL") or "http://127.0.0.1:8000").rstrip("/")
    if args.revoke:
        print("The old feed URL no longer works. The new one:")
    print(f"{base}/moderation/feed/{key}.atom")
    print("Keep it private: anyone with it can read what waits for moderation.",
          file=sys.stderr)
    return 0
