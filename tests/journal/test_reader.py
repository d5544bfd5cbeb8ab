"""The journal's read-only twin, which the screens' lists read through from a thread (issue 15):
it sees only what is committed, so a list never shows a write that is then rolled back."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from tests.journal.test_journal import new
from till.journal import Journal


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
