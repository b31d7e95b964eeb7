"""Warm builds skip unchanged pages, and never keep one a cold build would write differently."""

from __future__ import annotations

from colloquy.cache import site_key, stable_repr

NOW = "2026-09-30T12:00:00+02:00"  # the comments' week has ended: its digest is published


def subtitle(site, relative: str) -> str:
    return site.html(relative).cssselect(".site-subtitle")[0].text_content()


def test_a_changed_setting_reaches_thread_and_digest_pages(site):
    site.essay("slow")
    site.comment("slow", "a0", author="Ines", body="A reply with enough words to be read. " * 3)
    pages = ["essays/slow/index.html", "essays/slow/threads/a0/index.html",
             "digest/2026-w36/index.html", "digest/index.html"]
    site.build(COLLOQUY_DIGEST_NOW=NOW, SITESUBTITLE="Before")
    assert [subtitle(site, page) for page in pages] == ["Before"] * 4
    site.build(COLLOQUY_DIGEST_NOW=NOW, SITESUBTITLE="After")
    assert [subtitle(site, page) for page in pages] == ["After"] * 4


def test_an_edited_template_reaches_thread_pages(site, tmp_path):
    import shutil

    from conftest import REPO

    theme = tmp_path / "theme"
    shutil.copytree(REPO / "theme", theme)
    site.essay("slow")
    site.comment("slow", "a0")
    site.build(THEME=str(theme))
    thread = site.output / "essays/slow/threads/a0/index.html"
    assert b"Edited theme" not in thread.read_bytes()
    base = theme / "templates" / "base.html"
    base.write_text(base.read_text().replace("</body>", "<p>Edited theme</p></body>"))
    site.build(THEME=str(theme))
    assert b"Edited theme" in thread.read_bytes()


def test_the_site_key_is_stable_and_sees_every_setting(tmp_path):
    (tmp_path / "page.html").write_text("{{ SITENAME }}")
    settings = {"SITENAME": "A", "JINJA_FILTERS": {"f": len}, "PLUGINS": [object],
                "OUTPUT_PATH": "/tmp/one"}
    key = site_key(settings, [tmp_path], "1")
    assert key == site_key(dict(settings, OUTPUT_PATH="/tmp/two"), [tmp_path], "1")
    assert key != site_key(dict(settings, SITENAME="B"), [tmp_path], "1")
    assert key != site_key(settings, [tmp_path], "2")
    (tmp_path / "page.html").write_text("{{ SITENAME }}!")
    assert key != site_key(settings, [tmp_path], "1")
    assert " at 0x" not in stable_repr(settings)
