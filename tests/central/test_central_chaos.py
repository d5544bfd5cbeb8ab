"""The upload's set check, the quick run: tills selling under Flash faults and SIGKILLs, their
`till sync --follow` uploaders SIGKILLed at random, PostgreSQL crashed and the network to it cut;
then everything heals and head office must be exactly the union of the journals.

The same `run_central_chaos` as `python -m bench.central_chaos --transactions 2000`, sized to run
in seconds. The second test proves the comparison itself sees each kind of failure.
"""

from __future__ import annotations

from pathlib import Path

import psycopg

from bench.central_chaos import UploadReport, compare_central, run_central_chaos
from tests.pg import CentralDb
from till.central.seal import generate_key_file
from till.central.upload import Uploader
from till.journal import Journal

from ..journal.test_journal import new


def test_quick_upload_chaos_loses_nothing_and_duplicates_nothing(pg_server: object) -> None:
    report = run_central_chaos(
        80,
        tills=3,
        seed=5,
        kill_every=(0.2, 1.0),
        uploader_kill_every=(0.2, 1.2),
        database_chaos_every=(0.3, 1.0),
    )
    summary = "\n".join(report.lines())
    # The run must have been hostile, or a clean result proves nothing.
    assert report.uploader_kills >= 3, summary
    assert report.pg_crashes >= 1 and report.cuts >= 1, summary
    assert sum(report.flash_faults.values()) >= 10, summary
    assert report.journal_reprints >= 3, summary
    assert report.journal_entries >= 240, summary
    assert report.central_entries == report.journal_entries, summary
    assert report.lost == report.stale == report.duplicated == report.mismatch == 0, summary
    assert report.reprints_lost == report.reprints_duplicated == 0, summary
    assert report.marks_behind == 0, summary
    assert report.flash_ok, summary
    assert report.ok, summary


def test_the_comparison_sees_lost_stale_duplicated_and_reprints(
    central_db: CentralDb, tmp_path: Path
) -> None:
    from bench.central_chaos import Till

    central_db.init(stores=[("S1", "pw-one")])
    key = generate_key_file(tmp_path / "store.key")
    path = tmp_path / "S1-T1.sqlite3"
    with Journal.open(path) as journal:
        kept = journal.add(new(store_id="S1", terminal_id="T1"), now=1)
        stale = journal.add(new(store_id="S1", terminal_id="T1"), now=2)
        journal.settle(kept.reference, "approved", now=3, response={"voucher": {"pin": "1"}})
        journal.record_print(kept.reference, now=4, copy=True)

        def connect() -> psycopg.Connection[tuple[object, ...]]:
            return psycopg.connect(central_db.dsn(user="till_store_s1", password="pw-one"))

        with Uploader(path, connect, key, store_id="S1", terminal_id="T1") as uploader:
            uploader.step()
        journal.settle(stale.reference, "declined", now=5)  # central now holds an old version
        lost = journal.add(new(store_id="S1", terminal_id="T1"), now=6)  # never uploaded
    with central_db.connect() as conn:
        conn.execute("UPDATE till.tills SET entries_hwm = 0")  # and the marks say so
        conn.execute(
            "INSERT INTO till.entries (reference, created_at, store_id, terminal_id, epoch, "
            "version, kind, state) VALUES ('S1-T1-GHST-1', now(), 'S1', 'T1', 'GHST', 1, "
            "'1voucher.purchase', 'approved')"
        )
        conn.execute(
            "INSERT INTO till.reprints (reference, store_id, origin, terminal_id, epoch, "
            "origin_id, copy, printed_at) SELECT reference, store_id, 'till', terminal_id, epoch, "
            "origin_id + 100, copy, printed_at FROM till.reprints"
        )
    report = UploadReport(tills=1, transactions=0)
    till = Till("S1", "T1", path, tmp_path / "unused.toml")
    compare_central(report, [till], central_db.admin_dsn, key)
    assert report.lost == 1, report.problems
    assert any(lost.reference in p for p in report.problems)
    assert report.stale == 1
    assert report.duplicated == 1  # the reference no journal has
    assert report.reprints_duplicated == 1
    assert report.marks_behind == 1
    assert not report.ok
