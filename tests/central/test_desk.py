"""The service desk over the central ledger: real journals of three tills (two of store A, one of
store B), filled by the real sale engine against the sandbox, uploaded by the real uploader to a
real PostgreSQL; then found, shown and reprinted as COPY n from a desk of the store."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
import pytest

from tests.pg import CentralDb
from tests.support import HANG_SECONDS, sandbox_client
from till.central.desk import Desk, DeskError
from till.central.schema import store_login
from till.central.seal import SealKey, generate_key_file
from till.central.upload import Uploader
from till.clock import now_ms
from till.digits import group_digits
from till.journal import Entry, Journal, NewEntry
from till.sales import Backoff, Outcome, SaleEngine
from till.sandbox import Fault, Sandbox
from till.slips import SlipHeader, slip_for

PASSWORDS = {"A": "store-a-password", "B": "store-b-password"}
HQ_LOGIN, HQ_PASSWORD = "head_office", "head-office-password"
MOBILE = "27831112222"
METER = "04040404040"
HOUR = 3_600_000

Script = Callable[[SaleEngine, Journal], Awaitable[None]]


@dataclass
class Fleet:
    """Three tills' journals, their store keys, and the central database they upload to."""

    db: CentralDb
    tmp: Path
    sandbox: Sandbox
    journals: dict[tuple[str, str], Path] = field(default_factory=dict)
    keys: dict[str, SealKey] = field(default_factory=dict)
    key_files: dict[str, Path] = field(default_factory=dict)
    #: What each till sold, by a name the tests use ("a1_voucher", ...).
    sales: dict[str, Outcome] = field(default_factory=dict)
    #: The tills' clock: from an hour ago, a second further at each reading, so no two
    #: sales share a millisecond and "newest first" has one answer.
    ticks: int = 0
    started: int = field(default_factory=lambda: now_ms() - HOUR)

    def clock(self) -> int:
        self.ticks += 1
        return self.started + self.ticks * 1000

    def dsn(self, store: str | None) -> str:
        """A store's login (None: head office's)."""
        if store is None:
            return self.db.dsn(user=HQ_LOGIN, password=HQ_PASSWORD)
        return self.db.dsn(user=store_login(store), password=PASSWORDS[store])

    def connect(self, store: str | None) -> psycopg.Connection[Any]:
        return psycopg.connect(self.dsn(store))

    def desk(self, store: str | None, *, key: bool = True, login: str | None = "same") -> Desk:
        """The desk of `store` (None: head office), logged in as that store unless `login`."""
        who = store if login == "same" else login
        key_of = self.keys.get(store) if key and store is not None else None
        return Desk(lambda: self.connect(who), store_id=store, key=key_of)

    def upload(self, store: str, terminal: str) -> int:
        """Upload one till until head office holds its whole journal; the changes sent."""
        sent = 0
        with Uploader(
            self.journals[(store, terminal)],
            lambda: self.connect(store),
            self.keys[store],
            store_id=store,
            terminal_id=terminal,
            batch_size=3,  # several batches: the marks must carry the upload across them
        ) as uploader:
            while True:
                result = uploader.step()
                sent += result.changes
                if not result.backlog:
                    return sent

    def upload_all(self) -> None:
        for store, terminal in self.journals:
            self.upload(store, terminal)

    async def sell(self, store: str, terminal: str, script: Script) -> None:
        path = self.journals.setdefault((store, terminal), self.tmp / f"{store}-{terminal}.sqlite3")
        async with sandbox_client(self.sandbox) as client:
            with Journal.open(path) as journal:
                engine = SaleEngine(
                    journal,
                    client,
                    store_id=store,
                    terminal_id=terminal,
                    cashier=f"cashier-{terminal}",
                    backoff=Backoff(base_ms=1, cap_ms=1),
                    clock=self.clock,
                )
                await script(engine, journal)

    def entry(self, name: str) -> Entry:
        """The sale as its till's journal holds it now."""
        outcome = self.sales[name]
        path = self.journals[(outcome.entry.store_id, outcome.entry.terminal_id)]
        with Journal.open(path) as journal:
            found = journal.get(outcome.reference)
        assert found is not None
        return found

    def reference(self, name: str) -> str:
        return self.sales[name].reference

    def pin(self, name: str) -> str:
        response = self.sales[name].response
        assert response is not None
        return str(response["voucher"]["pin"])


async def build_fleet(db: CentralDb, tmp: Path, sandbox: Sandbox) -> Fleet:
    """Store A: till T1 (a voucher, airtime, an in-doubt sale, a training sale) and till T2 (a
    vend, a voucher printed once and reprinted once at the till); store B: till T1 (a voucher)."""
    db.init(
        stores=[("A", PASSWORDS["A"]), ("B", PASSWORDS["B"])],
        hq_logins=[(HQ_LOGIN, HQ_PASSWORD)],
    )
    fleet = Fleet(db, tmp, sandbox)
    for store in PASSWORDS:
        path = tmp / f"{store.lower()}.key"
        fleet.keys[store] = generate_key_file(path)
        fleet.key_files[store] = path

    async def a1(engine: SaleEngine, journal: Journal) -> None:
        fleet.sales["a1_voucher"] = await engine.sell_1voucher(5000)
        fleet.sales["a1_airtime"] = await engine.sell_airtime(401, "0831112222", 1200)
        sandbox.faults.inject(Fault("drop"))
        fleet.sales["a1_doubt"] = await engine.sell_1voucher(7700)
        training = journal.add(
            NewEntry("1voucher.purchase", lambda ref: b"{}", "A", "T1", amount=99_900,
                     training=True),
            now=fleet.clock(),
        )  # fmt: skip
        journal.settle(training.reference, "approved", now=fleet.clock(), response={"ok": 1})

    async def a2(engine: SaleEngine, journal: Journal) -> None:
        fleet.sales["a2_vend"] = await engine.vend_utility(METER, 10_000)
        sale = await engine.sell_1voucher(7500)
        fleet.sales["a2_voucher"] = sale
        journal.record_print(sale.reference, now=fleet.clock())
        journal.record_print(sale.reference, now=fleet.clock(), copy=True, approved_by="sup1")

    async def b1(engine: SaleEngine, journal: Journal) -> None:
        fleet.sales["b1_voucher"] = await engine.sell_1voucher(2000)

    await fleet.sell("A", "T1", a1)
    await fleet.sell("A", "T2", a2)
    await fleet.sell("B", "T1", b1)
    for name in ("a1_voucher", "a1_airtime", "a2_vend", "a2_voucher", "b1_voucher"):
        assert fleet.sales[name].status == "approved", name
    assert fleet.sales["a1_doubt"].status == "in_doubt"
    fleet.upload_all()
    return fleet


@pytest.fixture
async def fleet(central_db: CentralDb, tmp_path: Path, sandbox: Sandbox) -> AsyncIterator[Fleet]:
    yield await build_fleet(central_db, tmp_path, sandbox)


def refs(rows: list[Any]) -> list[str]:
    return [row.reference for row in rows]


# -- search ------------------------------------------------------------------------------------


def test_search_finds_every_till_of_the_store_newest_first(fleet: Fleet) -> None:
    desk = fleet.desk("A")
    rows = desk.search()
    expected = sorted(
        (fleet.entry(n) for n in ("a1_voucher", "a1_airtime", "a1_doubt", "a2_vend", "a2_voucher")),
        key=lambda e: e.created_at,
        reverse=True,
    )
    assert refs(rows) == [e.reference for e in expected]  # no training sale, no store B
    assert [r.entry.created_at for r in rows] == [e.created_at for e in expected]
    assert {r.terminal_id for r in rows} == {"T1", "T2"}
    assert refs(desk.search(limit=2)) == refs(rows)[:2]


@pytest.mark.parametrize(
    ("criteria", "names"),
    [
        (lambda f: {"reference": f.reference("a2_vend")}, ["a2_vend"]),
        (lambda f: {"amount": 7500}, ["a2_voucher"]),
        (lambda f: {"mobile": MOBILE}, ["a1_airtime"]),
        (lambda f: {"meter": METER}, ["a2_vend"]),
        (lambda f: {"serial": f.entry("a1_voucher").serial_number}, ["a1_voucher"]),
        (lambda f: {"terminal": "T2"}, ["a2_voucher", "a2_vend"]),
        (lambda f: {"state": "in_doubt"}, ["a1_doubt"]),
        (lambda f: {"kind": "prepaid-utilities.purchase"}, ["a2_vend"]),
        (lambda f: {"terminal": "T1", "amount": 5000}, ["a1_voucher"]),
        (lambda f: {"reference": f.reference("b1_voucher")}, []),  # another store's sale
    ],
)
def test_search_by_each_filter(
    fleet: Fleet, criteria: Callable[[Fleet], dict[str, Any]], names: list[str]
) -> None:
    assert refs(fleet.desk("A").search(**criteria(fleet))) == [fleet.reference(n) for n in names]


def test_search_by_time_takes_the_half_open_period(fleet: Fleet) -> None:
    desk = fleet.desk("A")
    vend = fleet.entry("a2_vend")
    at = vend.created_at
    assert fleet.reference("a2_vend") in refs(desk.search(since_ms=at, until_ms=at + 1))
    assert fleet.reference("a2_vend") not in refs(desk.search(since_ms=at + 1))
    assert fleet.reference("a2_vend") not in refs(desk.search(until_ms=at))
    everything = desk.search(since_ms=0, until_ms=now_ms() + 60_000)
    assert len(everything) == 5


def test_search_rows_hold_no_pin(fleet: Fleet) -> None:
    (row,) = fleet.desk("A").search(reference=fleet.reference("a1_voucher"))
    pin = fleet.pin("a1_voucher")
    assert row.entry.response is not None and row.entry.response["voucher"]["pin"] is None
    assert pin not in (row.entry.response_json or "") and pin.encode() not in row.entry.request
    assert row.uploaded_at > 0 and row.store_id == "A"


def test_a_bad_limit_is_refused(fleet: Fleet) -> None:
    with pytest.raises(ValueError, match="limit"):
        fleet.desk("A").search(limit=0)


# -- who sees what -------------------------------------------------------------------------------


def test_store_a_cannot_find_store_b(fleet: Fleet) -> None:
    other = fleet.reference("b1_voucher")
    desk = fleet.desk("A")
    assert desk.get(other) is None
    assert desk.search(reference=other) == []
    with pytest.raises(DeskError, match="no central entry"):
        desk.reprint(other, desk_terminal="DESK", cashier=None, approved_by=None, now_ms=now_ms())
    # A's login pretending to be B's desk: row-level security still shows A's rows only.
    impostor = fleet.desk("B", login="A")
    assert impostor.get(other) is None and impostor.search() == []
    # Head office sees both stores; a store-scoped desk on head office's login only its store.
    assert {r.store_id for r in fleet.desk(None).search()} == {"A", "B"}
    assert {r.store_id for r in fleet.desk("A", login=None, key=False).search()} == {"A"}


# -- show --------------------------------------------------------------------------------------


def test_get_rebuilds_the_tills_own_entry_with_the_key(fleet: Fleet) -> None:
    journaled = fleet.entry("a2_voucher")
    found = fleet.desk("A").get(journaled.reference)
    assert found is not None and found.unsealed
    entry = found.entry
    assert entry.request == journaled.request  # the exact bytes the till sent
    assert entry.response_json == journaled.response_json
    for name in ("reference", "kind", "state", "amount", "created_at", "settled_at",
                 "serial_number", "store_id", "terminal_id", "cashier", "print_count",
                 "reprint_count", "last_printed_at", "attempts", "response_code"):  # fmt: skip
        assert getattr(entry, name) == getattr(journaled, name), name
    assert (found.store_id, found.terminal_id) == ("A", "T2")
    assert [(r.copy, r.origin, r.terminal_id, r.approved_by) for r in found.reprints] == [
        (1, "till", "T2", "sup1")
    ]


def test_get_without_the_key_reads_the_redacted_copy(fleet: Fleet) -> None:
    reference = fleet.reference("a1_voucher")
    for desk in (fleet.desk("A", key=False), fleet.desk(None)):
        found = desk.get(reference)
        assert found is not None and not found.unsealed
        assert found.entry.response is not None
        assert found.entry.response["voucher"]["pin"] is None
        assert fleet.pin("a1_voucher") not in (found.entry.response_json or "")


def test_get_with_another_stores_key_says_so(fleet: Fleet) -> None:
    desk = Desk(lambda: fleet.connect("A"), store_id="A", key=fleet.keys["B"])
    with pytest.raises(DeskError, match="another store key"):
        desk.get(fleet.reference("a1_voucher"))


def test_get_of_an_unknown_reference_is_none(fleet: Fleet) -> None:
    assert fleet.desk("A").get("A-T9-ZZZZ-1") is None


# -- reprint -----------------------------------------------------------------------------------


def _slip_bytes(fleet: Fleet, reference: str, copy: int) -> bytes:
    from receipts.printers import render_bytes

    found = fleet.desk("A").get(reference)
    assert found is not None
    return render_bytes(slip_for(found.entry, SlipHeader("Desk Store"), copy=copy))


def test_reprint_another_tills_sale_as_copy_1_then_copy_2(fleet: Fleet) -> None:
    """The desk of store A reprints till T1's sale: COPY 1, then COPY 2, each with the PIN."""
    desk = fleet.desk("A")
    reference = fleet.reference("a1_voucher")
    pin = group_digits(fleet.pin("a1_voucher"))
    for expected in (1, 2):
        copy = desk.reprint(
            reference, desk_terminal="DESK", cashier=None, approved_by="sup1", now_ms=now_ms()
        )
        assert copy == expected
        printed = _slip_bytes(fleet, reference, copy)
        assert f"COPY {expected}".encode() in printed and pin.encode() in printed
        assert f"COPY {3 - expected}".encode() not in printed
    found = desk.get(reference)
    assert found is not None
    assert [(r.copy, r.origin, r.terminal_id, r.approved_by) for r in found.reprints] == [
        (1, "desk", "DESK", "sup1"),
        (2, "desk", "DESK", "sup1"),
    ]


def test_a_desk_copy_follows_the_tills_own_copies(fleet: Fleet) -> None:
    """T2 printed COPY 1 itself: the desk's first copy of that sale is COPY 2."""
    desk = fleet.desk("A")
    reference = fleet.reference("a2_voucher")
    copy = desk.reprint(reference, desk_terminal="DESK", cashier="ann", approved_by=None,
                        now_ms=now_ms())  # fmt: skip
    assert copy == 2


def test_head_office_cannot_record_a_reprint(fleet: Fleet) -> None:
    desk = fleet.desk("A", login=None, key=False)
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        desk.reprint(fleet.reference("a1_voucher"), desk_terminal="HQ", cashier=None,
                     approved_by=None, now_ms=now_ms())  # fmt: skip


def test_two_desks_at_once_get_different_copies(fleet: Fleet) -> None:
    """Both desks ask while a third session holds the sale's lock; once it lets go, each
    gets its own copy number (without the lock both would read the same highest copy)."""
    reference = fleet.reference("a1_voucher")
    copies: list[int] = []
    errors: list[BaseException] = []

    def reprint(terminal: str) -> None:
        try:
            copies.append(
                fleet.desk("A").reprint(
                    reference,
                    desk_terminal=terminal,
                    cashier=None,
                    approved_by=None,
                    now_ms=now_ms(),
                )
            )
        except BaseException as exc:
            errors.append(exc)

    with fleet.db.connect() as holder:
        holder.execute("SELECT pg_advisory_lock(hashtext(%s))", (reference,))
        threads = [threading.Thread(target=reprint, args=(f"DESK{n}",)) for n in (1, 2)]
        for thread in threads:
            thread.start()
        _wait_for_waiters(fleet.db, 2)
        holder.execute("SELECT pg_advisory_unlock(hashtext(%s))", (reference,))
        for thread in threads:
            thread.join(HANG_SECONDS)
    assert not errors and sorted(copies) == [1, 2]
    found = fleet.desk("A").get(reference)
    assert found is not None
    assert sorted((r.copy, r.terminal_id) for r in found.reprints) in (
        [(1, "DESK1"), (2, "DESK2")],
        [(1, "DESK2"), (2, "DESK1")],
    )


def _wait_for_waiters(db: CentralDb, count: int) -> None:
    """Until `count` sessions wait on an advisory lock (never a measure of time)."""
    import time

    deadline = time.monotonic() + HANG_SECONDS
    with db.connect() as conn:
        while True:
            row = conn.execute(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
            ).fetchone()
            if row is not None and int(str(row[0])) >= count:
                return
            if time.monotonic() > deadline:
                pytest.fail(f"waited {HANG_SECONDS:.0f} s for {count} desks to wait on the lock")
            time.sleep(0.01)


def test_the_central_row_holds_no_pin_in_clear(fleet: Fleet) -> None:
    """What the database holds for the sale: no PIN anywhere in the row's text."""
    pin = fleet.pin("a1_voucher")
    with fleet.db.connect() as conn:
        row = conn.execute(
            "SELECT t::text FROM till.entries t WHERE reference = %s",
            (fleet.reference("a1_voucher"),),
        ).fetchone()
    assert row is not None
    text = str(row[0])
    assert pin not in text and group_digits(pin) not in text
