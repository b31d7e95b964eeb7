"""Importers: bring an old blog's conversations over, completely and only once.

The flow runs one way, one module a step:

1. a format module (`wordpress`, `disqus`, `isso`, `webmention`, `staticman`,
   `commento`, `pcs`) reads its export with `inputs` (safe bytes, gzip, JSON, YAML, XML
   through `xmlsafe`) into `items.Item`s and, for WordPress, `items.EntryFile`s, matching
   threads to the site's essays and pages through `essays.Site`;
2. `plan.plan()` validates the items and builds the whole import in memory: ids,
   reply structure, dates, length caps, what was imported before, what is pending;
3. `write.apply()` writes it: files atomically under content/, pending rows into the
   intake store; `--dry-run` stops before;
4. `report.Report` records every item skipped, queued or changed, and why, and is
   written as JSON whatever happens after reading.

`export` writes the site back out as WordPress WXR 1.2.
"""

from __future__ import annotations

from datetime import datetime, timezone
from importlib import import_module
from pathlib import Path

from ..errors import ColloquyError
from .essays import EssayIndex, Site
from .items import EntryFile, ImportFileError, Item, make_id, parse_date
from .plan import Plan, plan
from .report import Report
from .write import apply

FORMATS = ("wordpress", "disqus", "isso", "webmention", "staticman", "commento", "pcs")


def run(source: str, path: str | Path, settings: dict, dry_run: bool = False,
        report_path: str | Path | None = None) -> Report:
    """Read an export of `source` format at `path` into the site of `settings`.

    The report is written to `report_path`, by default var/imports/<format>-<time>.json
    under the site's folder (also for a dry run: it is what the author reads).
    """
    if source not in FORMATS:
        raise ColloquyError(f"unknown import format '{source}'; use one of: {', '.join(FORMATS)}")
    module = import_module(f".{source}", __name__)
    site = Site(settings)
    report = Report(source=source, path=str(path), dry_run=dry_run)
    items, entries = module.read(Path(path), site, report)
    result = plan(source, items, site, report, entries)
    target = Path(report_path) if report_path else default_report_path(site, source)
    try:
        apply(result, site, report, dry_run)
    finally:
        unwritten = _write_report(report, target)  # also when writing content failed
    if unwritten:
        raise ColloquyError(f"{target}: cannot write the import report ({unwritten}); the "
                            "import itself is done (running it again adds nothing); give "
                            "--report a path you can write to, to see what it did")
    return report


def _write_report(report: Report, target: Path) -> str:
    """Write the report; the reason it could not be written, or ""."""
    try:
        report.write(target)
    except OSError as exc:
        return exc.strerror or str(exc)
    return ""


def default_report_path(site: Site, source: str) -> Path:
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
    return site.var_path(f"var/imports/{source}-{stamp}.json")


__all__ = ["FORMATS", "EntryFile", "EssayIndex", "ImportFileError", "Item", "Plan", "Report",
           "Site", "apply", "make_id", "parse_date", "plan", "run"]
