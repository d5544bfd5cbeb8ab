"""Vend, Journal and In doubt screens driven by keys alone, end to end against the sandbox."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from textual.widgets import Digits, OptionList, Static

from receipts import PreviewPrinter
from tests.tui.harness import sandbox_engine, wait_for, write_settings
from till.journal import Journal
from till.sales import Backoff, SaleEngine
from till.sandbox import Fault, Sandbox
from till.tui.app import TillApp
from till.tui.screens.base import EntryLine
from till.tui.screens.in_doubt import InDoubtScreen
from till.tui.screens.journal import JournalScreen, guess_field, parse_query
from till.tui.screens.vend import VendScreen
from till.words import ordered_tokens


@dataclass
class Rig:
    app: TillApp
    sb: Sandbox
    journal: Journal
    engine: SaleEngine
    printer: PreviewPrinter


@asynccontextmanager
async def rig(tmp_path: Path) -> AsyncIterator[Rig]:
    """An app on our own engine, so the test holds the sandbox, the journal and the printer."""
    settings = write_settings(tmp_path)
    sb = Sandbox()
    printer = PreviewPrinter()
    # The background resolver waits an hour: "retry now" is what settles in these tests.
    hour = Backoff(base_ms=3_600_000, cap_ms=3_600_000, jitter=0.0)
    async with sandbox_engine(settings, sb, printer, backoff=hour) as engine:
        app = TillApp(settings, engine=engine, catalog_path=tmp_path / "catalog.json")
        yield Rig(app, sb, engine.journal, engine, printer)


def text_of(app: TillApp, selector: str) -> str:
    return str(app.screen.query_one(selector, Static).render())


def vend(app: TillApp) -> VendScreen:
    assert isinstance(app.screen, VendScreen)
    return app.screen


def journal_screen(app: TillApp) -> JournalScreen:
    assert isinstance(app.screen, JournalScreen)
    return app.screen


def in_doubt(app: TillApp) -> InDoubtScreen:
    assert isinstance(app.screen, InDoubtScreen)
    return app.screen


# -- vend --------------------------------------------------------------------------------------


async def test_key_change_vend_shows_three_tokens_key_change_first(tmp_path: Path) -> None:
    async with rig(tmp_path) as r, r.app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f5", *"04141414141", "enter", *"100", "enter")
        await wait_for(pilot, lambda: vend(r.app).step == "confirm")
        summary = text_of(r.app, "#vend-summary")
        assert "Minimum vend" in summary and "Maximum vend" in summary and "R 100.00" in summary
        assert "Customer" in summary and "Address" in summary and "Utility" in summary
        assert r.journal.search(kind="prepaid-utilities.purchase") == []  # a lookup sells nothing
        await pilot.press("enter")
        await wait_for(pilot, lambda: vend(r.app).step == "outcome")
        (sale,) = r.journal.search(kind="prepaid-utilities.purchase")
        assert sale.state == "approved" and sale.amount == 10000
        assert sale.meter_number == "04141414141"
        (ledger,) = r.sb.sales_for(sale.reference)
        assert len(ledger.tokens) == 3
        captions = [str(s.render()) for s in r.app.screen.query(".code-caption").results(Static)]
        # the receipt's captions; the credit token's units beside it
        assert captions[0] == "Token 1 of 3 - key change"
        assert captions[1] == "Token 2 of 3 - key change"
        assert captions[2].startswith("Token 3 of 3 - credit") and "kWh" in captions[2]
        digits = [d.value.replace("-", "") for d in r.app.screen.query(Digits)]
        assert sorted(digits) == sorted(ledger.tokens)
        tokens = ordered_tokens(sale.response or {})
        assert [t.is_key_change for t in tokens] == [True, True, False]
        assert digits == [t.token for t in tokens]  # in the order the meter takes them
        assert "APPROVED" in text_of(r.app, "#outcome-status")
        assert r.printer.printed and sale.reference in r.printer.printed[-1]
        assert r.journal.get(sale.reference).print_count == 1  # type: ignore[union-attr]
        await pilot.press("enter")
        assert vend(r.app).step == "meter"


async def test_free_basic_electricity_vends_zero_with_fbe(tmp_path: Path) -> None:
    async with rig(tmp_path) as r, r.app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f5", *"04242424242", "enter", *"fbe", "enter")
        await wait_for(pilot, lambda: vend(r.app).step == "confirm")
        assert "FREE BASIC" in text_of(r.app, "#vend-summary")
        await pilot.press("enter")
        await wait_for(pilot, lambda: vend(r.app).step == "outcome")
        (sale,) = r.journal.search(kind="prepaid-utilities.purchase")
        assert sale.state == "approved" and sale.amount == 0
        assert b'"isFBE":true' in sale.request.replace(b" ", b"")
        assert len(r.sb.sales_for(sale.reference)[0].tokens) == 1
        assert len(r.app.screen.query(Digits)) == 1
        assert r.printer.printed


async def test_a_vend_in_doubt_prints_the_customers_slip_with_f9(tmp_path: Path) -> None:
    async with rig(tmp_path) as r, r.app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f5", *"07070707070", "enter", *"60", "enter")
        await wait_for(pilot, lambda: vend(r.app).step == "confirm")
        r.sb.faults.inject(Fault("drop", path="prepaid-utilities/purchase"))
        await pilot.press("enter")
        await wait_for(pilot, lambda: vend(r.app).step == "outcome")
        assert "IN DOUBT" in text_of(r.app, "#outcome-status")
        assert not r.app.screen.query(Digits)  # no token until Flash confirms
        await wait_for(pilot, lambda: "IN DOUBT: 1" in text_of(r.app, ".badge"))
        await pilot.press("f9")
        await wait_for(pilot, lambda: r.printer.printed)
        assert "NOT YET CONFIRMED" in r.printer.printed[-1]


async def test_blocked_meter_is_refused_at_lookup_and_never_sold(tmp_path: Path) -> None:
    async with rig(tmp_path) as r, r.app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f5", *"04444444444", "enter", *"50", "enter")
        await wait_for(pilot, lambda: vend(r.app).step == "meter" and r.journal.search())
        await wait_for(pilot, lambda: "Flash says" in text_of(r.app, "#error"))
        assert "2311" in text_of(r.app, "#error")
        (lookup,) = r.journal.search()
        assert lookup.kind == "prepaid-utilities.lookup" and lookup.state == "declined"
        assert r.journal.search(kind="prepaid-utilities.purchase") == []
        assert not r.printer.printed


async def test_bad_meter_and_bad_amount_send_nothing(tmp_path: Path) -> None:
    async with rig(tmp_path) as r, r.app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f5", *"12ab", "enter")
        assert vend(r.app).step == "meter" and "meter number" in text_of(r.app, "#error")
        await pilot.press(*"04040404040", "enter")
        assert vend(r.app).step == "amount"
        await pilot.press(*"fifty", "enter")
        assert vend(r.app).step == "amount" and "rands" in text_of(r.app, "#error")
        await pilot.press(*"0", "enter")
        assert vend(r.app).step == "amount" and "more than" in text_of(r.app, "#error")
        assert r.journal.search() == []
        # over the meter's maximum: the lookup answers, the amount is refused, nothing is vended
        await pilot.press(*"9000", "enter")
        await wait_for(pilot, lambda: "Flash says" in text_of(r.app, "#error"))
        assert vend(r.app).step == "amount" and vend(r.app).meter == "04040404040"
        (lookup,) = r.journal.search()
        assert lookup.kind == "prepaid-utilities.lookup" and lookup.state == "declined"
        await pilot.press("escape")
        assert vend(r.app).step == "meter"


# -- journal -----------------------------------------------------------------------------------


def test_bare_text_is_guessed() -> None:
    assert guess_field("S1-T1-ABCD-3") == "reference"
    assert guess_field("2026-11-24") == "date"
    assert guess_field("50") == "amount" and guess_field("12.50") == "amount"
    assert guess_field("0821234567") == "mobile" and guess_field("27821234567") == "mobile"
    assert guess_field("04040404040") == "meter"
    assert guess_field("1234567890123456") == "serial"
    query = parse_query("amount 50 date 2026-11-24")
    assert query.criteria["amount"] == 5000 and "since" in query.criteria


async def test_journal_search_details_preview_and_reprint(tmp_path: Path) -> None:
    async with rig(tmp_path) as r, r.app.run_test(size=(80, 24)) as pilot:
        one = await r.engine.sell_1voucher(5000)
        meter = await r.engine.vend_utility("04040404040", 2000)
        await r.engine.sell_1voucher(7000)
        assert one.status == meter.status == "approved"
        printed = len(r.printer.printed)

        await pilot.press("f7", *f"ref {one.reference}", "enter")
        screen = journal_screen(r.app)
        assert [e.reference for e in screen.results] == [one.reference]
        await pilot.press(*"amount 70", "enter")
        assert [e.amount for e in screen.results] == [7000]
        await pilot.press(*"04040404040", "enter")  # bare 11 digits: a meter
        assert [e.reference for e in screen.results] == [meter.reference]
        assert "meter 04040404040" in text_of(r.app, "#journal-note")
        await pilot.press(*"ref", "enter")
        assert "after 'ref'" in text_of(r.app, "#error")

        assert screen.query_one(EntryLine).value == "ref"  # kept, to correct
        await pilot.press("ctrl+u", *"amount 50", "enter")
        await pilot.press("enter")  # opens the highlighted result
        assert screen.step == "details"
        details = text_of(r.app, "#journal-details")
        assert one.reference in details and "1Voucher sale" in details
        preview = text_of(r.app, "#journal-receipt")
        assert "Corner Shop" in preview and "COPY 1" in preview

        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: len(r.printer.printed) > printed)
        assert "COPY 1" in r.printer.printed[-1]
        assert r.journal.get(one.reference).reprint_count == 1  # type: ignore[union-attr]
        (reprint,) = r.journal.reprints(one.reference)
        assert (reprint.copy, reprint.approved_by) == (1, None)  # staff off: nobody to approve
        await wait_for(pilot, lambda: "COPY 1" in text_of(r.app, "#journal-note"))
        assert "COPY 2" in text_of(r.app, "#journal-receipt")  # the next one
        await pilot.press("escape")
        assert journal_screen(r.app).step == "search" and len(screen.results) == 1


# -- in doubt ----------------------------------------------------------------------------------


async def test_in_doubt_sale_slip_then_retry_now_settles_it(tmp_path: Path) -> None:
    async with rig(tmp_path) as r, r.app.run_test(size=(80, 24)) as pilot:
        r.sb.faults.inject(Fault("drop"))
        outcome = await r.engine.sell_1voucher(5000)
        assert outcome.status == "in_doubt"
        await wait_for(pilot, lambda: r.app.open_count == 1)
        await pilot.press("f8")
        await wait_for(pilot, lambda: isinstance(r.app.screen, InDoubtScreen))
        screen = in_doubt(r.app)
        assert [e.reference for e in screen.entries] == [outcome.reference]
        assert "IN DOUBT: 1" in text_of(r.app, ".badge")
        rows = r.app.screen.query_one("#open-list", OptionList)
        assert outcome.reference in str(rows.get_option_at_index(0).prompt)

        await pilot.press("f9")
        await wait_for(pilot, lambda: r.printer.printed)
        assert "NOT YET CONFIRMED" in r.printer.printed[-1]
        assert r.journal.get(outcome.reference).state == "in_doubt"  # type: ignore[union-attr]

        await pilot.press("enter")  # the highlighted sale's details
        assert outcome.reference in text_of(r.app, "#open-details")

        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: r.app.open_count == 0 and not screen.retrying)
        assert r.journal.get(outcome.reference).state == "approved"  # type: ignore[union-attr]
        await wait_for(pilot, lambda: screen.entries == [])
        assert "1 approved" in text_of(r.app, "#open-report")
        assert outcome.reference in text_of(r.app, "#open-report")
        assert "all settled" in text_of(r.app, ".badge")
        assert len(r.sb.sales_for(outcome.reference)) == 1  # sold once, whatever the retries
