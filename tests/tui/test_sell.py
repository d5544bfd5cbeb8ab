"""The Sell screen driven by keys alone, end to end against the sandbox."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Digits, Static

from tests.support import hold_sandbox_delays
from tests.tui.harness import Till, till_app, wait_for
from till.sandbox import Fault, Sandbox
from till.tui.screens.base import EntryLine
from till.tui.screens.sell import SellScreen


def sell_screen(till: Till) -> SellScreen:
    screen = till.app.screen
    assert isinstance(screen, SellScreen)
    return screen


def text_of(till: Till, selector: str) -> str:
    return str(till.app.screen.query_one(selector, Static).render())


async def test_a_1voucher_sale_by_keyboard_alone_typed_ahead(tmp_path: Path) -> None:
    async with till_app(tmp_path) as till, till.app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: till.app.catalog)
        # no pauses: type-ahead lands in the next step, as a fast cashier types
        await pilot.press(*"1vou", "enter", *"50", "enter", "enter")
        await wait_for(pilot, lambda: sell_screen(till).step == "outcome")
        (entry,) = till.journal.search()
        assert entry.state == "approved" and entry.amount == 5000
        pin = till.sandbox.sales_for(entry.reference)[0].pin
        assert pin is not None
        digits = till.app.screen.query(Digits)
        assert [d.value for d in digits] == [" ".join(pin[i : i + 4] for i in range(0, 16, 4))]
        assert "APPROVED" in text_of(till, "#outcome-status")
        assert entry.reference in text_of(till, "#outcome-details")
        assert pin[:4] in till.printer.printed[-1]  # the receipt printed
        await pilot.press("ctrl+p")  # the receipt as printed, on screen
        receipt = text_of(till, "#receipt")
        assert entry.reference in receipt and "TRAINING" in receipt and "R 50.00" in receipt
        await pilot.press("enter")
        assert sell_screen(till).step == "product"


async def test_airtime_asks_for_the_cell_number(tmp_path: Path) -> None:
    async with till_app(tmp_path) as till, till.app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: till.app.catalog)
        await pilot.press(*"401", "enter")  # a product code picks exactly that product
        assert sell_screen(till).step == "mobile"
        await pilot.press(*"082 123 456", "enter")  # one digit short
        assert "10-digit" in text_of(till, "#error") and sell_screen(till).step == "mobile"
        await pilot.press(*"0821234567", "enter", *"29", "enter", "enter")
        await wait_for(pilot, lambda: sell_screen(till).step == "outcome")
        (entry,) = till.journal.search()
        assert entry.kind == "cellular.pinless.purchase" and entry.product_code == 401
        assert entry.mobile_number == "27821234567"
        assert "MTN" in text_of(till, "#outcome-details")


async def test_bad_amounts_are_refused_and_nothing_is_sent(tmp_path: Path) -> None:
    sandbox = Sandbox(seed=3)
    arrived: list[str] = []
    sandbox.on_request = lambda path, body: arrived.append(path)
    async with till_app(tmp_path, sandbox) as till, till.app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: till.app.catalog)
        await pilot.press(*"1vou", "enter")
        for typed, words in [
            ("abc", "in rands"),
            ("0", "more than"),
            ("4", "smallest amount is R 5.00"),
            ("5000.01", "largest amount is R 5 000.00"),
        ]:
            await pilot.press(*typed, "enter")
            assert words in text_of(till, "#error"), typed
            assert sell_screen(till).step == "amount"
            # what was typed stays in sight, selected: the next key typed replaces it
            line = sell_screen(till).query_one(EntryLine)
            assert line.value == typed and sorted(line.selection) == [0, len(typed)]
        await pilot.press("escape", "escape")
        assert sell_screen(till).step == "product"
        await pilot.press(*"zzzz", "enter")
        assert "No product matches" in text_of(till, "#error")
        assert till.journal.search() == [] and arrived == []


async def test_a_decline_shows_flash_message(tmp_path: Path) -> None:
    poor = Sandbox(float_cents=100)
    async with till_app(tmp_path, poor) as till, till.app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: till.app.catalog)
        await pilot.press(*"1vou", "enter", *"50", "enter", "enter")
        await wait_for(pilot, lambda: sell_screen(till).step == "outcome")
        assert "DECLINED" in text_of(till, "#outcome-status")
        assert "Insufficient balance" in text_of(till, "#outcome-details")
        assert not till.app.screen.query("Digits")
        assert till.printer.printed == []


async def test_in_doubt_is_plain_and_settles_later(tmp_path: Path) -> None:
    async with till_app(tmp_path) as till, till.app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: till.app.catalog)
        till.sandbox.faults.inject(Fault("drop"))  # Flash commits, the answer is lost
        till.sandbox.faults.inject(Fault("error_503", times=100_000))  # then Flash is down
        await pilot.press(*"1vou", "enter", *"20", "enter", "enter")
        await wait_for(pilot, lambda: sell_screen(till).step == "outcome")
        assert "IN DOUBT" in text_of(till, "#outcome-status")
        assert "IN DOUBT: 1" in str(till.app.screen.query_one(".badge", Static).render())
        details = text_of(till, "#outcome-details")
        assert "Do not sell again" in details and "slip" in details
        assert not till.app.screen.query("Digits")  # no PIN until Flash confirms
        await pilot.press("f9")
        await wait_for(pilot, lambda: till.printer.printed)
        assert "NOT YET CONFIRMED" in till.printer.printed[-1]
        # Flash comes back: the app's resolver settles it in the background; the badge follows
        till.sandbox.faults.clear()
        await wait_for(pilot, lambda: till.app.open_count == 0)
        (entry,) = till.journal.search()
        assert entry.state == "approved" and len(till.sandbox.sales_for(entry.reference)) == 1
        assert "all settled" in str(till.app.screen.query_one(".badge", Static).render())


async def test_cannot_submit_twice_while_sending(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    held = hold_sandbox_delays(monkeypatch)
    async with till_app(tmp_path) as till, till.app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: till.app.catalog)
        # the sale stays on the wire, held by the sandbox, until the keys below have landed
        till.sandbox.faults.inject(Fault("delay"))
        await pilot.press(*"1vou", "enter", *"50", "enter", "enter")
        await wait_for(pilot, lambda: held.asked, "the sale to reach the sandbox")
        assert sell_screen(till).step == "sending"
        await pilot.press("enter", "enter", "escape")
        assert "do not sell again" in text_of(till, "#error")
        assert sell_screen(till).step == "sending"
        held.release()
        await wait_for(pilot, lambda: sell_screen(till).step == "outcome")
        assert len(till.journal.search()) == 1 and len(till.sandbox.ledger) == 1


async def test_a_sale_that_never_printed_is_listed_on_the_in_doubt_screen(tmp_path: Path) -> None:
    async with till_app(tmp_path) as till, till.app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: till.app.catalog)
        till.jam_printer()
        await pilot.press(*"1vou", "enter", *"50", "enter", "enter")
        await wait_for(pilot, lambda: sell_screen(till).step == "outcome")
        (entry,) = till.journal.search()
        assert entry.state == "approved" and entry.print_count == 0
        assert "NOT printed" in text_of(till, "#outcome-details")
        await pilot.press("f8")
        await wait_for(pilot, lambda: type(till.app.screen).__name__ == "InDoubtScreen")
        summary = text_of(till, "#open-summary")
        assert "NOT PRINTED" in summary and entry.reference in summary
