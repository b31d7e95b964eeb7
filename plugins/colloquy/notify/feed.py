"""The private moderation feed: pending items as Atom entries, at a secret URL.

`/moderation/feed/<key>.atom`, the key made by `colloquy moderator feed` and replaced by
`colloquy moderator feed --revoke` (the old URL then answers 404). Each entry carries the
comment, what it answers, and the same signed approve and reject links the mails carry
(minted afresh on every fetch, each working once and expiring). A feed reader that
prefetches them changes nothing: they open a page whose button must be pressed.
"""

from __future__ import annotations

import hmac
from datetime import datetime, timezone

from feedgen.feed import FeedGenerator
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from . import letters, moderator


def atom(ctx: letters.Context, conn, base: str) -> bytes:
    rows = conn.execute("SELECT id, created FROM comments WHERE status = 'pending' "
                        "ORDER BY created DESC, id LIMIT 100").fetchall()
    feed = FeedGenerator()
    feed.id(f"{base}/moderation/")
    feed.title(f"{ctx.site_name}: waiting for moderation")
    feed.link(href=f"{base}/moderation/", rel="alternate")
    newest = max((row["created"] for row in rows), default=0)
    feed.updated(datetime.fromtimestamp(newest, timezone.utc))
    for row in reversed(rows):  # feedgen puts the last added first
        item = letters.item(ctx, conn, row["id"])
        if item is None:
            continue
        entry = feed.add_entry()
        entry.id(f"{base}/moderation/#c-{item.id}")
        entry.title(f"{item.author} on {item.essay_title}")
        entry.author({"name": item.author or "?"})
        entry.link(href=f"{base}/moderation/#c-{item.id}")
        when = datetime.fromtimestamp(row["created"], timezone.utc)
        entry.published(when)
        entry.updated(when)
        entry.content(letters.render("pending", "html", False, ctx=ctx, waiting=[item], auto=[],
                                     moderation=f"{base}/moderation/", actions={
                                         item.id: (ctx.action_url("approve", item.id),
                                                   ctx.action_url("reject", item.id))}),
                      type="html")
    return feed.atom_str(pretty=True)


async def serve(request: Request) -> Response:
    intake = request.app.state.intake
    mod = intake.moderation
    given = request.path_params["key"]

    def read(conn):
        key = moderator.feed_key(conn)
        if not key or not hmac.compare_digest(key.encode(), given.encode()):
            return None
        base = mod.ctx.base or f"{request.url.scheme}://{request.url.netloc}"
        ctx = letters.Context(**{**mod.ctx.__dict__, "base": base})
        return atom(ctx, conn, base)

    body = await mod.db(read)
    if body is None:
        return PlainTextResponse("No such feed (it may have been revoked).", 404,
                                 headers={"cache-control": "no-store"})
    return Response(body, media_type="application/atom+xml",
                    headers={"cache-control": "no-store", "referrer-policy": "no-referrer",
                             "x-robots-tag": "noindex"})
