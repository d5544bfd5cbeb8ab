"""The journal's schema, as forward-only migrations keyed by `PRAGMA user_version`.

Each migration runs once, in the same transaction that bumps the version, so a journal is never
left half-migrated. Add a migration; never edit one that has shipped.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

from till.journal.errors import JournalFault

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


# v3: reprints counted apart from prints, so a receipt's copies are numbered. Development
# journals made before v3 existed may already have the column, so it is added only if missing.
def _v3(conn: sqlite3.Connection) -> None:
    columns = {row[1] for row in conn.execute("PRAGMA table_info(entries)")}
    if "reprint_count" not in columns:
        conn.execute("ALTER TABLE entries ADD COLUMN reprint_count INTEGER NOT NULL DEFAULT 0")


# v4: who approved an entry (a supervisor, for refunds, cancels, reprints and big sales), the
# cashiers' shifts, and the numbered Z reports, which nothing may change once written.
_V4 = """
ALTER TABLE entries ADD COLUMN approved_by TEXT;
CREATE INDEX entries_cashier ON entries (cashier, created_at);
CREATE TABLE shifts (
    id            INTEGER PRIMARY KEY,
    cashier       TEXT    NOT NULL,
    opened_at     INTEGER NOT NULL,
    opening_float INTEGER NOT NULL CHECK (opening_float >= 0),
    closed_at     INTEGER,
    counted_cash  INTEGER CHECK (counted_cash >= 0),
    closed_by     TEXT
);
CREATE UNIQUE INDEX shifts_one_open ON shifts (cashier) WHERE closed_at IS NULL;
CREATE TABLE z_reports (
    number       INTEGER PRIMARY KEY,
    created_at   INTEGER NOT NULL,
    period_start INTEGER NOT NULL,
    period_end   INTEGER NOT NULL,
    created_by   TEXT    NOT NULL,
    override_by  TEXT,
    body         TEXT    NOT NULL,
    print_count  INTEGER NOT NULL DEFAULT 0
);
CREATE TRIGGER z_reports_no_update BEFORE UPDATE OF number, created_at, period_start,
    period_end, created_by, override_by, body ON z_reports
BEGIN SELECT RAISE(ABORT, 'a Z report cannot be changed once written'); END;
CREATE TRIGGER z_reports_no_delete BEFORE DELETE ON z_reports
BEGIN SELECT RAISE(ABORT, 'a Z report cannot be deleted'); END;
"""

Migration = str | Callable[[sqlite3.Connection], None]
# v5: reports total by cashier over a date range (entries_created); an index per cashier only
# cost every sale an extra index write.
_V5 = """
DROP INDEX IF EXISTS entries_cashier;
"""

# v6: who reprinted a receipt, and which supervisor approved it: a reprint puts a PIN on paper
# again, so each one is kept, unchangeable, beside the entry's reprint_count.
_V6 = """
CREATE TABLE reprints (
    id          INTEGER PRIMARY KEY,
    reference   TEXT    NOT NULL REFERENCES entries (reference),
    copy        INTEGER NOT NULL,
    printed_at  INTEGER NOT NULL,
    cashier     TEXT,
    approved_by TEXT
);
CREATE INDEX reprints_reference ON reprints (reference);
CREATE TRIGGER reprints_no_update BEFORE UPDATE ON reprints
BEGIN SELECT RAISE(ABORT, 'a reprint record cannot be changed'); END;
CREATE TRIGGER reprints_no_delete BEFORE DELETE ON reprints
BEGIN SELECT RAISE(ABORT, 'a reprint record cannot be deleted'); END;
"""

# v7: the outbox head office is fed from. Every insert or update of an entry gives it the next
# change number in the same transaction: the journal's own statements set it (`NEXT_CHANGE`, one
# index lookup), and a trigger numbers any change that did not, so no write path can forget it
# (the trigger's second write of the row costs a sale ~10 us a change, so it is the fallback
# rather than the way). The uploader
# sends entries whose number is above head office's high-water mark, each in its latest state.
# Existing entries are numbered in the order they were made. (Reprints and Z reports are already
# numbered by their own immutable, increasing ids.)
_V7 = """
ALTER TABLE entries ADD COLUMN change_no INTEGER;
UPDATE entries SET change_no = id;
CREATE UNIQUE INDEX entries_change ON entries (change_no);
CREATE TRIGGER entries_change_insert AFTER INSERT ON entries
WHEN NEW.change_no IS NULL
BEGIN
    UPDATE entries SET change_no = (SELECT IFNULL(MAX(change_no), 0) + 1 FROM entries)
    WHERE id = NEW.id;
END;
CREATE TRIGGER entries_change_update AFTER UPDATE ON entries
WHEN NEW.change_no IS OLD.change_no
BEGIN
    UPDATE entries SET change_no = (SELECT IFNULL(MAX(change_no), 0) + 1 FROM entries)
    WHERE id = NEW.id;
END;
"""

MIGRATIONS: tuple[Migration, ...] = (_V1, _V2, _v3, _V4, _V5, _V6, _V7)
#: The next change number, as SQL: for an INSERT's value or an UPDATE's assignment of one row.
NEXT_CHANGE = "(SELECT IFNULL(MAX(change_no), 0) + 1 FROM entries)"
SCHEMA_VERSION = len(MIGRATIONS)


class SchemaTooNew(JournalFault):
    """The file was written by a newer till; opening it here could corrupt it."""

    what = "was written by a newer version of the till"
    advice = "upgrade the till software to use it; nothing was changed"


def _statements(script: str) -> list[str]:
    """Split a script into statements (triggers hold semicolons), to run inside our transaction:
    executescript() would commit first."""
    statements: list[str] = []
    pending = ""
    for line in script.splitlines(keepends=True):
        pending += line
        if sqlite3.complete_statement(pending):
            statements.append(pending.strip())
            pending = ""
    if pending.strip():
        raise ValueError(f"incomplete SQL statement in a migration: {pending.strip()[:60]}")
    return statements


def migrate(
    conn: sqlite3.Connection, *, upto: int = SCHEMA_VERSION, path: Path | str = "(journal)"
) -> int:
    """Bring the journal to `upto` (default: current); returns the version it started at.

    `path` only names the file in a SchemaTooNew message."""
    start = int(conn.execute("PRAGMA user_version").fetchone()[0])
    if start > SCHEMA_VERSION:
        raise SchemaTooNew(
            path, f"schema version {start}; this till understands up to {SCHEMA_VERSION}"
        )
    for version in range(start + 1, upto + 1):
        conn.execute("BEGIN IMMEDIATE")
        try:
            migration = MIGRATIONS[version - 1]
            if callable(migration):
                migration(conn)
            else:
                for statement in _statements(migration):
                    conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {version}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
    return start
