"""Redeem (F3), Refund (F4) and Cash Out PIN (F6) driven by keys alone, end to end.

Each test runs the real app on a real journal file, with its engine talking to an in-process
sandbox the test can inspect, record and break. Bad input in every field must show an error and
send nothing: the sandbox records every transaction request it sees.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from textual import events
from textual.pilot import Pilot
from textual.widgets import Digits, OptionList, Static

from tests.tui.harness import sandbox_engine, wait_for, write_settings
from till.journal import Journal
from till.sandbox import Fault, Sandbox
from till.sandbox._codes import message as flash_message
from till.tui.app import TillApp
from till.tui.screens.base import EntryLine
from till.tui.screens.cashout import CashOutScreen
from till.tui.screens.redeem import RedeemScreen
from till.tui.screens.refund import RefundScreen
from till.tui.steps import StepScreen

S = TypeVar("S", bound=StepScreen)


@dataclass
class Rig:
    app: TillApp
    sandbox: Sandbox
    journal: Journal
    #: Paths of transaction requests the sandbox received (not tokens or the product list).
    sent: list[str] = field(default_factory=list)


@asynccontextmanager
async def rig(tmp_path: Path) -> AsyncIterator[Rig]:
    settings = write_settings(tmp_path)
    sb = Sandbox(seed=7)
    sent: list[str] = []

    def record(path: str, body: bytes) -> None:
        if "token" not in path and "products" not in path:
            sent.append(path)

    sb.on_request = record
    async with sandbox_engine(settings, sb, None) as engine:
        app = TillApp(settings, engine=engine, catalog_path=tmp_path / "catalog.json")
        yield Rig(app, sb, engine.journal, sent)


def screen_of(r: Rig, kind: type[S]) -> S:
    screen = r.app.screen
    assert isinstance(screen, kind)
    return screen


async def outcome(pilot: Pilot[None], r: Rig) -> None:
    await wait_for(pilot, lambda: getattr(r.app.screen, "step", "") == "outcome", "the outcome")


async def nothing_in_flight(pilot: Pilot[None], r: Rig) -> None:
    """Wait until no transaction is with the engine: anything the keys so far started has
    journaled and reached the sandbox by then (screens start one only through `transact`)."""
    await wait_for(pilot, lambda: not r.app.busy, "the till to be idle")


async def scan(pilot: Pilot[None], *keys: str) -> None:
    """Keys arriving in one burst, as from a barcode scanner: no idle time between them."""
    for key in keys:
        char = {"enter": "\r", "space": " ", "escape": "\x1b"}.get(key, key)
        event = events.Key(key, char if len(char) == 1 else None)
        event.set_sender(pilot.app)
        pilot.app.post_message(event)
    await pilot.pause()


async def answer(pilot: Pilot[None], *texts: str) -> None:
    """Each text into the entry line (pasted: quicker than keys), then Enter."""
    for value in texts:
        entry = pilot.app.screen.query_one(EntryLine)
        if value:
            entry.post_message(events.Paste(value))  # replaces the selected text after an error
        elif entry.value:
            await pilot.press("backspace")  # after an error the old text is selected
        await pilot.press("enter")


def text(r: Rig, selector: str) -> str:
    return str(r.app.screen.query_one(selector, Static).render())


def big_codes(r: Rig) -> list[str]:
    return [d.value for d in r.app.screen.query(Digits)]


def grouped(pin: str) -> str:
    return " ".join(pin[i : i + 4] for i in range(0, len(pin), 4))


async def expect_error(pilot: Pilot[None], r: Rig, keys: str, step: str, words: str) -> None:
    """Typing `keys` + Enter shows an error naming `words` and stays at `step`."""
    await answer(pilot, keys)
    assert words in text(r, "#error"), text(r, "#error")
    assert r.app.screen.query_one("#error").display
    assert getattr(r.app.screen, "step", "") == step


# -- Redeem ------------------------------------------------------------------------------------


async def test_redeem_with_change_scanned_and_typed_ahead(tmp_path: Path) -> None:
    async with rig(tmp_path) as r, r.app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f3")
        screen_of(r, RedeemScreen)
        # a scanner types the digits + Enter; the cashier types ahead without waiting
        await pilot.press(*"1111 1111 1111 1111", "enter", *"40", "enter", "enter", "enter")
        await outcome(pilot, r)
        (entry,) = r.journal.search()
        assert (entry.kind, entry.state, entry.amount) == ("1voucher.redeem", "approved", 4000)
        assert len(r.sandbox.sales_for(entry.reference)) == 1
        change = (entry.response or {})["voucher"]
        assert change["amount"] == 6000
        voucher = r.sandbox.voucher(change["pin"])
        assert voucher is not None and voucher.amount == 6000 and voucher.status == "Active"
        assert big_codes(r) == [grouped(change["pin"])]
        assert "APPROVED" in text(r, "#outcome-status")
        details = text(r, "#outcome-details")
        assert "R 40.00" in details and "R 60.00" in details and entry.reference in details
        await pilot.press("enter")
        assert screen_of(r, RedeemScreen).step == "pin"


async def test_full_redemption_asks_no_cell_number(tmp_path: Path) -> None:
    async with rig(tmp_path) as r, r.app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f3")
        await answer(pilot, "1212121212121212", "")
        screen = screen_of(r, RedeemScreen)
        assert screen.step == "confirm"  # no change, so no SMS question
        assert "full value" in text(r, "#summary") and "1212" in text(r, "#summary")
        assert "1212 1212 1212" not in text(r, "#summary")  # the PIN is masked
        await pilot.press("enter")
        await outcome(pilot, r)
        (entry,) = r.journal.search()
        assert entry.state == "approved" and entry.amount == 25000  # as Flash answered
        assert r.sandbox.voucher("1212121212121212").status == "Redeemed"  # type: ignore[union-attr]
        assert big_codes(r) == []
        assert "R 250.00" in text(r, "#outcome-details")


async def test_a_used_pin_shows_flashs_message(tmp_path: Path) -> None:
    async with rig(tmp_path) as r, r.app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f3")
        await answer(pilot, "2401240124012401", "", "")
        await outcome(pilot, r)
        (entry,) = r.journal.search()
        assert entry.state == "declined" and entry.response_code == 2401
        assert "DECLINED" in text(r, "#outcome-status")
        assert flash_message(2401) in text(r, "#outcome-details")
        assert big_codes(r) == []


async def test_an_unanswered_redemption_says_do_not_redeem_again(tmp_path: Path) -> None:
    async with rig(tmp_path) as r, r.app.run_test(size=(80, 24)) as pilot:
        r.sandbox.faults.inject(Fault("drop", path="1voucher/redeem", times=5))
        await pilot.press("f3")
        await answer(pilot, "5000500050005000", "", "")
        await outcome(pilot, r)
        (entry,) = r.journal.search()
        assert entry.state in ("in_doubt", "approved")  # the resolver keeps trying
        details = text(r, "#outcome-details")
        assert "Do not pay out cash" in details and "do not redeem the PIN again" in details
        assert "keeps trying" in details and "slip (F9)" in details
        assert "sell" not in details  # a redemption is not a sale


async def test_redeem_bad_input_in_every_field_sends_nothing(tmp_path: Path) -> None:
    async with rig(tmp_path) as r, r.app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f3")
        await expect_error(pilot, r, "", "pin", "16-digit")
        await expect_error(pilot, r, "1234", "pin", "16 digits")
        await expect_error(pilot, r, "11111111111111x1", "pin", "digits only")
        await answer(pilot, "1111111111111111")
        await expect_error(pilot, r, "forty", "amount", "rands")
        await expect_error(pilot, r, "6000", "amount", "largest")
        await answer(pilot, "40")
        assert not r.app.screen.query_one("#error").display  # a good answer clears it
        await expect_error(pilot, r, "08212", "mobile", "10-digit")
        await answer(pilot, "082 123 4567")
        await expect_error(pilot, r, "x", "confirm", "Enter on its own")
        await pilot.press("escape", "escape", "escape")
        assert screen_of(r, RedeemScreen).step == "pin"
        await nothing_in_flight(pilot, r)
        assert r.journal.search() == [] and r.sent == []


async def test_a_scanner_burst_lands_each_key_in_its_own_step(tmp_path: Path) -> None:
    async with rig(tmp_path) as r, r.app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f3")
        await scan(pilot, *"1111111111111111", "enter", *"40", "enter")
        screen = screen_of(r, RedeemScreen)
        assert (screen.step, screen.amount) == ("mobile", 4000)


# -- Refund ------------------------------------------------------------------------------------


async def test_refund_a_redemption_made_here_then_refuse_too_much(tmp_path: Path) -> None:
    async with rig(tmp_path) as r, r.app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f3")
        await answer(pilot, "5000500050005000", "200", "", "")
        await outcome(pilot, r)
        (redemption,) = r.journal.search()
        assert redemption.state == "approved"

        await pilot.press("f4")
        screen = screen_of(r, RefundScreen)
        assert screen.step == "find"
        picks = r.app.screen.query_one("#picks", OptionList)
        assert picks.option_count == 1 and redemption.reference in str(
            picks.get_option_at_index(0).prompt
        )
        await expect_error(pilot, r, "S1-T1-NOPE", "find", "No redemption")
        await answer(pilot, "")  # Enter on its own picks the highlighted redemption
        assert screen.step == "amount"
        assert "R 200.00" in text(r, "#summary") and "R 0.00" in text(r, "#summary")
        await expect_error(pilot, r, "250", "amount", "Only R 200.00 is left")
        await answer(pilot, "50")
        await expect_error(pilot, r, "12", "mobile", "10-digit")
        await answer(pilot, "", "")  # print the new voucher; confirm
        await outcome(pilot, r)
        refund = r.journal.search(kind="1voucher.refund")[0]
        assert (refund.state, refund.amount) == ("approved", 5000)
        assert refund.related_reference == redemption.reference
        pin = (refund.response or {})["voucher"]["pin"]
        assert big_codes(r) == [grouped(pin)]
        assert r.sandbox.voucher(pin).amount == 5000  # type: ignore[union-attr]

        # the same redemption again: R 150.00 left; more is refused before anything is sent
        await pilot.press("enter")
        assert screen.step == "find"
        await answer(pilot, redemption.reference.lower())  # typed, any case
        assert "R 50.00" in text(r, "#summary")
        sent = list(r.sent)
        await expect_error(pilot, r, "150.01", "amount", "Only R 150.00 is left")
        assert r.sent == sent and len(r.journal.search()) == 2


async def test_refund_finds_nothing_to_refund_and_sends_nothing(tmp_path: Path) -> None:
    async with rig(tmp_path) as r, r.app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f4")
        assert r.app.screen.query_one("#picks", OptionList).option_count == 0
        await expect_error(pilot, r, "", "find", "reference")
        await expect_error(pilot, r, "S1-T1-0-1", "find", "No redemption")
        await nothing_in_flight(pilot, r)
        assert r.journal.search() == [] and r.sent == []


# -- Cash Out PIN ------------------------------------------------------------------------------


async def test_cash_out_purchase_lookup_cancel(tmp_path: Path) -> None:
    async with rig(tmp_path) as r, r.app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f6")
        await answer(pilot, "1", "150", "")
        await outcome(pilot, r)
        (sale,) = r.journal.search()
        assert (sale.kind, sale.state, sale.amount) == ("cash-out-pin.purchase", "approved", 15000)
        assert sale.product_code == 300 and sale.serial_number
        (ledger,) = r.sandbox.sales_for(sale.reference)
        assert ledger.pin is not None and big_codes(r) == [grouped(ledger.pin)]
        serial = sale.serial_number

        # lookup by typed serial: status, amount, expiry; never the PIN
        await answer(pilot, "3", serial)  # "3" typed at the outcome starts anew
        await outcome(pilot, r)
        details = text(r, "#outcome-details")
        assert "Active" in details and "R 150.00" in details and serial in details
        assert big_codes(r) == [] and ledger.pin not in details
        assert ledger.pin[-4:] not in details.replace(serial, "")

        # cancel: pick the sale from the list, see serial and amount, confirm
        await pilot.press("escape")
        await answer(pilot, "c")
        assert screen_of(r, CashOutScreen).step == "reference"
        await pilot.press("enter")
        summary = text(r, "#summary")
        assert serial in summary and "R 150.00" in summary and sale.reference in summary
        await pilot.press("enter")
        await outcome(pilot, r)
        cancel = r.journal.search(kind="cash-out-pin.cancel")[0]
        assert cancel.state == "approved" and cancel.related_reference == sale.reference
        assert r.sandbox.cash_out_pin(serial).status == "Cancelled"  # type: ignore[union-attr]
        assert "APPROVED" in text(r, "#outcome-status")

        # a cancelled sale is not offered again, and refused when typed
        await pilot.press("enter")
        await answer(pilot, "2")
        assert r.app.screen.query_one("#picks", OptionList).option_count == 0
        await expect_error(pilot, r, sale.reference, "reference", "already cancelled")

        # lookup picked from the list of recent sales now says Cancelled
        await pilot.press("escape")
        await answer(pilot, "l", "")
        await outcome(pilot, r)
        assert "Cancelled" in text(r, "#outcome-details")


async def test_cash_out_bad_input_in_every_field_sends_nothing(tmp_path: Path) -> None:
    async with rig(tmp_path) as r, r.app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f6")
        await expect_error(pilot, r, "9", "action", "Type 1")
        await answer(pilot, "p")
        await expect_error(pilot, r, "10", "amount", "smallest")
        await expect_error(pilot, r, "500.01", "amount", "largest")
        await expect_error(pilot, r, "R2O", "amount", "rands")
        await pilot.press("escape")
        await answer(pilot, "2")
        await expect_error(pilot, r, "", "reference", "reference")
        await expect_error(pilot, r, "S1-T1-NOPE", "reference", "No Cash Out PIN sale")
        await pilot.press("escape")
        await answer(pilot, "3")
        await expect_error(pilot, r, "", "serial", "serial number")
        await expect_error(pilot, r, "12", "serial", "serial number")
        await expect_error(pilot, r, "12-34-56", "serial", "letters and digits")
        await nothing_in_flight(pilot, r)
        assert r.journal.search() == [] and r.sent == []
