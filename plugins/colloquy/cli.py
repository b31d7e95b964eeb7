"""The `colloquy` command: check, moderate, import and serve an essay site's conversations.

Library modules raise ColloquyError; this module alone turns them into one-line messages.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys

from . import __version__
from .config import load_site_settings
from .errors import ColloquyError, display_path

DESCRIPTION = ("Colloquy turns what readers write back into conversations on your Pelican "
               "essay site. Run it from the site's folder (the one holding pelicanconf.py).")
EPILOG = "Run 'colloquy COMMAND --help' to see what a command does and its options."


def cmd_check(args) -> int:
    """List every problem in comment files; exit 1 if there is any."""
    from .builds import failure_note
    from .checks import check_site

    settings = load_site_settings(args.settings)
    problems = check_site(settings)
    failed_build = failure_note(settings)  # a failed last build is a problem too
    for problem in problems:
        print(problem.show(severity=True))
    if failed_build:
        print(failed_build)
    if problems or failed_build:
        print(f"{len(problems) + bool(failed_build)} problem(s) found.", file=sys.stderr)
        return 1
    print("No problems found.")
    return 0


def cmd_explain(args) -> int:
    """Print how one comment's substance score was made, term by term."""
    from .site import load_site
    from .substance import explain
    from .text import for_terminal

    site = load_site(load_site_settings(args.settings))
    for conversation in site.conversations.values():
        comment = conversation.by_id.get(args.id)
        if comment is not None:
            print(for_terminal(explain(comment)))  # names and words a commenter wrote
            return 0
    raise ColloquyError(f"no comment has the id '{args.id}'; an id is a comment file's name "
                        "without .md, under content/comments/<essay>/")


def cmd_digest_draft(args) -> int:
    """Write content/digests/<yyyy>-w<ww>.md prefilled with the week's material."""
    from .site import draft

    target, backup, week = draft(load_site_settings(args.settings), args.week, args.force)
    if backup:
        print(f"Kept your previous words in {display_path(str(backup))}.")
    print(f"Wrote {display_path(str(target))} for week {week.key} ({week.span}). Edit it in your "
          "own words, then build: they lead the week's digest page and feed entry.")
    return 0


def cmd_digest_unfreeze(args) -> int:
    """Let the next build take a published week's selection afresh."""
    from .site import unfreeze

    path, week = unfreeze(load_site_settings(args.settings), args.week)
    print(f"Unfroze week {week.key} ({display_path(str(path))}): the next build takes its "
          "selection afresh, freezes it again and marks its feed entry updated.")
    return 0


def cmd_dev(args) -> int:
    """Build, rebuild on change (pelican --autoreload), and serve the site with the comment
    intake on loopback (colloquy serve), so reply forms work out of the box."""
    from .builds import cmd_build
    from .server import cmd_serve

    if cmd_build(args) != 0:
        return 1

    command = [sys.executable, "-m", "pelican", "-s", args.settings, "--autoreload"]
    watcher = subprocess.Popen(command)
    try:
        return cmd_serve(args)
    except KeyboardInterrupt:
        return 0
    finally:
        watcher.terminate()
        try:
            watcher.wait(timeout=10)
        except subprocess.TimeoutExpired:
            watcher.kill()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="colloquy", description=DESCRIPTION, epilog=EPILOG)
    parser.add_argument("--version", action="version", version=f"colloquy {__version__}")
    parser.add_argument("--settings", default="pelicanconf.py", metavar="FILE",
                        help="the site's Pelican settings file (default: pelicanconf.py)")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name, help, description, func=None):
        sub = commands.add_parser(name, help=help, description=description)
        if func is not None:
            sub.set_defaults(func=func)
        return sub

    command("check", "list every problem in comment, essay and digest files",
            "Read every comment file, essay and digest note as the build does and list "
            "each problem with its file, line and fix. Exits with status 1 if there is any.",
            cmd_check)
    explain = command(
        "explain", "show how a comment's substance score is made",
        "Print the terms of one comment's substance score: its own words, links, replies "
        "it drew, whether the author took part, and whether it is a response.", cmd_explain)
    explain.add_argument("id", metavar="ID", help="the comment's id (its file name without .md)")

    digest = command("digest", "the weekly digest",
                     "Work on the weekly digest of conversations.")
    digest_commands = digest.add_subparsers(dest="digest_command", required=True,
                                            metavar="COMMAND")
    draft = digest_commands.add_parser(
        "draft", help="write content/digests/<yyyy>-w<ww>.md prefilled, for you to edit",
        description="Write a week's digest note, prefilled with the week's threads, "
                    "responses, follow-ups and new voices as hidden notes for you, and a first "
                    "paragraph to rewrite in your own words.")
    draft.add_argument("--week", metavar="yyyy-Www",
                       help="the ISO week, e.g. 2026-W37 (default: the last week that ended)")
    draft.add_argument("--force", action="store_true",
                       help="replace an existing file (the old one is kept as a .bak)")
    draft.set_defaults(func=cmd_digest_draft)
    unfreeze = digest_commands.add_parser(
        "unfreeze", help="let the next build take a published week's selection afresh",
        description="A published week keeps the selection it was first built with "
        "(content/digests/<yyyy>-w<ww>.selection.json). Unfreeze it to have the next build "
        "select the week afresh from today's comments, freeze that, and mark the week's "
        "feed entry updated.")
    unfreeze.add_argument("week", metavar="yyyy-Www", help="the ISO week, e.g. 2026-W38")
    unfreeze.set_defaults(func=cmd_digest_unfreeze)

    command("build", "build the site once",
            "Build the site once into a fresh folder and swap it in for the output folder "
            "only if the build succeeded; a failed build leaves the site as it was.",
            _lazy("builds", "cmd_build"))
    dev = command("dev", "build, serve on this computer, rebuild on change",
                  "Build the site, rebuild it whenever a file changes, and serve it on this "
                  "computer, taking in comments, so reply forms work while you write.",
                  cmd_dev)
    _serve_options(dev, access_log=True)
    serve = command("serve", "serve the built site and take in comments from its forms",
                    "Serve the built site and take in comments from its reply forms; new "
                    "comments wait for your approval.", _lazy("server", "cmd_serve"))
    _serve_options(serve, access_log=False)

    pending = command("pending", "list comments waiting for moderation",
                      "List the comments waiting for your approval, oldest first.",
                      _lazy("moderation", "cmd_pending"))
    pending.add_argument("--essay", metavar="SLUG", help="only comments on this essay")
    pending.add_argument("--full", action="store_true", help="show whole comments")
    pending.add_argument("--json", action="store_true",
                         help="print JSON, for scripts, instead of text")
    approve = command("approve", "publish pending comments",
                      "Publish pending comments: each is written as a comment file under "
                      "content/comments/ and shows on the next build.",
                      _lazy("moderation", "cmd_approve"))
    approve.add_argument("ids", nargs="+", metavar="ID",
                         help="the id of a pending comment, as `colloquy pending` shows it")
    approve.add_argument("--rebuild", action=argparse.BooleanOptionalAction, default=None,
                         help="rebuild the site afterwards (default: COLLOQUY_REBUILD)")
    reject = command("reject", "reject pending comments",
                     "Reject pending comments: they are never published, and are deleted "
                     "after COLLOQUY_RETENTION_DAYS.", _lazy("moderation", "cmd_reject"))
    reject.add_argument("ids", nargs="+", metavar="ID",
                        help="the id of a pending comment, as `colloquy pending` shows it")
    command("purge", "erase e-mail and IP addresses past retention",
            "Erase the e-mail and IP addresses of comments moderated more than "
            "COLLOQUY_RETENTION_DAYS ago, and delete rejected comments that old.",
            _lazy("moderation", "cmd_purge"))

    from .importers.command import register as register_import
    from .notify.commands import add_commands as add_notify_commands

    register_import(commands)
    from .webmention.commands import add_commands as add_webmention_commands

    add_webmention_commands(commands)
    add_notify_commands(commands)
    return parser


def _lazy(module: str, name: str):
    """A command whose module (and its imports: starlette, uvicorn) loads only when run."""
    def run(args) -> int:
        from importlib import import_module

        return getattr(import_module(f"{__package__}.{module}"), name)(args)
    return run


def _serve_options(parser, access_log: bool) -> None:
    parser.add_argument("--host", default="127.0.0.1",
                        help="the address to listen on (default: 127.0.0.1, this computer only)")
    parser.add_argument("--port", type=int, default=8000,
                        help="the port to listen on (default: 8000)")
    parser.add_argument("--access-log", action=argparse.BooleanOptionalAction,
                        default=access_log, help="log every request")
    parser.add_argument("--log-level", default="info",
                        choices=["critical", "error", "warning", "info", "debug"],
                        help="how much the server logs (default: info)")


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except ColloquyError as exc:
        print(f"colloquy: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # `colloquy pending | head`: the reader left, nothing is wrong
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(main())
