"""The notification tables, created by the store's migration "0003_notify".

- `outbox`: one row per message to send (outbox.py). No address: the sender looks the
  recipient up when it sends, so an address erased meanwhile gets nothing.
- `subscriptions`: commenters' opt-in to reply notices (subscriptions.py); the only
  place their address is kept for mail.
- `used_links`: signatures of action links that were used (links.py): each works once.

A named migration is never edited once released: a change is a new one in store.py.
"""

SCHEMA = """
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
"""
