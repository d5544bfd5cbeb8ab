"""The journal on a real SQLite file: durability settings, references, settling, queries,
migrations."""

from __future__ import annotations

import json
import os
import sqlite3
import stat
from pathlib import Path

import pytest

from till.journal import (
    SCHEMA_VERSION,
    Journal,
    JournalCorrupt,
    JournalError,
    NewEntry,
    SchemaTooNew,
)
from till.journal.schema import migrate


def body(reference: str) -> bytes:
    return json.dumps({"reference": reference, "amount": 500}, separators=(",", ":")).encode()


def new(**fields: object) -> NewEntry:
    values: dict[str, object] = {
        "kind": "1voucher.purchase",
        "build_request": body,
        "store_id": "S1",
        "terminal_id": "T1",
        "amount": 500,
    }
    values.update(fields)
    return NewEntry(**values)  # type: ignore[arg-type]


def test_durability_settings_and_private_file(journal: Journal) -> None:
    conn = journal._conn
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert conn.isolation_level is None  # autocommit: our BEGIN IMMEDIATE is the only txn
    assert stat.S_IMODE(os.stat(journal.path).st_mode) == 0o600


def test_tightens_an_existing_world_readable_file(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite3"
    Journal.open(path).close()
    os.chmod(path, 0o644)
    Journal.open(path).close()
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


def test_entry_is_visible_to_a_second_connection_once_added(journal: Journal) -> None:
    entry = journal.add(new(), now=1)
    other = sqlite3.connect(journal.path)
    row = other.execute(
        "SELECT state, request FROM entries WHERE reference = ?", (entry.reference,)
    ).fetchone()
    other.close()
    assert row == ("pending", body(entry.reference))


def test_references_are_sequential_allowed_and_survive_restart(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite3"
    with Journal.open(path) as j:
        refs = [j.add(new(), now=i).reference for i in range(3)]
        epoch = j.epoch
    with Journal.open(path) as j:
        refs.append(j.add(new(), now=9).reference)
        assert j.epoch == epoch
    assert refs == [f"S1-T1-{epoch}-{n}" for n in (1, 2, 3, 4)]
    assert all(
        set(r) <= set("-.=ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
        for r in refs
    )
    with Journal.open(tmp_path / "other.sqlite3") as fresh:
        assert fresh.epoch != epoch or fresh.add(new(), now=1).reference not in refs


def test_a_failing_request_builder_writes_nothing(journal: Journal) -> None:
    def boom(reference: str) -> bytes:
        raise ValueError("bad input")

    with pytest.raises(ValueError, match="bad input"):
        journal.add(new(build_request=boom), now=1)
    assert journal.search() == []
    assert journal.add(new(), now=2).reference.endswith("-1")  # the sequence did not move


def test_settle_once_and_only_open_entries(journal: Journal) -> None:
    entry = journal.add(new(), now=1)
    doubted = journal.mark_in_doubt(entry.reference, now=2, error="timeout", next_attempt_at=50)
    assert doubted.state == "in_doubt" and doubted.attempts == 1 and doubted.next_attempt_at == 50
    settled = journal.settle(
        entry.reference,
        "approved",
        now=3,
        response={"responseCode": 0, "voucher": {"pin": "1234123412341234", "serialNumber": "9"}},
        response_code=0,
        serial_number="9",
    )
    assert settled.state == "approved" and settled.settled_at == 3 and settled.attempts == 2
    assert settled.serial_number == "9" and settled.next_attempt_at is None
    assert settled.response is not None and settled.response["voucher"]["pin"] == "1234123412341234"
    with pytest.raises(JournalError, match="already approved"):
        journal.settle(entry.reference, "declined", now=4)
    with pytest.raises(JournalError, match="already approved"):
        journal.mark_in_doubt(entry.reference, now=4, error="x", next_attempt_at=5)
    assert "1234" not in repr(settled)


def test_open_queries(journal: Journal) -> None:
    a = journal.add(new(), now=1)
    b = journal.add(new(), now=2)
    c = journal.add(new(retryable=False, kind="prepaid-utilities.lookup"), now=3)
    journal.mark_in_doubt(b.reference, now=3, error="drop", next_attempt_at=100)
    assert [e.reference for e in journal.pending()] == [a.reference, c.reference]
    assert [e.reference for e in journal.in_doubt()] == [b.reference]
    assert journal.count_open() == 3
    assert [e.reference for e in journal.due(now=50)] == [a.reference]  # c is a query
    assert [e.reference for e in journal.due(now=100)] == [a.reference, b.reference]
    assert journal.next_due_at() == 0


def test_flag_stale_marks_but_keeps(journal: Journal) -> None:
    old = journal.add(new(), now=1_000)
    young = journal.add(new(), now=90_000)
    assert journal.flag_stale(older_than=50_000, now=100_000) == 1
    assert journal.get(old.reference).flagged_at == 100_000  # type: ignore[union-attr]
    assert journal.get(young.reference).flagged_at is None  # type: ignore[union-attr]
    assert journal.count_open() == 2
    assert journal.flag_stale(older_than=50_000, now=200_000) == 0  # flagged once


def test_search_and_totals(journal: Journal) -> None:
    sold = journal.add(new(amount=5000), now=1_000)
    airtime = journal.add(
        new(kind="cellular.pinless.purchase", amount=2900, mobile_number="27821234567"), now=2_000
    )
    vend = journal.add(
        new(kind="prepaid-utilities.purchase", amount=10000, meter_number="04040404040"), now=3_000
    )
    journal.settle(sold.reference, "approved", now=1_001, serial_number="SER42")
    journal.settle(airtime.reference, "declined", now=2_001, response_code=2003)
    assert [e.reference for e in journal.search(mobile_number="27821234567")] == [airtime.reference]
    assert [e.reference for e in journal.search(meter_number="04040404040")] == [vend.reference]
    assert [e.reference for e in journal.search(serial_number="SER42")] == [sold.reference]
    assert [e.reference for e in journal.search(amount=2900)] == [airtime.reference]
    assert [e.reference for e in journal.search(reference=vend.reference)] == [vend.reference]
    assert [e.reference for e in journal.search(since=1_500, until=3_000)] == [airtime.reference]
    assert [e.reference for e in journal.search(state="approved")] == [sold.reference]
    assert [e.reference for e in journal.search()] == [
        vend.reference,
        airtime.reference,
        sold.reference,
    ]
    totals = {(t.kind, t.state): (t.count, t.amount) for t in journal.totals()}
    assert totals == {
        ("1voucher.purchase", "approved"): (1, 5000),
        ("cellular.pinless.purchase", "declined"): (1, 2900),
        ("prepaid-utilities.purchase", "pending"): (1, 10000),
    }


def test_record_print(journal: Journal) -> None:
    entry = journal.add(new(), now=1)
    failed = journal.record_print(entry.reference, now=2, error="printer offline")
    assert failed.print_count == 0 and failed.print_error == "printer offline"
    printed = journal.record_print(entry.reference, now=3)
    assert printed.print_count == 1 and printed.print_error is None and printed.last_printed_at == 3


def test_each_reprint_is_kept_with_who_printed_and_approved_it(journal: Journal) -> None:
    entry = journal.add(new(), now=1)
    journal.record_print(entry.reference, now=2)  # the original: not a reprint
    journal.record_print(entry.reference, now=3, copy=True, cashier="c1", approved_by="s1")
    journal.record_print(entry.reference, now=4, copy=True, error="paper out", cashier="c2")
    copy2 = journal.record_print(entry.reference, now=5, copy=True, cashier="c2", approved_by="")
    assert copy2.reprint_count == 2
    assert [(r.copy, r.printed_at, r.cashier, r.approved_by) for r in journal.reprints(
        entry.reference
    )] == [(1, 3, "c1", "s1"), (2, 5, "c2", None)]  # fmt: skip
    for sql in ("UPDATE reprints SET approved_by = 'x'", "DELETE FROM reprints"):
        with pytest.raises(sqlite3.DatabaseError, match="cannot be"):
            journal._conn.execute(sql)
    assert journal.reprints("S1-T1-NOPE-1") == []


def test_related_entries(journal: Journal) -> None:
    redemption = journal.add(new(kind="1voucher.redeem"), now=1)
    refund = journal.add(new(kind="1voucher.refund", related_reference=redemption.reference), now=2)
    assert [e.reference for e in journal.related(redemption.reference)] == [refund.reference]


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("reference", "'X'"),
        ("mobile_number", "'27821234567'"),
        ("meter_number", "'04040404040'"),
        ("serial_number", "'S'"),
    ],
)
def test_searches_use_an_index(journal: Journal, column: str, value: str) -> None:
    plan = journal._conn.execute(
        f"EXPLAIN QUERY PLAN SELECT * FROM entries WHERE {column} = {value}"  # noqa: S608
    ).fetchall()
    assert any("USING INDEX" in str(row[-1]) for row in plan), plan


def test_open_entries_use_the_partial_index(journal: Journal) -> None:
    plan = journal._conn.execute(
        "EXPLAIN QUERY PLAN SELECT * FROM entries WHERE state IN ('pending', 'in_doubt') "
        "AND retryable = 1 AND (next_attempt_at IS NULL OR next_attempt_at <= 5)"
    ).fetchall()
    assert any("entries_open" in str(row[-1]) for row in plan), plan


# -- migrations --------------------------------------------------------------------------------


def test_refuses_an_empty_file_and_leaves_it(tmp_path: Path) -> None:
    """The till makes a journal whole (under a temporary name, then linked): an empty file at
    the path is a journal cut to nothing, not a new one to fill, so it is refused and kept."""
    path = tmp_path / "empty.sqlite3"
    path.touch()
    with pytest.raises(JournalCorrupt, match="empty"):
        Journal.open(path)
    assert path.stat().st_size == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty.sqlite3"]


def test_upgrades_a_version_1_journal_and_keeps_its_entries(tmp_path: Path) -> None:
    path = tmp_path / "v1.sqlite3"
    conn = sqlite3.connect(path, isolation_level=None)
    migrate(conn, upto=1)
    conn.execute("INSERT INTO sequence (id, epoch, next) VALUES (1, 'OLD1', 8)")
    conn.execute(
        "INSERT INTO entries (reference, kind, state, request, amount, store_id, terminal_id, "
        "created_at, mobile_number) VALUES ('S1-T1-OLD1-7', '1voucher.purchase', 'in_doubt', "
        "x'7b7d', 500, 'S1', 'T1', 5, '27820000000')"
    )
    conn.close()
    with Journal.open(path) as j:
        assert j._conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        old = j.get("S1-T1-OLD1-7")
        assert old is not None and old.state == "in_doubt" and old.request == b"{}"
        assert old.print_count == 0 and old.retryable and not old.training
        assert [e.reference for e in j.due(now=10)] == ["S1-T1-OLD1-7"]
        assert [e.reference for e in j.search(mobile_number="27820000000")] == ["S1-T1-OLD1-7"]
        assert j.add(new(), now=6).reference == "S1-T1-OLD1-8"


def test_refuses_a_journal_from_a_newer_till(tmp_path: Path) -> None:
    path = tmp_path / "future.sqlite3"
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(SchemaTooNew, match="upgrade the till"):
        Journal.open(path)


def test_a_v2_journal_that_already_has_reprint_count_still_opens(tmp_path: Path) -> None:
    """Journals made while v2 briefly held the column must not fail on 'duplicate column'."""
    path = tmp_path / "early-v2.sqlite3"
    conn = sqlite3.connect(path, isolation_level=None)
    migrate(conn, upto=2)
    conn.execute("ALTER TABLE entries ADD COLUMN reprint_count INTEGER NOT NULL DEFAULT 0")
    conn.close()
    with Journal.open(path) as j:
        assert j.add(new(), now=1).reprint_count == 0
