"""The outbox: SMTP down then up, across a restart of `colloquy serve`; the CLI."""

from __future__ import annotations

import signal
import sqlite3
import time

import pytest

from colloquy.cli import main
from colloquy.store import default_store_path
from intake_support import SECRET, FakeSite, serve_process
from notify_support import AUTHOR, free_port, links_in, mail_settings, post_comment, smtp_server

ESSAY = "first-essay"


@pytest.fixture
def fake(tmp_path, monkeypatch) -> FakeSite:
    monkeypatch.setenv("COLLOQUY_SECRET", SECRET)
    monkeypatch.delenv("COLLOQUY_ENV", raising=False)
    return FakeSite(tmp_path / "site")


def outbox(fake) -> list[tuple]:
    with sqlite3.connect(default_store_path(fake.settings())) as conn:
        return conn.execute("SELECT kind, ref, status, attempts FROM outbox ORDER BY id"
                            ).fetchall()


def stop(process, how=signal.SIGTERM) -> None:
    process.send_signal(how)
    process.wait(timeout=20)


def test_smtp_down_then_up_across_a_crash_and_restart_delivers_each_once(fake, capsys):
    smtp_port, port = free_port(), free_port()
    base = f"http://127.0.0.1:{port}"
    conf = fake.settings_file(**mail_settings(smtp_port), SITEURL=base)

    server = serve_process(conf, port)
    try:
        ids = [post_comment(base, ESSAY, f"Sent while the mail server is down ({n}).",
                            author=f"R{n}") for n in range(3)]
        deadline = time.monotonic() + 15
        while not all(row[3] >= 2 for row in outbox(fake)):  # tried, failed, backing off
            assert time.monotonic() < deadline, outbox(fake)
            time.sleep(0.1)
    finally:
        stop(server, signal.SIGKILL)  # a crash, not a clean stop
    assert {row[2] for row in outbox(fake)} == {"waiting"}
    assert main(["--settings", str(conf), "outbox"]) == 0
    listed = capsys.readouterr().out
    assert all(i in listed for i in ids) and "ConnectionRefusedError" in listed

    with smtp_server(smtp_port) as inbox:
        server = serve_process(conf, port)
        try:
            inbox.wait(AUTHOR)
            time.sleep(2)  # a second mail, if any were to come
        finally:
            stop(server)
        mails = inbox.to(AUTHOR)
    assert len(mails) == 1  # the three waited together: one mail, once
    assert sorted(link.split("/")[6] for link in links_in(mails[0])
                  if "/link/approve/" in link) == sorted(ids)
    assert {row[2] for row in outbox(fake)} == {"sent"}


def test_a_message_that_keeps_failing_is_given_up_then_retried_by_hand(fake, capsys):
    smtp_port, port = free_port(), free_port()
    base = f"http://127.0.0.1:{port}"
    conf = fake.settings_file(**mail_settings(smtp_port, COLLOQUY_OUTBOX_GIVE_UP=1),
                              SITEURL=base)
    server = serve_process(conf, port)
    try:
        comment_id = post_comment(base, ESSAY, "Nobody is listening.")
        deadline = time.monotonic() + 15
        while outbox(fake)[0][2] != "failed":
            assert time.monotonic() < deadline, outbox(fake)
            time.sleep(0.1)
        assert "gave up on pending mail" in server.stderr.read1().decode()
        assert main(["--settings", str(conf), "outbox"]) == 0
        assert "failed" in capsys.readouterr().out
        with smtp_server(smtp_port) as inbox:
            assert main(["--settings", str(conf), "outbox", "--retry"]) == 0
            [mail] = inbox.wait(AUTHOR)
    finally:
        stop(server)
    assert comment_id in mail.get_body(("plain",)).get_content()
    assert "Queued 1 failed message(s) again" in capsys.readouterr().out
    assert outbox(fake)[0][2] == "sent"
