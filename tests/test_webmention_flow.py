"""The whole path on a real built site: a reader's post → verified → pending → approved →
on the rebuilt essay page as a response → updated → deleted when the source is gone."""

from __future__ import annotations

from intake_support import SECRET, running_app, site_settings_file
from webmention_support import h_entry, reader_site, send, wait_for_status

from colloquy.cli import main
from colloquy.config import load_site_settings
from colloquy.store import Store, default_store_path

SITEURL = "https://essays.example"
LONG = " ".join(["Listening slowly means answering later, and better."] * 30)


def deliver(base, source, target, moderation=None):
    answer = send(base, source, target)
    assert answer.status_code == 201, answer.text
    assert answer.headers["location"].startswith(f"{SITEURL}/intake/webmention/status/")
    return wait_for_status(base, answer.headers["location"], moderation=moderation)


def test_a_response_from_a_readers_site_end_to_end(site, monkeypatch, capsys):
    monkeypatch.setenv("COLLOQUY_SECRET", SECRET)
    site.essay("on-listening", "On Listening")
    site.comment("on-listening", "c1", author="Ada Byrne", body="The first comment.")
    site.build()
    before = site.html("essays/on-listening/index.html")
    [advertised] = before.cssselect('link[rel="webmention"]')
    assert advertised.get("href") == f"{SITEURL}/intake/webmention"
    conf = site_settings_file(site, SITEURL=SITEURL, COLLOQUY_WEBMENTION_ALLOW_PRIVATE=True)
    essay = f"{SITEURL}/essays/on-listening/"
    with running_app(load_site_settings(str(conf))) as (base, _), reader_site() as reader:
        source = reader.page("/replies/1", h_entry(essay, text=LONG), named=True)
        result = deliver(base, source, essay)
        assert (result["status"], result["kind"], result["moderation"]) == \
            ("verified", "response", "pending")
        comment_id = result["comment"]
        # The author is told of it as of a new comment: a message waits in the outbox.
        with Store(default_store_path(load_site_settings(str(conf)))) as store:
            waiting = store.conn.execute("SELECT kind FROM outbox WHERE ref = ?",
                                         (comment_id,)).fetchall()
        assert [row[0] for row in waiting] == ["pending"]

        capsys.readouterr()
        assert main(["--settings", str(conf), "pending"]) == 0
        listing = capsys.readouterr().out
        assert comment_id in listing and "Rosa Quill" in listing
        assert f"webmention, response, from {source}" in listing

        assert main(["--settings", str(conf), "approve", comment_id, "--no-rebuild"]) == 0
        path = site.content / "comments" / "on-listening" / f"{comment_id}.md"
        header = path.read_text(encoding="utf-8").split("\n\n")[0]
        assert "source: webmention" in header and f"url: {source}" in header
        assert "kind: response" in header and "website: https://rosa.example/" in header
        assert "initials: RQ" in header and "me.jpg" not in header

        site.build()
        page = site.html("essays/on-listening/index.html")
        [response] = page.cssselect(f"section.responses #c-{comment_id}")
        assert response.cssselect(".author")[0].text_content() == "Rosa Quill"
        body = response.cssselect(".comment-body")[0].text_content().strip()
        assert body.startswith("Listening slowly means answering later") and body.endswith("…")
        assert len(body) <= 610
        assert response.cssselect(".source-link a")[0].get("href") == source
        assert not page.cssselect("img[src*='me.jpg']")

        # The author approved this host once: its next response is published at once.
        reply = reader.page("/replies/2", h_entry(f"{essay}#c-c1", text="To Ada: agreed."),
                            named=True)
        second = deliver(base, reply, f"{essay}#c-c1", moderation="approved")
        assert second["moderation"] == "approved"
        second_path = path.parent / f"{second['comment']}.md"
        assert "reply-to: c1" in second_path.read_text(encoding="utf-8")

        # An edit replaces the published text and keeps the id.
        reader.page("/replies/1", h_entry(essay, text="A shorter second thought."), named=True)
        assert deliver(base, source, essay)["comment"] == comment_id
        assert path.read_text(encoding="utf-8").rstrip().endswith("A shorter second thought.")

        # 410 Gone: the published response is taken down.
        reader.page("/replies/1", "This post was deleted.", status=410)
        assert deliver(base, source, essay)["status"] == "deleted"
        assert not path.exists()

    site.build()
    page = site.html("essays/on-listening/index.html")
    assert not page.cssselect(f"#c-{comment_id}")
    [nested] = page.cssselect(f"#c-c1 ~ ol.replies #c-{second['comment']}")
    assert "To Ada: agreed." in nested.text_content()


def wait_for_page(site, relative, condition, timeout=60.0):
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            page = site.html(relative)
        except (OSError, ValueError):  # between the build's writes
            page = None
        if page is not None and condition(page):
            return page
        time.sleep(0.2)
    raise AssertionError(f"{relative} did not change within {timeout} s")


def test_with_rebuild_on_trusted_responses_appear_and_gone_ones_vanish(site, monkeypatch):
    """COLLOQUY_REBUILD: the site follows the store without anyone running a command."""
    monkeypatch.setenv("COLLOQUY_SECRET", SECRET)
    site.essay("on-listening", "On Listening")
    site.build()
    conf = site_settings_file(site, SITEURL=SITEURL, COLLOQUY_WEBMENTION_ALLOW_PRIVATE=True,
                              COLLOQUY_REBUILD=True)
    essay = f"{SITEURL}/essays/on-listening/"
    with running_app(load_site_settings(str(conf))) as (base, _), reader_site() as reader:
        first = reader.page("/a", h_entry(essay, text="A first answer."), named=True)
        result = deliver(base, first, essay)
        assert main(["--settings", str(conf), "approve", result["comment"],
                     "--no-rebuild"]) == 0
        second = reader.page("/b", h_entry(essay, text="Trusted now."), named=True)
        trusted = deliver(base, second, essay, moderation="approved")
        assert trusted["moderation"] == "approved"
        wait_for_page(site, "essays/on-listening/index.html",
                      lambda page: page.cssselect(f"#c-{trusted['comment']}"))
        reader.page("/b", "gone", status=410)
        assert deliver(base, second, essay)["status"] == "deleted"
        wait_for_page(site, "essays/on-listening/index.html",
                      lambda page: not page.cssselect(f"#c-{trusted['comment']}"))
