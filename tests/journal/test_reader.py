"""The journal's read-only twin, which the screens' lists read through from a thread (issue 15):
it sees only what is committed, so a list never shows a write that is then rolled back; it
shares its journal's fault, cannot write, and lets one thread at a time use its connection."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path
from typing import Any

import pytest

from tests.journal.test_faults import filled, middle_leaf, spoil_page
from tests.journal.test_journal import new
from till.journal import Journal, JournalCorrupt, JournalGone


class Boom(Exception):
    pass


def test_the_reader_sees_only_committed_entries(tmp_path: Path) -> None:
    with Journal.open(tmp_path / "journal.sqlite3") as journal:
        entry = journal.add(new(), now=1)
        reader = journal.reader()
        assert journal.reader() is reader  # one twin per journal
        assert [e.reference for e in reader.open_entries()] == [entry.reference]

        with pytest.raises(Boom), journal.transaction() as conn:
            conn.execute(
                "UPDATE entries SET state = 'approved' WHERE reference = ?", (entry.reference,)
            )
            # The writer's own connection sees its uncommitted change; the twin does not.
            assert journal.count_open() == 0
            assert reader.count_open() == 1 and reader.search(state="approved") == []
            raise Boom  # rolled back

        assert journal.count_open() == reader.count_open() == 1
        journal.settle(entry.reference, "declined", now=2, response_code=2204)
        assert reader.open_entries() == []
        (found,) = reader.search(state="declined")
        assert found == journal.get(entry.reference)


def test_the_reader_cannot_write_and_closes_with_the_journal(tmp_path: Path) -> None:
    journal = Journal.open(tmp_path / "journal.sqlite3")
    journal.add(new(), now=1)
    reader = journal.reader()
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        reader._conn.execute("DELETE FROM entries")
    journal.close()
    with pytest.raises(sqlite3.ProgrammingError, match="closed"):
        reader._conn.execute("SELECT 1")


def test_the_reader_has_no_way_to_write(tmp_path: Path) -> None:
    """The twin is built on the read side only: no write transaction, no entry written."""
    with Journal.open(tmp_path / "journal.sqlite3") as journal:
        reader = journal.reader()
        for write in ("_write", "transaction", "add", "settle", "mark_in_doubt", "record_print"):
            assert hasattr(journal, write)
            assert not hasattr(reader, write), write


def test_damage_the_reader_finds_stops_the_journal_selling(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite3"
    filled(path)
    spoil_page(path, middle_leaf(path))  # only a read of every page finds it
    with Journal.open(path) as journal:
        reader = journal.reader()
        with pytest.raises(JournalCorrupt) as found:
            reader.totals()  # a list that scans the whole table
        assert journal.fault is reader.fault is found.value
        with pytest.raises(JournalCorrupt):
            journal.add(new(), now=1)


def test_damage_the_background_check_finds_stops_the_lists(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite3"
    filled(path)
    spoil_page(path, middle_leaf(path))
    with Journal.open(path) as journal:
        reader = journal.reader()
        assert reader.count_open() == 0  # the pages a list of open sales reads are sound
        journal.check_in_background()
        fault = journal.checked(timeout=60)
        assert isinstance(fault, JournalCorrupt)
        with pytest.raises(JournalCorrupt) as refused:
            reader.count_open()
        assert refused.value is fault is reader.fault


def test_a_journal_found_gone_stops_its_reader_too(tmp_path: Path) -> None:
    with Journal.open(tmp_path / "journal.sqlite3") as journal:
        journal.add(new(), now=1)
        reader = journal.reader()
        moved = tmp_path / "moved.sqlite3"
        journal.path.rename(moved)
        with pytest.raises(JournalGone):
            journal.add(new(), now=2)
        moved.rename(journal.path)  # back again, but the journal gave up on it: so does the twin
        with pytest.raises(JournalGone):
            reader.open_entries()


class Watched:
    """A connection that notes, at each statement, whether another thread could take the
    reader's lock just then."""

    def __init__(self, conn: sqlite3.Connection, lock: Any) -> None:
        self._conn = conn
        self._lock = lock
        self.free_to_others: list[bool] = []

    def execute(self, sql: str, params: Any = ()) -> sqlite3.Cursor:
        taken: list[bool] = []

        def try_lock() -> None:
            got = self._lock.acquire(blocking=False)
            taken.append(got)
            if got:
                self._lock.release()

        other = threading.Thread(target=try_lock)
        other.start()
        other.join()
        self.free_to_others += taken
        return self._conn.execute(sql, params)

    def close(self) -> None:
        self._conn.close()


def test_the_reader_lets_one_thread_at_a_time_use_its_connection(tmp_path: Path) -> None:
    with Journal.open(tmp_path / "journal.sqlite3") as journal:
        journal.add(new(), now=1)
        reader = journal.reader()
        watched = Watched(reader._conn, reader._lock)
        reader._conn = watched  # type: ignore[assignment]
        assert reader.count_open() == 1
        assert len(reader.search(limit=5)) == 1
        assert watched.free_to_others == [False, False]  # held for every statement
        assert reader._lock.acquire(blocking=False)  # and let go after each read
        reader._lock.release()
        reader._conn = watched._conn
