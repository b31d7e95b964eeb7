"""The `colloquy` command. Library errors become one-line messages here, at the edge."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

from .errors import ColloquyError


def load_site_settings(settings_file: str = "pelicanconf.py") -> dict:
    """Pelican's settings for this site, as `pelican` itself would read them."""
    from pelican.settings import read_settings

    path = Path(settings_file)
    if not path.exists():
        raise ColloquyError(f"{settings_file} not found; run colloquy from the site's folder "
                            "or pass --settings PATH")
    settings = read_settings(str(path))
    # Where the site lives, for var/ paths (store, secret) and for rebuilds.
    settings.setdefault("COLLOQUY_SITE_DIR", str(path.resolve().parent))
    settings["colloquy_settings_file"] = str(path.resolve())
    return settings


def cmd_check(args) -> int:
    """List every problem in comment files; exit 1 if there is any."""
    from .checks import check_site
    from .plugin import display_path

    settings = load_site_settings(args.settings)
    problems = check_site(settings)
    for problem in problems:
        kind = "error" if problem.fatal else "warning"
        print(f"{display_path(problem.path)}:{problem.line}: {kind}: "
              f"{problem.problem}; {problem.fix}")
    if problems:
        print(f"{len(problems)} problem(s) found.", file=sys.stderr)
        return 1
    print("No problems found.")
    return 0


def cmd_explain(args) -> int:
    """Print how one comment's substance score was made, term by term."""
    from .digest import load_site
    from .substance import explain

    site = load_site(load_site_settings(args.settings))
    for conversation in site.conversations.values():
        comment = conversation.by_id.get(args.id)
        if comment is not None:
            print(explain(comment))
            return 0
    raise ColloquyError(f"no comment has the id '{args.id}'; an id is a comment file's name "
                        "without .md, under content/comments/<essay>/")


def cmd_digest_draft(args) -> int:
    """Write content/digests/<yyyy>-w<ww>.md prefilled with the week's material."""
    from .digest import draft
    from .plugin import display_path

    target, backup, week = draft(load_site_settings(args.settings), args.week, args.force)
    if backup:
        print(f"Kept your previous words in {display_path(str(backup))}.")
    print(f"Wrote {display_path(str(target))} for week {week.key} ({week.span}). Edit it in your "
          "own words, then build: they lead the week's digest page and feed entry.")
    return 0


def cmd_build(args) -> int:
    """Build the site once (pelican with this site's settings)."""
    return subprocess.call([sys.executable, "-m", "pelican", "-s", args.settings])


def cmd_dev(args) -> int:
    """Build, rebuild on change (pelican --autoreload), and serve the site with the comment
    intake on loopback (colloquy serve), so reply forms work out of the box."""
    if cmd_build(args) != 0:
        return 1
    from .server import cmd_serve

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
    parser = argparse.ArgumentParser(prog="colloquy", description=__doc__)
    parser.add_argument("--settings", default="pelicanconf.py",
                        help="the site's Pelican settings file (default: pelicanconf.py)")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    check = commands.add_parser("check", help="list every problem in comment, essay and digest files")
    check.set_defaults(func=cmd_check)

    explain = commands.add_parser("explain", help="show how a comment's substance score is made")
    explain.add_argument("id", help="the comment's id (its file name without .md)")
    explain.set_defaults(func=cmd_explain)

    digest = commands.add_parser("digest", help="the weekly digest")
    digest_commands = digest.add_subparsers(dest="digest_command", required=True,
                                            metavar="COMMAND")
    draft = digest_commands.add_parser(
        "draft", help="write content/digests/<yyyy>-w<ww>.md prefilled, for you to edit")
    draft.add_argument("--week", metavar="yyyy-Www",
                       help="the ISO week, e.g. 2026-W37 (default: the last week that ended)")
    draft.add_argument("--force", action="store_true",
                       help="replace an existing file (the old one is kept as a .bak)")
    draft.set_defaults(func=cmd_digest_draft)

    build = commands.add_parser("build", help="build the site once")
    build.set_defaults(func=cmd_build)

    dev = commands.add_parser("dev", help="build, serve on loopback, rebuild on change")
    dev.add_argument("--host", default="127.0.0.1")
    dev.add_argument("--port", type=int, default=8000)
    _serve_options(dev, access_log=True)
    dev.set_defaults(func=cmd_dev)

    serve = commands.add_parser("serve", help="serve the built site and the comment intake")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    _serve_options(serve, access_log=False)
    serve.set_defaults(func=_lazy("server", "cmd_serve"))

    pending = commands.add_parser("pending", help="list comments waiting for moderation")
    pending.add_argument("--essay", help="only this essay (slug)")
    pending.add_argument("--full", action="store_true", help="show whole comments")
    pending.add_argument("--json", action="store_true", help="machine-readable output")
    pending.set_defaults(func=_lazy("moderation", "cmd_pending"))

    approve = commands.add_parser("approve", help="publish pending comments")
    approve.add_argument("ids", nargs="+", metavar="ID")
    approve.add_argument("--rebuild", action=argparse.BooleanOptionalAction, default=None,
                         help="rebuild the site afterwards (default: COLLOQUY_REBUILD)")
    approve.set_defaults(func=_lazy("moderation", "cmd_approve"))

    reject = commands.add_parser("reject", help="reject pending comments")
    reject.add_argument("ids", nargs="+", metavar="ID")
    reject.set_defaults(func=_lazy("moderation", "cmd_reject"))

    purge = commands.add_parser("purge", help="erase e-mail/IP addresses past retention")
    purge.set_defaults(func=_lazy("moderation", "cmd_purge"))

    from .importers.command import register as register_import
    from .notify.commands import add_commands as add_notify_commands

    register_import(commands)
    add_notify_commands(commands)
    return parser


def _lazy(module: str, name: str):
    """A command whose module (and its imports: starlette, uvicorn) loads only when run."""
    def run(args) -> int:
        from importlib import import_module

        return getattr(import_module(f"{__package__}.{module}"), name)(args)
    return run


def _serve_options(parser, access_log: bool) -> None:
    parser.add_argument("--access-log", action=argparse.BooleanOptionalAction,
                        default=access_log, help="log every request")
    parser.add_argument("--log-level", default="info",
                        choices=["critical", "error", "warning", "info", "debug"])


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
