"""Issue 15, the screens' one door into the domain: `SaleReads`, and the lists read in a thread.

The screens hold no Journal and no Flash client: they read through `app.reads`. A list that
takes long to read (here held back by the test) never stops the event loop, and an Enter typed
while it is read acts on the list once it is there, as the cashier then sees it. A list reads
only what is committed, and one that cannot be read is said on the error line: the till goes on.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import threading
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import OptionList, Static

from tests.support import HANG_SECONDS
from tests.tui.harness import (
    sandbox_engine,
    sell_a_cash_out_pin,
    till_app,
    wait_for,
    write_settings,
)
from till.journal import Entry
from till.sales import InputError
from till.sales.reads import Redemption, SaleReads
from till.sandbox import Sandbox
from till.tui.screens import refund as refund_screen
from till.tui.screens.base import EntryLine
from till.tui.screens.cashout import CashOutScreen
from till.tui.screens.refund import RefundScreen


async def test_reads_answer_from_the_journal_and_the_engine(tmp_path: Path) -> None:
    settings = write_settings(tmp_path)
    async with sandbox_engine(settings, Sandbox(seed=3), None) as engine:
        redeemed = await engine.redeem_1voucher("5000500050005000", 20_000)
        refund = await engine.refund_1voucher(redeemed.reference, 5_000)
        assert (redeemed.status, refund.status) == ("approved", "approved")

        reads = SaleReads(engine.journal)  # before the engine has started: the journal only
        assert reads.api_revision is None and reads.slip_header is None
        assert reads.find(redeemed.reference.lower()) == reads.get(redeemed.reference)
        assert reads.refunded(redeemed.reference) == 5_000
        assert [e.reference for e in reads.related(redeemed.reference)] == [refund.reference]
        (found,) = reads.search(kind="1voucher.redeem", state="approved")
        assert found.reference == redeemed.reference
        assert reads.open_entries() == [] and reads.count_open() == 0
        with pytest.raises(InputError):  # a redemption is no sale the till can void
            reads.reversible(redeemed.reference)

        reads.engine = engine
        assert reads.api_revision == engine.client.api_revision
        assert [p.product_code for p in await reads.list_products()]


async def test_a_slow_list_never_stops_the_loop_and_enter_waits_for_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    armed = False
    held = threading.Event()
    release = threading.Event()
    search = SaleReads.search

    def slow_search(self: SaleReads, *, limit: int = 100, **criteria: Any) -> list[Entry]:
        if armed and criteria.get("kind") == "1voucher.redeem":  # the Refund screen's list
            held.set()
            assert release.wait(HANG_SECONDS), "the test never released the read"
        return search(self, limit=limit, **criteria)

    monkeypatch.setattr(SaleReads, "search", slow_search)
    async with till_app(tmp_path) as till, till.app.run_test(size=(80, 24)) as pilot:
        app = till.app
        await wait_for(pilot, lambda: app.ready, "the engine")
        first = await app.engine.redeem_1voucher("5000500050005000", 20_000)
        await pilot.press("f4")
        screen = app.screen
        assert isinstance(screen, RefundScreen)
        await pilot.press("enter")
        assert screen.step == "amount" and screen.redemption is not None
        assert screen.redemption.reference == first.reference

        newer = await app.engine.redeem_1voucher("1212121212121212", 10_000)
        armed = True
        await pilot.press("escape")  # back to the list, read again: held in its thread
        # This coroutine runs on the event loop while the read is held: it never blocks it.
        assert await asyncio.to_thread(held.wait, HANG_SECONDS), "the list was never read"
        assert screen.step == "find"
        enter = asyncio.ensure_future(screen.query_one(EntryLine).action_submit())
        await asyncio.sleep(0)
        assert not enter.done()  # Enter waits for the list the cashier is about to see
        release.set()
        await asyncio.wait_for(enter, HANG_SECONDS)
        assert screen.step == "amount" and screen.redemption is not None
        assert screen.redemption.reference == newer.reference  # the newest, first in the list
        assert screen.query_one("#picks", OptionList).option_count == 2


class Boom(Exception):
    pass


async def test_the_pick_lists_never_see_a_write_in_progress(tmp_path: Path) -> None:
    """The Cash Out and Refund lists, read in a thread as the screens read them, see only what
    is committed: a cancel or a refund still being written (and then rolled back) is not there."""
    settings = write_settings(tmp_path)
    async with sandbox_engine(settings, Sandbox(seed=3), None) as engine:
        sale = await engine.sell_cash_out_pin(300, 15_000)
        redeemed = await engine.redeem_1voucher("5000500050005000", 20_000)
        assert (sale.status, redeemed.status) == ("approved", "approved")
        reads, journal = SaleReads(engine.journal), engine.journal
        cash_out, refund = CashOutScreen(), RefundScreen()

        def lists() -> tuple[list[tuple[Entry, str]], ...]:
            return cash_out.picks(reads, "reference"), refund.picks(reads, "find")

        before = await asyncio.to_thread(lists)
        assert [len(found) for found in before] == [1, 1]
        assert "R 200.00 left of R 200.00" in before[1][0][1]
        with pytest.raises(Boom), journal.transaction() as conn:
            for kind, related, amount in (
                ("cash-out-pin.cancel", sale.reference, 15_000),
                ("1voucher.refund", redeemed.reference, 5_000),
            ):
                conn.execute(
                    "INSERT INTO entries (reference, kind, state, request, amount, store_id, "
                    "terminal_id, created_at, related_reference) "
                    "VALUES (?, ?, 'approved', x'7b7d', ?, 'S1', 'T1', 1, ?)",
                    (f"S1-T1-TEST-{kind}", kind, amount, related),
                )
            assert len(journal.related(sale.reference)) == 1  # the writer sees its own change
            assert await asyncio.to_thread(lists) == before  # the lists do not
            raise Boom  # rolled back: it never happened
        assert await asyncio.to_thread(lists) == before


@pytest.mark.parametrize("broken", ["sqlite", "label"])
async def test_a_list_that_cannot_be_read_leaves_the_till_selling(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, broken: str
) -> None:
    """SQLite's own error (one the journal does not name), or a bug drawing the list, is said
    on the error line and logged with its traceback: the till goes on."""
    if broken == "sqlite":

        def failing_search(self: SaleReads, *, limit: int = 100, **criteria: Any) -> list[Entry]:
            raise sqlite3.OperationalError("disk I/O error")

        monkeypatch.setattr(SaleReads, "search", failing_search)
    else:

        def failing_label(found: Redemption) -> str:
            raise KeyError("amount")

        monkeypatch.setattr(refund_screen, "redemption_label", failing_label)
    async with till_app(tmp_path) as till, till.app.run_test(size=(80, 24)) as pilot:
        app = till.app
        await wait_for(pilot, lambda: app.ready, "the engine")
        await app.engine.redeem_1voucher("5000500050005000", 20_000)
        await pilot.press("f4")
        screen = app.screen
        assert isinstance(screen, RefundScreen)
        error = screen.query_one("#error", Static)
        await wait_for(pilot, lambda: "Could not read the journal" in str(error.render()))
        expected = "OperationalError" if broken == "sqlite" else "KeyError"
        assert expected in str(error.render())
        assert app.is_running and app.return_code is None

        assert (await sell_a_cash_out_pin(pilot)).status == "approved"  # it still sells
    logged = [r for r in caplog.records if "read failed unexpectedly" in r.getMessage()]
    assert logged and all(r.exc_info and r.levelno == logging.ERROR for r in logged)
