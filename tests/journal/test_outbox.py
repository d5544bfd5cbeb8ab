"""The journal's outbox: every change numbered in its own transaction, read back in order by a
read-only reader beside a till that is writing."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from till.journal import Journal, JournalMissing
from till.journal.outbox import Marks, Outbox, OutboxError
from till.journal.schema import migrate

from .test_journal import new


def change_numbers(outbox: Outbox) -> dict[str, int]:
    return {c.entry.reference: c.change_no for c in outbox.entries_after(0, 1000)}


def test_every_change_to_an_entry_gets_a_higher_number(journal: Journal) -> None:
    first = journal.add(new(), now=1)
    second = journal.add(new(), now=2)
    with Outbox.open(journal.path) as outbox:
        before = change_numbers(outbox)
        assert before[first.reference] < before[second.reference]
        journal.settle(first.reference, "approved", now=3, response={"pin": "1"})
        after_settle = change_numbers(outbox)
        assert after_settle[first.reference] > before[second.reference]
        journal.record_print(first.reference, now=4)
        journal.record_print(first.reference, now=5, copy=True)
        journal.flag_stale(older_than=10, now=6)  # flags the still-open second entry
        latest = outbox.entries_after(0, 1000)
    # Ordered by change, each entry once, in its latest state.
    assert [c.entry.reference for c in latest] == [first.reference, second.reference]
    assert latest[0].entry.reprint_count == 1 and latest[1].entry.flagged_at == 6
    numbers = [c.change_no for c in latest]
    assert numbers == sorted(numbers) and len(set(numbers)) == 2


def test_reads_in_batches_after_a_mark(journal: Journal) -> None:
    refs = [journal.add(new(), now=i).reference for i in range(7)]
    with Outbox.open(journal.path) as outbox:
        got: list[str] = []
        mark = 0
        while batch := outbox.entries_after(mark, 3):
            assert len(batch) <= 3
            got += [c.entry.reference for c in batch]
            mark = batch[-1].change_no
        assert got == refs
        assert outbox.backlog(Marks(entries=mark)) == 0
        assert outbox.backlog(Marks()) == 7
        assert outbox.latest() == Marks(entries=mark)


def test_bare_rows_are_the_entries_read_as_sqlite_holds_them(journal: Journal) -> None:
    first = journal.add(new(), now=1)
    journal.add(new(training=True), now=2)
    journal.settle(first.reference, "approved", now=3, response={"pin": "1"})
    columns = ("reference", "training", "request", "response", "retryable", "created_at")
    with Outbox.open(journal.path) as outbox:
        changes = outbox.entries_after(0, 10)
        rows = outbox.entry_rows_after(0, 10, columns)
        assert outbox.entry_rows_after(rows[0][0], 10, columns) == rows[1:]
        assert outbox.entry_rows_after(0, 1, ["reference"]) == [(rows[0][0], rows[0][1])]
        for bad in ([], ["reference", "nope"], ["reference; DROP TABLE entries"], ["change_no"]):
            with pytest.raises(ValueError, match="not columns of an entry"):
                outbox.entry_rows_after(0, 10, bad)
    assert [row[0] for row in rows] == [c.change_no for c in changes]
    for row, change in zip(rows, changes, strict=True):
        e = change.entry
        assert row[1:] == (
            e.reference,
            int(e.training),
            e.request,
            e.response_json,
            int(e.retryable),
            e.created_at,
        )


def test_reprints_and_z_reports_are_numbered_by_their_ids(journal: Journal) -> None:
    entry = journal.add(new(), now=1)
    journal.settle(entry.reference, "approved", now=2)
    journal.record_print(entry.reference, now=3, copy=True, cashier="c1", approved_by="s1")
    journal.record_print(entry.reference, now=4, copy=True)
    with journal.transaction() as conn:
        conn.execute(
            "INSERT INTO z_reports (number, created_at, period_start, period_end, created_by, "
            "body) VALUES (1, 5, 0, 5, 'mgr', '{}')"
        )
    with Outbox.open(journal.path) as outbox:
        reprints = outbox.reprints_after(0, 10)
        assert [(r.copy, r.cashier, r.approved_by) for r in reprints] == [
            (1, "c1", "s1"),
            (2, None, None),
        ]
        assert outbox.reprints_after(reprints[0].id, 10) == reprints[1:]
        assert [z.number for z in outbox.z_reports_after(0, 10)] == [1]
        assert outbox.z_reports_after(1, 10) == []
        assert outbox.epoch() == journal.epoch
        assert outbox.backlog(Marks()) == 1 + 2 + 1


def test_the_reader_cannot_write(journal: Journal) -> None:
    journal.add(new(), now=1)
    with Outbox.open(journal.path) as outbox, pytest.raises(sqlite3.OperationalError):
        outbox._conn.execute("DELETE FROM entries")
    assert len(journal.search(limit=10)) == 1


def test_an_old_journal_is_numbered_in_the_order_it_was_made(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    conn = sqlite3.connect(path, isolation_level=None)
    migrate(conn, upto=6)
    conn.execute("INSERT INTO sequence (id, epoch, next) VALUES (1, 'ABCD', 3)")
    for i in (1, 2):
        conn.execute(
            "INSERT INTO entries (reference, kind, state, request, store_id, terminal_id, "
            "created_at) VALUES (?, 'airtime', 'approved', x'7b7d', 'S1', 'T1', ?)",
            (f"S1-T1-ABCD-{i}", i),
        )
    with pytest.raises(OutboxError, match="start the till once"):
        Outbox.open(path)
    migrate(conn)
    conn.close()
    with Outbox.open(path) as outbox:
        assert [(c.change_no, c.entry.reference) for c in outbox.entries_after(0, 10)] == [
            (1, "S1-T1-ABCD-1"),
            (2, "S1-T1-ABCD-2"),
        ]
    with Journal.open(path) as journal:
        added = journal.add(new(store_id="S1", terminal_id="T1"), now=3)
    with Outbox.open(path) as outbox:
        assert outbox.entries_after(2, 10)[0].entry.reference == added.reference


def test_no_file_is_a_clear_fault(tmp_path: Path) -> None:
    with pytest.raises(JournalMissing):
        Outbox.open(tmp_path / "nothing.sqlite3")


def test_every_numbered_change_commits_durably(journal: Journal) -> None:
    """A change the uploader may read must survive a power cut: were it undone, its number
    would go to the next change, which head office (already past it) would never ask for."""
    entry = journal.add(new(), now=1)
    journal.settle(entry.reference, "approved", now=2)
    seen: list[str] = []
    journal._conn.set_trace_callback(seen.append)
    try:
        journal.record_print(entry.reference, now=3)
        journal.record_print(entry.reference, now=4, error="paper out")
        journal.record_print(entry.reference, now=5, copy=True)
    finally:
        journal._conn.set_trace_callback(None)
    assert seen and not [s for s in seen if "synchronous" in s.lower()], seen
    assert journal._conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
