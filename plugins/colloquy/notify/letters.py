"""What each mail says, written when it is sent, from the store as it is then.

Four kinds: `pending` (to the author: new items, batched, with signed approve and reject
links), `confirm` (to a commenter: confirm the subscription, double opt-in), `published`
(to a subscriber: your comment is published) and `reply` (to a subscriber: someone
replied). Notices to commenters carry RFC 8058 one-click unsubscribe headers and the same
link in the text. A commenter's text goes through `text.clean`; in the HTML part it is
rendered and sanitised by `markup.render`; Jinja escapes everything else.
"""

from __future__ import annotations

import html as htmllib
import re
import sqlite3
from dataclasses import dataclass
from email.headerregistry import Address
from pathlib import Path
from typing import TYPE_CHECKING

from jinja2 import Environment
from markupsafe import Markup

from .. import markup
from ..comments import is_http_url, parse_comment
from ..files import UnsafePath, inside
from ..text import clean, clean_line
from . import links, mail
from .outbox import Batch

if TYPE_CHECKING:
    from ..intake import SiteIndex

TITLE_RE = re.compile(r'<h1 id="essay-title">(.*?)</h1>', re.DOTALL)


@dataclass
class Context:
    """What writing mail needs from the server, resolved once."""

    secret: bytes
    site_name: str
    base: str  # the public address, no trailing slash
    intake_url: str
    output: Path
    comments_root: Path
    sender: Address
    author: Address
    link_max_age: float
    index: SiteIndex  # where the built essays (and pages with conversations) are

    def essay_url(self, essay: str, comment_id: str | None = None) -> str:
        """The essay's public address, from the site's URL settings (ARTICLE_URL)."""
        path = self.index.url_of(essay) or "/" + self.index.urls.essay(essay, "essay")
        return f"{self.base}{path}" + (f"#c-{comment_id}" if comment_id else "")

    def action_url(self, action: str, comment_id: str) -> str:
        token = links.issue_action(self.secret, action, comment_id)
        return f"{self.base}/moderation/link/{action}/{comment_id}/{token}"

    def subscription_url(self, sub_id: int, purpose: str) -> str:
        key = links.subscription_key(self.secret, sub_id, purpose)
        return f"{self.base}{self.intake_url}/subscriptions/{sub_id}/{purpose}/{key}"

    def essay_title(self, essay: str) -> str:
        """The essay's title as the built page shows it (its slug if not built yet)."""
        url = self.index.url_of(essay)  # e.g. '/essays/<slug>/' when built, else None
        if url is None:
            return essay
        saved_as = url.strip("/").split("/") + (["index.html"] if url.endswith("/") else [])
        try:
            page = inside(self.output, *saved_as).read_text("utf-8")
        except (OSError, UnicodeDecodeError, UnsafePath):
            return essay
        found = TITLE_RE.search(page)
        return clean_line(htmllib.unescape(markup.text_of(found.group(1)))) if found else essay


def context(intake) -> Context:
    cfg = intake.cfg
    site_name = clean_line(intake.settings.get("SITENAME") or "Colloquy")
    base = (intake.settings.get("SITEURL") or "http://127.0.0.1:8000").rstrip("/")
    return Context(secret=intake.secret, site_name=site_name, base=base,
                   intake_url=intake.intake_url, output=intake.output,
                   comments_root=intake.comments_root,
                   sender=mail.address(cfg["COLLOQUY_MAIL_FROM"], site_name),
                   author=mail.address(cfg["COLLOQUY_NOTIFY_EMAIL"]),
                   link_max_age=float(cfg["COLLOQUY_LINK_MAX_AGE"]), index=intake.index)


@dataclass
class Item:
    """One comment as a mail shows it."""

    id: str
    essay: str
    essay_title: str
    author: str
    website: str | None
    text: str
    html: Markup
    url: str
    status: str
    parent: "Item | None" = None
    kind: str = "comment"
    link: str | None = None  # a response's or mention's own page (http/https only)


def item(ctx: Context, conn: sqlite3.Connection, comment_id: str, with_parent: bool = True
         ) -> Item | None:
    row = conn.execute("SELECT * FROM comments WHERE id = ?", (comment_id,)).fetchone()
    if row is None:
        return None
    parent = None
    if with_parent and row["reply_to"]:
        parent = item(ctx, conn, row["reply_to"], with_parent=False) or \
            published_item(ctx, row["essay"], row["reply_to"])
    body = clean(row["body"])
    return Item(id=row["id"], essay=row["essay"], essay_title=ctx.essay_title(row["essay"]),
                author=clean_line(row["author"]), website=row["website"], text=body,
                html=Markup(markup.render(body)), url=ctx.essay_url(row["essay"], row["id"]),
                status=row["status"], parent=parent, kind=row["kind"],
                link=row["url"] if is_http_url(row["url"] or "") else None)


def published_item(ctx: Context, essay: str, comment_id: str) -> Item | None:
    """A parent that is only a comment file (imported, or approved before the store)."""
    try:
        comment = parse_comment(inside(ctx.comments_root, essay, f"{comment_id}.md"), essay)
    except Exception:  # missing, unreadable, broken, or a name leaving its folder
        return None
    body = clean(comment.body)
    return Item(id=comment.id, essay=essay, essay_title=ctx.essay_title(essay),
                author=clean_line(comment.author), website=comment.website, text=body,
                html=Markup(markup.render(body)), url=ctx.essay_url(essay, comment.id),
                status="approved")


def compose(ctx: Context, conn: sqlite3.Connection, batch: Batch) -> None:
    """Fill in batch.message, or batch.dropped saying why there is nothing to send."""
    if batch.kind == "pending":
        return _author(ctx, conn, batch)
    row = batch.rows[0]
    sub = conn.execute("SELECT * FROM subscriptions WHERE id = ?",
                       (row["subscription"],)).fetchone()
    wanted = "unconfirmed" if batch.kind == "confirm" else "confirmed"
    if sub is None or not sub["email"] or sub["status"] != wanted:
        batch.dropped = "the subscription is no longer " + wanted
        return
    about = item(ctx, conn, row["ref"])
    if about is None or about.status == "rejected":
        batch.dropped = "the comment is gone or rejected"
        return
    try:
        recipient = mail.address(sub["email"])
    except mail.BadAddress as exc:
        batch.dropped = str(exc)
        return
    unsubscribe = ctx.subscription_url(sub["id"], "unsubscribe")
    values = dict(ctx=ctx, item=about, unsubscribe=unsubscribe,
                  confirm=ctx.subscription_url(sub["id"], "confirm"))
    subject, text, html = (render(batch.kind, part, **values) for part in ("subject", "text",
                                                                           "html"))
    headers = {}
    if batch.kind != "confirm":  # RFC 8058: one POST to this URL unsubscribes
        headers = {"List-Unsubscribe": f"<{unsubscribe}>",
                   "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
    batch.message = mail.message(ctx.sender, recipient, subject, text, html,
                                 message_id(batch), headers)


def _author(ctx: Context, conn: sqlite3.Connection, batch: Batch) -> None:
    items = [found for found in (item(ctx, conn, row["ref"]) for row in batch.rows)
             if found is not None and found.status != "rejected"]
    waiting = [i for i in items if i.status == "pending"]
    auto = [i for i in items if i.status == "approved"]
    if not items:
        batch.dropped = "moderated before the mail went out"
        return
    actions = {i.id: (ctx.action_url("approve", i.id), ctx.action_url("reject", i.id))
               for i in waiting}
    values = dict(ctx=ctx, waiting=waiting, auto=auto, actions=actions,
                  moderation=f"{ctx.base}/moderation/")
    subject, text, html = (render("pending", part, **values) for part in ("subject", "text",
                                                                          "html"))
    batch.message = mail.message(ctx.sender, ctx.author, subject, text, html,
                                 message_id(batch))


def message_id(batch: Batch) -> str:
    """The same for every try of one batch; never the same for another (outbox ids can
    start again in a new store: the time the first row was queued tells them apart)."""
    return f"{batch.kind}.{batch.ids[0]}-{batch.ids[-1]}.{int(batch.rows[0]['created'] * 1000)}"


# -- the words ---------------------------------------------------------------------------

_text = Environment(autoescape=False, trim_blocks=True, lstrip_blocks=True)
_html = Environment(autoescape=True, trim_blocks=True, lstrip_blocks=True)

SUBJECTS = {
    "pending": "[{{ ctx.site_name }}] {% if waiting %}{{ waiting|length }} new "
               "{{ 'comment waits' if waiting|length == 1 else 'comments wait' }} for you"
               "{% else %}{{ auto|length }} new comment{{ 's' if auto|length > 1 }} published"
               "{% endif %}",
    "confirm": "[{{ ctx.site_name }}] Confirm: e-mail me about replies",
    "published": "[{{ ctx.site_name }}] Your comment on “{{ item.essay_title }}” is published",
    "reply": "[{{ ctx.site_name }}] {{ item.author }} replied to your comment on "
             "“{{ item.essay_title }}”",
}

TEXTS = {
    "pending": """\
{% for i in waiting %}
{{ i.author }}{% if i.website %} ({{ i.website }}){% endif %} on “{{ i.essay_title }}”
{{ ctx.essay_url(i.essay) }}
{% if i.kind != "comment" %}
a {{ i.kind }}{% if i.link %} from their own site: {{ i.link }}{% endif %}

{% endif %}
{% if i.parent %}

in reply to {{ i.parent.author }}:
{% for line in i.parent.text.splitlines()[:6] %}
  > {{ line }}
{% endfor %}
{% endif %}

{{ i.text }}

Approve: {{ actions[i.id][0] }}
Reject:  {{ actions[i.id][1] }}

----------------------------------------------------------------------
{% endfor %}
{% if auto %}
Published without waiting (returning commenters, trusted sites):
{% for i in auto %}
- {{ i.author }} on “{{ i.essay_title }}”: {{ i.url }}
{% endfor %}

{% endif %}
Each link opens a page with a button; it works once and for a limited time.
Moderate everything: {{ moderation }}
""",
    "confirm": """\
Someone, probably you, commented as {{ item.author }} on “{{ item.essay_title }}”
at {{ ctx.site_name }} and asked to be e-mailed when someone replies.

To confirm, open this link and press the button:
{{ confirm }}

If it was not you, ignore this mail: nothing will be sent, and the address is
erased within a week.
""",
    "published": """\
Your comment on “{{ item.essay_title }}” is published:
{{ item.url }}

{{ item.text }}

You will get a mail when someone replies to it.

Stop these mails: {{ unsubscribe }}
""",
    "reply": """\
{{ item.author }} replied to your comment on “{{ item.essay_title }}”:
{{ item.url }}

{{ item.text }}

{% if item.parent %}
Your comment:
{% for line in item.parent.text.splitlines()[:6] %}
  > {{ line }}
{% endfor %}

{% endif %}
Stop these mails: {{ unsubscribe }}
""",
}

_HTML_ITEM = """\
<div style="border-left:3px solid #bbb;padding-left:12px;margin:16px 0">
{% if i.parent %}<p style="color:#555">In reply to {{ i.parent.author }}:</p>
<blockquote style="color:#555">{{ i.parent.html }}</blockquote>{% endif %}
{{ i.html }}
</div>"""

HTMLS = {
    "pending": """\
{% for i in waiting %}
<h2 style="font-size:1.1em">{{ i.author }} on <a href="{{ ctx.essay_url(i.essay) }}">{{ i.essay_title }}</a></h2>
{% if i.website and i.website.startswith(("http://", "https://")) %}<p><a href="{{ i.website }}">{{ i.website }}</a></p>{% endif %}
{% if i.kind != "comment" %}<p>A {{ i.kind }}{% if i.link %} from their own site: <a href="{{ i.link }}">{{ i.link }}</a>{% endif %}</p>{% endif %}
""" + _HTML_ITEM + """
<p><a href="{{ actions[i.id][0] }}">Approve</a> · <a href="{{ actions[i.id][1] }}">Reject</a></p>
<hr>
{% endfor %}
{% if auto %}<p>Published without waiting (returning commenters, trusted sites):</p><ul>
{% for i in auto %}<li><a href="{{ i.url }}">{{ i.author }} on {{ i.essay_title }}</a></li>{% endfor %}
</ul>{% endif %}
<p style="color:#555">Each link opens a page with a button; it works once and for a limited time.
<a href="{{ moderation }}">Moderate everything</a>.</p>""",
    "confirm": """\
<p>Someone, probably you, commented as {{ item.author }} on “{{ item.essay_title }}” at
{{ ctx.site_name }} and asked to be e-mailed when someone replies.</p>
<p><a href="{{ confirm }}">Confirm: e-mail me about replies</a> (opens a page with a button)</p>
<p style="color:#555">If it was not you, ignore this mail: nothing will be sent, and the
address is erased within a week.</p>""",
    "published": """\
<p>Your comment on <a href="{{ item.url }}">{{ item.essay_title }}</a> is published.</p>
{% set i = item %}""" + _HTML_ITEM + """
<p>You will get a mail when someone replies to it.</p>
<p style="color:#555"><a href="{{ unsubscribe }}">Stop these mails</a></p>""",
    "reply": """\
<p>{{ item.author }} <a href="{{ item.url }}">replied to your comment</a> on
“{{ item.essay_title }}”:</p>
{% set i = item %}""" + _HTML_ITEM + """
<p style="color:#555"><a href="{{ unsubscribe }}">Stop these mails</a></p>""",
}

PAGE = ('<!doctype html><html><head><meta charset="utf-8"><meta name="viewport" '
        'content="width=device-width, initial-scale=1"></head><body style="font-family:'
        'sans-serif;max-width:40em;line-height:1.5">{}</body></html>')


_TEMPLATES = {(kind, part): env.from_string(source[kind])
              for part, env, source in (("subject", _text, SUBJECTS), ("text", _text, TEXTS),
                                        ("html", _html, HTMLS))
              for kind in source}


def render(kind: str, part: str, whole: bool = True, **values) -> str:
    """One part of a mail; `whole=False` gives an HTML part without its page (for feeds)."""
    rendered = _TEMPLATES[kind, part].render(**values)
    return PAGE.format(rendered) if part == "html" and whole else rendered
