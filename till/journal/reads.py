"""The journal's read side: one entry, the open ones the resolver works through, the service
desk's search, the shift report's totals, and the receipts printed or owed. Nothing here writes."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from till.journal.entry import COLUMNS, OPEN, Entry, Reprint, State, Totals, row_limit
from till.journal.file import JournalFile, guarded


class Reads(JournalFile):
    """Finding entries: by reference, by state, by when they are due, by what a customer says."""

    @guarded
    def get(self, reference: str) -> Entry | None:
        row = self._conn.execute(
            f"SELECT {COLUMNS} FROM entries WHERE reference = ?",
            (reference,),
        ).fetchone()
        return None if row is None else Entry._from_row(row)

    @guarded
    def pending(self) -> list[Entry]:
        """Entries written but never settled: after a crash, each may or may not be at Flash."""
        return self._select(OPEN + " AND state = 'pending'", suffix="ORDER BY +id")

    @guarded
    def in_doubt(self) -> list[Entry]:
        return self._select(OPEN + " AND state = 'in_doubt'", suffix="ORDER BY +id")

    @guarded
    def open_at(self, instant: int) -> list[Entry]:
        """Entries written before `instant` that had no answer yet at it (some have one now).

        A scan of everything older than `instant`: only for a Z report stored before Z reports
        kept the list of what was open at their close."""
        return self._select(
            "created_at < ? AND (settled_at IS NULL OR settled_at >= ?)",
            (instant, instant),
            "ORDER BY id",
        )

    @guarded
    def open_entries(self) -> list[Entry]:
        return self._select(OPEN, suffix="ORDER BY +id")

    @guarded
    def count_open(self) -> int:
        row = self._conn.execute(f"SELECT COUNT(*) FROM entries WHERE {OPEN}").fetchone()
        return int(row[0])

    @guarded
    def due(self, *, now: int, limit: int = 1000) -> list[Entry]:
        """Open, retryable entries whose next attempt is due (never-tried pending ones first)."""
        return self._select(
            OPEN + " AND retryable = 1 AND (next_attempt_at IS NULL OR next_attempt_at <= ?)",
            (now,),
            f"ORDER BY COALESCE(next_attempt_at, 0), id LIMIT {row_limit(limit)}",
        )

    @guarded
    def next_due_at(
        self, *, training: bool | None = None, excluding: Iterable[str] = ()
    ) -> int | None:
        """When the next resend is due, leaving out references already on the wire (a sale in
        flight is pending with no schedule: counting it would make the resolver spin)."""
        skip = list(excluding)
        where = OPEN + " AND retryable = 1"
        params: list[Any] = []
        if training is not None:
            where += " AND training = ?"
            params.append(int(training))
        if skip:
            where += f" AND reference NOT IN ({', '.join('?' * len(skip))})"
            params += skip
        row = self._conn.execute(
            f"SELECT MIN(COALESCE(next_attempt_at, 0)) FROM entries WHERE {where}", params
        ).fetchone()
        return None if row[0] is None else int(row[0])

    @guarded
    def related(self, reference: str) -> list[Entry]:
        """Entries that point at this one (refunds of a redemption, cancels of a purchase)."""
        return self._select("related_reference = ?", (reference,), "ORDER BY id")

    @guarded
    def search(
        self,
        *,
        reference: str | None = None,
        since: int | None = None,
        until: int | None = None,
        amount: int | None = None,
        mobile_number: str | None = None,
        meter_number: str | None = None,
        serial_number: str | None = None,
        kind: str | None = None,
        state: State | None = None,
        limit: int = 100,
    ) -> list[Entry]:
        """The service desk's search; every criterion narrows, newest first."""
        clauses: list[str] = []
        params: list[Any] = []
        for column, value in (
            ("reference", reference),
            ("amount", amount),
            ("mobile_number", mobile_number),
            ("meter_number", meter_number),
            ("serial_number", serial_number),
            ("kind", kind),
            ("state", state),
        ):
            if value is not None:
                clauses.append(f"{column} = ?")
                params.append(value)
        if since is not None:
            clauses.append("created_at >= ?")
            params.append(since)
        if until is not None:
            clauses.append("created_at < ?")
            params.append(until)
        where = " AND ".join(clauses) or "1 = 1"
        return self._select(where, tuple(params), f"ORDER BY id DESC LIMIT {row_limit(limit)}")

    @guarded
    def totals(self, *, since: int | None = None, until: int | None = None) -> list[Totals]:
        """Count and value by kind and state: the shift report's body."""
        rows = self._conn.execute(
            "SELECT kind, state, COUNT(*), COALESCE(SUM(amount), 0) FROM entries "
            "WHERE created_at >= ? AND created_at < ? GROUP BY kind, state ORDER BY kind, state",
            (since if since is not None else 0, until if until is not None else 2**62),
        ).fetchall()
        return [Totals(kind, state, int(count), int(amount)) for kind, state, count, amount in rows]

    @guarded
    def reprints(self, reference: str) -> list[Reprint]:
        """Every copy of this entry's receipt, oldest first."""
        rows = self._conn.execute(
            "SELECT reference, copy, printed_at, cashier, approved_by FROM reprints "
            "WHERE reference = ? ORDER BY id",
            (reference,),
        ).fetchall()
        return [Reprint(*row) for row in rows]

    @guarded
    def unprinted(self, *, limit: int = 100) -> list[Entry]:
        """Approved sales whose receipt never printed (a printer fault, or a crash between
        settling and printing): the customer may be owed a PIN."""
        return self._select(
            "state = 'approved' AND print_count = 0 AND retryable = 1",
            suffix=f"ORDER BY id DESC LIMIT {row_limit(limit)}",
        )
