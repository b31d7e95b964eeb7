"""`colloquy import FORMAT PATH [--dry-run]`: the command, kept beside the importers."""

from __future__ import annotations

from . import FORMATS

HELP = {
    "wordpress": "a WordPress export (WXR 1.0-1.2): essays and their comments",
    "disqus": "a Disqus XML export",
    "isso": "an Isso SQLite database (comments.db)",
    "webmention": "a webmention.io JF2 (JSON) export",
    "staticman": "a Staticman data folder (YAML or JSON, one folder per page)",
    "commento": "a Commento or Commento++ JSON export (.json or .json.gz)",
    "pcs": "a pelican-comment-system comments folder",
}


def register(commands) -> None:
    """Add the `import` sub-command to the CLI's sub-parsers."""
    parser = commands.add_parser(
        "import", help="bring comments (and WordPress essays) over from another system",
        description="Import an export into this site. Everything is read and checked "
                    "before anything is written; running it again adds nothing new.",
        epilog="formats: " + "; ".join(f"{name}: {HELP[name]}" for name in FORMATS))
    parser.add_argument("format", choices=FORMATS, metavar="FORMAT",
                        help="one of: " + ", ".join(FORMATS))
    parser.add_argument("path", metavar="PATH", help="the export file or folder")
    parser.add_argument("--dry-run", action="store_true",
                        help="read, check and report, but write nothing")
    parser.set_defaults(func=cmd_import)


def cmd_import(args) -> int:
    from ..config import load_site_settings
    from . import run

    settings = load_site_settings(args.settings)
    report = run(args.format, args.path, settings, dry_run=args.dry_run)
    print(report.render())
    return 0
