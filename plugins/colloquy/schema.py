"""The intake store's tables, as named migrations applied in order (store.Store._migrate).

Each feature appends its own migration; an applied one is never edited, so a store made
by any earlier version is brought up to date by running the ones it lacks.
"""

from __future__ import annotations

MIGRATIONS: tuple[tuple[str, str], ...] = (
    ("0001_comments", """
        CREATE TABLE comments (
            id          TEXT PRIMARY KEY,
            essay       TEXT NOT NULL,
            reply_to    TEXT,
            author      TEXT NOT NULL,
            website     TEXT,
            email       TEXT,              -- private: erased COLLOQUY_RETENTION_DAYS after moderation
            ip          TEXT,              -- private: same
            email_hash  TEXT,              -- salted SHA-256 of the e-mail, for returning commenters
            body        TEXT NOT NULL,
            body_hash   TEXT NOT NULL,     -- essay + normalised body, for duplicate suppression
            kind        TEXT NOT NULL DEFAULT 'comment',
            url         TEXT,
            role        TEXT,
            source      TEXT NOT NULL DEFAULT 'web',
            source_id   TEXT,
            extra       TEXT NOT NULL DEFAULT '{}',
            date        TEXT NOT NULL,     -- the comment's own date, ISO 8601 with offset
            created     REAL NOT NULL,     -- when the store received it (unix seconds)
            status      TEXT NOT NULL DEFAULT 'pending'
                        CHECK (status IN ('pending', 'approved', 'rejected')),
            moderated   REAL,              -- when it was approved or rejected
            auto        INTEGER NOT NULL DEFAULT 0   -- 1: approved by the returning-commenter rule
        );
        CREATE UNIQUE INDEX comments_source ON comments (source, source_id)
            WHERE source_id IS NOT NULL;
        CREATE INDEX comments_ip_created ON comments (ip, created) WHERE ip IS NOT NULL;
        CREATE INDEX comments_body_hash ON comments (body_hash, created);
        CREATE INDEX comments_status ON comments (status, created);
        CREATE TABLE commenters (
            email_hash    TEXT PRIMARY KEY,
            approved      INTEGER NOT NULL DEFAULT 0,
            last_approved REAL
        );
        CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    """),
    # Received webmentions (a durable verification queue) and sent ones (colloquy.webmention).
    ("0002_webmentions", """
        CREATE TABLE webmentions (
            id          INTEGER PRIMARY KEY,
            token       TEXT NOT NULL UNIQUE,   -- last part of the status URL
            source      TEXT NOT NULL,
            target      TEXT NOT NULL,          -- as last sent
            essay       TEXT NOT NULL,
            reply_to    TEXT NOT NULL DEFAULT '',  -- the comment the target names, or ''
            source_host TEXT NOT NULL,
            status      TEXT NOT NULL DEFAULT 'queued'
                        CHECK (status IN ('queued', 'verified', 'refused', 'deleted')),
            reason      TEXT NOT NULL DEFAULT '',
            attempts    INTEGER NOT NULL DEFAULT 0,
            next_try    REAL NOT NULL,
            received    REAL NOT NULL,
            updated     REAL NOT NULL,
            comment_id  TEXT
        );
        CREATE UNIQUE INDEX webmentions_pair ON webmentions (source, essay, reply_to);
        CREATE INDEX webmentions_due ON webmentions (status, next_try);
        CREATE TABLE webmention_sends (
            source       TEXT NOT NULL,
            target       TEXT NOT NULL,
            essay        TEXT NOT NULL,
            endpoint     TEXT,
            status       TEXT NOT NULL,
            content_hash TEXT NOT NULL,
            linked       INTEGER NOT NULL DEFAULT 1,  -- 0: sent once more after the link went
            sent         REAL NOT NULL,
            PRIMARY KEY (source, target)
        );
    """),
    # The outbox of mail, commenters' subscriptions, and used action links (colloquy.notify).
    ("0003_notify", """
        CREATE TABLE outbox (
            id           INTEGER PRIMARY KEY,
            kind         TEXT NOT NULL,     -- pending, confirm, published, reply (notify/letters.py)
            ref          TEXT NOT NULL,     -- the comment the message is about
            subscription INTEGER,           -- the commenter's subscription, NULL: to the author
            key          TEXT NOT NULL UNIQUE,  -- one message per event, however often it fires
            created      REAL NOT NULL,
            due          REAL NOT NULL,     -- not before: batching window, then backoff
            attempts     INTEGER NOT NULL DEFAULT 0,
            status       TEXT NOT NULL DEFAULT 'waiting'
                         CHECK (status IN ('waiting', 'sent', 'failed', 'dropped')),
            error        TEXT,
            done         REAL
        );
        CREATE INDEX outbox_status_due ON outbox (status, due);
        CREATE TABLE subscriptions (
            id         INTEGER PRIMARY KEY,
            comment    TEXT NOT NULL UNIQUE,  -- replies to this comment are mailed
            email      TEXT,                  -- private: erased on unsubscribe and by purge
            status     TEXT NOT NULL DEFAULT 'unconfirmed'
                       CHECK (status IN ('unconfirmed', 'confirmed', 'ended')),
            created    REAL NOT NULL,
            confirmed  REAL,
            ended      REAL
        );
        CREATE TABLE used_links (signature TEXT PRIMARY KEY, used REAL NOT NULL);
    """),
)
