"""Which of our pages a webmention may target, and what it then answers.

A target is a page of this site that takes conversation: an essay (at its ARTICLE_URL,
e.g. `/essays/<slug>/`), a thread page (`/essays/<slug>/threads/<thread-id>/`: a reply
to the thread's root; see urls.SiteUrls), a
comment permalink (`…#c-<id>`: a reply to that comment), or any other built page that
carries a reply form (pages with conversations). Matching is lenient: http or https,
with or without the trailing slash or `index.html`, any other fragment ignored. The
host must be SITEURL's, or the one the request was sent to when SITEURL is empty.

Essays and comment ids are looked up in the server's SiteIndex (the built pages and
content/comments), so a page counts as soon as it is built and a comment once approved.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from ..comments import ID_RE
from ..files import UnsafePath, inside
from ..slugs import is_folder_name

COMMENT_FRAGMENT = re.compile(r"c-(.+)")
# The conversation a built page belongs to: its reply form's hidden field (theme).
FORM_ESSAY = re.compile(r'<input type="hidden" name="essay" value="([^"]+)">')


class NotOurs(Exception):
    """The target is no page of this site that takes responses; the message says why."""


@dataclass(frozen=True)
class Target:
    essay: str         # the conversation's slug (an essay's or a page's)
    reply_to: str      # the comment it answers, or '' for the page itself


class Targets:
    def __init__(self, index, output: Path, site_origin: str | None):
        self.index = index
        self.output = Path(output)
        self.site_host = urlsplit(site_origin).netloc.lower() if site_origin else None

    def match(self, url: str, request_host: str | None = None) -> Target:
        parts = urlsplit(url)
        host = parts.netloc.lower()
        ours = self.site_host or (request_host or "").lower()
        if _without_default_port(host) != _without_default_port(ours):
            raise NotOurs(f"the target {url} is not on this site ({ours or 'unknown host'})")
        path = parts.path or "/"
        if not path.endswith("/") and not path.endswith(".html"):
            path += "/"
        found = self.index.urls.locate(path)
        if found and is_folder_name(unquote(found[0])):
            essay, thread = unquote(found[0]), unquote(found[1])
            if not self.index.has_essay(essay):
                raise NotOurs(f"there is no essay '{essay}' on this site")
            if thread and not self.index.has_comment(essay, thread):
                raise NotOurs(f"essay '{essay}' has no thread '{thread}'")
        else:
            essay, thread = self._page_conversation(path), ""
        comment = COMMENT_FRAGMENT.fullmatch(parts.fragment)
        if comment:
            if not (ID_RE.fullmatch(comment.group(1))
                    and self.index.has_comment(essay, comment.group(1))):
                raise NotOurs(f"there is no published comment '{comment.group(1)}' on "
                              f"'{essay}'")
            return Target(essay, comment.group(1))
        return Target(essay, thread)

    def _page_conversation(self, path: str) -> str:
        """The slug of the conversation a built page carries, from its reply form."""
        names = [unquote(n) for n in path.strip("/").split("/") if n]
        if names and names[-1].endswith(".html"):
            file_names = names
        else:
            file_names = names + ["index.html"]
        try:
            page = inside(self.output, *file_names)
            head = page.read_text(encoding="utf-8", errors="replace")
        except (UnsafePath, OSError):
            raise NotOurs(f"there is no page {path} on this site") from None
        found = FORM_ESSAY.search(head)
        essay = html.unescape(found.group(1)) if found else ""
        if not is_folder_name(essay):
            raise NotOurs(f"the page {path} takes no comments or responses")
        return essay


def _without_default_port(host: str) -> str:
    for suffix in (":80", ":443"):
        if host.endswith(suffix):
            return host[: -len(suffix)]
    return host
