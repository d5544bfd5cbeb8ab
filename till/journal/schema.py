"""The journal's schema, as forward-only migrations keyed by `PRAGMA user_version`.

Each migration runs once, in the same transaction that bumps the version, so a journal is never
left half-migrated. Add a migration; never edit one that has shipped.
"""

from __future__ import annotations

import sqlite3

_V1 = """
CREATE TABLE entries (
    id            INTEGER PRIMARY KEY,
    reference     TEXT    NOT NULL UNIQUE,
    kind          TEXT    NOT NULL,
    state         TEXT    NOT NULL
                  CHECK (state IN ('pending', 'approved', 'declined', 'in_doubt')),
    request       BLOB    NOT NULL,
    response      TEXT,
    response_code INTEGER,
    attempts      INTEGER NOT NULL DEFAULT 0,
    last_error    TEXT,
    amount        INTEGER,
    product_code  INTEGER,
    store_id      TEXT    NOT NULL,
    terminal_id   TEXT    NOT NULL,
    cashier       TEXT,
    mobile_number TEXT,
    meter_number  TEXT,
    serial_number TEXT,
    created_at    INTEGER NOT NULL,
    settled_at    INTEGER
);
CREATE TABLE sequence (
    id    INTEGER PRIMARY KEY CHECK (id = 1),
    epoch TEXT    NOT NULL,
    next  INTEGER NOT NULL
);
CREATE INDEX entries_open ON entries (state) WHERE state IN ('pending', 'in_doubt');
CREATE INDEX entries_created ON entries (created_at);
"""

# v2: printing, links between entries, retry scheduling, manual-attention flags, training marks,
# and the indexes the service desk's searches need.
_V2 = """
ALTER TABLE entries ADD COLUMN related_reference TEXT;
ALTER TABLE entries ADD COLUMN print_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE entries ADD COLUMN last_printed_at INTEGER;
ALTER TABLE entries ADD COLUMN print_error TEXT;
ALTER TABLE entries ADD COLUMN next_attempt_at INTEGER;
ALTER TABLE entries ADD COLUMN flagged_at INTEGER;
ALTER TABLE entries ADD COLUMN training INTEGER NOT NULL DEFAULT 0;
ALTER TABLE entries ADD COLUMN retryable INTEGER NOT NULL DEFAULT 1;
DROP INDEX entries_open;
CREATE INDEX entries_open ON entries (next_attempt_at)
    WHERE state IN ('pending', 'in_doubt');
CREATE INDEX entries_mobile ON entries (mobile_number) WHERE mobile_number IS NOT NULL;
CREATE INDEX entries_meter ON entries (meter_number) WHERE meter_number IS NOT NULL;
CREATE INDEX entries_serial ON entries (serial_number) WHERE serial_number IS NOT NULL;
CREATE INDEX entries_amount ON entries (amount, created_at);
CREATE INDEX entries_related ON entries (related_reference) WHERE related_reference IS NOT NULL;
"""

# v3: reprints counted apart from prints, so a receipt's copies are numbered.
_V3 = """
ALTER TABLE entries ADD COLUMN reprint_count INTEGER NOT NULL DEFAULT 0;
"""

MIGRATIONS: tuple[str, ...] = (_V1, _V2, _V3)
SCHEMA_VERSION = len(MIGRATIONS)


class SchemaTooNew(Exception):
    """The file was written by a newer till; opening it here could corrupt it."""


def migrate(conn: sqlite3.Connection, *, upto: int = SCHEMA_VERSION) -> int:
    """Bring the journal to `upto` (default: current); returns the version it started at."""
    start = int(conn.execute("PRAGMA user_version").fetchone()[0])
    if start > SCHEMA_VERSION:
        raise SchemaTooNew(
            f"journal schema version {start} is newer than this till understands "
            f"({SCHEMA_VERSION}): upgrade the till software"
        )
    for version in range(start + 1, upto + 1):
        conn.execute("BEGIN IMMEDIATE")
        try:
            for statement in MIGRATIONS[version - 1].split(";"):
                if statement.strip():
                    conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {version}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
    return start
