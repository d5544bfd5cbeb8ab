"""The uploader against a real PostgreSQL server and real journals, logged in as a store.

Central must equal the journal: every live entry in its latest state, every reprint and Z report
once, whatever is resent; training never leaves the till; no PIN or token in clear centrally.
"""

from __future__ import annotations

import asyncio
import functools
import os
import sqlite3
import subprocess
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest
from hypothesis import given
from hypothesis import strategies as st
from psycopg.rows import dict_row

from tests.central.pgserver import PgServer
from tests.journal.test_journal import new
from tests.pg import CentralDb
from tests.support import HANG_SECONDS
from till.central.schema import store_login
from till.central.seal import SealKey, unseal_record
from till.central.upload import HqStatus, StepResult, Uploader, UploadError, _month_span, _shown
from till.flash import FlashClient
from till.journal import Journal
from till.journal.outbox import Outbox
from till.reports.book import ReportBook
from till.sales import Backoff, SaleEngine
from till.sandbox import Sandbox

STORE, PASSWORD = "S1", "pw-store-s1"
OTHER, OTHER_PASSWORD = "S2", "pw-store-s2"
KEY_CHANGE_METER = "04141414141"
SEED_PIN = "1111111111111111"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

Connect = Callable[[], psycopg.Connection[Any]]


def now_ms() -> int:
    return int(time.time() * 1000)


def ts(ms: int | None) -> datetime | None:
    return None if ms is None else EPOCH + timedelta(milliseconds=ms)


def wait_for(condition: Callable[[], object], what: str) -> None:
    """Poll until `condition()` holds; fail only after HANG_SECONDS (a hang, never a speed)."""
    deadline = time.monotonic() + HANG_SECONDS
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"waited {HANG_SECONDS:.0f} s for {what}")
        time.sleep(0.01)


@pytest.fixture
def central(central_db: CentralDb) -> CentralDb:
    central_db.init(stores=[(STORE, PASSWORD), (OTHER, OTHER_PASSWORD)])
    return central_db


def store_connect(central: CentralDb, store: str = STORE, password: str = PASSWORD) -> Connect:
    dsn = central.dsn(user=store_login(store), password=password)
    return lambda: psycopg.connect(dsn, connect_timeout=10)


@pytest.fixture
def key() -> SealKey:
    return SealKey.generate()


@pytest.fixture
async def engine(journal: Journal, client: FlashClient) -> AsyncIterator[SaleEngine]:
    yield SaleEngine(
        journal, client, store_id=STORE, terminal_id="T1", backoff=Backoff(base_ms=1, cap_ms=1)
    )


@contextmanager
def make_uploader(
    central: CentralDb, path: Path, key: SealKey, **kwargs: Any
) -> Iterator[Uploader]:
    options: dict[str, Any] = {"store_id": STORE, "terminal_id": "T1"}
    options.update(kwargs)
    connect = options.pop("connect", None) or store_connect(central)
    with Uploader(path, connect, key, **options) as up:
        yield up


@pytest.fixture
def uploader(central: CentralDb, journal: Journal, key: SealKey) -> Iterator[Uploader]:
    with make_uploader(central, journal.path, key) as up:
        yield up


def sync(up: Uploader) -> list[StepResult]:
    """Step until head office holds everything; every step's result."""
    results = [up.step()]
    while results[-1].backlog or results[-1].changes:
        assert len(results) < 10_000, "the uploader does not converge"
        results.append(up.step())
    return results


def admin_rows(central: CentralDb, query: str) -> list[dict[str, Any]]:
    with psycopg.connect(central.admin_dsn, row_factory=dict_row) as conn:
        return conn.execute(query).fetchall()


def central_entries(central: CentralDb) -> dict[str, dict[str, Any]]:
    return {r["reference"]: r for r in admin_rows(central, "SELECT * FROM till.entries")}


def admin_execute(central: CentralDb, query: str) -> None:
    with central.connect() as conn:
        conn.execute(query)


_SAME_AS_JOURNAL = [
    *("store_id", "terminal_id", "kind", "state", "amount", "product_code", "cashier"),
    *("approved_by", "mobile_number", "meter_number", "serial_number", "related_reference"),
    *("response_code", "attempts", "last_error", "print_count", "reprint_count", "print_error"),
    "retryable",
]


def assert_central_is_the_journal(central: CentralDb, path: Path) -> None:
    """Every live entry in its latest state (and version), nothing else."""
    with Outbox.open(path) as outbox:
        changes = [c for c in outbox.entries_after(0, 1_000_000) if not c.entry.training]
        epoch = outbox.epoch()
    rows = central_entries(central)
    assert sorted(rows) == sorted(c.entry.reference for c in changes)
    for change in changes:
        e, row = change.entry, rows[change.entry.reference]
        expected = {
            "version": change.change_no,
            "epoch": epoch,
            "created_at": ts(e.created_at),
            "settled_at": ts(e.settled_at),
            "last_printed_at": ts(e.last_printed_at),
            "flagged_at": ts(e.flagged_at),
        }
        for name in _SAME_AS_JOURNAL:
            expected[name] = getattr(e, name)
        assert {k: row[k] for k in expected} == expected, e.reference


# -- what lands, in which state -----------------------------------------------------------------


async def test_sales_land_in_their_latest_state(
    central: CentralDb, engine: SaleEngine, journal: Journal, uploader: Uploader
) -> None:
    sold = await engine.sell_1voucher(5000)
    redeemed = await engine.redeem_1voucher(SEED_PIN)
    vended = await engine.vend_utility(KEY_CHANGE_METER, 20_000)
    cash_out = await engine.sell_cash_out_pin(300, 20_000)
    pending = journal.add(new(), now=now_ms())
    assert {o.status for o in (sold, redeemed, vended, cash_out)} == {"approved"}
    sync(uploader)
    assert_central_is_the_journal(central, journal.path)
    assert central_entries(central)[pending.reference]["state"] == "pending"

    # Printed, then reprinted with an approval: the newer versions replace the rows.
    journal.record_print(sold.reference, now=now_ms())
    journal.record_print(sold.reference, now=now_ms(), copy=True, cashier="ann", approved_by="sue")
    journal.settle(pending.reference, "declined", now=now_ms(), response_code=2402)
    results = sync(uploader)
    assert results[0].entries == 2 and results[0].reprints == 1
    assert_central_is_the_journal(central, journal.path)
    row = central_entries(central)[sold.reference]
    assert (row["print_count"], row["reprint_count"]) == (2, 1)
    reprints = admin_rows(central, "SELECT * FROM till.reprints")
    assert [
        (r["reference"], r["copy"], r["cashier"], r["approved_by"], r["origin"]) for r in reprints
    ] == [(sold.reference, 1, "ann", "sue", "till")]
    assert reprints[0]["epoch"] == journal.epoch and reprints[0]["terminal_id"] == "T1"
    till = admin_rows(central, "SELECT * FROM till.tills")
    with Outbox.open(journal.path) as outbox:
        latest = outbox.latest()
    assert [(t["entries_hwm"], t["reprints_hwm"], t["backlog"]) for t in till] == [
        (latest.entries, latest.reprints, 0)
    ]


def test_reprints_and_z_reports_arrive_once(
    central: CentralDb, journal: Journal, uploader: Uploader
) -> None:
    entry = journal.add(new(), now=now_ms())
    journal.settle(entry.reference, "approved", now=now_ms(), response={"responseCode": 0})
    for copy in range(3):
        journal.record_print(entry.reference, now=now_ms(), copy=copy > 0, cashier="ann")
    book = ReportBook(journal)
    z = book.z_report(now=now_ms(), created_by="ann")
    sync(uploader)
    sync(uploader)
    reprints = admin_rows(central, "SELECT copy, origin_id FROM till.reprints ORDER BY copy")
    assert [r["copy"] for r in reprints] == [1, 2]
    zs = admin_rows(central, "SELECT * FROM till.z_reports")
    assert [(r["number"], r["created_by"], r["body"]["number"]) for r in zs] == [(1, "ann", 1)]
    assert zs[0]["period_end"] == ts(z.period_end) and zs[0]["body"]["kind"] == "Z"


def test_each_step_holds_at_most_one_batch(
    central: CentralDb, journal: Journal, key: SealKey
) -> None:
    refs = [journal.add(new(), now=now_ms()).reference for _ in range(6)]
    for ref in refs[:3]:
        journal.record_print(ref, now=now_ms(), copy=True)
    book = ReportBook(journal)
    book.z_report(now=now_ms(), created_by="ann", override_by="sue")
    book.z_report(now=now_ms(), created_by="ann", override_by="sue")
    with make_uploader(central, journal.path, key, batch_size=4) as up:
        results = sync(up)
    assert [(r.entries, r.reprints, r.z_reports) for r in results] == [
        (4, 0, 0),
        (2, 2, 0),
        (0, 1, 2),
        (0, 0, 0),
    ]
    assert [r.backlog for r in results] == [7, 3, 0, 0]
    assert_central_is_the_journal(central, journal.path)


def test_an_entry_of_an_unpartitioned_month_gets_its_partition(
    central: CentralDb, journal: Journal, uploader: Uploader
) -> None:
    old = journal.add(new(), now=int(datetime(2020, 1, 15, tzinfo=UTC).timestamp() * 1000))
    sync(uploader)
    rows = admin_rows(
        central, "SELECT reference, tableoid::regclass::text AS part FROM till.entries"
    )
    assert rows == [{"reference": old.reference, "part": "till.entries_y2020m01"}]


async def test_training_never_leaves_the_till(
    central: CentralDb, journal: Journal, client: FlashClient, uploader: Uploader
) -> None:
    trainer = SaleEngine(
        journal,
        client,
        store_id=STORE,
        terminal_id="T1",
        training=True,
        backoff=Backoff(base_ms=1, cap_ms=1),
    )
    practice = await trainer.sell_1voucher(5000)
    journal.record_print(practice.reference, now=now_ms(), copy=True)
    live = journal.add(new(), now=now_ms())
    results = sync(uploader)
    assert results[0].skipped == 2 and results[0].entries == 1  # the practice sale and its copy
    assert list(central_entries(central)) == [live.reference]
    assert admin_rows(central, "SELECT * FROM till.reprints") == []
    with Outbox.open(journal.path) as outbox:
        latest = outbox.latest()
    (till,) = admin_rows(central, "SELECT * FROM till.tills")
    assert (till["entries_hwm"], till["reprints_hwm"], till["backlog"]) == (
        latest.entries,
        latest.reprints,
        0,
    )


# -- resending: never a duplicate, never stale --------------------------------------------------


def _snapshot(central: CentralDb) -> dict[str, list[dict[str, Any]]]:
    return {
        table: admin_rows(central, f"SELECT * FROM till.{table} ORDER BY 1, 2")  # noqa: S608
        for table in ("entries", "reprints", "z_reports")
    }


def _busy_journal(journal: Journal) -> None:
    for i in range(5):
        entry = journal.add(new(), now=now_ms())
        if i % 2:
            journal.settle(entry.reference, "approved", now=now_ms(), response={"ok": i})
            journal.record_print(entry.reference, now=now_ms())
            journal.record_print(entry.reference, now=now_ms(), copy=True, cashier="ann")
    ReportBook(journal).z_report(now=now_ms(), created_by="ann", override_by="sue")


def test_sending_everything_again_changes_nothing(
    central: CentralDb, journal: Journal, uploader: Uploader
) -> None:
    _busy_journal(journal)
    sync(uploader)
    before = _snapshot(central)
    # As if head office lost the marks (or a crash came after COMMIT, before anything else).
    admin_execute(central, "UPDATE till.tills SET entries_hwm = 0, reprints_hwm = 0, z_hwm = 0")
    results = sync(uploader)
    assert sum(r.changes for r in results) > 0  # it really sent everything again
    assert _snapshot(central) == before  # uploaded_at too: not one row was rewritten
    assert_central_is_the_journal(central, journal.path)


def test_a_batch_cut_off_before_commit_is_sent_whole_next_time(
    central: CentralDb, journal: Journal, uploader: Uploader
) -> None:
    """The uploader's session dies mid-batch (entries written, Z report waiting on a lock):
    nothing of that batch is central, and the next step sends it all."""
    _busy_journal(journal)
    failure: list[BaseException] = []

    def step() -> None:
        try:
            uploader.step()
        except BaseException as exc:
            failure.append(exc)

    with central.connect(autocommit=False) as blocker:
        blocker.execute("LOCK TABLE till.z_reports IN ACCESS EXCLUSIVE MODE")
        worker = threading.Thread(target=step)
        worker.start()
        with central.connect() as admin:
            login = store_login(STORE)
            activity = "FROM pg_stat_activity WHERE usename = %s"
            wait_for(
                lambda: admin.execute(
                    f"SELECT 1 {activity} AND wait_event_type = 'Lock'", (login,)
                ).fetchone(),
                "the upload to wait on the lock",
            )
            admin.execute(f"SELECT pg_terminate_backend(pid) {activity}", (login,))
        worker.join(HANG_SECONDS)
        blocker.rollback()
    assert failure and isinstance(failure[0], psycopg.OperationalError)
    assert central_entries(central) == {}
    assert admin_rows(central, "SELECT entries_hwm FROM till.tills") == []
    sync(uploader)  # a new connection, the same batch
    assert_central_is_the_journal(central, journal.path)
    assert len(admin_rows(central, "SELECT * FROM till.z_reports")) == 1


def _copy_journal(source: Path, target: Path) -> None:
    src, dst = sqlite3.connect(source), sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        src.close()
        dst.close()


def test_an_older_version_never_overwrites_a_newer(
    central: CentralDb, journal: Journal, key: SealKey, uploader: Uploader, tmp_path: Path
) -> None:
    entry = journal.add(new(), now=now_ms())
    journal.settle(entry.reference, "approved", now=now_ms(), response={"responseCode": 0})
    older = tmp_path / "older.sqlite3"
    _copy_journal(journal.path, older)  # the same journal, as it was before the print
    journal.record_print(entry.reference, now=now_ms())
    sync(uploader)
    newer = central_entries(central)[entry.reference]
    assert newer["print_count"] == 1

    admin_execute(central, "UPDATE till.tills SET entries_hwm = 0")
    with make_uploader(central, older, key) as up:
        results = sync(up)
    assert results[0].entries == 1  # the older version was sent ...
    assert central_entries(central)[entry.reference] == newer  # ... and changed nothing


def test_a_journal_behind_head_office_is_refused_with_a_reason(
    central: CentralDb, journal: Journal, key: SealKey, uploader: Uploader, tmp_path: Path
) -> None:
    journal.add(new(), now=now_ms())
    older = tmp_path / "older.sqlite3"
    _copy_journal(journal.path, older)
    journal.add(new(), now=now_ms())
    sync(uploader)
    with (
        make_uploader(central, older, key) as up,
        pytest.raises(UploadError, match="restored from an older copy"),
    ):
        up.step()


def test_a_connection_gone_stale_is_replaced_without_a_failure(
    central: CentralDb, pg_server: PgServer, journal: Journal, uploader: Uploader
) -> None:
    journal.add(new(), now=now_ms())
    sync(uploader)  # the uploader keeps its connection open
    pg_server.restart()
    journal.add(new(), now=now_ms())
    assert uploader.step().entries == 1  # no error: a new connection, the same batch
    assert_central_is_the_journal(central, journal.path)


def test_two_uploaders_of_one_journal_take_turns(
    central: CentralDb, journal: Journal, key: SealKey
) -> None:
    """`till sync` run by hand beside the screens' own uploader: the till's row lock makes
    them take turns, and nothing is sent twice or lost."""
    errors: list[BaseException] = []
    done = threading.Event()

    def upload() -> None:
        try:
            with make_uploader(central, journal.path, key, batch_size=3) as up:
                while not done.is_set():
                    up.step()
                sync(up)
        except BaseException as exc:
            errors.append(exc)

    workers = [threading.Thread(target=upload) for _ in range(2)]
    for worker in workers:
        worker.start()
    for i in range(30):
        entry = journal.add(new(), now=now_ms())
        if i % 3 == 0:
            journal.record_print(entry.reference, now=now_ms(), copy=True)
    done.set()
    for worker in workers:
        worker.join(HANG_SECONDS)
    assert errors == []
    assert_central_is_the_journal(central, journal.path)
    copies = admin_rows(central, "SELECT reference FROM till.reprints")
    assert len(copies) == len({r["reference"] for r in copies}) == 10


# -- a store's login, under row-level security ---------------------------------------------------


def test_the_upload_runs_as_a_plain_store_login(
    central: CentralDb, journal: Journal, key: SealKey, uploader: Uploader
) -> None:
    journal.add(new(), now=now_ms())
    sync(uploader)
    with store_connect(central)() as conn:
        row = conn.execute(
            "SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user"
        ).fetchone()
        assert row == (False, False)
        assert conn.execute("SELECT count(*) FROM till.entries").fetchone() == (1,)
    # Store S2's login sees none of it.
    with store_connect(central, OTHER, OTHER_PASSWORD)() as conn:
        assert conn.execute("SELECT count(*) FROM till.entries").fetchone() == (0,)


def test_a_login_cannot_upload_as_another_store(
    central: CentralDb, journal: Journal, key: SealKey
) -> None:
    journal.add(new(), now=now_ms())  # made for S1
    with (
        make_uploader(central, journal.path, key, store_id=OTHER) as up,
        pytest.raises(psycopg.errors.InsufficientPrivilege),
    ):
        up.step()  # S1's login claiming to be S2: refused by row-level security
    connect = store_connect(central, OTHER, OTHER_PASSWORD)
    with (
        make_uploader(central, journal.path, key, store_id=OTHER, connect=connect) as up,
        pytest.raises(UploadError, match="was made for store 'S1'"),
    ):
        up.step()
    assert central_entries(central) == {}


# -- no PIN or token in clear --------------------------------------------------------------------


async def test_a_dump_of_the_central_database_holds_no_pin_or_token(
    central: CentralDb,
    pg_server: PgServer,
    engine: SaleEngine,
    journal: Journal,
    key: SealKey,
    uploader: Uploader,
    sandbox: Sandbox,
) -> None:
    outcomes = [
        await engine.sell_1voucher(5000),
        await engine.redeem_1voucher(SEED_PIN, 4000),  # a PIN sent, and a change voucher's back
        await engine.vend_utility(KEY_CHANGE_METER, 20_000),  # key change tokens + credit
        await engine.vend_utility("04040404040", 5000),
        await engine.sell_cash_out_pin(300, 20_000),
    ]
    assert all(o.status == "approved" for o in outcomes)
    sync(uploader)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    done = await asyncio.to_thread(
        subprocess.run,
        [str(pg_server.bindir / "pg_dump"), "--dbname", central.admin_dsn, "--schema", "till"],
        capture_output=True,
        text=True,
        timeout=HANG_SECONDS,
        check=True,
        env=env,
    )
    dump = done.stdout
    assert all(o.reference in dump for o in outcomes)  # the rows are in it
    secrets = sandbox.issued_secrets() | {SEED_PIN}
    assert len(secrets) > 8
    for secret in secrets:
        assert secret not in dump
        assert secret.encode().hex() not in dump  # nor as a bytea of clear text
    # With the store's key, every request and response comes back exactly.
    for row in central_entries(central).values():
        stored = journal.get(row["reference"])
        assert stored is not None
        record = unseal_record(key, row["reference"], row["sealed"])
        assert record.request == stored.request
        assert record.response_json == stored.response_json
    vend = central_entries(central)[outcomes[2].reference]["response"]
    assert all(t["token"] is None for t in vend["tokens"]) and len(vend["tokens"]) == 3
    assert vend["tokens"][0]["tokenDescription"]  # what head office may read stays readable


def test_a_pin_sent_as_a_number_or_quoted_reaches_head_office_as_null(
    central: CentralDb, journal: Journal, key: SealKey, uploader: Uploader
) -> None:
    """Whatever shape Flash sends a PIN in, head office's columns hold null for it; the sealed
    record still gives the answer back exactly."""
    answer = (
        '{"responseCode": 0, "note": 9876543210987654, "also": 9.876543210987654e15, '
        '"list": [9876543210987654], "message": "PIN 9876-5432-1098-7654 sent", '
        '"voucher": {"pin": "9876543210987654", "serialNumber": "200000000001"}}'
    )
    entry = journal.add(new(), now=now_ms())
    journal.settle(entry.reference, "approved", now=now_ms(), response=answer)
    sync(uploader)
    row = central_entries(central)[entry.reference]
    assert row["response"] == {
        "responseCode": 0,
        "note": None,
        "also": None,
        "list": [None],
        "message": None,
        "voucher": {"pin": None, "serialNumber": "200000000001"},
    }
    record = unseal_record(key, entry.reference, row["sealed"])
    assert record.response_json == answer
    assert "9876" not in str(row["response"]) and "9876" not in str(row["request"])


# -- running in the background ---------------------------------------------------------------------


def test_status_labels() -> None:
    assert HqStatus("ok").label() == "HQ: up to date"
    assert HqStatus("behind", 12).label() == "HQ: 12 behind"
    assert HqStatus("offline", 12, "connection refused").label() == "HQ offline"


class Background:
    """`Uploader.run` in a thread, with every status it reported."""

    def __init__(self, up: Uploader) -> None:
        self.statuses: list[HqStatus] = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=up.run, args=(self.stop, self.statuses.append))

    def __enter__(self) -> Background:
        self.thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop.set()
        self.thread.join(HANG_SECONDS)
        assert not self.thread.is_alive()

    @property
    def last(self) -> HqStatus | None:
        return self.statuses[-1] if self.statuses else None


@pytest.mark.parametrize("mode", ["fast", "immediate"])
def test_postgres_restarting_mid_run_is_ridden_out(
    central: CentralDb,
    pg_server: PgServer,
    journal: Journal,
    key: SealKey,
    mode: Any,
) -> None:
    def caught_up(count: int) -> bool:
        last = bg.last
        return bool(last and last.state == "ok" and len(central_entries(central)) == count)

    with (
        make_uploader(
            central, journal.path, key, interval=0.02, backoff_base=0.02, backoff_max=0.2
        ) as up,
        Background(up) as bg,
    ):
        for _ in range(5):
            journal.add(new(), now=now_ms())
        wait_for(lambda: caught_up(5), "the first sales to be central")
        pg_server.stop(mode)
        for _ in range(3):
            journal.add(new(), now=now_ms())
        wait_for(
            lambda: bg.last and bg.last.state == "offline" and bg.last.behind == 3,
            "the uploader to report itself offline, 3 behind",
        )
        offline = bg.last
        assert offline is not None and offline.label() == "HQ offline"
        assert offline.error and offline.last_ok_at
        pg_server.start()
        wait_for(lambda: caught_up(8), "the uploader to heal")
    assert_central_is_the_journal(central, journal.path)
    assert [s.state for s in bg.statuses].count("ok") >= 2


def test_unreachable_head_office_is_offline_without_leaking_the_password(
    central: CentralDb, journal: Journal, key: SealKey, caplog: pytest.LogCaptureFixture
) -> None:
    for _ in range(4):
        journal.add(new(), now=now_ms())
    wrong = "wrong-Secret-pw-12345"
    connect = store_connect(central, STORE, wrong)
    with (
        make_uploader(
            central, journal.path, key, connect=connect, backoff_base=0.01, backoff_max=0.05
        ) as up,
        Background(up) as bg,
    ):
        wait_for(lambda: len(bg.statuses) >= 1 and up.status.state == "offline", "offline")
    status = bg.statuses[-1]
    assert status.state == "offline" and status.behind == 4 and status.last_ok_at is None
    assert status.error and "password authentication failed" in status.error
    assert wrong not in status.error and wrong not in caplog.text
    assert [s.state for s in bg.statuses] == ["offline"]  # the same failure is reported once


def test_a_caught_up_uploader_sleeps_and_wakes_for_new_sales(
    central: CentralDb, journal: Journal, key: SealKey
) -> None:
    with (
        make_uploader(central, journal.path, key, interval=0.05, batch_size=2) as up,
        Background(up) as bg,
    ):
        for _ in range(5):
            journal.add(new(), now=now_ms())
        wait_for(
            lambda: len(central_entries(central)) == 5 and up.status.state == "ok",
            "five sales central",
        )
        journal.add(new(), now=now_ms())
        wait_for(
            lambda: len(central_entries(central)) == 6 and up.status.state == "ok",
            "the sixth sale central",
        )
    assert _shown(bg.statuses[-1]) == ("ok", 0, None) and up.status.label() == "HQ: up to date"
    assert all(s.state in ("ok", "behind") for s in bg.statuses)
    assert up.status.last_ok_at is not None


def test_a_caught_up_uploader_steps_as_soon_as_the_journal_changes(
    central: CentralDb, journal: Journal, key: SealKey
) -> None:
    """An hour between full checks: only the journal's data_version can bring each sale up
    (and stopping an idle uploader does not wait for the hour)."""
    with (
        make_uploader(central, journal.path, key, interval=3600, poll=0.01) as up,
        Background(up),
    ):
        wait_for(lambda: up.status.state == "ok", "the first (empty) step")
        for count in (1, 2, 3):
            journal.add(new(), now=now_ms())
            wait_for(functools.partial(_holds, central, count), f"sale {count} central")
        entry = journal.add(new(), now=now_ms())
        journal.settle(entry.reference, "approved", now=now_ms(), response={"responseCode": 0})
        wait_for(
            lambda: central_entries(central).get(entry.reference, {}).get("state") == "approved",
            "the settled sale central",
        )
    assert_central_is_the_journal(central, journal.path)


def _holds(central: CentralDb, count: int) -> bool:
    return len(central_entries(central)) == count


def test_wake_steps_at_once_when_the_journal_did_not_change(
    central: CentralDb, journal: Journal, key: SealKey
) -> None:
    journal.add(new(), now=now_ms())
    with (
        make_uploader(central, journal.path, key, interval=3600, poll=0.01) as up,
        Background(up),
    ):
        wait_for(lambda: len(central_entries(central)) == 1, "the sale central")
        wait_for(lambda: up.status.state == "ok", "the uploader caught up")
        # Head office lost the row and the marks; nothing in the journal changed.
        admin_execute(central, "DELETE FROM till.entries")
        admin_execute(central, "UPDATE till.tills SET entries_hwm = 0")
        up.wake()
        wait_for(lambda: len(central_entries(central)) == 1, "the sale sent again")
    assert_central_is_the_journal(central, journal.path)


def test_due_says_when_a_step_may_find_something(
    central: CentralDb, journal: Journal, key: SealKey
) -> None:
    with make_uploader(central, journal.path, key, interval=3600, batch_size=2) as up:
        assert up.due()  # never stepped
        entry = journal.add(new(), now=now_ms())
        up.step()
        assert not up.due()  # caught up, nothing new
        journal.settle(entry.reference, "approved", now=now_ms(), response={"responseCode": 0})
        assert up.due()  # the till committed
        up.step()
        assert not up.due()
        up.wake()
        assert up.due()
        assert up.step().changes == 0
        assert not up.due()
        for _ in range(3):
            journal.add(new(), now=now_ms())
        assert up.step().entries == 2
        assert up.due()  # a full batch: more to send now, whatever the journal does
        assert up.step().entries == 1
        assert not up.due()
        journal.record_print(entry.reference, now=now_ms(), copy=True)
        assert up.due()
        sync(up)
    assert_central_is_the_journal(central, journal.path)

    with make_uploader(central, journal.path, key, interval=0.01) as up:
        sync(up)
        wait_for(up.due, "the interval to pass")  # a full check at least every interval


def test_a_failed_step_is_due_again(central: CentralDb, journal: Journal, key: SealKey) -> None:
    journal.add(new(), now=now_ms())
    with make_uploader(central, journal.path, key, interval=3600) as up:
        sync(up)
        assert not up.due()
        admin_execute(central, "UPDATE till.tills SET entries_hwm = 1000")
        with pytest.raises(UploadError):
            up.step()
        assert up.due()


def test_poll_and_interval_must_be_positive(journal: Journal, key: SealKey) -> None:
    for interval, poll in ((0.0, 0.05), (2.0, 0.0), (2.0, -1.0)):
        with pytest.raises(ValueError, match="above 0"):
            Uploader(
                journal.path,
                _no_connect,
                key,
                store_id=STORE,
                terminal_id="T1",
                interval=interval,
                poll=poll,
            )
    up = Uploader(journal.path, _no_connect, key, store_id=STORE, terminal_id="T1", interval=0.02)
    assert up.poll == 0.02  # never looks less often than the interval asks
    up.close()


def _no_connect() -> psycopg.Connection[Any]:
    raise AssertionError("no connection expected")


@given(st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(9999, 12, 31, 23, 59)))
def test_a_month_span_is_the_calendar_month_of_the_instant(when: datetime) -> None:
    ms = (when.replace(tzinfo=UTC) - EPOCH) // timedelta(milliseconds=1)
    lo, hi = _month_span(ms)
    assert lo <= ms < hi
    first = EPOCH + timedelta(milliseconds=lo)
    assert (first.year, first.month, first.day) == (when.year, when.month, 1)
    assert first == first.replace(hour=0, minute=0, second=0, microsecond=0)
    if when.year < 9999 or when.month < 12:
        after = EPOCH + timedelta(milliseconds=hi)
        assert after.day == 1 and after == after.replace(hour=0, minute=0, microsecond=0)
        assert (after - timedelta(days=1)).month == when.month
