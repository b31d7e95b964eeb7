"""WordPress eXtended RSS (WXR 1.0, 1.1, 1.2): essays, pages and their conversations.

Posts become essays (content/essays/<slug>.md with Pelican metadata) and pages become
Pelican pages (content/pages/<slug>.md); their comments keep their reply structure;
pingbacks and trackbacks become mentions; webmentions (from the Webmention plugin)
become responses, likes, reposts or mentions; unapproved comments go to the pending
queue; spam and trash are skipped. Attachments and menu items are left behind (named
in the report). The author's text is kept as written, cleaned only of what the build
cannot carry or must not run (scripts, event handlers); every metadata value is one
clean line, so no field can add a line of its own to the file.

Files written by `colloquy export wordpress` carry Colloquy's own comment id, Markdown
and dated offset in comment meta (`colloquy_id`, `colloquy_markdown`, `colloquy_date`):
importing such a file gives back the same comment files.
"""

from __future__ import annotations

import html
import re
from datetime import datetime
from pathlib import Path
from urllib.parse import unquote

import nh3

from .. import text
from .essays import Site
from .htmlmd import html_to_markdown, html_to_text
from .inputs import progress_bar, read_export, wants_progress
from .items import EntryFile, ImportFileError, Item, parse_date, short_hash
from .report import Report
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


def read(path: Path, site: Site, report: Report) -> tuple[list[Item], list[EntryFile]]:
    """One WXR file, or a folder of them (WordPress.com splits large exports in parts)."""
    if not path.is_dir():
        return read_file(path, site, report, {})
    files = sorted(p for p in path.iterdir() if p.suffix.lower() in (".xml", ".gz"))
    if not files:
        raise ImportFileError(path, None, "no .xml files in this folder",
                              "give the export file, or the folder of its parts")
    items: list[Item] = []
    essays: list[EntryFile] = []
    slugs_taken: dict[str, str] = {}
    for file in files:  # every part is read and checked before anything is written
        more_items, more_essays = read_file(file, site, report, slugs_taken)
        items += more_items
        essays += more_essays
    return items, essays


def read_file(path: Path, site: Site, report: Report,
              slugs_taken: dict[str, str]) -> tuple[list[Item], list[EntryFile]]:
    raw = read_export(path)
    root = parse(path, raw, report, "WordPress (WXR)")
    channel = root.find("channel")
    if canonical(root.tag) != "rss" or channel is None:
        raise ImportFileError(path, 1, f"not a WordPress export (root element <{root.tag}>)",
                              "in WordPress use Tools → Export → All content")
    meta = children(channel)
    version = text_of(meta.get("wp:wxr_version"))
    if not version and not any(canonical(e.tag).startswith("wp:") for e in channel.iter()):
        raise ImportFileError(path, 1, "not a WordPress export (an RSS feed with no "
                              "WordPress elements)", "in WordPress use Tools → Export → "
                              "All content")
    if not version:
        report.warn(f"{path}: no <wp:wxr_version>, but WordPress elements: read as WXR 1.2 "
                    "(older WordPress versions and some other tools write such files)")
    elif version not in SUPPORTED_VERSIONS:
        report.warn(f"{path}: WXR version {text.clean_line(version)[:20]} is not one of "
                    f"{', '.join(SUPPORTED_VERSIONS)}; read as 1.2")
    authors = _authors(channel)

    items: list[Item] = []
    entries: list[EntryFile] = []
    posts = list(channel.iter("item"))
    with progress_bar("converting", len(posts), wants_progress(size=len(raw))) as bar:
        for element in posts:
            bar.advance()
            entry, comments = _post(element, authors, site, slugs_taken, report, path)
            if entry is None:
                continue
            author_id = authors.get(text_of(children(element).get("dc:creator")), {}).get("id")
            entries.append(entry)
            for comment in comments:
                item = _comment(comment, entry, author_id, site, report, path)
                if item is not None:
                    items.append(item)
    if not entries and not items:
        report.warn(f"{path}: the export has no posts")
    return items, entries


def _post(element, authors, site: Site, slugs_taken, report: Report, path: Path):
    """The essay or page for one <item> and its <wp:comment>s; (None, []) otherwise."""
    fields = children(element)
    post_type = text_of(fields.get("wp:post_type")) or "post"
    status = text_of(fields.get("wp:status")) or "publish"
    comments = [c for c in element if canonical(c.tag) == "wp:comment"]
    where = {"source_id": text_of(fields.get("wp:post_id")),
             "thread_title": html.unescape(text_of(fields.get("title"))),
             "thread_url": text_of(fields.get("link")), "where": path.name}
    if post_type not in ("post", "page"):
        report.skip(f"a WordPress '{text.clean_line(post_type)[:40]}', not a post or page",
                    what=post_type, **where)
        _skip_comments(comments, f"a comment on a '{text.clean_line(post_type)[:40]}'", report,
                       where)
        return None, []
    if status in ("trash", "auto-draft", "inherit"):
        report.skip(f"a {post_type} with status '{status}'", what=post_type, **where)
        _skip_comments(comments, f"a comment on a {post_type} with status '{status}'",
                       report, where)
        return None, []
    entry = _entry(fields, element, post_type, status, authors, site, slugs_taken, report,
                   path)
    return entry, comments


def _skip_comments(comments, reason: str, report: Report, where: dict) -> None:
    for comment in comments:
        fields = children(comment)
        parent = text_of(fields.get("wp:comment_parent"))
        report.drop(text_of(fields.get("wp:comment_id")), None if parent in ("", "0") else parent,
                    reason, **{k: v for k, v in where.items() if k != "source_id"})


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


def _title(value: str) -> str:
    """A title as one line of HTML-safe text (Pelican's templates print titles as HTML)."""
    return html.escape(text.clean_line(html_to_text(value)), quote=False)


def _entry(fields, element, post_type, status, authors, site: Site, slugs_taken, report,
           path) -> EntryFile:
    post_id = text.clean_line(text_of(fields.get("wp:post_id")))
    title = _title(text_of(fields.get("title"))) or f"Untitled {post_id}"
    slug = site.slugify(unquote(text_of(fields.get("wp:post_name")))) or site.slugify(title) \
        or site.slugify(f"{post_type}-{post_id}") or post_type
    # An essay imported earlier (say by pelican-import) under this slug or old URL.
    slug = site.essays.match(slug, text_of(fields.get("link"))) or slug
    if slug in slugs_taken and slugs_taken[slug] != post_id:
        # The post id is input too: slugified like the rest, and the path still goes
        # through files.inside when written.
        slug = f"{slug[:70]}-{site.slugify(post_id) or short_hash(post_id)}"
        report.warn(f"{path.name}: two posts share a slug; post {post_id} became '{slug}'")
    slugs_taken[slug] = post_id
    when = (parse_date(text_of(fields.get("wp:post_date_gmt")))
            or parse_date(text_of(fields.get("wp:post_date")), site.timezone)
            or parse_date(text_of(fields.get("pubDate"))))
    modified = (parse_date(text_of(fields.get("wp:post_modified_gmt")))
                or parse_date(text_of(fields.get("wp:post_modified")), site.timezone))
    login = text_of(fields.get("dc:creator"))
    meta = {"Title": title, "Date": when and when.isoformat(),
            "Modified": modified.isoformat() if modified and when and modified > when else None,
            "Slug": slug}
    if post_type == "post":
        meta.update(_terms(element, site))
    meta["Author"] = authors.get(login, {}).get("name") or login
    meta["Summary"] = html.escape(html_to_text(text_of(fields.get("excerpt:encoded"))),
                                  quote=False)
    if status != "publish" or text_of(fields.get("wp:post_password")):
        # A password-protected post was never public: it must not become so on import.
        meta["Status"] = "draft"
    if status == "publish" and text_of(fields.get("wp:post_password")):
        report.change("password-protected on the old site; imported as a draft", what=post_type,
                      source_id=post_id, thread_title=title,
                      thread_url=text_of(fields.get("link")), where=path.name)
    if not when:
        report.warn(f"{path.name}: {post_type} {post_id} '{title}' has no date; Pelican will "
                    "use the file's date")
    lines = [f"{key}: {value}" for key, value in
             ((key, text.clean_line(str(value or ""))) for key, value in meta.items()) if value]
    body = text.clean(essay_body(text_of(fields.get("content:encoded")))).strip()
    return EntryFile(slug=slug, text="\n".join(lines) + "\n\n" + body + "\n",
                     kind="page" if post_type == "page" else "essay", title=title, date=when,
                     source_id=post_id, url=text.clean_line(text_of(fields.get("link"))))


def _terms(element, site: Site) -> dict[str, str]:
    tags, category = [], None
    for cat in element.findall("category"):
        name = text.clean_line(text_of(cat))
        domain = cat.get("domain")
        if not name:
            continue
        if domain in ("post_tag", "tag"):
            tags.append(name.replace(",", " "))
        elif domain in (None, "category") and category is None and name != "Uncategorized":
            category = name
    # Always a category: Pelican 4.12 fails on a draft without one when categories are
    # not written (as on this site).
    return {"Tags": ", ".join(dict.fromkeys(tags)),
            "Category": category or site.settings.get("DEFAULT_CATEGORY") or "essays"}


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


def _comment(element, entry: EntryFile, author_id, site: Site, report: Report,
             path: Path) -> Item | None:
    fields = children(element)
    value = lambda name: text_of(fields.get(f"wp:{name}"))  # noqa: E731
    source_id = value("comment_id")
    parent = value("comment_parent")
    parent = None if parent in ("", "0") else parent
    where = {"thread_title": entry.title, "thread_url": entry.url,
             "where": f"{path.name} {entry.kind} '{entry.slug}' comment"}
    approved = value("comment_approved").lower()
    if approved in ("spam",):
        report.drop(source_id, parent, "spam", **where)
        return None
    if approved in ("trash", "post-trashed"):
        report.drop(source_id, parent, "in the trash", **where)
        return None
    if approved not in ("1", "0", "approve", "approved", "hold"):
        report.drop(source_id, parent, "an unknown approval state", detail=approved, **where)
        return None
    comment_type = value("comment_type").lower() or "comment"
    meta = _commentmeta(element)
    kind, url = _kind(comment_type, meta, value("comment_author_url"))
    if kind is None:
        report.drop(source_id, parent, f"a '{text.clean_line(comment_type)[:40]}' note, "
                    "not a comment", **where)
        return None
    body = meta.get("colloquy_markdown") or html_to_markdown(value("comment_content"))
    if not body.strip() and kind in ("comment", "response"):
        report.drop(source_id, parent, "an empty comment", **where)
        return None
    user_id = value("user_id") or value("comment_user_id")
    role = "author" if author_id and user_id and user_id != "0" and user_id == author_id \
        else None
    when = (_own_date(meta.get("colloquy_date")) or parse_date(value("comment_date_gmt"))
            or parse_date(value("comment_date"), site.timezone))
    return Item(
        source_id=source_id, essay=entry.slug, author=html.unescape(value("comment_author")),
        date=when, body=body, kind=kind, parent=parent, url=url,
        website=value("comment_author_url") if kind == "comment" else meta.get("colloquy_website"),
        email=value("comment_author_email") or None, ip=value("comment_author_IP") or None,
        role=role, pending=approved in ("0", "hold"), fallback_date=entry.date,
        wanted_id=meta.get("colloquy_id"), **where)


def _kind(comment_type: str, meta: dict, author_url: str) -> tuple[str | None, str | None]:
    """Colloquy's kind and URL for a WordPress comment type (None: not a comment)."""
    if comment_type in ("comment", "review"):
        return "comment", None
    if comment_type in ("pingback", "trackback"):
        return "mention", author_url
    if comment_type == "webmention":
        kind = {"like": "like", "favorite": "like", "repost": "repost", "bookmark": "repost",
                "reply": "response", "comment": "response"}.get(
                    meta.get("semantic_linkbacks_type", "").lower(), "mention")
        if "colloquy_id" in meta:  # Colloquy's export: the author URL is their website
            return kind, meta.get("semantic_linkbacks_canonical")
        return kind, meta.get("semantic_linkbacks_canonical") or author_url
    return None, None


def _own_date(value: str | None) -> datetime | None:
    """The date with its own UTC offset, as Colloquy's export keeps it."""
    try:
        when = datetime.fromisoformat(value or "")
    except ValueError:
        return None
    return when if when.tzinfo else None


def _commentmeta(element) -> dict[str, str]:
    meta = {}
    for child in element:
        if canonical(child.tag) != "wp:commentmeta":
            continue
        fields = children(child)
        meta[text_of(fields.get("wp:meta_key"))] = text_of(fields.get("wp:meta_value"))
    return meta


__all__ = ["read", "essay_body"]
