"""The intake against hostile input (#9): the text rule, malformed bodies, no 5xx, ever.

The fixed cases are the ones found by hand; the Hypothesis cases throw arbitrary bytes,
JSON and forms at the real app (uvicorn on loopback, in a thread) and ask only
that the answer is never a 5xx and that what is stored obeys the text rule.
"""

from __future__ import annotations

import json
import logging
import time

import httpx
import lxml.html
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from colloquy import text, tokens
from colloquy.store import Store, default_store_path
from intake_support import SECRET, FakeSite, running_app

ESSAY = "first-essay"
URL = "/intake/comments"
HYPOTHESIS = settings(max_examples=60, deadline=None,
                      suppress_health_check=[HealthCheck.too_slow])


@pytest.fixture
def fake(tmp_path, monkeypatch) -> FakeSite:
    monkeypatch.setenv("COLLOQUY_SECRET", SECRET)
    monkeypatch.delenv("COLLOQUY_ENV", raising=False)
    return FakeSite(tmp_path / "site")


@pytest.fixture
def client(fake):
    with running_app(fake.settings(AUTHOR="Mara Ellison", COLLOQUY_RATE_LIMIT=0)) as (base, _):
        with httpx.Client(base_url=base) as test_client:
            yield test_client


def token(essay: str = ESSAY) -> str:
    return tokens.issue(SECRET.encode(), essay, issued=time.time() - 10)


def comment(**overrides) -> dict:
    values = {"essay": ESSAY, "author": "Ada", "body": "A considered reply.",
              "token": token()}
    values.update(overrides)
    return values


def send_json(client, data) -> object:
    """JSON as text, so that lone surrogates travel escaped (\\ud800) as a client may."""
    return client.post(URL, content=json.dumps(data),
                       headers={"content-type": "application/json"})


def rows(fake: FakeSite):
    with Store(default_store_path(fake.settings())) as store:
        return store.list(None)


# -- names -----------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["\u200b\u200b", "\u202e", " \u2060\ufeff ", "\x1b\x07\x7f",
                                  "\u00ad", "\x00"])
def test_names_with_nothing_visible_are_refused(client, fake, name):
    response = send_json(client, comment(author=name))
    assert response.status_code == 422
    assert "visible letter" in response.json()["error"]
    assert rows(fake) == []


def test_bidi_controls_and_invisible_characters_are_taken_out_of_names(client, fake):
    response = send_json(client, comment(author="Eve\u202e\u200b dlrow", body="Hello."))
    assert response.status_code == 202
    assert [row.author for row in rows(fake)] == ["Eve dlrow"]


@pytest.mark.parametrize("name", ["Mara Ellison", "Ma\u200bra Ellison", "mara  ELLISON",
                                  "Mara Ellison.", "\u202aMara Ellison\u202c"])
def test_names_that_imitate_the_author_are_refused(client, fake, name):
    response = send_json(client, comment(author=name))
    assert response.status_code == 422
    assert "name of this site's author" in response.json()["error"]
    assert rows(fake) == []


# -- bodies ----------------------------------------------------------------------------------

def test_characters_a_feed_cannot_carry_are_removed_from_bodies(client, fake):
    body = "Bell\x07 escape\x1b[31m form\x0c feed \ufffe\uffff nul\x00 e\u0301"
    response = send_json(client, comment(body=body))
    assert response.status_code == 202
    stored = rows(fake)[0].body
    assert stored == text.clean(body) and "\x1b" not in stored and "\ufffe" not in stored
    assert "\u00e9" in stored  # NFC


@pytest.mark.parametrize("variant", ["A considered\u200b reply.", "A considered reply",
                                     "a considered reply!", " A  considered reply. "])
def test_invisible_characters_and_trailing_periods_do_not_beat_duplicates(client, variant):
    assert send_json(client, comment()).status_code == 202
    again = send_json(client, comment(body=variant))
    assert again.status_code == 409


@pytest.mark.parametrize("field", ["author", "body"])
def test_a_lone_surrogate_in_json_is_cleaned_not_a_500(client, fake, field):
    response = send_json(client, comment(**{field: "Sur\ud800rogate \udfff text"}))
    assert response.status_code == 202
    row = rows(fake)[0]
    assert getattr(row, field) == "Surrogate  text".replace("  ", " " if field == "author"
                                                              else "  ")


# -- malformed requests ----------------------------------------------------------------------

@pytest.mark.parametrize("data, message", [
    ({**comment(), "author": ["a", "b"]}, "'author' must be text"),
    ({**comment(), "body": {"x": 1}}, "'body' must be text"),
    ({**comment(), "essay": 5}, "'essay' must be text"),
    ([comment()], "JSON object"),
    ("just a string", "JSON object"),
])
def test_json_that_is_not_an_object_of_strings_is_a_400(client, data, message):
    response = send_json(client, data)
    assert response.status_code == 400
    assert message in response.json()["error"]


def test_json_nested_a_thousand_deep_is_a_400(client):
    for nested in ("[" * 1000 + "]" * 1000, '{"a":' * 1000 + "1" + "}" * 1000,
                   "[" * 60000):
        response = client.post(URL, content=nested, headers={"content-type": "application/json"})
        assert response.status_code == 400, nested[:10]
        assert "error" in response.json()


def test_multipart_that_is_not_utf8_is_a_400_like_urlencoded(client, fake):
    boundary = "XyZ"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"author\"\r\n\r\n"
            ).encode() + b"Ad\xff\xfea" + (
        f"\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"body\"\r\n\r\nHi\r\n"
        f"--{boundary}--\r\n").encode()
    multipart = client.post(URL, content=body, headers={
        "content-type": f"multipart/form-data; boundary={boundary}"})
    urlencoded = client.post(URL, content=b"author=Ad%FF%FEa&body=Hi", headers={
        "content-type": "application/x-www-form-urlencoded"})
    raw = client.post(URL, content=b"author=Ad\xffa&body=Hi", headers={
        "content-type": "application/x-www-form-urlencoded"})
    for response in (multipart, urlencoded, raw):
        assert response.status_code == 400
        assert "UTF-8" in response.text
    assert rows(fake) == []


def test_multipart_errors_answer_json_clients_in_json(client):
    response = client.post(URL, content=b"--nope\r\ngarbage", headers={
        "content-type": "multipart/form-data", "accept": "application/json"})
    assert response.status_code == 400
    assert "multipart" in response.json()["error"]


def test_a_form_shows_every_problem_at_once(client):
    response = client.post(URL, data=comment(author="\u200b", website="ftp://x",
                                             email="not-an-address", body="   "))
    assert response.status_code == 422
    page = lxml.html.fromstring(response.text)
    problems = page.xpath("//*[@id='intake-message']//li")
    assert len(problems) == 4
    said = " ".join(p.text_content() for p in problems)
    for words in ("visible letter", "web address", "e-mail address", "write something"):
        assert words in said


def test_an_unexpected_error_is_a_bare_500_logged_once(fake, monkeypatch, caplog):
    def explode(self, *args, **kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(Store, "intake", explode)
    caplog.set_level(logging.INFO)
    with running_app(fake.settings()) as (base, _):
        response = send_json(httpx.Client(base_url=base), comment())
    assert response.status_code == 500 and "secret internals" not in response.text
    assert response.headers["x-content-type-options"] == "nosniff"
    tracebacks = [r for r in caplog.records if r.exc_info]
    assert len(tracebacks) == 1


# -- anything at all: never a 5xx --------------------------------------------------------------

CONTENT_TYPES = ["application/json", "application/x-www-form-urlencoded",
                 "multipart/form-data; boundary=b", "multipart/form-data",
                 "text/plain", "application/json; charset=latin-1"]


def test_arbitrary_bytes_never_get_a_5xx(client):
    @HYPOTHESIS
    @given(body=st.binary(max_size=600), content_type=st.sampled_from(CONTENT_TYPES),
           accept=st.sampled_from(["application/json", "text/html", "*/*"]))
    def run(body, content_type, accept):
        response = client.post(URL, content=body,
                               headers={"content-type": content_type, "accept": accept})
        assert response.status_code < 500, response.text

    run()


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12)


def test_arbitrary_json_never_gets_a_5xx(client):
    @HYPOTHESIS
    @given(extra=st.dictionaries(st.sampled_from(["author", "body", "essay", "reply_to",
                                                   "website", "email", "token", "x"]),
                                 JSON, max_size=5),
           whole=st.booleans())
    def run(extra, whole):
        data = {**comment(), **extra} if whole else extra
        response = send_json(client, data)
        assert response.status_code < 500, response.text

    run()


def test_arbitrary_names_and_bodies_are_stored_clean_or_refused(client, fake):
    @HYPOTHESIS
    @given(author=st.text(max_size=40), body=st.text(min_size=1, max_size=300),
           form=st.booleans())
    def run(author, body, form):
        data = comment(author=author, body=body + " " + str(time.monotonic_ns()))
        if form:
            plain = {k: v.encode("utf-8", "surrogatepass").decode("utf-8", "replace")
                     for k, v in data.items()}
            response = client.post(URL, data=plain, headers={"accept": "application/json"})
        else:
            response = send_json(client, data)
        assert response.status_code in (202, 409, 422), response.text
        if response.status_code == 202:
            row = next(r for r in rows(fake) if r.id == response.json()["id"])
            assert row.author == text.clean_name(row.author) != ""
            assert row.body == text.clean(row.body)

    run()


PATH_CHARS = st.sampled_from(list("abc./-_~%") + ["%2e", "%2f", "%00", "%ff", "%c0%af",
                                                  "..", ".git", "essays", "\\", "?", "#"])


def test_arbitrary_paths_and_headers_never_get_a_5xx(client):
    @HYPOTHESIS
    @given(path=st.lists(PATH_CHARS, max_size=12).map("".join),
           referer=st.text(st.characters(min_codepoint=0x21, max_codepoint=0x2ff,
                                         blacklist_characters="\x7f"), max_size=60)
           .map(lambda t: t.encode("utf-8")),
           origin=st.sampled_from([None, "null", "http://x", "\u0661", "http://[::1"]),
           accept=st.sampled_from(["text/html", "application/json", "*/*", ""]))
    def run(path, referer, origin, accept):
        headers = [("accept", accept.encode()), ("referer", referer)]
        if origin is not None:
            headers.append(("origin", origin.encode("utf-8")))
        # Absolute: httpx refuses a relative URL whose path starts with "//".
        got = client.get(str(client.base_url).rstrip("/") + "/" + path, headers=headers)
        assert got.status_code < 500, (path, got.text)
        posted = client.post(URL, content=json.dumps(comment()).encode(),
                             headers=headers + [("content-type", b"application/json")])
        assert posted.status_code < 500, (path, posted.text)

    run()


@pytest.mark.parametrize("origin", ["http://[::1", "http://\u0661\u0662", "null", "x"])
def test_an_unparsable_origin_is_refused_not_a_500(client, origin):
    response = client.post(URL, content=json.dumps(comment()).encode(), headers={
        "content-type": "application/json", "origin": origin.encode("utf-8")})
    assert response.status_code == 403
    assert "another site" in response.json()["error"]


def test_log_lines_show_what_commenters_wrote_escaped(client, caplog):
    caplog.set_level(logging.INFO, logger="colloquy.intake")
    response = send_json(client, comment(essay="flip\u202eevil"))
    assert response.status_code == 404
    [line] = [r.getMessage() for r in caplog.records if r.getMessage().startswith("refused")]
    assert "\u202e" not in line and "flip\\u202eevil" in line
