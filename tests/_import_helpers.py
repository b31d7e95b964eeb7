"""Helpers shared by the tests of the importers (tests/test_import_*.py)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from colloquy.importers import run

FIXTURES = Path(__file__).parent / "fixtures" / "imports"


def run_import(site, fmt: str, path, dry_run: bool = False, report_path=None, **settings):
    return run(fmt, path, site.settings(**settings), dry_run=dry_run, report_path=report_path)


def comment_files(site) -> dict[str, str]:
    """`<essay>/<id>` -> file text, for every comment file under content/comments."""
    root = site.content / "comments"
    return {f"{p.parent.name}/{p.stem}": p.read_text(encoding="utf-8")
            for p in sorted(root.glob("*/*.md"))}


def header(text: str) -> dict[str, str]:
    head = text.split("\n\n", 1)[0]
    return dict(line.split(": ", 1) for line in head.splitlines())


def body(text: str) -> str:
    return text.split("\n\n", 1)[1].strip()


def pending_rows(site) -> list[dict]:
    path = site.root / "var" / "colloquy.sqlite3"
    if not path.exists():
        return []
    db = sqlite3.connect(path)
    db.row_factory = sqlite3.Row
    try:
        return [dict(row) for row in db.execute(
            "SELECT * FROM comments WHERE status = 'pending' ORDER BY id")]
    finally:
        db.close()


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file under root with its bytes: to prove nothing was written."""
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file()}


def isso_db(tmp_path: Path) -> Path:
    path = tmp_path / "comments.db"
    db = sqlite3.connect(path)
    db.executescript((FIXTURES / "isso.sql").read_text(encoding="utf-8"))
    db.commit()
    db.close()
    return path


def walking_site(site):
    """A site with the two essays the non-WordPress fixtures talk about."""
    site.essay("on-walking-slowly", title="On Walking Slowly", date="2019-04-02 10:30")
    site.essay("the-price-of-a-like", title="The Price of a Like", date="2019-05-01 10:30")
    return site


def replies_of(doc, comment_id: str) -> list[str]:
    """Ids of the direct replies shown under a comment on a built page."""
    items = doc.xpath(f'//article[@id="c-{comment_id}"]/../ol[contains(@class, "replies")]'
                      '/li/article/@id')
    return [i.removeprefix("c-") for i in items]


def named(report, reason_start: str) -> list:
    """The report's records whose reason starts so: every item is named, not counted."""
    return [r for r in report.records if r.reason.startswith(reason_start)]
