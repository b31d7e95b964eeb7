"""Sending webmentions for the links in published essays (and the author's replies).

Sources are what readers can see: each built essay page (where ARTICLE_SAVE_AS put it,
e.g. OUTPUT_PATH/essays/<slug>/) with the links in its body (the element with class
`e-content`, else `essay-body`), and each comment file with `role: author` whose body
links out (its permalink, e.g. `…/essays/<slug>/#c-<id>`, is the source). Links to this
site are left out.

Every send is recorded in the store's `webmention_sends` (source, target, endpoint,
status, content hash), so a second run sends nothing new; a source whose content
changed sends again; a link that disappeared is sent once more (the receiver then
finds it gone and can delete its copy). Failures that may pass (network errors, 5xx)
are tried again on the next run.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Iterable
from urllib.parse import quote, urlsplit

import httpx

from ..comments import load_comments
from ..files import UnsafePath, inside
from ..markup import render
from ..slugs import is_folder_name
from ..store import Store
from ..urls import SiteUrls
from . import discover, fetch
from .verify import resolve

FINAL = ("sent", "no endpoint", "skipped", "refused")  # not tried again for the same content


@dataclass
class Source:
    essay: str
    url: str
    links: list[str]
    content_hash: str


@dataclass
class Job:
    source: Source
    target: str
    linked: bool          # False: the link was removed; this send tells the receiver
    reason: str           # why it is sent: new, changed, removed, retry


@dataclass
class Result:
    job: Job
    outcome: str          # one of FINAL, or "error"
    detail: str = ""
    endpoint: str | None = None


class _BodyLinks(HTMLParser):
    """Links inside the first element whose class is `e-content` (else `essay-body`)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.regions = {"e-content": [], "essay-body": []}
        self.depth = {name: 0 for name in self.regions}
        self.done: set[str] = set()
        self.text: dict[str, list[str]] = {name: [] for name in self.regions}

    def handle_starttag(self, tag, attrs):
        values = dict(attrs)
        classes = (values.get("class") or "").split()
        for name in self.regions:
            if self.depth[name]:
                self.depth[name] += tag not in VOID
                if tag == "a" and values.get("href"):
                    self.regions[name].append(values["href"])
                self.text[name].append(f"<{tag} {values.get('href', '')}>")
            elif name in classes and name not in self.done and tag not in VOID:
                self.depth[name] = 1

    def handle_endtag(self, tag):
        for name in self.regions:
            if self.depth[name] and tag not in VOID:
                self.depth[name] -= 1
                if not self.depth[name]:
                    self.done.add(name)

    def handle_data(self, data):
        for name in self.regions:
            if self.depth[name]:
                self.text[name].append(data)

    def result(self) -> tuple[list[str], str]:
        name = "e-content" if "e-content" in self.done else "essay-body"
        return self.regions[name], "".join(self.text[name])


VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
        "track", "wbr"}


def outgoing(links: list[str], base: str) -> list[str]:
    """Absolute http(s) links to other sites, in order, each once."""
    own = urlsplit(base).netloc.lower()
    found = []
    for href in links:
        url = resolve(base, href)
        try:
            parts = urlsplit(url)
            parts.port
        except ValueError:
            continue
        if parts.scheme in ("http", "https") and parts.netloc and parts.netloc.lower() != own \
                and url not in found:
            found.append(url)
    return found


def _hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def sources(output: Path, comments_root: Path, site_url: str, urls: SiteUrls,
            essays: Iterable[str], only: str | None = None) -> list[Source]:
    """Every published essay (and author's reply) that links out, from the built site:
    `essays` are the slugs of the site's essays, `urls` where the build put them."""
    found = []
    published = set()
    for slug in sorted(essays):
        if (only and slug != only) or not is_folder_name(slug):
            continue
        page = built_page(Path(output), urls.saved_as(slug, "essay"))
        if page is None:
            continue
        published.add(slug)
        url = f"{site_url}/{quote(urls.essay(slug, 'essay'))}"
        parser = _BodyLinks()
        parser.feed(page.read_text(encoding="utf-8", errors="replace"))
        links, text = parser.result()
        found.append(Source(slug, url, outgoing(links, url), _hash(text)))
    comments, _problems = load_comments(comments_root)
    for comment in comments:
        if comment.is_author and comment.essay in published:
            url = f"{site_url}/{quote(urls.essay(comment.essay, 'essay'))}#c-{comment.id}"
            parser = _BodyLinks()
            parser.feed(f'<div class="e-content">{render(comment.body)}</div>')
            links, text = parser.result()
            if links:
                found.append(Source(comment.essay, url, outgoing(links, url), _hash(text)))
    return found


def built_page(output: Path, saved_as: str) -> Path | None:
    """The built file `saved_as` (relative to OUTPUT_PATH), if it is there."""
    try:
        page = inside(output, *saved_as.split("/"))
    except UnsafePath:
        return None
    return page if page.is_file() else None


def plan(store: Store, all_sources: list[Source]) -> list[Job]:
    """What to send: new or changed links, links since removed, earlier failures."""
    jobs = []
    for source in all_sources:
        records = {row["target"]: row for row in store.conn.execute(
            "SELECT * FROM webmention_sends WHERE source = ?", (source.url,))}
        for target in source.links:
            row = records.get(target)
            if row is None:
                jobs.append(Job(source, target, True, "new link"))
            elif not row["linked"]:
                jobs.append(Job(source, target, True, "linked again"))
            elif row["content_hash"] != source.content_hash:
                jobs.append(Job(source, target, True, "essay changed"))
            elif row["status"].split(":")[0] not in FINAL:
                jobs.append(Job(source, target, True, "retry"))
        for target, row in records.items():
            if row["linked"] and target not in source.links:
                jobs.append(Job(source, target, False, "link removed"))
    return jobs


def record(store: Store, result: Result) -> None:
    job = result.job
    status = result.outcome + (f": {result.detail}" if result.detail else "")
    with store.transaction():
        store.conn.execute(
            "INSERT INTO webmention_sends (source, target, essay, endpoint, status, "
            "content_hash, linked, sent) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (source, target) DO UPDATE SET endpoint = excluded.endpoint, "
            "status = excluded.status, content_hash = excluded.content_hash, "
            "linked = excluded.linked, sent = excluded.sent",
            (job.source.url, job.target, job.source.essay, result.endpoint, status,
             job.source.content_hash, int(job.linked), time.time()))


async def send_one(http, job: Job, limits: fetch.Limits) -> Result:
    """Discover the target's endpoint and POST source and target to it."""
    try:
        endpoint = await discover.discover(http, job.target, limits)
    except fetch.FetchError as problem:
        outcome = "error" if problem.transient else "skipped"
        return Result(job, outcome, problem.reason)
    if endpoint is None:
        return Result(job, "no endpoint")
    try:
        async with asyncio.timeout(limits.timeout):
            response = await fetch.checked_request(
                http, "POST", endpoint, limits,
                data={"source": job.source.url, "target": job.target})
            await response.aclose()
    except fetch.FetchError as problem:
        return Result(job, "error" if problem.transient else "skipped", problem.reason, endpoint)
    except (TimeoutError, httpx.HTTPError) as problem:
        return Result(job, "error", type(problem).__name__, endpoint)
    code = response.status_code
    if 200 <= code < 300:
        return Result(job, "sent", str(code), endpoint)
    if 400 <= code < 500 and code not in (408, 429):
        return Result(job, "refused", str(code), endpoint)
    return Result(job, "error", str(code), endpoint)


async def send_all(store: Store, jobs: list[Job], limits: fetch.Limits, concurrency: int,
                   progress=None) -> list[Result]:
    """Send every job, `concurrency` at a time, recording each as it ends."""
    gate = asyncio.Semaphore(max(1, concurrency))
    results: list[Result] = []

    async def one(http, job):
        async with gate:
            result = await send_one(http, job, limits)
        record(store, result)
        results.append(result)
        if progress:
            progress()

    async with fetch.client() as http:
        await asyncio.gather(*(one(http, job) for job in jobs))
    return results
