"""WordPress eXtended RSS (WXR 1.0, 1.1, 1.2): essays and their conversations together.

Posts become essays (content/essays/<slug>.md with Pelican metadata); their comments
keep their reply structure; pingbacks and trackbacks become mentions; webmentions
(from the Webmention plugin) become responses, likes, reposts or mentions; unapproved
comments go to the pending queue; spam and trash are skipped. Pages, attachments and
menu items are not essays and are left behind (counted in the report).
"""

from __future__ import annotations

import html
import re
from pathlib import Path
from urllib.parse import unquote

import nh3

from ..comments import EMAIL_RE, REDACTED
from . import (EssayFile, ImportFileError, Item, Report, Site, one_line, parse_date,
               progress_bar, read_export, slugify, wants_progress)
from .htmlmd import html_to_markdown, html_to_text
from .xmlsafe import canonical, children, parse, text_of

SUPPORTED_VERSIONS = ("1.0", "1.1", "1.2")
# The essay body is the author's own, trusted text: keep its HTML, minus scripts & co.
ESSAY_TAGS = set(nh3.ALLOWED_TAGS) | {"figure", "figcaption"}
ESSAY_ATTRIBUTES = {"*": {"class", "id", "title", "lang", "dir"},
                    "a": {"href", "name", "rel", "target"},
                    "img": {"src", "alt", "width", "height", "srcset", "sizes", "loading"},
                    "td": {"colspan", "rowspan"}, "th": {"colspan", "rowspan", "scope"},
                    "ol": {"start", "type"}, "blockquote": {"cite"}, "q": {"cite"},
                    "time": {"datetime"}}
SHORTCODES = re.compile(r"\[/?(?:caption|gallery|embed|audio|video|playlist|wpvideo)\b[^\]]*\]")
BLOCK_START = re.compile(r"\s*<(?:p|div|h[1-6]|ul|ol|li|pre|blockquote|table|figure|hr|dl|"
                         r"section|article|aside|header|footer|address|details|iframe)\b",
                         re.IGNORECASE)
OPENERS = re.compile(r"<(pre|ul|ol|table|blockquote|div|figure|dl|section|details)\b",
                     re.IGNORECASE)
CLOSERS = re.compile(r"</(pre|ul|ol|table|blockquote|div|figure|dl|section|details)\s*>",
                     re.IGNORECASE)


def read(path: Path, site: Site, report: Report) -> tuple[list[Item], list[EssayFile]]:
    """One WXR file, or a folder of them (WordPress.com splits large exports in parts)."""
    if not path.is_dir():
        return read_file(path, site, report, {})
    files = sorted(p for p in path.iterdir() if p.suffix.lower() in (".xml", ".gz"))
    if not files:
        raise ImportFileError(path, None, "no .xml files in this folder",
                              "give the export file, or the folder of its parts")
    items: list[Item] = []
    essays: list[EssayFile] = []
    slugs_taken: dict[str, str] = {}
    for file in files:  # every part is read and checked before anything is written
        more_items, more_essays = read_file(file, site, report, slugs_taken)
        items += more_items
        essays += more_essays
    return items, essays


def read_file(path: Path, site: Site, report: Report,
              slugs_taken: dict[str, str]) -> tuple[list[Item], list[EssayFile]]:
    raw = read_export(path)
    root = parse(path, raw, report, "WordPress (WXR)")
    channel = root.find("channel")
    if canonical(root.tag) != "rss" or channel is None:
        raise ImportFileError(path, 1, f"not a WordPress export (root element <{root.tag}>)",
                              "in WordPress use Tools → Export → All content")
    meta = children(channel)
    version = text_of(meta.get("wp:wxr_version"))
    if not version:
        raise ImportFileError(path, 1, "no <wp:wxr_version>: not a WordPress export",
                              "in WordPress use Tools → Export → All content")
    if version not in SUPPORTED_VERSIONS:
        report.warn(f"{path}: WXR version {version} is newer than 1.2; read as 1.2")
    authors = _authors(channel)

    items: list[Item] = []
    essays: list[EssayFile] = []
    posts = list(channel.iter("item"))
    with progress_bar("converting", len(posts), wants_progress(size=len(raw))) as bar:
        for element in posts:
            bar.advance()
            essay, comments = _post(element, authors, site, slugs_taken, report, path)
            if essay is None:
                continue
            essays.append(essay)
            author_id = authors.get(text_of(children(element).get("dc:creator")), {}).get("id")
            for comment in comments:
                item = _comment(comment, essay, author_id, site, report, path)
                if item is not None:
                    items.append(item)
    if not essays and not items:
        report.warn(f"{path}: the export has no posts")
    return items, essays


def _post(element, authors, site: Site, slugs_taken, report: Report, path: Path):
    """The essay for one <item> and its <wp:comment>s; (None, []) for what is not an essay."""
    fields = children(element)
    post_type = text_of(fields.get("wp:post_type")) or "post"
    status = text_of(fields.get("wp:status")) or "publish"
    comments = [c for c in element if canonical(c.tag) == "wp:comment"]
    if post_type != "post":
        if post_type == "page":
            report.skip("a page, not an essay (pages are not imported)")
            if comments:
                report.skip("a comment on a page (pages are not imported)", len(comments))
        return None, []
    if status in ("trash", "auto-draft", "inherit"):
        report.skip(f"a post with status '{status}'")
        if comments:
            report.skip(f"a comment on a post with status '{status}'", len(comments))
        return None, []
    return _essay(fields, element, status, authors, site, slugs_taken, report, path), comments


def _authors(channel) -> dict[str, dict[str, str]]:
    found = {}
    for element in channel:
        if canonical(element.tag) != "wp:author":
            continue
        fields = children(element)
        login = text_of(fields.get("wp:author_login"))
        found[login] = {"id": text_of(fields.get("wp:author_id")),
                        "name": text_of(fields.get("wp:author_display_name")) or login}
    return found


def _essay(fields, element, status, authors, site: Site, slugs_taken, report, path) -> EssayFile:
    post_id = text_of(fields.get("wp:post_id"))
    title = one_line(html.unescape(text_of(fields.get("title")))) or f"Untitled {post_id}"
    slug = slugify(unquote(text_of(fields.get("wp:post_name")))) or slugify(title) \
        or f"post-{post_id}"
    # An essay imported earlier (say by pelican-import) under this slug or old URL.
    slug = site.essays.match(slug, text_of(fields.get("link"))) or slug
    if slug in slugs_taken and slugs_taken[slug] != post_id:
        slug = f"{slug[:70]}-{post_id}"
        report.warn(f"{path}: two posts share a slug; post {post_id} became '{slug}'")
    slugs_taken[slug] = post_id
    when = (parse_date(text_of(fields.get("wp:post_date_gmt")))
            or parse_date(text_of(fields.get("wp:post_date")), site.timezone)
            or parse_date(text_of(fields.get("pubDate"))))
    modified = (parse_date(text_of(fields.get("wp:post_modified_gmt")))
                or parse_date(text_of(fields.get("wp:post_modified")), site.timezone))
    tags, category = [], None
    for cat in element.findall("category"):
        name = one_line(text_of(cat))
        domain = cat.get("domain")
        if not name:
            continue
        if domain in ("post_tag", "tag"):
            tags.append(name.replace(",", " "))
        elif domain in (None, "category") and category is None and name != "Uncategorized":
            category = name
    login = text_of(fields.get("dc:creator"))
    author = authors.get(login, {}).get("name") or login
    summary = one_line(html_to_text(text_of(fields.get("excerpt:encoded"))))
    lines = [f"Title: {title}"]
    if when:
        lines.append(f"Date: {when.isoformat()}")
    else:
        report.warn(f"{path}: post {post_id} '{title}' has no date; Pelican will use the "
                    "file's date")
    if modified and when and modified > when:
        lines.append(f"Modified: {modified.isoformat()}")
    lines.append(f"Slug: {slug}")
    if tags:
        lines.append(f"Tags: {', '.join(dict.fromkeys(tags))}")
    # Always a category: Pelican 4.12 fails on a draft without one when categories are
    # not written (as on this site).
    category = category or site.settings.get("DEFAULT_CATEGORY") or "essays"
    lines.append(f"Category: {category}")
    if author:
        lines.append(f"Author: {author}")
    if summary:
        lines.append(f"Summary: {summary}")
    if status != "publish":
        lines.append("Status: draft")
    body = essay_body(text_of(fields.get("content:encoded")))
    # E-mail addresses only: the comment redaction's IP patterns also match times
    # ("10:30:00") and version numbers, which an essay has every right to contain.
    redacted = EMAIL_RE.sub(REDACTED, body)
    if redacted != body:
        report.warn(f"essay '{slug}': e-mail addresses in its text were replaced by "
                    "'[address removed]' (none may be written into content/); restore any "
                    "you mean to publish by hand")
    text = "\n".join(lines) + "\n\n" + redacted.strip() + "\n"
    return EssayFile(slug=slug, text=text, title=title, date=when)


def essay_body(content: str) -> str:
    """A post's HTML, cleaned, as raw HTML blocks Markdown passes through unchanged.

    WordPress stores posts without <p> tags (it adds them on display); this adds them
    the same way, at the top level only, and leaves blocks such as <pre> untouched.
    """
    content = SHORTCODES.sub("", content.replace("\r\n", "\n"))
    content = nh3.clean(content, tags=ESSAY_TAGS, attributes=ESSAY_ATTRIBUTES, link_rel=None,
                        url_schemes={"http", "https", "mailto"}, strip_comments=True)
    blocks, depth, pending = [], 0, []
    for chunk in re.split(r"\n\s*\n", content):
        if not chunk.strip():
            continue
        if depth > 0:
            pending.append(chunk)
        elif BLOCK_START.match(chunk):
            pending = [chunk.strip()]
        else:
            pending = ["<p>" + chunk.strip().replace("\n", "<br>\n") + "</p>"]
        depth += len(OPENERS.findall(chunk)) - len(CLOSERS.findall(chunk))
        depth = max(depth, 0)
        if depth == 0:
            blocks.append("\n\n".join(pending))
            pending = []
    if pending:
        blocks.append("\n\n".join(pending))
    return "\n\n".join(blocks)


def _comment(element, essay: EssayFile, author_id, site: Site, report: Report,
             path: Path) -> Item | None:
    fields = children(element)
    value = lambda name: text_of(fields.get(f"wp:{name}"))  # noqa: E731
    source_id = value("comment_id")
    parent = value("comment_parent")
    parent = None if parent in ("", "0") else parent
    approved = value("comment_approved").lower()
    if approved in ("spam",):
        report.drop(source_id, parent, "spam")
        return None
    if approved in ("trash", "post-trashed"):
        report.drop(source_id, parent, "in the trash")
        return None
    if approved not in ("1", "0", "approve", "approved", "hold"):
        report.drop(source_id, parent, f"unknown approval state '{approved}'")
        return None
    comment_type = value("comment_type").lower() or "comment"
    meta = _commentmeta(element)
    url = None
    if comment_type in ("comment", "review"):
        kind = "comment"
    elif comment_type in ("pingback", "trackback"):
        kind = "mention"
        url = value("comment_author_url")
    elif comment_type == "webmention":
        kind = {"like": "like", "favorite": "like", "repost": "repost", "bookmark": "repost",
                "reply": "response", "comment": "response"}.get(
                    meta.get("semantic_linkbacks_type", "").lower(), "mention")
        url = meta.get("semantic_linkbacks_canonical") or value("comment_author_url")
    else:
        report.drop(source_id, parent, f"a '{comment_type}' note, not a comment")
        return None
    content = value("comment_content")
    body = html_to_markdown(content)
    if not body.strip() and kind in ("comment", "response"):
        report.drop(source_id, parent, "an empty comment")
        return None
    user_id = value("user_id") or value("comment_user_id")
    role = "author" if author_id and user_id and user_id != "0" and user_id == author_id \
        else None
    when = (parse_date(value("comment_date_gmt"))
            or parse_date(value("comment_date"), site.timezone))
    return Item(
        source_id=source_id, essay=essay.slug, author=html.unescape(value("comment_author")),
        date=when,
        body=body, kind=kind, parent=parent, url=url,
        website=value("comment_author_url") if kind == "comment" else None,
        email=value("comment_author_email") or None, ip=value("comment_author_IP") or None,
        role=role, pending=approved in ("0", "hold"), fallback_date=essay.date,
        where=f"{path.name} post '{essay.slug}' comment")


def _commentmeta(element) -> dict[str, str]:
    meta = {}
    for child in element:
        if canonical(child.tag) != "wp:commentmeta":
            continue
        fields = children(child)
        meta[text_of(fields.get("wp:meta_key"))] = text_of(fields.get("wp:meta_value"))
    return meta


__all__ = ["read", "essay_body"]
