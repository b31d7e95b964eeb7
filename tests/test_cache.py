"""Warm builds skip unchanged pages, and never keep one a cold build would write differently."""

from __future__ import annotations

import io
import pickle
import struct

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


def test_a_damaged_bundle_is_prepared_again_not_shown_wrong(site):
    """A bundle file cut short, emptied or replaced by something else (a crash, a full disk,
    a foreign file) only costs the next build the time of preparing that folder again."""
    site.essay("slow")
    site.comment("slow", "a0", author="Ines", body="The first words of a careful reply.")
    site.comment("slow", "a1", author="Jonas", body="An answer to it.", reply_to="a0")
    site.build()
    bundle = site.cache / "colloquy" / "slow.pickle"
    whole = bundle.read_bytes()
    for damaged in (whole[: len(whole) // 2], whole[:5], b"", b"\x80\x05garbage" * 40):
        bundle.write_bytes(damaged)
        site.comment("slow", "a2", author="Mara", body=f"Written after {len(damaged)} bytes.")
        site.build()
        page = site.html("essays/slow/index.html")
        authors = [a.text_content() for a in page.cssselect(".comment .author")]
        assert authors == ["Ines", "Jonas", "Mara"], len(damaged)
        thread = site.html("essays/slow/threads/a0/index.html")
        assert len(thread.cssselect(".reply-here")) == 2
        (site.content / "comments" / "slow" / "a2.md").unlink()


def test_a_bundle_cut_short_behind_an_intact_summary_is_not_reused(site):
    """The summary comes first in a bundle file: when only what follows it is damaged,
    the folder's files are unchanged and the summary still matches them, yet the threads
    cannot be read. The folder is prepared again rather than shown empty."""
    site.essay("slow")
    site.comment("slow", "a0", author="Ines", body="The first words of a careful reply.")
    site.build()
    bundle = site.cache / "colloquy" / "slow.pickle"
    whole = bundle.read_bytes()
    for cut in (len(whole) - 3, len(whole) // 2):
        bundle.write_bytes(whole[:cut])
        site.build()
        page = site.html("essays/slow/index.html")
        assert [a.text_content() for a in page.cssselect(".comment .author")] == ["Ines"], cut
        assert site.html("essays/slow/threads/a0/index.html").cssselect("#reply-a0")


def test_a_bundle_damaged_inside_does_not_fail_the_build(site):
    """Damage that keeps the file's length (a disk's, not ours: bundles are written whole
    and renamed into place) cannot be seen without reading every bundle in full on every
    build. The build still succeeds; touching the folder's files (or deleting the cache
    folder) prepares it again."""
    site.essay("slow")
    site.comment("slow", "a0", author="Ines", body="The first words of a careful reply.")
    site.build()
    bundle = site.cache / "colloquy" / "slow.pickle"
    whole = bundle.read_bytes()
    bundle.write_bytes(whole[: len(whole) // 2] + b"\x00" * (len(whole) - len(whole) // 2))
    site.build()
    assert site.html("essays/slow/index.html").cssselect("#conversation")
    site.comment("slow", "a0", author="Ines", body="The first words, edited.")
    site.build()
    page = site.html("essays/slow/index.html")
    assert "edited" in page.cssselect("#c-a0 .comment-body")[0].text_content()


def test_a_bundle_with_parts_of_the_wrong_kind_does_not_fail_the_build(site):
    """Well-formed pickles of the wrong kind where a bundle's excerpts and the essay page's
    threads belong (damage that no length check sees) are read as missing: the build
    succeeds, the digest still lists the thread, and the comment files are untouched."""
    site.essay("slow")
    site.comment("slow", "a0", author="Ines",
                 body="The first words of a careful reply, and a few more of them.")
    site.build()
    assert "careful reply" in site.html("digest/2026-w36/index.html").text_content()
    bundle = site.cache / "colloquy" / "slow.pickle"
    data = bundle.read_bytes()
    header = struct.Struct("<QQQ")
    excerpts_at, page_at, _ = header.unpack(data[:header.size])
    rest = io.BytesIO(data)
    rest.seek(page_at)
    pickle.load(rest)                       # the essay page's part; the comments follow
    wrong = [pickle.dumps(["not", "excerpts"]), pickle.dumps(("not", "a page", "part"))]
    body = data[header.size:excerpts_at] + wrong[0] + wrong[1] + data[rest.tell():]
    page_at = excerpts_at + len(wrong[0])
    bundle.write_bytes(header.pack(excerpts_at, page_at, header.size + len(body)) + body)
    site.build()
    digest = site.html("digest/2026-w36/index.html").text_content()
    assert "Ines" in digest and "careful reply" not in digest
    assert site.html("essays/slow/index.html").cssselect("#conversation")
    assert (site.content / "comments" / "slow" / "a0.md").exists()


def test_a_copy_of_the_site_taken_before_another_build_gets_the_new_thread_pages(site):
    """`colloquy build` writes into a copy of the site taken when it starts. When another
    build (`colloquy dev` rebuilding on the new file) rewrites the site in place meanwhile,
    the shared cache records the new pages: the copy's older thread page must not pass
    for one of them, or the approved reply is missing from its thread page."""
    import lxml.html
    import shutil

    site.essay("slow")
    site.comment("slow", "a0", author="Ines", body="The first words of a careful reply.")
    site.build()
    copy = site.output.parent / "copy"
    shutil.copytree(site.output, copy)           # what builds.py starts from
    site.comment("slow", "a1", author="Jonas", body="A reply approved now.", reply_to="a0")
    site.build()                                  # the in-place build, first to finish
    site.build(OUTPUT_PATH=str(copy))             # the build into the older copy
    for page in ("essays/slow/index.html", "essays/slow/threads/a0/index.html"):
        html = lxml.html.fromstring((copy / page).read_bytes())
        assert [a.text_content() for a in html.cssselect(".comment .author")] == [
            "Ines", "Jonas"], page
    feed = (copy / "essays/slow/threads/a0/feed.atom.xml").read_text(encoding="utf-8")
    assert "Jonas replied to Ines" in feed
