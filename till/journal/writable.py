"""The write side of a journal file: every write one durable transaction on the file the journal
opened. Only the parts that write (`Writes`, `Prints`, `Journal`) are built on it; the read-only
twin is not, so it cannot be asked to write.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

from till.journal.file import JournalFile


class WritableFile(JournalFile):
    """A journal file the till writes to: `_write` for the journal's own changes, `transaction`
    for the journal's other tables."""

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One durable write transaction: taken with the write lock, committed with fsync.

        Every caller has checked the file is the one opened (`guarded`, `transaction`); it
        is checked again just after the commit: a commit into a file that was deleted or
        replaced meanwhile is a record nobody will find, so it is reported (JournalGone)
        instead of trusted. (A check between BEGIN and COMMIT would add a stat to every write
        and catch nothing the one after the commit does not.)
        """
        self._conn.execute("BEGIN IMMEDIATE")
        try:
            yield self._conn
            self._conn.execute("COMMIT")
        except BaseException:
            if self._conn.in_transaction:
                with contextlib.suppress(sqlite3.Error):
                    self._conn.execute("ROLLBACK")
            raise
        self._check_identity()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """A durable write transaction for the journal's other tables (shifts, Z reports)."""
        with self._guard():
            self._check_identity()
            with self._write() as conn:
                yield conn


__all__ = ["WritableFile"]
