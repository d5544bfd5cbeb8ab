"""Receipts in the journal: each print counted (a copy also listed as a reprint) and a failed
one remembered. Reading them back (`reprints`, `unprinted`) is the read side's."""

from __future__ import annotations

from typing import Any

from till.journal.entry import COLUMNS, Entry
from till.journal.errors import JournalError
from till.journal.file import guarded
from till.journal.schema import NEXT_CHANGE
from till.journal.writable import WritableFile


class Prints(WritableFile):
    """What was printed for each entry."""

    @guarded
    def record_print(
        self,
        reference: str,
        *,
        now: int,
        error: str | None = None,
        copy: bool = False,
        cashier: str | None = None,
        approved_by: str | None = None,
    ) -> Entry:
        """Count a successful print (a copy also counts as a reprint, and is recorded with who
        printed and who approved it), or remember why printing failed: the entry then shows
        as unprinted until a print succeeds.

        It commits durably like every other change: it takes a change number head office's
        uploader may read at once, and a commit a power cut undid would hand that number to
        the next change, which head office would then never ask for.
        """
        if error is None:
            assignments = (
                "print_count = print_count + 1, reprint_count = reprint_count + ?, "
                "last_printed_at = ?, print_error = NULL"
            )
            params: tuple[Any, ...] = (int(copy), now)
        else:
            assignments, params = "print_error = ?", (error,)
        with self._write() as conn:
            row = conn.execute(
                f"UPDATE entries SET {assignments}, change_no = {NEXT_CHANGE} "
                f"WHERE reference = ? RETURNING {COLUMNS}",
                (*params, reference),
            ).fetchone()
            if row is None:
                raise JournalError(f"no journal entry with reference {reference!r}")
            entry = Entry._from_row(row)
            if copy and error is None:
                conn.execute(
                    "INSERT INTO reprints (reference, copy, printed_at, cashier, approved_by) "
                    "VALUES (?, ?, ?, ?, ?)",
                    (reference, entry.reprint_count, now, cashier, approved_by or None),
                )
            return entry
