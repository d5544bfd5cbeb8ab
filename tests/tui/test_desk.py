"""The service desk (`till desk`) driven by keys alone, over a real central PostgreSQL.

Tills T2 and T3 of store S1 (and a till of store S2) sell through their engines against an
in-process sandbox, their journals go up with the real uploader, and the desk D1 of store S1
finds, shows and reprints them through its own store login, on its own printer.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import OptionList, Static

from receipts import PreviewPrinter
from tests.pg import CentralDb
from tests.tui.harness import jam, wait_for
from tests.tui.test_hq_status import (
    Store,
    init_stores,
    store_settings,
    till_engine,
    upload,
)
from tests.tui.test_staff_tui import type_pin
from till.central.desk import Desk
from till.central.seal import SealKey
from till.sales import Outcome
from till.sandbox import Sandbox
from till.staff import UserStore
from till.tui.desk import DeskApp, open_desk, run_desk
from till.tui.screens.desk import DeskScreen, DeskSignInScreen, parse_desk_query
from till.tui.screens.journal import result_row
from till.tui.signin import ApprovalScreen
from till.words import local_time

PINS = {"c1": "1111", "s1": "5555"}


@dataclass
class Desked:
    app: DeskApp
    printer: PreviewPrinter


@asynccontextmanager
async def desk_app(
    tmp_path: Path, store: Store, *, users: UserStore | None = None, key: bool = True
) -> AsyncIterator[Desked]:
    """Desk D1 of `store`, from its config, as `till desk` opens it (a preview printer)."""
    staff = "[staff]\nenabled = true\n" if users is not None else ""
    settings = store_settings(
        tmp_path / "D1",
        store=store.store_id,
        terminal="D1",
        extra=store.central(key=key) + staff,
    )
    printer = PreviewPrinter()
    yield Desked(DeskApp(settings, open_desk(settings), printer, users=users), printer)


@pytest.fixture
def users(tmp_path: Path) -> Iterator[UserStore]:
    with UserStore(tmp_path / "users.sqlite3") as store:
        store.add("c1", "Clerk One", "cashier", PINS["c1"], now=0)
        store.add("s1", "Sue Supervisor", "supervisor", PINS["s1"], now=0)
        yield store


def desk(app: DeskApp) -> DeskScreen:
    screen = app.screen
    assert isinstance(screen, DeskScreen)
    return screen


def text(app: DeskApp, selector: str) -> str:
    return str(app.screen.query_one(selector, Static).render())


async def ask(pilot: Pilot[None], app: DeskApp, typed: str, *keys: str) -> DeskScreen:
    """Type `typed`, Enter, and wait for head office's answer."""
    screen = desk(app)
    answers = screen.answers
    await pilot.press(*typed, "enter", *keys)
    await wait_for(pilot, lambda: screen.answers > answers, f"head office's answer to {typed!r}")
    return screen


async def found(pilot: Pilot[None], app: DeskApp, typed: str) -> set[str]:
    """The references a search finds."""
    screen = await ask(pilot, app, typed)
    assert text(app, "#error") == "", text(app, "#error")
    return {entry.reference for entry in screen.results}


async def one_sale_uploaded(tmp_path: Path, central_db: CentralDb) -> tuple[Store, Outcome, str]:
    """Store S1, and a R 50 voucher its till T2 sold and uploaded: the store, the sale and the
    voucher's PIN as Flash issued it."""
    s1 = init_stores(central_db, tmp_path)["S1"]
    async with till_engine(tmp_path / "T2", store="S1", terminal="T2") as t2:
        sale = await t2.engine.sell_1voucher(5000)
        (ledger,) = t2.sandbox.sales_for(sale.reference)
    upload(s1, tmp_path / "T2" / "journal.sqlite3", "T2")
    assert ledger.pin is not None
    return s1, sale, ledger.pin


async def reprint(pilot: Pilot[None], d: Desked, copy: int) -> str:
    """Ctrl+R on the open sale, the supervisor approves, and COPY `copy` prints: its text."""
    printed = len(d.printer.printed)
    await pilot.press("ctrl+r")
    await wait_for(pilot, lambda: isinstance(d.app.screen, ApprovalScreen), "the approval")
    await type_pin(pilot, "s1", PINS["s1"])
    await wait_for(pilot, lambda: len(d.printer.printed) > printed, f"COPY {copy} to print")
    await wait_for(pilot, lambda: f"COPY {copy + 1}" in text(d.app, "#desk-receipt"), "preview")
    return d.printer.printed[-1]


# -- the pilot test ----------------------------------------------------------------


async def test_the_desk_reprints_another_tills_sale_as_copy_1_then_copy_2(
    tmp_path: Path, central_db: CentralDb, users: UserStore
) -> None:
    s1, sale, pin = await one_sale_uploaded(tmp_path, central_db)

    async with desk_app(tmp_path, s1, users=users) as d, d.app.run_test(size=(80, 24)) as pilot:
        await type_pin(pilot, "c1", PINS["c1"])  # the clerk signs in
        assert isinstance(d.app.screen, DeskScreen)
        assert "desk D1  clerk Clerk One (c1)" in text(d.app, ".identity")
        assert await found(pilot, d.app, f"ref {sale.reference}") == {sale.reference}
        assert text(d.app, ".badge") == "HQ online"
        screen = await ask(pilot, d.app, "")  # Enter opens the highlighted sale
        assert screen.step == "details" and screen.found is not None
        assert "on till T2: APPROVED" in text(d.app, "#desk-note")
        preview = text(d.app, "#desk-receipt")
        assert "COPY 1" in preview and pin[:4] in preview  # the store key opened the PIN

        first = await reprint(pilot, d, 1)
        assert "COPY 1" in first and pin[:4] in first and "T2" in first
        assert f"Printed COPY 1 for {sale.reference}" in text(d.app, "#desk-note")
        await wait_for(pilot, lambda: "at the desk D1" in text(d.app, "#desk-details"))
        second = await reprint(pilot, d, 2)
        assert "COPY 2" in second and pin[:4] in second

    with central_db.connect() as conn:
        rows = conn.execute(
            "SELECT copy, origin, terminal_id, cashier, approved_by FROM till.reprints "
            "WHERE reference = %s ORDER BY copy",
            (sale.reference,),
        ).fetchall()
    assert rows == [(1, "desk", "D1", "c1", "s1"), (2, "desk", "D1", "c1", "s1")]


async def test_not_approved_prints_nothing_and_records_nothing(
    tmp_path: Path, central_db: CentralDb, users: UserStore
) -> None:
    s1, sale, _ = await one_sale_uploaded(tmp_path, central_db)
    async with desk_app(tmp_path, s1, users=users) as d, d.app.run_test(size=(80, 24)) as pilot:
        await type_pin(pilot, "c1", PINS["c1"])
        await found(pilot, d.app, f"ref {sale.reference}")
        await pilot.press("ctrl+r")  # from the results: the highlighted sale
        await wait_for(pilot, lambda: isinstance(d.app.screen, ApprovalScreen))
        await type_pin(pilot, "c1", PINS["c1"])  # the clerk cannot approve their own
        assert isinstance(d.app.screen, ApprovalScreen)
        await pilot.press("escape")
        await wait_for(pilot, lambda: "Not reprinted: not approved" in text(d.app, "#error"))
    assert d.printer.printed == []
    with central_db.connect() as conn:
        assert conn.execute("SELECT count(*) FROM till.reprints").fetchone() == (0,)


# -- search ----------------------------------------------------------------------------------


@dataclass
class Sales:
    voucher: Outcome
    airtime: Outcome
    vend: Outcome
    other_till: Outcome


async def sell_at_two_tills(tmp_path: Path, store: Store) -> Sales:
    """A voucher, airtime and electricity at T2, a voucher at T3 (one Flash), all uploaded."""
    flash = Sandbox(seed=5)
    async with till_engine(tmp_path / "T2", store="S1", terminal="T2", sandbox=flash) as t2:
        voucher = await t2.engine.sell_1voucher(5000)
        airtime = await t2.engine.sell_airtime(401, "0821234567", 2900)
        vend = await t2.engine.vend_utility("04040404040", 10000)
    async with till_engine(tmp_path / "T3", store="S1", terminal="T3", sandbox=flash) as t3:
        other = await t3.engine.sell_1voucher(2000)
    upload(store, tmp_path / "T2" / "journal.sqlite3", "T2")
    upload(store, tmp_path / "T3" / "journal.sqlite3", "T3")
    for outcome in (voucher, airtime, vend, other):
        assert outcome.status == "approved", outcome.message
    return Sales(voucher, airtime, vend, other)


async def test_search_by_each_filter_at_the_keypad(tmp_path: Path, central_db: CentralDb) -> None:
    s1 = init_stores(central_db, tmp_path)["S1"]
    sales = await sell_at_two_tills(tmp_path, s1)
    voucher, airtime, vend, other = (
        sales.voucher.entry,
        sales.airtime.entry,
        sales.vend.entry,
        sales.other_till.entry,
    )
    everything = {e.reference for e in (voucher, airtime, vend, other)}
    assert voucher.serial_number  # the voucher's serial, as Flash gave it

    async with desk_app(tmp_path, s1) as d, d.app.run_test(size=(80, 24)) as pilot:
        assert await found(pilot, d.app, "") == everything  # the latest, every till
        assert await found(pilot, d.app, f"ref {airtime.reference}") == {airtime.reference}
        assert await found(pilot, d.app, vend.reference.lower()) == {vend.reference}  # guessed
        assert await found(pilot, d.app, f"date {local_time(voucher.created_at)[:10]}") == (
            everything
        )
        assert await found(pilot, d.app, "date 2001-01-01") == set()
        assert await found(pilot, d.app, "amount 50") == {voucher.reference}
        assert await found(pilot, d.app, "20.00") == {other.reference}  # guessed: an amount
        assert await found(pilot, d.app, "mobile 0821234567") == {airtime.reference}
        assert await found(pilot, d.app, "0821234567") == {airtime.reference}
        assert await found(pilot, d.app, "meter 04040404040") == {vend.reference}
        assert await found(pilot, d.app, f"serial {voucher.serial_number}") == {voucher.reference}
        assert await found(pilot, d.app, "till T3") == {other.reference}
        assert await found(pilot, d.app, "till T2 amount 20") == set()
        assert await found(pilot, d.app, "terminal T2 amount 50") == {voucher.reference}
        assert "1 found for amount R 50.00, till T2." in text(d.app, "#desk-note")
        results = d.app.screen.query_one("#results", OptionList)
        rows = [str(results.get_option_at_index(i).prompt) for i in range(results.option_count)]
        assert rows == [result_row(voucher, terminal=True)] and " T2 " in rows[0]

        await pilot.press(*"till", "enter")  # a till word with no till after it
        assert "Type which till after 'till'" in text(d.app, "#error")
        assert desk(d.app).step == "search"


def test_the_desk_query_words() -> None:
    query = parse_desk_query("till T2 amount 50 mobile 0821234567")
    assert query.criteria == {"amount": 5000, "mobile": "27821234567", "terminal": "T2"}
    assert query.said == ["amount R 50.00", "mobile 27821234567", "till T2"]
    assert parse_desk_query("S1-T2-ABCD-3").criteria == {"reference": "S1-T2-ABCD-3"}
    day = parse_desk_query("date 2026-11-24").criteria
    assert (day["until_ms"] - day["since_ms"]) // 3_600_000 in (23, 24, 25)  # one local day
    assert parse_desk_query("").criteria == {}


# -- who may see what -------------------------------------------------------------------------


async def test_a_store_a_desk_cannot_see_store_b(tmp_path: Path, central_db: CentralDb) -> None:
    stores = init_stores(central_db, tmp_path)
    async with till_engine(tmp_path / "T2", store="S1", terminal="T2") as a:
        mine = await a.engine.sell_1voucher(5000)
    async with till_engine(tmp_path / "B1", store="S2", terminal="T2") as b:
        theirs = await b.engine.sell_1voucher(5000)
    upload(stores["S1"], tmp_path / "T2" / "journal.sqlite3", "T2")
    upload(stores["S2"], tmp_path / "B1" / "journal.sqlite3", "T2")

    async with desk_app(tmp_path, stores["S1"]) as d, d.app.run_test(size=(80, 24)) as pilot:
        assert await found(pilot, d.app, "") == {mine.reference}
        assert await found(pilot, d.app, "amount 50") == {mine.reference}
        assert await found(pilot, d.app, f"ref {theirs.reference}") == set()
        screen = desk(d.app)
        screen.open(theirs.reference)  # even asked for by name, store B's sale is not there
        answers = screen.answers
        await wait_for(pilot, lambda: screen.answers > answers)
        assert "No central entry" in text(d.app, "#error") and screen.step == "search"

    # A desk told it is store S2 but logging in as S1 still reads only S1: the database says so.
    s1 = stores["S1"]
    wrong = Desk(s1.connect, store_id="S2", key=SealKey.load(s1.key_file))
    assert wrong.search() == [] and wrong.get(theirs.reference) is None


# -- head office down ------------------------------------------------------------------------


async def test_the_desk_says_when_head_office_is_offline(
    tmp_path: Path, central_db: CentralDb
) -> None:
    s1, sale, _ = await one_sale_uploaded(tmp_path, central_db)
    async with desk_app(tmp_path, s1) as d, d.app.run_test(size=(80, 24)) as pilot:
        assert await found(pilot, d.app, "") == {sale.reference}
        central_db.server.stop()
        await ask(pilot, d.app, "amount 50")
        assert "unavailable" in text(d.app, "#error") and "password" not in text(d.app, "#error")
        assert text(d.app, ".badge") == "HQ offline"
        await pilot.press("ctrl+r")  # the sale still highlighted from the first search
        await wait_for(pilot, lambda: "Not reprinted" in text(d.app, "#error"))
        assert d.printer.printed == []  # nothing prints that head office has not recorded
        central_db.server.start()
        assert await found(pilot, d.app, "amount 50") == {sale.reference}
        assert text(d.app, ".badge") == "HQ online"


async def test_a_desk_without_the_store_key_finds_but_does_not_reprint(
    tmp_path: Path, central_db: CentralDb
) -> None:
    s1, sale, pin = await one_sale_uploaded(tmp_path, central_db)
    async with desk_app(tmp_path, s1, key=False) as d, d.app.run_test(size=(80, 24)) as pilot:
        await found(pilot, d.app, sale.reference)
        await ask(pilot, d.app, "")
        assert "sealed" in text(d.app, "#desk-receipt")
        assert pin[:4] not in text(d.app, "#desk-receipt") + text(d.app, "#desk-details")
        await pilot.press("ctrl+r")
        assert "no store key" in text(d.app, "#error")
    assert d.printer.printed == []


def test_till_desk_needs_central(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    settings = store_settings(tmp_path / "D1", store="S1", terminal="D1")
    assert run_desk(settings) == 2
    assert "no [central] section" in capsys.readouterr().err


async def test_the_desk_locks_and_unlocks_as_the_till_does(
    tmp_path: Path, central_db: CentralDb, users: UserStore
) -> None:
    s1 = init_stores(central_db, tmp_path)["S1"]
    async with desk_app(tmp_path, s1, users=users) as d, d.app.run_test(size=(80, 24)) as pilot:
        await type_pin(pilot, "c1", PINS["c1"])
        assert isinstance(d.app.screen, DeskScreen)
        await pilot.press("ctrl+l")
        locked = d.app.screen
        assert isinstance(locked, DeskSignInScreen) and locked.locked_by == "c1"
        assert "desk D1" in text(d.app, ".identity")  # the desk's own top bar, locked too
        await type_pin(pilot, None, PINS["c1"])
        assert isinstance(d.app.screen, DeskScreen) and not d.app.locked


async def test_a_jammed_printer_still_leaves_the_copy_recorded(
    tmp_path: Path, central_db: CentralDb
) -> None:
    s1, sale, _ = await one_sale_uploaded(tmp_path, central_db)
    async with desk_app(tmp_path, s1) as d, d.app.run_test(size=(80, 24)) as pilot:
        jam(d.printer)  # as the till tests jam theirs
        await found(pilot, d.app, sale.reference)
        await ask(pilot, d.app, "")  # open it
        await pilot.press("ctrl+r")  # staff off: nobody to approve, as at the till
        await wait_for(pilot, lambda: "did not print" in text(d.app, "#error"))
        assert "COPY 1 is recorded at head office but did not print: printer: paper jam" in (
            text(d.app, "#error")
        )
        await wait_for(pilot, lambda: "COPY 2" in text(d.app, "#desk-receipt"), "the next copy")
    with central_db.connect() as conn:
        rows = conn.execute("SELECT copy, approved_by FROM till.reprints").fetchall()
    assert rows == [(1, None)]


async def test_an_answer_the_desk_fails_to_read_is_said_and_the_desk_goes_on(
    tmp_path: Path, central_db: CentralDb, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A bug reading head office's answer (not the network, not a refusal) never ends the desk:
    the clerk reads what happened, and the next search works."""
    s1, sale, _ = await one_sale_uploaded(tmp_path, central_db)
    search = Desk.search
    broken = True

    def flaky_search(self: Desk, *args: object, **kwargs: object) -> object:
        if broken:
            raise KeyError("a column the desk did not expect")
        return search(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Desk, "search", flaky_search)
    async with desk_app(tmp_path, s1) as d, d.app.run_test(size=(80, 24)) as pilot:
        await ask(pilot, d.app, "amount 50")
        error = text(d.app, "#error")
        assert "could not be read (KeyError)" in error and "column" not in error
        assert d.app.is_running and text(d.app, ".badge") != "HQ offline"
        broken = False
        assert await found(pilot, d.app, "amount 50") == {sale.reference}
