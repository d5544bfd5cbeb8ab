"""The one SQLite file a journal opened, and the guarded ways to use it: every call checks the
path still names that file, every failure becomes a `JournalFault`, and every write is one
durable transaction. The journal's reads, writes and prints (`Journal`'s parts) build on it.
"""

from __future__ import annotations

import contextlib
import functools
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Concatenate, ParamSpec, TypeVar

from till.journal import storage
from till.journal.entry import COLUMNS, Entry
from till.journal.errors import (
    JournalCorrupt,
    JournalError,
    JournalFault,
    JournalGone,
    fault_from_os,
    fault_from_sqlite,
)

P = ParamSpec("P")
R = TypeVar("R")
F = TypeVar("F", bound="JournalFile")


def guarded(method: Callable[Concatenate[F, P], R]) -> Callable[Concatenate[F, P], R]:
    """Run a journal method only on the file the journal opened, and turn SQLite's and the
    operating system's failures into `JournalFault`s that say what to do."""

    def guard(self: F, /, *args: P.args, **kwargs: P.kwargs) -> R:
        with self._guard():
            self._check_identity()
            return method(self, *args, **kwargs)

    functools.update_wrapper(guard, method)
    return guard


def settling(
    method: Callable[Concatenate[F, str, P], R],
) -> Callable[Concatenate[F, str, P], R]:
    """`guarded` for a method that records Flash's answer for a reference: a fault names it,
    since that sale may have gone through without being recorded."""

    def guard(self: F, reference: str, /, *args: P.args, **kwargs: P.kwargs) -> R:
        with self._guard(reference):
            self._check_identity()
            return method(self, reference, *args, **kwargs)

    functools.update_wrapper(guard, method)
    return guard


class JournalFile:
    """One journal file, kept to: before each use it checks that the path still names the file
    it opened (device and inode). Once the file is found gone or damaged, every later call
    raises that same fault."""

    def __init__(
        self, conn: sqlite3.Connection, path: Path, identity: storage.Identity | None = None
    ) -> None:
        self._conn = conn
        self.path = path
        self._absolute = path.absolute()
        self._identity = identity
        self._fault: JournalFault | None = None

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

    # -- transactions ------------------------------------------------------------------------

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

    @guarded
    def read(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        """Rows from the journal's other tables, for the report book."""
        return list(self._conn.execute(sql, params).fetchall())

    # -- entries -----------------------------------------------------------------------------

    def _get(self, conn: sqlite3.Connection, reference: str) -> Entry:
        row = conn.execute(
            f"SELECT {COLUMNS} FROM entries WHERE reference = ?",
            (reference,),
        ).fetchone()
        if row is None:
            raise JournalError(f"no journal entry with reference {reference!r}")
        return Entry._from_row(row)

    def _select(self, where: str, params: tuple[Any, ...] = (), suffix: str = "") -> list[Entry]:
        """`where` and `suffix` are built here from constants; values always go in `params`."""
        sql = f"SELECT {COLUMNS} FROM entries WHERE {where} {suffix}"
        rows = self._conn.execute(sql, params).fetchall()
        return [Entry._from_row(row) for row in rows]
