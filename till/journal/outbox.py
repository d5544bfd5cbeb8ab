"""The journal's changes, read for head office: what the uploader sends, in the order it sends it.

Its own read-only connection, so it runs beside a till that is selling (SQLite's WAL lets a
reader go on while the till writes) and can never change the journal. Every entry carries a
change number given in the same transaction as the change (schema v7); reprints and Z reports
are numbered by their own ids. What head office holds is described by three high-water marks
(`Marks`), which head office itself keeps: the till stores nothing about the upload.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from till.journal.entry import COLUMN_NAMES, COLUMNS, Entry, row_limit
from till.journal.errors import JournalFault, JournalMissing, fault_from_os, fault_from_sqlite

#: The first schema with change numbers.
OUTBOX_VERSION = 7


class OutboxError(JournalFault):
    """The journal cannot be read for upload (too old a schema: the till upgrades it on start)."""

    what = "cannot be read for upload to head office"
    advice = "start the till once on this journal (it upgrades the file), then sync again"


@dataclass(frozen=True)
class Change:
    """One entry in its latest state, with the change number that state was given."""

    change_no: int
    entry: Entry


@dataclass(frozen=True)
class ReprintChange:
    id: int
    reference: str
    copy: int
    printed_at: int
    cashier: str | None
    approved_by: str | None
    #: A copy of a training receipt: it stays on the till with its entry.
    training: bool = False


@dataclass(frozen=True)
class ZChange:
    number: int
    created_at: int
    period_start: int
    period_end: int
    created_by: str
    override_by: str | None
    body: str


@dataclass(frozen=True)
class Marks:
    """High-water marks: every change at or below these is held by head office."""

    entries: int = 0
    reprints: int = 0
    z_reports: int = 0


class Outbox:
    """A read-only view of one journal file's changes."""

    def __init__(self, conn: sqlite3.Connection, path: Path) -> None:
        self._conn = conn
        self.path = path

    @classmethod
    def open(cls, path: Path | str) -> Outbox:
        """Open `path` read-only; OutboxError if it predates change numbers or is no journal."""
        path = Path(path)
        try:
            if not path.is_file():
                raise JournalMissing(path)
            conn = sqlite3.connect(
                f"{path.absolute().as_uri()}?mode=ro", uri=True, check_same_thread=False
            )
        except OSError as exc:
            raise fault_from_os(exc, path) from None
        except sqlite3.Error as exc:
            raise fault_from_sqlite(exc, path) or OutboxError(path, str(exc)) from exc
        outbox = cls(conn, path)
        try:
            version = int(outbox._one("PRAGMA user_version")[0])
            if version < OUTBOX_VERSION:
                raise OutboxError(path, f"schema version {version} has no change numbers")
            conn.execute("PRAGMA query_only = ON")
        except BaseException:
            conn.close()
            raise
        return outbox

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> Outbox:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _rows(self, sql: str, params: tuple[object, ...] = ()) -> list[tuple[Any, ...]]:
        try:
            return list(self._conn.execute(sql, params).fetchall())
        except sqlite3.Error as exc:
            raise fault_from_sqlite(exc, self.path) or OutboxError(self.path, str(exc)) from exc
        except OSError as exc:
            raise fault_from_os(exc, self.path) from None

    def _one(self, sql: str, params: tuple[object, ...] = ()) -> tuple[Any, ...]:
        rows = self._rows(sql, params)
        if not rows:
            raise OutboxError(self.path, "the journal has no sequence row yet")
        return rows[0]

    def epoch(self) -> str:
        """The journal file's epoch: head office keeps marks per file, so a new file starts at 0."""
        return str(self._one("SELECT epoch FROM sequence WHERE id = 1")[0])

    def data_version(self) -> int:
        """A number that changes whenever another connection commits to the file (`PRAGMA
        data_version`): a few microseconds, no disk read, so a caught-up uploader looks often."""
        return int(self._one("PRAGMA data_version")[0])

    def entries_after(self, change_no: int, limit: int) -> list[Change]:
        """Entries changed after `change_no`, oldest change first, at most `limit`."""
        rows = self._rows(
            f"SELECT change_no, {COLUMNS} FROM entries WHERE change_no > ? "
            "ORDER BY change_no LIMIT ?",
            (change_no, row_limit(limit)),
        )
        return [Change(int(row[0]), Entry._from_row(row[1:])) for row in rows]

    def entry_rows_after(
        self, change_no: int, limit: int, columns: Sequence[str]
    ) -> list[tuple[Any, ...]]:
        """`entries_after` as bare rows: ``(change_no, *columns)``, the values as SQLite holds
        them (times in ms, flags 0/1, the request as bytes, the response as text). For a reader
        that maps each row itself (the uploader: no `Entry` per row). `columns` are entry
        fields (`Entry`'s names, but `response` for `response_json`)."""
        unknown = [name for name in columns if name not in COLUMN_NAMES]
        if unknown or not columns:
            raise ValueError(f"not columns of an entry: {unknown or 'none given'}")
        return self._rows(
            f"SELECT change_no, {', '.join(columns)} FROM entries "  # names checked above
            "WHERE change_no > ? ORDER BY change_no LIMIT ?",
            (change_no, row_limit(limit)),
        )

    def reprints_after(self, reprint_id: int, limit: int) -> list[ReprintChange]:
        rows = self._rows(
            "SELECT r.id, r.reference, r.copy, r.printed_at, r.cashier, r.approved_by, "
            "IFNULL(e.training, 0) FROM reprints AS r "
            "LEFT JOIN entries AS e ON e.reference = r.reference "
            "WHERE r.id > ? ORDER BY r.id LIMIT ?",
            (reprint_id, row_limit(limit)),
        )
        return [
            ReprintChange(r[0], r[1], r[2], r[3], r[4], r[5], training=bool(r[6])) for r in rows
        ]

    def z_reports_after(self, number: int, limit: int) -> list[ZChange]:
        rows = self._rows(
            "SELECT number, created_at, period_start, period_end, created_by, override_by, body "
            "FROM z_reports WHERE number > ? ORDER BY number LIMIT ?",
            (number, row_limit(limit)),
        )
        return [ZChange(*row) for row in rows]

    def backlog(self, marks: Marks) -> int:
        """How many changes head office does not hold yet (each entry counted once)."""
        row = self._one(
            "SELECT (SELECT COUNT(*) FROM entries WHERE change_no > ?)"
            " + (SELECT COUNT(*) FROM reprints WHERE id > ?)"
            " + (SELECT COUNT(*) FROM z_reports WHERE number > ?)",
            (marks.entries, marks.reprints, marks.z_reports),
        )
        return int(row[0])

    def latest(self) -> Marks:
        """The marks that would mean head office holds everything now in the file."""
        row = self._one(
            "SELECT (SELECT IFNULL(MAX(change_no), 0) FROM entries),"
            " (SELECT IFNULL(MAX(id), 0) FROM reprints),"
            " (SELECT IFNULL(MAX(number), 0) FROM z_reports)"
        )
        return Marks(*(int(value) for value in row))
