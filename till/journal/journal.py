"""The till's write-ahead journal: one SQLite file, every transaction written before it is sent.

Durability settings are deliberate: WAL with `synchronous=FULL` so a committed entry survives a
power cut, and explicit `BEGIN IMMEDIATE` transactions (the connection runs in autocommit mode;
Python 3.11's implicit transactions would defer the write lock and hide commit points).

`Journal` is opened here and made of parts with one job each: the guarded file (`file`, and
`writable` for writing), the write side (`writes`), receipts (`prints`) and the read side
(`reads`); its read-only twin for lists read in a thread is `reader`.
"""

from __future__ import annotations

import secrets
import sqlite3
import string
from pathlib import Path
from typing import Literal

from till.journal import storage
from till.journal.entry import OPEN
from till.journal.errors import JournalCorrupt, JournalFault, fault_from_os, fault_from_sqlite
from till.journal.integrity import Checker, quick_check
from till.journal.prints import Prints
from till.journal.reader import JournalReader
from till.journal.reads import Reads
from till.journal.schema import SCHEMA_VERSION, migrate
from till.journal.writes import Writes

#: How `Journal.open` checks the file: "fast" (header, schema and the pages a sale writes to,
#: well under a millisecond) or "full" (also `PRAGMA quick_check`: every page; about a second
#: per million entries with the file in memory, many more from a cold disk).
Check = Literal["fast", "full"]

_EPOCH_ALPHABET = string.ascii_uppercase + string.digits
_EPOCH_LENGTH = 4


def _new_epoch() -> str:
    """Random per journal file, so a replaced journal never reuses a reference Flash saw."""
    return "".join(secrets.choice(_EPOCH_ALPHABET) for _ in range(_EPOCH_LENGTH))


def _initialise(conn: sqlite3.Connection) -> None:
    """A new journal's contents, built on its temporary file before it gets its name."""
    conn.execute("PRAGMA journal_mode = WAL")
    migrate(conn)
    _insert_sequence(conn)


def _insert_sequence(conn: sqlite3.Connection) -> None:
    conn.execute("BEGIN IMMEDIATE")
    try:
        if conn.execute("SELECT 1 FROM sequence WHERE id = 1").fetchone() is None:
            conn.execute("INSERT INTO sequence (id, epoch, next) VALUES (1, ?, 1)", (_new_epoch(),))
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


class Journal(Writes, Prints, Reads):
    """One till's journal. Not shared between processes that sell at the same time.

    It keeps to the file it opened: before each use it checks that the path still names that
    file (device and inode), so a journal deleted, moved or replaced under a running till
    stops it instead of letting it sell into a file nobody will see again. Once the file is
    found gone or damaged, every later call raises that same fault.
    """

    def __init__(
        self, conn: sqlite3.Connection, path: Path, identity: storage.Identity | None = None
    ) -> None:
        super().__init__(conn, path, identity)
        self._checker: Checker | None = None
        self._reader: JournalReader | None = None

    @classmethod
    def open(cls, path: Path | str, *, create: bool = True, check: Check = "fast") -> Journal:
        """Open the till's journal, making it first if there is none and `create` allows.

        Refuses (a `JournalFault`, nothing changed) a path that is a directory, a file it
        cannot write, a file that is not a whole till journal; `check="full"` also reads
        every page (`PRAGMA quick_check`). A file found at the path is never overwritten.
        """
        path = Path(path)
        exists = storage.check_location(path, create=create)
        if not exists and not storage.create(path, _initialise):
            exists = True  # another process made it meanwhile: check theirs like any other
        storage.check_header(path)
        storage.tighten(path)
        try:
            identity = storage.identity_of(path)
            conn = sqlite3.connect(
                storage.uri(path), uri=True, isolation_level=None, check_same_thread=False
            )
        except sqlite3.Error as exc:
            raise (fault_from_sqlite(exc, path) or JournalFault(path, str(exc))) from exc
        except OSError as exc:
            raise fault_from_os(exc, path) from None
        journal = cls(conn, path, identity)
        try:
            with journal._guard():
                journal._check_identity()  # what SQLite opened is what was checked
                conn.execute("PRAGMA cell_size_check = ON")
                conn.execute("PRAGMA busy_timeout = 5000")
                journal._check_contents()  # before anything is written to it
                conn.execute("PRAGMA journal_mode = WAL")
                conn.execute("PRAGMA synchronous = FULL")
                conn.execute("PRAGMA foreign_keys = ON")
                migrate(conn, path=path)
                journal._ensure_sequence()
                if check == "full":
                    journal.verify()
        except BaseException:
            conn.close()
            raise
        return journal

    def _check_contents(self) -> None:
        """The schema is a till journal's, and the pages a new entry is written to can be read.

        An SQLite file of another program (tables but no journal version) is refused rather
        than given the journal's tables beside its own.
        """
        conn = self._conn
        version = int(conn.execute("PRAGMA user_version").fetchone()[0])
        if version > SCHEMA_VERSION:
            return  # migrate() says so, with what to do
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
        if version == 0 and tables:
            raise JournalCorrupt(self.path, "an SQLite database of another program")
        if version and not {"entries", "sequence"} <= tables:
            raise JournalCorrupt(self.path, "its tables are missing")
        if version:
            conn.execute("SELECT epoch, next FROM sequence").fetchall()
            conn.execute("SELECT MAX(id) FROM entries").fetchone()
            conn.execute("SELECT MAX(created_at) FROM entries").fetchone()
            conn.execute(f"SELECT COUNT(*) FROM entries WHERE {OPEN}").fetchone()

    def verify(self) -> None:
        """Read every page (`PRAGMA quick_check`): JournalCorrupt, and no more use, if one
        is bad."""
        with self._guard():
            fault = quick_check(self._conn, self.path)
            if fault is not None:
                raise self._poison(fault)

    def check_in_background(self) -> None:
        """Start `verify` on its own connection in a thread: a long-open till (the screens)
        goes on at once, and the journal refuses everything from the moment a bad page is
        found. `checked()` waits for the answer."""
        if self._checker is None:
            self._checker = Checker(self)

    def checked(self, timeout: float | None = None) -> JournalFault | None:
        """Wait for the background check: its fault, or None when the journal is sound."""
        if self._checker is None:
            return None
        if not self._checker.done.wait(timeout):
            raise TimeoutError("the journal check is still running")
        return self._checker.result

    def reader(self) -> JournalReader:
        """This journal's read-only twin (opened on first call, closed with the journal). It
        shares this journal's fault: either finding the file gone or damaged stops both."""
        if self._reader is None:
            with self._guard():
                self._check_identity()
                self._reader = JournalReader.open(self.path, self._identity, self._faults)
        return self._reader

    def close(self) -> None:
        if self._checker is not None:
            self._checker.stop()
        if self._reader is not None:
            self._reader.close()
        self._conn.close()

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- references --------------------------------------------------------------------------

    def _ensure_sequence(self) -> None:
        """The sequence row (an old journal may lack it). The write lock is taken even when
        the row is there: a file the till cannot write is found here, before any sale."""
        with self._write() as conn:
            if conn.execute("SELECT 1 FROM sequence WHERE id = 1").fetchone() is None:
                conn.execute(
                    "INSERT INTO sequence (id, epoch, next) VALUES (1, ?, 1)", (_new_epoch(),)
                )

    @property
    def epoch(self) -> str:
        """Random per journal file, so a replaced journal never reuses a reference Flash saw."""
        with self._guard():
            self._check_identity()
            row = self._conn.execute("SELECT epoch FROM sequence WHERE id = 1").fetchone()
        return str(row[0])
