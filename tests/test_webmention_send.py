"""`colloquy webmention send` on a built site, against the discovery reproductions."""

from __future__ import annotations

import pytest
from intake_support import site_settings_file
from test_webmention_discover import EXPECTED, serve_cases, target_of
from webmention_support import Answer, reader_site

from colloquy.cli import main

SITEURL = "https://essays.example"


def essay_body(reader, numbers, extra: str = "") -> str:
    links = " ".join(f"[case {n}]({reader.url}{target_of(n)})" for n in numbers)
    return (f"An essay that links to other people's writing: {links}. "
            f"[Our own page]({SITEURL}/essays/other/) is not notified. {extra}")


@pytest.fixture
def world(site, monkeypatch):
    monkeypatch.setenv("COLUMNS", "250")  # rich: one table row a line
    with reader_site() as reader:
        serve_cases(reader)
        for path in EXPECTED.values():
            if path != "/test/15":
                reader.pages[path] = Answer(202, "Accepted", {"content-type": "text/plain"})
        reader.pages["/test/11/webmention/error"] = Answer(202, "wrong endpoint")
        yield site, reader


def run(conf, *args) -> int:
    return main(["--settings", str(conf), "webmention", "send", *args])


def posts(reader) -> list[tuple[str, dict]]:
    from urllib.parse import parse_qs

    return [(path, {k: v[0] for k, v in parse_qs(body.decode()).items()})
            for method, path, _, body in reader.requests if method == "POST"]


def test_send_notifies_each_link_once_and_only_what_changed(world, capsys):
    site, reader = world
    numbers = sorted(EXPECTED)
    site.essay("linking-out", body=essay_body(reader, numbers))
    site.build()
    conf = site_settings_file(site, SITEURL=SITEURL, COLLOQUY_WEBMENTION_ALLOW_PRIVATE=True)
    source = f"{SITEURL}/essays/linking-out/"

    assert run(conf) == 0
    sent = posts(reader)
    assert sorted(path for path, _ in sent) == sorted(EXPECTED[n] for n in numbers)
    assert all(form == {"source": source, "target": reader.url + target_of(n)}
               for n in numbers for path, form in sent if path == EXPECTED[n])
    assert not any("error" in path for path, _ in sent)
    out = capsys.readouterr().out
    assert "Webmentions: 23 target(s)" in out and "sent (202)" in out

    reader.requests.clear()
    assert run(conf) == 0
    assert posts(reader) == [] and "Nothing new to send" in capsys.readouterr().out

    # An edited essay sends again; a removed link is sent once more, then never.
    site.essay("linking-out", body=essay_body(reader, numbers[1:], extra="Now edited."))
    site.build()
    reader.requests.clear()
    assert run(conf) == 0
    assert len(posts(reader)) == 23
    assert ("/test/1/webmention", {"source": source, "target": reader.url + "/test/1"}) \
        in posts(reader)
    assert "link removed" in capsys.readouterr().out
    reader.requests.clear()
    assert run(conf) == 0
    assert posts(reader) == []


def test_dry_run_and_one_essay(world, capsys):
    site, reader = world
    site.essay("first", body=essay_body(reader, [3]))
    site.essay("second", body=essay_body(reader, [4]))
    site.build()
    conf = site_settings_file(site, SITEURL=SITEURL, COLLOQUY_WEBMENTION_ALLOW_PRIVATE=True)
    assert run(conf, "--dry-run") == 0
    out = capsys.readouterr().out
    assert "Would send 2 webmention(s)" in out and "new link" in out
    assert reader.requests == []
    assert run(conf, "--essay", "second") == 0
    assert [path for path, _ in posts(reader)] == ["/test/4/webmention"]
    assert run(conf, "--essay", "missing") == 2
    assert "no built essay 'missing'" in capsys.readouterr().err


def test_the_authors_replies_that_link_out(world):
    site, reader = world
    site.essay("quiet", body="No links here.")
    site.comment("quiet", "c1", author="Mara Ellison", role="author",
                 body=f"See [this]({reader.url}/test/5).")
    site.comment("quiet", "c2", author="Reader", body=f"And [that]({reader.url}/test/6).")
    site.build()
    conf = site_settings_file(site, SITEURL=SITEURL, COLLOQUY_WEBMENTION_ALLOW_PRIVATE=True)
    assert run(conf) == 0
    assert posts(reader) == [("/test/5/webmention", {
        "source": f"{SITEURL}/essays/quiet/#c-c1", "target": f"{reader.url}/test/5"})]


def test_private_targets_are_skipped_by_default(world, capsys):
    site, reader = world
    site.essay("inner", body=essay_body(reader, [1]))
    site.build()
    conf = site_settings_file(site, SITEURL=SITEURL)
    assert run(conf) == 0
    assert reader.requests == []
    assert "skipped" in capsys.readouterr().out


def test_sending_needs_the_public_address(world, capsys):
    site, reader = world
    site.essay("x", body=essay_body(reader, [1]))
    site.build()
    conf = site_settings_file(site, SITEURL="")
    assert run(conf) == 2
    assert "SITEURL is empty" in capsys.readouterr().err


def test_a_long_run_on_a_terminal_shows_progress(world, monkeypatch, capsys):
    site, reader = world
    monkeypatch.setenv("FORCE_COLOR", "1")  # rich draws for a terminal
    numbers = [n for n in sorted(EXPECTED) if n <= 12]
    site.essay("many-links", body=essay_body(reader, numbers))
    site.build()
    conf = site_settings_file(site, SITEURL=SITEURL, COLLOQUY_WEBMENTION_ALLOW_PRIVATE=True)
    assert run(conf) == 0
    assert len(posts(reader)) == 12
    out = capsys.readouterr().out
    assert "Sending webmentions" in out and "\x1b[" in out
