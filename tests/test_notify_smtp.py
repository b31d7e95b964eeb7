"""Delivery over plain SMTP, STARTTLS and implicit TLS to a real aiosmtpd, with a login;
and mail whose headers nothing from outside can break."""

from __future__ import annotations

import email
import ssl
import subprocess
from email import policy
from pathlib import Path

import pytest
from hypothesis import example, given, settings, strategies as st
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from colloquy.errors import SettingError
from colloquy.notify import mail, smtp
from colloquy.settings import DEFAULTS
from notify_support import Inbox, free_port

PASSWORD = "relay password"


@pytest.fixture(scope="module")
def certificate(tmp_path_factory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    return cert, key


def authenticator(server, session, envelope, mechanism, auth_data):
    ok = auth_data.login == b"blog" and auth_data.password == PASSWORD.encode()
    return AuthResult(success=ok)


def config(port: int, tls: str, **overrides) -> smtp.SmtpConfig:
    cfg = {**DEFAULTS, "COLLOQUY_SMTP_HOST": "127.0.0.1", "COLLOQUY_SMTP_PORT": port,
           "COLLOQUY_SMTP_TLS": tls, "COLLOQUY_SMTP_USER": "blog",
           "COLLOQUY_MAIL_FROM": "comments@essays.example",
           "COLLOQUY_NOTIFY_EMAIL": "author@essays.example", **overrides}
    return smtp.config(cfg, Path)


def a_message(subject: str = "Hello") -> email.message.EmailMessage:
    return mail.message(mail.address("comments@essays.example", "Essays"),
                        mail.address("author@essays.example"), subject, "Text.",
                        "<p>Text.</p>", "test.1")


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
@pytest.mark.parametrize("tls", ["starttls", "tls"])
def test_delivers_over_tls_with_a_login_from_the_environment(certificate, tls, monkeypatch):
    cert, key = certificate
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # trust the test certificate
    monkeypatch.setenv("COLLOQUY_SMTP_PASSWORD", PASSWORD)
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_context.load_cert_chain(cert, key)
    inbox, port = Inbox(), free_port()
    options = dict(tls_context=server_context, require_starttls=True) if tls == "starttls" \
        else dict(ssl_context=server_context)
    # aiosmtpd offers AUTH only once it knows the link is encrypted, which it does not
    # for implicit TLS: there, the test lets it offer AUTH at once.
    controller = Controller(inbox, hostname="127.0.0.1", port=port, auth_required=True,
                            authenticator=authenticator, auth_require_tls=(tls == "starttls"),
                            **options)
    controller.start()
    try:
        smtp.deliver(config(port, tls), a_message())
    finally:
        controller.stop()
    [received] = inbox.messages
    assert received["Subject"] == "Hello" and received["To"] == "author@essays.example"


def test_the_password_file_is_read_at_each_delivery(tmp_path, monkeypatch):
    monkeypatch.delenv("COLLOQUY_SMTP_PASSWORD", raising=False)
    secret = tmp_path / "smtp-password"
    secret.write_text(PASSWORD + "\n")
    relay = config(25, "none", COLLOQUY_SMTP_PASSWORD_FILE=str(secret))
    assert relay.password() == PASSWORD
    secret.write_text("rotated\n")
    assert relay.password() == "rotated"
    secret.unlink()
    with pytest.raises(smtp.Temporary, match="smtp-password"):
        relay.password()


def test_a_down_server_is_temporary_and_a_refused_recipient_permanent(monkeypatch):
    with pytest.raises(smtp.Temporary, match="ConnectionRefused"):
        smtp.deliver(config(free_port(), "none", COLLOQUY_SMTP_USER=None), a_message())

    class Refusing(Inbox):
        async def handle_RCPT(self, server, session, envelope, address, options):
            return "550 5.1.1 No such user"

    port = free_port()
    controller = Controller(Refusing(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        with pytest.raises(smtp.Permanent, match="550"):
            smtp.deliver(config(port, "none", COLLOQUY_SMTP_USER=None), a_message())
    finally:
        controller.stop()


def test_no_host_means_no_mail_and_the_password_is_never_a_setting():
    assert smtp.config(dict(DEFAULTS), Path) is None
    with pytest.raises(SettingError, match="environment"):
        smtp.config({**DEFAULTS, "COLLOQUY_SMTP_PASSWORD": "x"}, Path)


HOSTILE = ["Ann\r\nBcc: victim@example.org", "Ann\nBcc: victim@example.org",
           "Ann\rBcc: victim@example.org", "=?utf-8?q?x?=\r\n\r\n<html>",
           "Ann\u2028Bcc: victim@example.org", "Ann\x00\x0bBcc: victim@example.org",
           "Ann\u0085Bcc: victim@example.org", "Zoë " * 60]


@pytest.mark.parametrize("value", HOSTILE)
def test_nothing_from_outside_adds_a_header(value):
    message = mail.message(mail.address("comments@essays.example", value),
                           mail.address("author@essays.example"), value, value, value,
                           "test.2", {"List-Unsubscribe": f"<https://x.example/{value}>"})
    parsed = email.message_from_bytes(message.as_bytes(), policy=policy.default)
    assert sorted(set(parsed.keys())) == sorted({
        "From", "To", "Subject", "Date", "Message-ID", "Auto-Submitted", "List-Unsubscribe",
        "MIME-Version", "Content-Type"})
    assert parsed["Bcc"] is None and "\n" not in parsed["Subject"]
    assert parsed["To"] == "author@essays.example"


RISKY = st.sampled_from(["\r", "\n", "\r\n", "\x00", "\x0b", "\x0c", "\x85", "\u2028",
                         "\u2029", "Bcc: x@evil.example", "Content-Type: text/html", ":",
                         ";", ",", "<", ">", '"', "=?utf-8?b?", "?=", " ", "\t", "é", "名前",
                         "🙂", "\u202e", "a" * 80])
OPEN_TEXT = st.lists(st.one_of(RISKY, st.text(max_size=20)), max_size=12).map("".join)


@settings(max_examples=200, deadline=None)
@given(name=OPEN_TEXT, subject=OPEN_TEXT, body=OPEN_TEXT)
# Text that looks like an RFC 2047 encoded word: the email package decoded it, then
# could not write the header at all (found by Hypothesis).
@example(name="=?utf-8?b?Content-Type: text/html?=",
         subject="=?utf-8?b?Content-Type: text/html?=", body="")
def test_open_ended_text_never_adds_or_breaks_a_header(name, subject, body):
    message = mail.message(mail.address("comments@essays.example", name),
                           mail.address("author@essays.example"), subject, body, body,
                           "test.3", {"List-Unsubscribe": f"<https://x.example/{name}>"})
    raw = message.as_bytes()
    parsed = email.message_from_bytes(raw, policy=policy.default)
    assert parsed["Bcc"] is None and parsed["To"] == "author@essays.example"
    assert parsed.get_content_type() == "multipart/alternative"
    assert len(parsed.get_all("Content-Type")) == 1
    assert parsed["From"].addresses[0].addr_spec == "comments@essays.example"
    head = raw.split(b"\r\n\r\n", 1)[0]
    assert all(len(line) <= 998 for line in head.split(b"\r\n"))  # RFC 5322


@pytest.mark.parametrize("value", ["a@b.example, c@d.example", "a@b.example\r\nBcc: c@d.example",
                                   "<a@b.example>", "no-at-sign", "a@b@c.example", ""])
def test_anything_but_one_address_is_refused(value):
    with pytest.raises(mail.BadAddress):
        mail.address(value)
