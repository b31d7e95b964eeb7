"""`colloquy export wordpress OUT.xml`: the site as WordPress eXtended RSS 1.2.

What WordPress's own importer (the wordpress-importer plugin) needs, and so what this
writes: an RSS 2.0 document declaring the `wp` namespace of WXR 1.2 with a
`<wp:wxr_version>`; one `<wp:author>`; one `<item>` per essay (`post`) or page (`page`)
with `wp:post_id`, `wp:post_name`, `wp:status`, both dates, and its `<wp:comment>`s.
The importer inserts comments in the order of their ids and maps `comment_parent` only
to a comment it has already inserted, so parents get smaller ids than their replies.

Kinds: a mention is a `pingback`; responses, likes and reposts are `webmention`s with
the Webmention plugin's `semantic_linkbacks_type` (reply, like, repost), as that plugin
stores them. Comment files are approved (`1`); comments waiting in the intake store are
exported unapproved (`0`), without their e-mail or IP address. Colloquy's own comment id, its
Markdown and its date with its own offset travel in comment meta, so importing the file
back gives the same comment files (WordPress shows the HTML and ignores the rest).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timezone
from pathlib import Path
from xml.sax.saxutils import escape

from .. import text
from ..comments import Comment, load_comments
from ..errors import ColloquyError, SettingError
from ..files import atomic_write
from ..markup import render
from ..slugs import Entry, site_entries
from ..urls import SiteUrls
from .essays import Site

WXR = "1.2"
AUTHOR_ID = "1"
STATUS = {"published": "publish", "draft": "draft", "hidden": "private"}
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def export_wordpress(settings: dict, out: str | Path) -> str:
    """Write the WXR file; return a one-line summary."""
    site = Site(settings)
    entries = site_entries(settings) if site.content.is_dir() else {}
    comments, problems = load_comments(site.comments_root)
    pending = _pending(site)
    by_entry: dict[str, list[Comment]] = defaultdict(list)
    for comment in comments + pending:
        by_entry[comment.essay].append(comment)
    waiting = {c.id for c in pending}
    author = text.clean_line(str(settings.get("AUTHOR") or "")) or "author"
    login = site.slugify(author) or "author"
    parts = [_channel(settings, author, login)]
    from pelican.readers import Readers

    readers = Readers(settings)
    try:
        urls = SiteUrls(settings)
    except SettingError:  # an essay URL Colloquy cannot make: links fall back to the slug
        urls = None
    next_comment = 1
    order = lambda e: (e.kind != "essay", _aware(e.date or EPOCH, site), e.slug)  # noqa: E731
    for post_id, entry in enumerate(sorted(entries.values(), key=order), 1):
        thread = by_entry.pop(entry.slug, [])
        numbered = _numbered(thread, next_comment)
        next_comment += len(numbered)
        parts.append(_item(entry, post_id, login, site, settings, numbered,
                           _content(entry, readers), waiting, urls))
    left_out = sum(len(c) for c in by_entry.values())
    broken = sum(1 for p in problems if getattr(p, "fatal", True))
    parts.append("</channel>\n</rss>\n")
    try:
        atomic_write(out, "".join(parts))
    except OSError as exc:
        raise ColloquyError(f"{out}: cannot write the export ({exc.strerror or exc}); give a "
                            "path in a folder you can write to") from None
    summary = (f"wrote {out}: {len(entries)} essays and pages, {next_comment - 1} comments "
               f"({len(waiting)} waiting for moderation) (WXR {WXR})")
    if left_out or broken:
        summary += (f"; left out {left_out} comment(s) whose essay is not on the site and "
                    f"{broken} broken comment file(s): run `colloquy check`")
    return summary


def _pending(site: Site) -> list[Comment]:
    """Comments waiting in the intake store, without their e-mail and IP address."""
    path = site.store_path()
    if not path.exists():  # no intake yet: nothing waits (and no store is created)
        return []
    from ..store import Store

    store = Store(path)
    try:
        return [row.to_comment() for row in store.list("pending")]
    finally:
        store.close()


def _numbered(comments: list[Comment], first: int) -> list[tuple[int, int, Comment]]:
    """(wp id, wp parent id, comment), parents before their replies, oldest first.

    Walked without recursion: a reply chain may be thousands deep.
    """
    ids = {c.id for c in comments}
    children: dict[str | None, list[Comment]] = defaultdict(list)
    for comment in comments:
        parent = comment.reply_to if comment.reply_to in ids else None
        children[parent].append(comment)
    for group in children.values():
        group.sort(key=lambda c: (c.date, c.id), reverse=True)
    numbered: dict[str, int] = {}
    out: list[tuple[int, int, Comment]] = []
    stack = list(children[None])
    leftovers = sorted(comments, key=lambda c: (c.date, c.id), reverse=True)
    while stack or leftovers:
        if not stack:  # members of a reply cycle: start one where the cycle is
            candidate = leftovers.pop()
            if candidate.id not in numbered:
                stack.append(candidate)
            continue
        comment = stack.pop()
        if comment.id in numbered:
            continue
        numbered[comment.id] = first + len(out)
        out.append((numbered[comment.id], numbered.get(comment.reply_to, 0), comment))
        stack.extend(children.get(comment.id, []))
    return out


def _channel(settings: dict, author: str, login: str) -> str:
    site_url = text.clean_line(str(settings.get("SITEURL") or ""))
    now = datetime.now(timezone.utc).strftime("%a, %d %b %Y %H:%M:%S +0000")
    return f"""<?xml version="1.0" encoding="UTF-8" ?>
<!-- A WordPress eXtended RSS file written by Colloquy (colloquy export wordpress). -->
<!-- Import it in WordPress with Tools > Import > WordPress, or into another Colloquy
     site with colloquy import wordpress. -->
<rss version="2.0"
	xmlns:excerpt="http://wordpress.org/export/{WXR}/excerpt/"
	xmlns:content="http://purl.org/rss/1.0/modules/content/"
	xmlns:wfw="http://wellformedweb.org/CommentAPI/"
	xmlns:dc="http://purl.org/dc/elements/1.1/"
	xmlns:wp="http://wordpress.org/export/{WXR}/"
>
<channel>
	<title>{_text(settings.get("SITENAME"))}</title>
	<link>{_text(site_url)}</link>
	<description>{_text(settings.get("SITESUBTITLE"))}</description>
	<pubDate>{now}</pubDate>
	<language>{_text(settings.get("DEFAULT_LANG") or "en")}</language>
	<wp:wxr_version>{WXR}</wp:wxr_version>
	<wp:base_site_url>{_text(site_url)}</wp:base_site_url>
	<wp:base_blog_url>{_text(site_url)}</wp:base_blog_url>
	<wp:author><wp:author_id>{AUTHOR_ID}</wp:author_id><wp:author_login>{_cdata(login)}</wp:author_login><wp:author_email></wp:author_email><wp:author_display_name>{_cdata(author)}</wp:author_display_name><wp:author_first_name></wp:author_first_name><wp:author_last_name></wp:author_last_name></wp:author>
	<generator>Colloquy</generator>
"""


def _item(entry: Entry, post_id: int, login: str, site: Site, settings: dict,
          comments: list[tuple[int, int, Comment]], content: str, waiting: set[str],
          urls: SiteUrls | None) -> str:
    meta = entry.metadata
    when = _aware(entry.date, site) if entry.date else None
    link = _url(entry, settings, urls)
    terms = ""
    if entry.kind == "essay":
        if meta.get("category"):
            name = text.clean_line(str(meta["category"]))
            terms += f'\t\t<category domain="category" nicename="{_attr(site.slugify(name))}">{_cdata(name)}</category>\n'
        for tag in meta.get("tags") or []:
            name = text.clean_line(str(tag))
            terms += f'\t\t<category domain="post_tag" nicename="{_attr(site.slugify(name))}">{_cdata(name)}</category>\n'
    return (f"""
	<item>
		<title>{_cdata(text.clean_line(entry.title))}</title>
		<link>{_text(link)}</link>
		<pubDate>{when.strftime("%a, %d %b %Y %H:%M:%S %z") if when else ""}</pubDate>
		<dc:creator>{_cdata(login)}</dc:creator>
		<guid isPermaLink="false">{_text(link)}</guid>
		<description></description>
		<content:encoded>{_cdata(content)}</content:encoded>
		<excerpt:encoded>{_cdata(str(meta.get("summary") or "") if meta.get("summary") else "")}</excerpt:encoded>
		<wp:post_id>{post_id}</wp:post_id>
		<wp:post_date>{_cdata(_local(when, site))}</wp:post_date>
		<wp:post_date_gmt>{_cdata(_gmt(when))}</wp:post_date_gmt>
		<wp:comment_status>{_cdata("open")}</wp:comment_status>
		<wp:ping_status>{_cdata("open")}</wp:ping_status>
		<wp:post_name>{_cdata(entry.slug)}</wp:post_name>
		<wp:status>{_cdata(STATUS.get(entry.status, "draft"))}</wp:status>
		<wp:post_parent>0</wp:post_parent>
		<wp:menu_order>0</wp:menu_order>
		<wp:post_type>{_cdata("post" if entry.kind == "essay" else "page")}</wp:post_type>
		<wp:post_password>{_cdata("")}</wp:post_password>
		<wp:is_sticky>0</wp:is_sticky>
{terms}""" + "".join(_comment(wp_id, parent, c, site, c.id not in waiting)
                      for wp_id, parent, c in comments)
            + "\t</item>\n")


def _comment(wp_id: int, parent: int, comment: Comment, site: Site, approved: bool) -> str:
    kind = comment.kind or "comment"
    link_type = {"mention": "pingback"}.get(kind, "" if kind == "comment" else "webmention")
    author_url = comment.website if kind == "comment" else (comment.url or comment.website)
    meta = {"colloquy_id": comment.id, "colloquy_markdown": comment.body,
            "colloquy_date": comment.date.isoformat()}
    if link_type == "webmention":
        meta["semantic_linkbacks_type"] = {"response": "reply"}.get(kind, kind)
        if comment.url:
            meta["semantic_linkbacks_canonical"] = comment.url
    if kind != "comment" and comment.website:
        meta["colloquy_website"] = comment.website
    metas = "".join(f"""
			<wp:commentmeta>
				<wp:meta_key>{_cdata(key)}</wp:meta_key>
				<wp:meta_value>{_cdata(value)}</wp:meta_value>
			</wp:commentmeta>""" for key, value in meta.items())
    return f"""		<wp:comment>
			<wp:comment_id>{wp_id}</wp:comment_id>
			<wp:comment_author>{_cdata(comment.author)}</wp:comment_author>
			<wp:comment_author_email>{_cdata("")}</wp:comment_author_email>
			<wp:comment_author_url>{_text(author_url or "")}</wp:comment_author_url>
			<wp:comment_author_IP>{_cdata("")}</wp:comment_author_IP>
			<wp:comment_date>{_cdata(_local(comment.date, site))}</wp:comment_date>
			<wp:comment_date_gmt>{_cdata(_gmt(comment.date))}</wp:comment_date_gmt>
			<wp:comment_content>{_cdata(render(comment.body) if kind not in ("like", "repost") else "")}</wp:comment_content>
			<wp:comment_approved>{_cdata("1" if approved else "0")}</wp:comment_approved>
			<wp:comment_type>{_cdata(link_type or "comment")}</wp:comment_type>
			<wp:comment_parent>{parent}</wp:comment_parent>
			<wp:comment_user_id>{AUTHOR_ID if comment.role == "author" else "0"}</wp:comment_user_id>{metas}
		</wp:comment>
"""


def _content(entry: Entry, readers) -> str:
    """The entry's HTML as Pelican renders it (its reader, the site's Markdown settings)."""
    reader = readers.readers.get(entry.path.suffix.lstrip("."))
    try:
        content, _ = reader.read(str(entry.path))
    except Exception:  # Pelican reports a file it cannot read; the export carries on
        return ""
    return content or ""


def _url(entry: Entry, settings: dict, urls: SiteUrls | None) -> str:
    """The entry's public URL, from the site's URL settings (`urls.SiteUrls`)."""
    try:
        path = urls.essay(entry.slug, "page" if entry.kind == "page" else "essay")
    except (AttributeError, SettingError):  # settings the build would refuse too
        path = f"{entry.slug}/"
    return f"{str(settings.get('SITEURL') or '').rstrip('/')}/{path}"


def _aware(when: datetime, site: Site) -> datetime:
    return when if when.tzinfo else when.replace(tzinfo=site.timezone)


def _local(when: datetime | None, site: Site) -> str:
    return _aware(when, site).astimezone(site.timezone).strftime("%Y-%m-%d %H:%M:%S") \
        if when else "0000-00-00 00:00:00"


def _gmt(when: datetime | None) -> str:
    return when.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S") if when \
        else "0000-00-00 00:00:00"


def _text(value) -> str:
    return escape(text.clean_line(str(value or "")))


def _attr(value: str) -> str:
    return escape(value, {'"': "&quot;"})


def _cdata(value: str) -> str:
    """A CDATA section, as WordPress writes them; `]]>` inside is split across two."""
    return "<![CDATA[" + text.clean(str(value)).replace("]]>", "]]]]><![CDATA[>") + "]]>"
