"""Moderation: `colloquy pending`, `approve`, `reject`, `purge`, on a real store and site."""

from __future__ import annotations

import json
import time
from datetime import datetime, timezone

import pytest

from colloquy.cli import main
from colloquy.comments import Comment, parse_comment
from colloquy.store import Limits, Store, Submission, default_store_path
from intake_support import FakeSite, site_settings_file


@pytest.fixture
def fake(tmp_path) -> FakeSite:
    return FakeSite(tmp_path / "site")


def queue(store: Store, essay="first-essay", author="Ada", body="A thoughtful reply.",
          reply_to=None, email="ada@example.org", ip="192.0.2.44") -> str:
    with store.transaction():
        comment_id, _ = store.intake(Submission(essay, author, body, reply_to=reply_to,
                                                email=email, ip=ip, website=None),
                                     Limits(rate_limit=0), time.time())
    return comment_id


def run(conf, *argv) -> int:
    return main(["--settings", str(conf), *argv])


def test_pending_lists_each_comment_readably(fake, capsys):
    conf = fake.settings_file()
    fake.add_comment("first-essay", "20260902-100000-abcdef")
    with Store(default_store_path(fake.settings())) as store:
        first = queue(store, body="First line of a long reply.\n\n" + "More words. " * 80)
        second = queue(store, author="Bo", body="Short.", reply_to="20260902-100000-abcdef",
                       email=None)
        third = queue(store, author="Cy", body="Reply to pending.", reply_to=first)
    assert run(conf, "pending") == 0
    out = capsys.readouterr().out
    assert out.startswith("3 comments are waiting for moderation (oldest first):")
    assert f"{first}  on first-essay\n  Ada <ada@example.org> · ip 192.0.2.44 · just now" in out
    assert f"{second}  on first-essay, replying to 20260902-100000-abcdef" in out
    assert f"{third}  on first-essay, replying to {first} (itself still pending)" in out
    assert "  | First line of a long reply." in out and " …" in out
    assert "colloquy approve ID..." in out


def test_pending_json_and_empty(fake, capsys):
    conf = fake.settings_file()
    assert run(conf, "pending") == 0
    assert "No comments are waiting" in capsys.readouterr().out
    with Store(default_store_path(fake.settings())) as store:
        comment_id = queue(store)
    run(conf, "pending", "--json")
    [row] = json.loads(capsys.readouterr().out)
    assert row["id"] == comment_id and row["email"] == "ada@example.org"


def test_approve_writes_the_file_without_addresses(fake, capsys):
    conf = fake.settings_file()
    with Store(default_store_path(fake.settings())) as store:
        comment_id = queue(store, body="Write to me at ada@example.org or 192.0.2.44.",
                           author="Ada")
    assert run(conf, "approve", comment_id) == 0
    assert f"approved {comment_id}" in capsys.readouterr().out
    path = fake.content / "comments" / "first-essay" / f"{comment_id}.md"
    text = path.read_text(encoding="utf-8")
    assert "ada@example.org" not in text and "192.0.2.44" not in text
    comment = parse_comment(path)
    assert (comment.id, comment.author, comment.essay) == (comment_id, "Ada", "first-essay")
    assert not list(path.parent.glob(".tmp-*"))  # atomic: no temp file left behind
    with Store(default_store_path(fake.settings())) as store:
        row = store.get(comment_id)
        assert row.status == "approved" and row.email == "ada@example.org"  # kept privately
        assert store.conn.execute("SELECT approved FROM commenters").fetchone()[0] == 1
    assert run(conf, "approve", comment_id) == 0
    assert "already approved" in capsys.readouterr().out


def test_approve_finishes_a_half_done_approval(fake):
    conf = fake.settings_file()
    with Store(default_store_path(fake.settings())) as store:
        comment_id = queue(store)
        from colloquy.comments import write_comment

        write_comment(fake.content / "comments", store.get(comment_id).to_comment())
    assert run(conf, "approve", comment_id) == 0
    with Store(default_store_path(fake.settings())) as store:
        assert store.get(comment_id).status == "approved"


def test_approve_unknown_id_fails_but_approves_the_rest(fake, capsys):
    conf = fake.settings_file()
    with Store(default_store_path(fake.settings())) as store:
        comment_id = queue(store)
    assert run(conf, "approve", "20990101-000000-000000", comment_id) == 1
    captured = capsys.readouterr()
    assert "no comment '20990101-000000-000000' in the store" in captured.err
    assert (fake.content / "comments" / "first-essay" / f"{comment_id}.md").exists()


def test_reject_and_purge(fake, capsys):
    conf = fake.settings_file(COLLOQUY_RETENTION_DAYS=0)
    with Store(default_store_path(fake.settings())) as store:
        spam = queue(store, body="Buy things")
        kept = queue(store, body="Good words")
    assert run(conf, "reject", spam) == 0
    assert f"rejected {spam}" in capsys.readouterr().out
    assert run(conf, "approve", kept) == 0
    assert run(conf, "reject", kept) == 1
    assert "already published" in capsys.readouterr().err
    time.sleep(0.01)
    assert run(conf, "purge") == 0
    with Store(default_store_path(fake.settings())) as store:
        assert store.get(spam) is None  # rejected and past retention (0 days)
        assert store.get(kept).email is None and store.get(kept).ip is None
        assert store.get(kept).status == "approved"
    assert not (fake.content / "comments" / "first-essay" / f"{spam}.md").exists()


def test_approve_with_rebuild_shows_the_reply_under_its_parent(site, capsys):
    site.essay("on-listening", title="On Listening")
    site.comment("on-listening", "20260902-100000-abcdef", author="First Reader")
    conf = site_settings_file(site, SITEURL="https://essays.example")
    with Store(default_store_path({"COLLOQUY_SITE_DIR": str(site.root)})) as store:
        store.add_pending(Comment(id="wordpress-7", essay="on-listening", author="Old Friend",
                                  date=datetime(2026, 9, 3, tzinfo=timezone.utc),
                                  body="I agree, *slowly*.", reply_to="20260902-100000-abcdef",
                                  source="wordpress", source_id="7"), email="old@example.org")
    assert run(conf, "approve", "--rebuild", "wordpress-7") == 0
    page = site.html("essays/on-listening/index.html")
    nested = page.xpath("//*[@id='c-20260902-100000-abcdef']/following-sibling::ol"
                        "[contains(@class, 'replies')]//*[@id='c-wordpress-7']")
    assert nested and "slowly" in nested[0].text_content()
    assert b"old@example.org" not in (site.output / "essays/on-listening/index.html").read_bytes()


# -- #9: the moderator's terminal, and file modes -------------------------------------------

HOSTILE = {
    "clear screen": "\x1b[2J\x1b[H",
    "window title": "\x1b]0;owned\x07",
    "clipboard (OSC 52)": "\x1b]52;c;cm0gLXJmIH4=\x07",
    "carriage return": "innocent\rEVIL OVERWRITES",
    "backspaces": "good\x08\x08\x08\x08bad!",
    "8-bit CSI": "\x9b2J",
    "bidi flip": "\u202egnp.exe",
}


def test_pending_shows_escape_sequences_escaped(fake, capsys):
    conf = fake.settings_file()
    with Store(default_store_path(fake.settings())) as store:
        for number, (what, sequence) in enumerate(HOSTILE.items()):
            # Imports reach the store without the intake's cleaning: the listing is the
            # last line of defence.
            store.add_pending(Comment(id=f"import-{number}", essay="first-essay",
                                      author=f"Name {sequence}",
                                      date=datetime(2026, 9, 2, tzinfo=timezone.utc),
                                      body=f"Body {sequence} end", source="wordpress",
                                      source_id=str(number)),
                              email=f"x{sequence}@example.org")
    for flags in ([], ["--full"]):
        assert run(conf, "pending", *flags) == 0
        out = capsys.readouterr().out
        for character in out:
            assert character in "\n\t" or not (ord(character) < 32 or 0x7f <= ord(character) < 0xa0), \
                repr(character)
        assert "\u202e" not in out and "\\u202e" in out
        assert "\\x1b]52;c;cm0gLXJmIH4=\\x07" in out
        assert "innocent\\x0dEVIL OVERWRITES" in out


@pytest.mark.parametrize("umask, mode", [(0o022, 0o644), (0o002, 0o664), (0o077, 0o600)])
def test_approved_files_get_the_umasks_mode(fake, umask, mode):
    import os

    conf = fake.settings_file()
    with Store(default_store_path(fake.settings())) as store:
        comment_id = queue(store)
    old = os.umask(umask)
    try:
        assert run(conf, "approve", comment_id) == 0
    finally:
        os.umask(old)
    [path] = (fake.content / "comments" / "first-essay").glob("*.md")
    assert path.stat().st_mode & 0o777 == mode
