"""`colloquy import FORMAT PATH` and `colloquy export wordpress OUT`: the commands,
kept beside the importers. Library code raises; only these functions print."""

from __future__ import annotations

from . import FORMATS

HELP = {
    "wordpress": "a WordPress export (WXR 1.0-1.2): essays, pages and their comments",
    "disqus": "a Disqus XML export (.xml or .xml.gz)",
    "isso": "an Isso SQLite database (comments.db)",
    "webmention": "a webmention.io JF2 (JSON) export",
    "staticman": "a Staticman data folder (YAML or JSON, one folder per page)",
    "commento": "a Commento or Commento++ JSON export (.json or .json.gz)",
    "pcs": "a pelican-comment-system comments folder",
}


def register(commands) -> None:
    """Add the `import` and `export` sub-commands to the CLI's sub-parsers."""
    parser = commands.add_parser(
        "import", help="bring comments (and WordPress essays and pages) over from another system",
        description="Import an export into this site. Everything is read and checked "
                    "before anything is written; running it again adds nothing new. Every "
                    "run writes a JSON report naming each item skipped, queued or changed.",
        epilog="formats: " + "; ".join(f"{name}: {HELP[name]}" for name in FORMATS))
    parser.add_argument("format", choices=FORMATS, metavar="FORMAT",
                        help="one of: " + ", ".join(FORMATS))
    parser.add_argument("path", metavar="PATH", help="the export file or folder")
    parser.add_argument("--dry-run", action="store_true",
                        help="read, check and report, but write nothing under content/")
    parser.add_argument("--report", metavar="FILE",
                        help="write the full JSON report here (default: "
                             "var/imports/<format>-<time>.json)")
    parser.set_defaults(func=cmd_import)

    export = commands.add_parser(
        "export", help="write the site's essays, pages and conversations for another system",
        description="Write the site out so it can move elsewhere: no one is locked in.")
    formats = export.add_subparsers(dest="export_format", required=True, metavar="FORMAT",
                                    help="the format to write: wordpress")
    wordpress = formats.add_parser(
        "wordpress", help="WordPress WXR 1.2, as Tools → Import → WordPress reads it",
        description="Write essays, pages and every comment file as WXR 1.2: threads, "
                    "kinds, dates with their offsets and approved state. Importing the "
                    "file with `colloquy import wordpress` gives the same conversations back.")
    wordpress.add_argument("out", metavar="OUT.xml", help="the file to write")
    wordpress.set_defaults(func=cmd_export_wordpress)


def _settings(args) -> dict:
    from ..config import load_site_settings

    return load_site_settings(args.settings)


def cmd_import(args) -> int:
    from . import run

    report = run(args.format, args.path, _settings(args), dry_run=args.dry_run,
                 report_path=args.report)
    print(report.render())
    return 0


def cmd_export_wordpress(args) -> int:
    from ..text import for_terminal
    from .export import export_wordpress

    summary = export_wordpress(_settings(args), args.out)
    print(for_terminal(summary))
    return 0
