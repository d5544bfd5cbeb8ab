"""Issue 15, the screens' one door into the domain: `SaleReads`, and the lists read in a thread.

The screens hold no Journal and no Flash client: they read through `app.reads`. A list that
takes long to read (here held back by the test) never stops the event loop, and an Enter typed
while it is read acts on the list once it is there, as the cashier then sees it.
"""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import OptionList

from tests.support import HANG_SECONDS
from tests.tui.harness import sandbox_engine, till_app, wait_for, write_settings
from till.journal import Entry
from till.sales import InputError
from till.sales.reads import SaleReads
from till.sandbox import Sandbox
from till.tui.screens.base import EntryLine
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
