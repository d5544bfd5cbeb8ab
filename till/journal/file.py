"""The one SQLite file a journal opened, and the guarded ways to read it: every call checks the
path still names that file and every failure becomes a `JournalFault`. Writing is another
part's (`till.journal.writable`), so the read-only twin has no way to ask for it.
"""

from __future__ import annotations

import functools
import sqlite3
import threading
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


class Faults:
    """The one fault a journal and its read-only twin share: the file found gone or damaged
    through either connection stops both, so a list is never read from a file the till may
    no longer sell on, nor a sale made on one a list found damaged."""

    def __init__(self) -> None:
        self._fault: JournalFault | None = None
        self._lock = threading.Lock()

    @property
    def fault(self) -> JournalFault | None:
        return self._fault

    def poison(self, fault: JournalFault) -> JournalFault:
        """Keep `fault` when it is the file's (gone or damaged) and none is kept yet."""
        if isinstance(fault, (JournalGone, JournalCorrupt)):
            with self._lock:
                if self._fault is None:
                    self._fault = fault
        return fault


class JournalFile:
    """One journal file, kept to: before each use it checks that the path still names the file
    it opened (device and inode). Once the file is found gone or damaged, every later call
    raises that same fault (and so does every call on the parts that share its `Faults`)."""

    def __init__(
        self,
        conn: sqlite3.Connection,
        path: Path,
        identity: storage.Identity | None = None,
        faults: Faults | None = None,
    ) -> None:
        self._conn = conn
        self.path = path
        self._absolute = path.absolute()
        self._identity = identity
        self._faults = faults if faults is not None else Faults()

    # -- faults ------------------------------------------------------------------------------

    @property
    def fault(self) -> JournalFault | None:
        """Why this journal refuses everything (it was found gone or damaged), or None."""
        return self._faults.fault

    def _poison(self, fault: JournalFault) -> JournalFault:
        """A gone or damaged file stays refused: the next call must not find it usable."""
        return self._faults.poison(fault)

    def _check_identity(self, reference: str | None = None) -> None:
        """JournalGone unless the path still names the file this journal opened."""
        if (fault := self.fault) is not None:
            raise fault
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
        if (fault := self.fault) is not None:
            raise fault
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

    # -- reading ------------------------------------------------------------------------------

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
