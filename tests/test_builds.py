"""A failed build never reaches readers (#9): builds go to a fresh folder, swapped in whole."""

from __future__ import annotations

import threading
import time

import httpx
import pytest

from colloquy import builds
from colloquy.cli import main
from colloquy.config import load_site_settings
from colloquy.moderation import Rebuilder
from intake_support import SECRET, running_app, site_settings_file

BROKEN = "{% extends 'base.html' %}{% block content %}{{ article.title | no_such_filter }}" \
         "{% endblock %}"


@pytest.fixture
def built(site, monkeypatch):
    """A real site built once through `colloquy build`, with its settings file."""
    monkeypatch.setenv("COLLOQUY_SECRET", SECRET)
    monkeypatch.delenv("COLLOQUY_ENV", raising=False)
    site.essay("on-listening", title="On Listening")
    site.comment("on-listening", "20260902-100000-aaaaaa", body="First words.")
    overrides = site.root / "overrides"
    overrides.mkdir()
    conf = site_settings_file(site, THEME_TEMPLATES_OVERRIDES=[str(overrides)])
    assert main(["--settings", str(conf), "build"]) == 0
    return site, conf, overrides


def essay_page(site) -> bytes:
    return (site.output / "essays" / "on-listening" / "index.html").read_bytes()


def test_a_failing_build_leaves_the_served_site_intact(built, capsys):
    site, conf, overrides = built
    before = essay_page(site)
    settings = load_site_settings(str(conf))
    (overrides / "article.html").write_text(BROKEN)
    site.comment("on-listening", "20260903-100000-bbbbbb", body="Second words.")
    with running_app(settings) as (base, _):
        assert main(["--settings", str(conf), "build"]) == 1
        served = httpx.get(f"{base}/essays/on-listening/")
    assert served.status_code == 200 and "First words." in served.text
    assert essay_page(site) == before
    assert not (site.root / ".output.next").exists()
    record = builds.last_failure(settings)
    assert record and "no_such_filter" in record["cause"]
    assert "the build failed" in capsys.readouterr().err
    # `colloquy check` and `colloquy pending` say so until a build succeeds.
    assert main(["--settings", str(conf), "check"]) == 1
    assert "The last build failed" in capsys.readouterr().out
    assert main(["--settings", str(conf), "pending"]) == 0
    assert "no_such_filter" in capsys.readouterr().out
    (overrides / "article.html").unlink()
    assert main(["--settings", str(conf), "build"]) == 0
    assert b"Second words." in essay_page(site)
    assert builds.last_failure(settings) is None
    capsys.readouterr()
    assert main(["--settings", str(conf), "pending"]) == 0
    assert "last build failed" not in capsys.readouterr().out


def test_publishing_with_delete_output_directory_never_empties_the_served_site(built):
    site, conf, overrides = built
    (site.output / ".git").mkdir()
    (site.output / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    (site.output / "stale.html").write_text("from an old build")
    publish = site_settings_file(site, THEME_TEMPLATES_OVERRIDES=[str(overrides)],
                                 DELETE_OUTPUT_DIRECTORY=True, OUTPUT_RETENTION=[".git"])
    (overrides / "article.html").write_text(BROKEN)
    assert main(["--settings", str(publish), "build"]) == 1
    assert (site.output / "stale.html").exists() and b"First words." in essay_page(site)
    (overrides / "article.html").unlink()
    assert main(["--settings", str(publish), "build"]) == 0
    assert not (site.output / "stale.html").exists()  # a clean build, as asked
    assert (site.output / ".git" / "HEAD").read_text() == "ref: refs/heads/main\n"
    assert b"First words." in essay_page(site)


def test_readers_get_a_whole_site_throughout_a_swap(built):
    site, conf, _ = built
    settings = load_site_settings(str(conf))
    statuses: list[int] = []
    done = threading.Event()
    with running_app(settings) as (base, _):
        def read():
            with httpx.Client(base_url=base) as client:
                while not done.is_set():
                    statuses.append(client.get("/essays/on-listening/").status_code)
                    statuses.append(client.get("/").status_code)

        reader = threading.Thread(target=read)
        reader.start()
        try:
            for number in range(2):
                site.comment("on-listening", f"2026090{4 + number}-100000-cccccc",
                             body=f"More words {number}.")
                assert builds.build(settings, echo=False)
        finally:
            done.set()
            reader.join(timeout=10)
    assert statuses and set(statuses) == {200}
    assert b"More words 1." in essay_page(site)


def test_the_servers_background_rebuild_keeps_the_site_when_it_fails(built):
    site, conf, overrides = built
    settings = load_site_settings(str(conf))
    before = essay_page(site)
    (overrides / "article.html").write_text(BROKEN)
    Rebuilder(settings).request()
    deadline = time.monotonic() + 60
    while builds.last_failure(settings) is None:
        assert time.monotonic() < deadline, "the background rebuild never finished"
        time.sleep(0.1)
    assert essay_page(site) == before


def test_swap_puts_the_new_folder_in_place_and_the_old_one_aside(tmp_path):
    output, fresh = tmp_path / "output", tmp_path / ".output.next"
    output.mkdir()
    (output / "old.html").write_text("old")
    fresh.mkdir()
    (fresh / "new.html").write_text("new")
    builds.swap(fresh, output)
    assert [p.name for p in output.iterdir()] == ["new.html"]
    assert [p.name for p in fresh.iterdir()] == ["old.html"]


def test_a_hostile_comment_from_a_trusted_commenter_cannot_take_the_site_down(site, monkeypatch):
    """#9's first case, end to end: an auto-approved comment full of characters XML cannot
    carry, a background rebuild, and the site still answers with the comment shown."""
    from colloquy import tokens
    from colloquy.moderation import comments_root, publish
    from colloquy.store import Limits, Store, Submission, default_store_path

    monkeypatch.setenv("COLLOQUY_SECRET", SECRET)
    monkeypatch.delenv("COLLOQUY_ENV", raising=False)
    site.essay("on-listening", title="On Listening")
    conf = site_settings_file(site, COLLOQUY_REBUILD=True, COLLOQUY_AUTO_APPROVE_AFTER=1,
                              AUTHOR="Mara Ellison")
    assert main(["--settings", str(conf), "build"]) == 0
    settings = load_site_settings(str(conf))
    with Store(default_store_path(settings)) as store:  # a commenter the author trusts
        with store.transaction():
            first, _ = store.intake(Submission("on-listening", "Ada", "An earlier reply.",
                                               email="ada@example.org"), Limits(), time.time())
        publish(store, comments_root(settings), first)
    hostile = "Bell\x07 escape\x1b[2J vt\x0b ff\x0c soh\x01 \ufffe\uffff end"
    with running_app(settings) as (base, _):
        token = tokens.issue(SECRET.encode(), "on-listening", issued=time.time() - 10)
        answer = httpx.post(f"{base}/intake/comments", json={
            "essay": "on-listening", "author": "Ada\x00\x1b", "email": "ada@example.org",
            "body": hostile, "token": token})
        assert answer.status_code == 202 and answer.json()["status"] == "published"
        deadline = time.monotonic() + 90
        while b"escape[2J" not in essay_page(site):
            assert builds.last_failure(settings) is None, builds.last_failure(settings)
            assert time.monotonic() < deadline, "the background rebuild never showed it"
            time.sleep(0.2)
        assert httpx.get(f"{base}/").status_code == 200
        page = httpx.get(f"{base}/essays/on-listening/")
    assert page.status_code == 200 and "Bell escape[2J vt ff soh" in page.text
    import feedparser

    feed = feedparser.parse((site.output / "feeds" / "comments.atom.xml").read_bytes())
    assert not feed.bozo and any("escape[2J" in e.summary for e in feed.entries)
