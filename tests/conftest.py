"""Shared fixtures: real sites built by Pelican in a temporary folder."""

from __future__ import annotations

from pathlib import Path

import feedparser
import lxml.html
import pytest

REPO = Path(__file__).resolve().parents[1]
# Debian's Chromium, never a downloaded browser build (scripts/ensure-chromium installs it).
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]

ESSAY_BODY = "\n\n".join(
    "A paragraph about conversations worth having, written slowly and read slowly. " * 6
    for _ in range(3))


class Site:
    """A throwaway Colloquy site: write essays and comment files, build, read the output."""

    def __init__(self, root: Path):
        self.root = root
        self.content = root / "content"
        self.output = root / "output"
        self.cache = root / "cache"
        (self.content / "essays").mkdir(parents=True)
        (self.content / "comments").mkdir()

    def essay(self, slug: str, title: str | None = None, date: str = "2026-09-01 09:00",
              body: str = ESSAY_BODY, **meta: str) -> Path:
        lines = [f"Title: {title or slug.replace('-', ' ').title()}", f"Date: {date}",
                 f"Slug: {slug}", "Summary: A short summary."]
        lines += [f"{key.capitalize()}: {value}" for key, value in meta.items()]
        path = self.content / "essays" / f"{slug}.md"
        path.write_text("\n".join(lines) + "\n\n" + body + "\n", encoding="utf-8")
        return path

    def comment(self, essay: str, id: str, body: str = "A thoughtful reply.",
                author: str = "Reader", date: str = "2026-09-02T10:00:00+00:00",
                **keys: str) -> Path:
        header = {"id": id, "author": author, "date": date}
        header.update({key.replace("_", "-"): value for key, value in keys.items()})
        text = "".join(f"{k}: {v}\n" for k, v in header.items()) + "\n" + body + "\n"
        return self.raw(f"comments/{essay}/{id}.md", text.encode("utf-8"))

    def raw(self, relative: str, data: bytes) -> Path:
        path = self.content / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        return path

    def settings(self, **overrides):
        from pelican.settings import read_settings

        values = {"PATH": str(self.content), "OUTPUT_PATH": str(self.output),
                  "CACHE_PATH": str(self.cache), "THEME": str(REPO / "theme"),
                  "SITEURL": "https://essays.example", "COLLOQUY_WORKERS": 1,
                  "COLLOQUY_TAG_AUTHORITY": None}  # tests check the default
        values.update(overrides)
        return read_settings(str(REPO / "pelicanconf.py"), override=values)

    def build(self, **overrides) -> Path:
        from pelican import Pelican

        Pelican(self.settings(**overrides)).run()
        return self.output

    def html(self, relative: str):
        return lxml.html.fromstring((self.output / relative).read_bytes())

    def feed(self, relative: str):
        return feedparser.parse((self.output / relative).read_bytes())


@pytest.fixture
def site(tmp_path) -> Site:
    return Site(tmp_path / "site")


@pytest.fixture(scope="module")
def browser():
    """Headless Chromium through Playwright, one per test module."""
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed (scripts/ensure-chromium installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                              args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()
