"""The `colloquy` command. Library errors become one-line messages here, at the edge."""

from __future__ import annotations

import argparse
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
    return read_settings(str(path))


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


def cmd_build(args) -> int:
    """Build the site once (pelican with this site's settings)."""
    return subprocess.call([sys.executable, "-m", "pelican", "-s", args.settings])


def cmd_dev(args) -> int:
    """Build, then rebuild on change and serve the site on loopback."""
    if cmd_build(args) != 0:
        return 1
    command = [sys.executable, "-m", "pelican", "-s", args.settings, "--autoreload",
               "--listen", "--bind", args.host, "--port", str(args.port)]
    print(f"Serving http://{args.host}:{args.port}/ (Ctrl-C to stop)")
    try:
        return subprocess.call(command)
    except KeyboardInterrupt:
        return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="colloquy", description=__doc__)
    parser.add_argument("--settings", default="pelicanconf.py",
                        help="the site's Pelican settings file (default: pelicanconf.py)")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    check = commands.add_parser("check", help="list every problem in comment files")
    check.set_defaults(func=cmd_check)

    build = commands.add_parser("build", help="build the site once")
    build.set_defaults(func=cmd_build)

    dev = commands.add_parser("dev", help="build, serve on loopback, rebuild on change")
    dev.add_argument("--host", default="127.0.0.1")
    dev.add_argument("--port", type=int, default=8000)
    dev.set_defaults(func=cmd_dev)

    from .importers.command import register as register_import

    register_import(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except ColloquyError as exc:
        print(f"colloquy: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
