"""The till's write-ahead journal: one SQLite file, every transaction written before it is sent.

Durability settings are deliberate: WAL with `synchronous=FULL` so a committed entry survives a
power cut, and explicit `BEGIN IMMEDIATE` transactions (the connection runs in autocommit mode;
Python 3.11's implicit transactions would defer the write lock and hide commit points).
"""

from __future__ import annotations

import contextlib
import functools
import json
import secrets
import sqlite3
import string
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any, Concatenate, Literal, ParamSpec, TypeVar

from till.journal import storage
from till.journal.errors import (
    JournalCorrupt,
    JournalError,
    JournalFault,
    JournalGone,
    fault_from_os,
    fault_from_sqlite,
)
from till.journal.schema import NEXT_CHANGE, SCHEMA_VERSION, migrate

P = ParamSpec("P")
R = TypeVar("R")
#: How `Journal.open` checks the file: "fast" (header, schema and the pages a sale writes to,
#: well under a millisecond) or "full" (also `PRAGMA quick_check`: every page; about a second
#: per million entries with the file in memory, many more from a cold disk).
Check = Literal["fast", "full"]

State = Literal["pending", "approved", "declined", "in_doubt"]
OPEN_STATES: tuple[State, ...] = ("pending", "in_doubt")
_EPOCH_ALPHABET = string.ascii_uppercase + string.digits
_EPOCH_LENGTH = 4

_COLUMNS = (
    "id, reference, kind, state, request, response, response_code, attempts, last_error, amount, "
    "product_code, store_id, terminal_id, cashier, mobile_number, meter_number, serial_number, "
    "created_at, settled_at, related_reference, print_count, reprint_count, last_printed_at, "
    "print_error, approved_by, "
    "next_attempt_at, flagged_at, training, retryable"
)


_COLUMN_NAMES = tuple(name.strip() for name in _COLUMNS.split(","))
#: Written exactly like the partial index `entries_open`'s WHERE, so SQLite uses that index
#: (and `ORDER BY +id` stops it walking the whole table in id order instead).
_OPEN = "state IN ('pending', 'in_doubt')"
#: SQLite's largest LIMIT; a bigger one would be read as a real number and refused.
_MAX_LIMIT = 2**63 - 1


def _limit(limit: int) -> int:
    """A row limit as SQL text: a whole number of at least 1 (a negative LIMIT would mean none)."""
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
        raise ValueError(f"a limit is a whole number of at least 1 (got {limit!r})")
    return min(limit, _MAX_LIMIT)


@dataclass(frozen=True)
class Entry:
    """One transaction as the journal holds it. Times are Unix milliseconds (UTC)."""

    id: int
    reference: str
    kind: str
    state: State
    request: bytes
    #: Flash's answer exactly as it came (JSON text); `response` parses it on first use.
    response_json: str | None
    response_code: int | None
    attempts: int
    last_error: str | None
    amount: int | None
    product_code: int | None
    store_id: str
    terminal_id: str
    cashier: str | None
    mobile_number: str | None
    meter_number: str | None
    serial_number: str | None
    created_at: int
    settled_at: int | None
    related_reference: str | None
    print_count: int
    reprint_count: int
    last_printed_at: int | None
    print_error: str | None
    approved_by: str | None
    next_attempt_at: int | None
    flagged_at: int | None
    training: bool
    retryable: bool

    def __repr__(self) -> str:  # the request and response hold PINs: keep them out of reprs
        return f"Entry({self.reference!r}, {self.kind!r}, {self.state!r})"

    @cached_property
    def response(self) -> dict[str, Any] | None:
        """Parsed once, when first read: a search of many rows rarely reads every answer."""
        if self.response_json is None:
            return None
        parsed: dict[str, Any] = json.loads(self.response_json)
        return parsed

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    @classmethod
    def _from_row(cls, row: tuple[Any, ...]) -> Entry:
        """Build without the frozen dataclass __init__: 3-4x faster, and searches return many."""
        values = dict(zip(_COLUMN_NAMES, row, strict=True))
        values["request"] = bytes(values["request"])
        values["response_json"] = values.pop("response")
        values["training"] = bool(values["training"])
        values["retryable"] = bool(values["retryable"])
        entry = object.__new__(cls)
        entry.__dict__.update(values)
        return entry


@dataclass(frozen=True)
class NewEntry:
    """What a sale knows about itself before its reference exists."""

    kind: str
    build_request: Callable[[str], bytes]
    store_id: str
    terminal_id: str
    amount: int | None = None
    product_code: int | None = None
    cashier: str | None = None
    mobile_number: str | None = None
    meter_number: str | None = None
    serial_number: str | None = None
    related_reference: str | None = None
    training: bool = False
    retryable: bool = True
    approved_by: str | None = None


@dataclass(frozen=True)
class Reprint:
    """One copy of a receipt: when, by whom, and who approved it (when staff is on)."""

    reference: str
    copy: int
    printed_at: int
    cashier: str | None
    approved_by: str | None


@dataclass(frozen=True)
class Totals:
    kind: str
    state: State
    count: int
    amount: int


def _guarded(method: Callable[Concatenate[Journal, P], R]) -> Callable[Concatenate[Journal, P], R]:
    """Run a journal method only on the file the journal opened, and turn SQLite's and the
    operating system's failures into `JournalFault`s that say what to do."""

    def guarded(self: Journal, /, *args: P.args, **kwargs: P.kwargs) -> R:
        with self._guard():
            self._check_identity()
            return method(self, *args, **kwargs)

    functools.update_wrapper(guarded, method)
    return guarded


def _settling(
    method: Callable[Concatenate[Journal, str, P], R],
) -> Callable[Concatenate[Journal, str, P], R]:
    """`_guarded` for a method that records Flash's answer for a reference: a fault names it,
    since that sale may have gone through without being recorded."""

    def guarded(self: Journal, reference: str, /, *args: P.args, **kwargs: P.kwargs) -> R:
        with self._guard(reference):
            self._check_identity()
            return method(self, reference, *args, **kwargs)

    functools.update_wrapper(guarded, method)
    return guarded


def _initialise(conn: sqlite3.Connection) -> None:
    """A new journal's contents, built on its temporary file before it gets its name."""
    conn.execute("PRAGMA journal_mode = WAL")
    migrate(conn)
    _insert_sequence(conn)


def _insert_sequence(conn: sqlite3.Connection) -> None:
    conn.execute("BEGIN IMMEDIATE")
    try:
        if conn.execute("SELECT 1 FROM sequence WHERE id = 1").fetchone() is None:
            epoch = "".join(secrets.choice(_EPOCH_ALPHABET) for _ in range(_EPOCH_LENGTH))
            conn.execute("INSERT INTO sequence (id, epoch, next) VALUES (1, ?, 1)", (epoch,))
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


class _Checker:
    """`PRAGMA quick_check` on its own connection in a thread, so the screens need not wait."""

    def __init__(self, journal: Journal) -> None:
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
            self.result = _quick_check(self._conn, journal.path)
        except sqlite3.Error as exc:  # interrupted (closing), or the file failing: its fault
            if "interrupted" not in str(exc):
                self.result = fault_from_sqlite(exc, journal.path)
        finally:
            with self._lock:
                if self._conn is not None:
                    self._conn.close()
                    self._conn = None
            if isinstance(self.result, JournalCorrupt):
                journal._fault = self.result  # every later call refuses, loudly
            self.done.set()

    def stop(self) -> None:
        """Interrupt the check (the journal is closing) and wait for its thread."""
        with self._lock:
            self._stopping = True
            if self._conn is not None:
                self._conn.interrupt()
        self._thread.join()


def _quick_check(conn: sqlite3.Connection, path: Path) -> JournalFault | None:
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


class Journal:
    """One till's journal. Not shared between processes that sell at the same time.

    It keeps to the file it opened: before each use it checks that the path still names that
    file (device and inode), so a journal deleted, moved or replaced under a running till
    stops it instead of letting it sell into a file nobody will see again. Once the file is
    found gone or damaged, every later call raises that same fault.
    """

    def __init__(
        self, conn: sqlite3.Connection, path: Path, identity: storage.Identity | None = None
    ) -> None:
        self._conn = conn
        self.path = path
        self._absolute = path.absolute()
        self._identity = identity
        self._fault: JournalFault | None = None
        self._checker: _Checker | None = None

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
            conn.execute(f"SELECT COUNT(*) FROM entries WHERE {_OPEN}").fetchone()

    def verify(self) -> None:
        """Read every page (`PRAGMA quick_check`): JournalCorrupt, and no more use, if one
        is bad."""
        with self._guard():
            fault = _quick_check(self._conn, self.path)
            if fault is not None:
                raise self._poison(fault)

    def check_in_background(self) -> None:
        """Start `verify` on its own connection in a thread: a long-open till (the screens)
        goes on at once, and the journal refuses everything from the moment a bad page is
        found. `checked()` waits for the answer."""
        if self._checker is None:
            self._checker = _Checker(self)

    def checked(self, timeout: float | None = None) -> JournalFault | None:
        """Wait for the background check: its fault, or None when the journal is sound."""
        if self._checker is None:
            return None
        if not self._checker.done.wait(timeout):
            raise TimeoutError("the journal check is still running")
        return self._checker.result

    def close(self) -> None:
        if self._checker is not None:
            self._checker.stop()
        self._conn.close()

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- faults ------------------------------------------------------------------------------

    @property
    def fault(self) -> JournalFault | None:
        """Why this journal refuses everything (it was found gone or damaged), or None."""
        return self._fault

    def _poison(self, fault: JournalFault) -> JournalFault:
        """A gone or damaged file stays refused: the next call must not find it usable."""
        if isinstance(fault, (JournalGone, JournalCorrupt)) and self._fault is None:
            self._fault = fault
        return fault

    def _check_identity(self, reference: str | None = None) -> None:
        """JournalGone unless the path still names the file this journal opened."""
        if self._fault is not None:
            raise self._fault
        if self._identity is None:
            return
        try:
            now = storage.identity_of(self._absolute)
        except FileNotFoundError:
            raise self._poison(JournalGone(self.path, reference=reference)) from None
        except OSError as exc:
            raise fault_from_os(exc, self.path) from None
        if now != self._identity:
            fault = JournalGone(self.path, "another file is at its path now", reference=reference)
            raise self._poison(fault)

    @contextmanager
    def _guard(self, reference: str | None = None) -> Iterator[None]:
        """Turn SQLite's and the system's failures on the file into JournalFaults."""
        if self._fault is not None:
            raise self._fault
        try:
            yield
        except JournalFault as raised:
            if reference is not None and raised.reference is None:
                raise self._poison(raised.for_reference(reference)) from raised.__cause__
            raise
        except sqlite3.Error as exc:
            found = fault_from_sqlite(exc, self.path)
            if found is None:
                raise  # about the SQL (a constraint, a trigger): the caller's to handle
            raise self._poison(found.for_reference(reference) if reference else found) from exc
        except OSError as exc:
            found = fault_from_os(exc, self.path)
            raise self._poison(found.for_reference(reference) if reference else found) from None

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One durable write transaction: taken with the write lock, committed with fsync.

        Every caller has checked the file is the one opened (`_guarded`, `transaction`); it
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

    @_guarded
    def read(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        """Rows from the journal's other tables, for the report book."""
        return list(self._conn.execute(sql, params).fetchall())

    # -- references --------------------------------------------------------------------------

    def _ensure_sequence(self) -> None:
        """The sequence row (an old journal may lack it). The write lock is taken even when
        the row is there: a file the till cannot write is found here, before any sale."""
        with self._write() as conn:
            if conn.execute("SELECT 1 FROM sequence WHERE id = 1").fetchone() is None:
                epoch = "".join(secrets.choice(_EPOCH_ALPHABET) for _ in range(_EPOCH_LENGTH))
                conn.execute("INSERT INTO sequence (id, epoch, next) VALUES (1, ?, 1)", (epoch,))

    @property
    def epoch(self) -> str:
        """Random per journal file, so a replaced journal never reuses a reference Flash saw."""
        with self._guard():
            self._check_identity()
            row = self._conn.execute("SELECT epoch FROM sequence WHERE id = 1").fetchone()
        return str(row[0])

    # -- writes ------------------------------------------------------------------------------

    @_guarded
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
                f"RETURNING {_COLUMNS}",
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

    @_settling
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

    @_settling
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
                f"WHERE reference = ? AND {_OPEN} RETURNING {_COLUMNS}",
                (*params, reference),
            ).fetchone()
            if row is None:
                current = self._get(conn, reference)  # raises for an unknown reference
                raise JournalError(f"{reference} is already {current.state}")
            return Entry._from_row(row)

    @_guarded
    def flag_stale(self, *, older_than: int, now: int) -> int:
        """Flag open entries created before `older_than` for manual attention; returns how many."""
        with self._write() as conn:
            cursor = conn.execute(
                f"UPDATE entries SET flagged_at = ? WHERE {_OPEN} "
                "AND flagged_at IS NULL AND created_at < ?",
                (now, older_than),
            )
            return cursor.rowcount

    @_guarded
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
                f"WHERE reference = ? RETURNING {_COLUMNS}",
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

    @_guarded
    def reprints(self, reference: str) -> list[Reprint]:
        """Every copy of this entry's receipt, oldest first."""
        rows = self._conn.execute(
            "SELECT reference, copy, printed_at, cashier, approved_by FROM reprints "
            "WHERE reference = ? ORDER BY id",
            (reference,),
        ).fetchall()
        return [Reprint(*row) for row in rows]

    @_guarded
    def unprinted(self, *, limit: int = 100) -> list[Entry]:
        """Approved sales whose receipt never printed (a printer fault, or a crash between
        settling and printing): the customer may be owed a PIN."""
        return self._select(
            "state = 'approved' AND print_count = 0 AND retryable = 1",
            suffix=f"ORDER BY id DESC LIMIT {_limit(limit)}",
        )

    # -- reads -------------------------------------------------------------------------------

    def _get(self, conn: sqlite3.Connection, reference: str) -> Entry:
        row = conn.execute(
            f"SELECT {_COLUMNS} FROM entries WHERE reference = ?",
            (reference,),
        ).fetchone()
        if row is None:
            raise JournalError(f"no journal entry with reference {reference!r}")
        return Entry._from_row(row)

    @_guarded
    def get(self, reference: str) -> Entry | None:
        row = self._conn.execute(
            f"SELECT {_COLUMNS} FROM entries WHERE reference = ?",
            (reference,),
        ).fetchone()
        return None if row is None else Entry._from_row(row)

    def _select(self, where: str, params: tuple[Any, ...] = (), suffix: str = "") -> list[Entry]:
        """`where` and `suffix` are built here from constants; values always go in `params`."""
        sql = f"SELECT {_COLUMNS} FROM entries WHERE {where} {suffix}"
        rows = self._conn.execute(sql, params).fetchall()
        return [Entry._from_row(row) for row in rows]

    @_guarded
    def pending(self) -> list[Entry]:
        """Entries written but never settled: after a crash, each may or may not be at Flash."""
        return self._select(_OPEN + " AND state = 'pending'", suffix="ORDER BY +id")

    @_guarded
    def in_doubt(self) -> list[Entry]:
        return self._select(_OPEN + " AND state = 'in_doubt'", suffix="ORDER BY +id")

    @_guarded
    def open_at(self, instant: int) -> list[Entry]:
        """Entries written before `instant` that had no answer yet at it (some have one now).

        A scan of everything older than `instant`: only for a Z report stored before Z reports
        kept the list of what was open at their close."""
        return self._select(
            "created_at < ? AND (settled_at IS NULL OR settled_at >= ?)",
            (instant, instant),
            "ORDER BY id",
        )

    @_guarded
    def open_entries(self) -> list[Entry]:
        return self._select(_OPEN, suffix="ORDER BY +id")

    @_guarded
    def count_open(self) -> int:
        row = self._conn.execute(f"SELECT COUNT(*) FROM entries WHERE {_OPEN}").fetchone()
        return int(row[0])

    @_guarded
    def due(self, *, now: int, limit: int = 1000) -> list[Entry]:
        """Open, retryable entries whose next attempt is due (never-tried pending ones first)."""
        return self._select(
            _OPEN + " AND retryable = 1 AND (next_attempt_at IS NULL OR next_attempt_at <= ?)",
            (now,),
            f"ORDER BY COALESCE(next_attempt_at, 0), id LIMIT {_limit(limit)}",
        )

    @_guarded
    def next_due_at(
        self, *, training: bool | None = None, excluding: Iterable[str] = ()
    ) -> int | None:
        """When the next resend is due, leaving out references already on the wire (a sale in
        flight is pending with no schedule: counting it would make the resolver spin)."""
        skip = list(excluding)
        where = _OPEN + " AND retryable = 1"
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

    @_guarded
    def related(self, reference: str) -> list[Entry]:
        """Entries that point at this one (refunds of a redemption, cancels of a purchase)."""
        return self._select("related_reference = ?", (reference,), "ORDER BY id")

    @_guarded
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
        return self._select(where, tuple(params), f"ORDER BY id DESC LIMIT {_limit(limit)}")

    @_guarded
    def totals(self, *, since: int | None = None, until: int | None = None) -> list[Totals]:
        """Count and value by kind and state: the shift report's body."""
        rows = self._conn.execute(
            "SELECT kind, state, COUNT(*), COALESCE(SUM(amount), 0) FROM entries "
            "WHERE created_at >= ? AND created_at < ? GROUP BY kind, state ORDER BY kind, state",
            (since if since is not None else 0, until if until is not None else 2**62),
        ).fetchall()
        return [Totals(kind, state, int(count), int(amount)) for kind, state, count, amount in rows]
