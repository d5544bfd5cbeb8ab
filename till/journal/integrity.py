"""Reading every page of the journal (`PRAGMA quick_check`), at once or in a background thread
so the screens need not wait; a bad page makes the journal refuse everything after."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

from till.journal import storage
from till.journal.errors import JournalCorrupt, JournalFault, fault_from_sqlite
from till.journal.file import JournalFile


class Checker:
    """`PRAGMA quick_check` on its own connection in a thread, so the screens need not wait."""

    def __init__(self, journal: JournalFile) -> None:
        self.result: JournalFault | None = None
        self.done = threading.Event()
        self._conn: sqlite3.Connection | None = None
        self._journal = journal
        self._lock = threading.Lock()
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name="journal-check", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        journal = self._journal
        try:
            with self._lock:
                if self._stopping:
                    return
                self._conn = sqlite3.connect(
                    storage.uri(journal._absolute), uri=True, check_same_thread=False
                )
            self.result = quick_check(self._conn, journal.path)
        except sqlite3.Error as exc:  # interrupted (closing), or the file failing: its fault
            if "interrupted" not in str(exc):
                self.result = fault_from_sqlite(exc, journal.path)
        finally:
            with self._lock:
                if self._conn is not None:
                    self._conn.close()
                    self._conn = None
            if isinstance(self.result, JournalCorrupt):
                journal._poison(self.result)  # every later call refuses, loudly
            self.done.set()

    def stop(self) -> None:
        """Interrupt the check (the journal is closing) and wait for its thread."""
        with self._lock:
            self._stopping = True
            if self._conn is not None:
                self._conn.interrupt()
        self._thread.join()


def quick_check(conn: sqlite3.Connection, path: Path) -> JournalFault | None:
    """Every page read: a JournalCorrupt naming what is wrong, or None when all is well."""
    try:
        rows = conn.execute("PRAGMA quick_check(5)").fetchall()
    except sqlite3.DatabaseError as exc:  # a page too damaged to even walk
        fault = fault_from_sqlite(exc, path)
        if isinstance(fault, JournalCorrupt):
            return JournalCorrupt(path, f"quick_check: {exc}")
        raise
    problems = [str(row[0]) for row in rows]
    if problems == ["ok"]:
        return None
    return JournalCorrupt(path, "quick_check: " + "; ".join(problems)[:300])
