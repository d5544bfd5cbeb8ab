"""The journal's write side: a new entry `pending` under a fresh reference, and Flash's answer
recorded against it. Each is one durable transaction that takes the next change number."""

from __future__ import annotations

import json
from typing import Any, Literal

from till.journal.entry import COLUMNS, OPEN, Entry, NewEntry
from till.journal.errors import JournalError
from till.journal.file import guarded, settling
from till.journal.schema import NEXT_CHANGE
from till.journal.writable import WritableFile


class Writes(WritableFile):
    """Writing entries: `add` before a byte is sent, then `settle` or `mark_in_doubt`."""

    @guarded
    def add(self, new: NewEntry, *, now: int) -> Entry:
        """Allocate the next reference and write the entry `pending`, durably, in one go.

        `build_request` turns the reference into the exact bytes that will be sent; if it
        raises, nothing is written and the sequence does not move.
        """
        with self._write() as conn:
            epoch, seq = conn.execute(
                "UPDATE sequence SET next = next + 1 WHERE id = 1 RETURNING epoch, next - 1"
            ).fetchone()
            reference = f"{new.store_id}-{new.terminal_id}-{epoch}-{seq}"
            body = new.build_request(reference)
            row = conn.execute(
                "INSERT INTO entries (reference, kind, state, request, amount, product_code, "
                "store_id, terminal_id, cashier, mobile_number, meter_number, serial_number, "
                "created_at, related_reference, training, retryable, approved_by, change_no) "
                "VALUES (?, ?, 'pending', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
                f"{NEXT_CHANGE}) "
                f"RETURNING {COLUMNS}",
                (
                    reference,
                    new.kind,
                    body,
                    new.amount,
                    new.product_code,
                    new.store_id,
                    new.terminal_id,
                    new.cashier,
                    new.mobile_number,
                    new.meter_number,
                    new.serial_number,
                    now,
                    new.related_reference,
                    int(new.training),
                    int(new.retryable),
                    new.approved_by,
                ),
            ).fetchone()
            return Entry._from_row(row)

    @settling
    def settle(
        self,
        reference: str,
        state: Literal["approved", "declined"],
        *,
        now: int,
        response: dict[str, Any] | str | None = None,
        response_code: int | None = None,
        error: str | None = None,
        serial_number: str | None = None,
        amount: int | None = None,
    ) -> Entry:
        """Record Flash's definitive answer. Settling twice is refused: the first answer stands.

        `response` is Flash's JSON (as text, exactly as it came, or as a dict). `amount`
        replaces the journaled one when Flash fixes it (a full-value redemption is sent as 0
        and answered with the value redeemed).
        """
        if isinstance(response, dict):
            response = json.dumps(response, separators=(",", ":"))
        return self._update_open(
            reference,
            "state = ?, response = ?, response_code = ?, last_error = ?, settled_at = ?, "
            "next_attempt_at = NULL, attempts = attempts + 1, "
            "serial_number = COALESCE(?, serial_number), amount = COALESCE(?, amount)",
            (state, response, response_code, error, now, serial_number, amount),
        )

    @settling
    def mark_in_doubt(
        self,
        reference: str,
        *,
        now: int,
        error: str,
        next_attempt_at: int,
        response_code: int | None = None,
        flag: bool = False,
    ) -> Entry:
        """Another attempt without a definitive answer; schedule the next one. `flag` marks it
        for a person's attention now (an approval that could not be used, an unexpected error)."""
        return self._update_open(
            reference,
            "state = 'in_doubt', attempts = attempts + 1, last_error = ?, response_code = ?, "
            "next_attempt_at = ?, flagged_at = CASE WHEN ? THEN COALESCE(flagged_at, ?) "
            "ELSE flagged_at END",
            (error, response_code, next_attempt_at, int(flag), now),
        )

    def _update_open(self, reference: str, assignments: str, params: tuple[Any, ...]) -> Entry:
        """Update an entry only while it is open, in one statement; say why if it is not."""
        with self._write() as conn:
            row = conn.execute(
                f"UPDATE entries SET {assignments}, change_no = {NEXT_CHANGE} "
                f"WHERE reference = ? AND {OPEN} RETURNING {COLUMNS}",
                (*params, reference),
            ).fetchone()
            if row is None:
                current = self._get(conn, reference)  # raises for an unknown reference
                raise JournalError(f"{reference} is already {current.state}")
            return Entry._from_row(row)

    @guarded
    def flag_stale(self, *, older_than: int, now: int) -> int:
        """Flag open entries created before `older_than` for manual attention; returns how many."""
        with self._write() as conn:
            cursor = conn.execute(
                f"UPDATE entries SET flagged_at = ? WHERE {OPEN} "
                "AND flagged_at IS NULL AND created_at < ?",
                (now, older_than),
            )
            return cursor.rowcount
