"""The journal's read-only twin: a second connection for the lists the screens read in a thread,
so a list never sees, nor shares the rollback of, a write still in progress."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from till.journal import storage
from till.journal.file import Faults
from till.journal.reads import Reads


class JournalReader(Reads):
    """A read-only connection to a till's journal: it sees only committed entries. It shares
    its journal's fault (either finding the file gone or damaged stops both), has no way to
    write, and lets one thread at a time use its connection."""

    def __init__(
        self,
        conn: sqlite3.Connection,
        path: Path,
        identity: storage.Identity | None,
        faults: Faults,
    ) -> None:
        super().__init__(conn, path, identity, faults)
        self._lock = threading.RLock()

    @classmethod
    def open(cls, path: Path, identity: storage.Identity | None, faults: Faults) -> JournalReader:
        """The twin of the journal at `path` (which the caller has just checked is the file it
        opened), sharing its `faults`. A failure is SQLite's or the system's: the caller's
        guard makes it a JournalFault."""
        conn = sqlite3.connect(
            storage.uri(path, "ro"), uri=True, isolation_level=None, check_same_thread=False
        )
        try:
            conn.execute("PRAGMA busy_timeout = 5000")
        except BaseException:
            conn.close()
            raise
        return cls(conn, path, identity, faults)

    @contextmanager
    def _guard(self, reference: str | None = None) -> Iterator[None]:
        """The journal's guard, with the connection held by this thread until the read is done."""
        with self._lock, super()._guard(reference):
            yield

    def close(self) -> None:
        """Close the connection, once a read still running in a thread has finished."""
        with self._lock:
            self._conn.close()


__all__ = ["JournalReader"]
