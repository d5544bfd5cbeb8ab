"""The resolver isolates each entry: an unexpected error on one is recorded on that one
(flagged, with its last error), and every other open entry is still settled and printed."""

from __future__ import annotations

from pathlib import Path

from receipts import PreviewPrinter
from till.clock import now_ms
from till.flash import FlashClient
from till.journal import Entry, Journal
from till.sales import Backoff, EngineHooks, SaleEngine
from till.sales.printing import SlipPrinter
from till.sandbox import Fault, Sandbox
from till.slips import SlipHeader


async def test_an_unexpected_error_on_one_entry_does_not_stop_the_others(
    tmp_path: Path, client: FlashClient, sandbox: Sandbox
) -> None:
    printer = PreviewPrinter()
    with Journal.open(tmp_path / "journal.sqlite3") as journal:
        engine = SaleEngine(journal, client, store_id="S1", terminal_id="T1", backoff=Backoff(1, 1))
        engine.slips = SlipPrinter(journal, printer, SlipHeader(store_name="Shop"), clock=now_ms)
        sandbox.faults.inject(Fault("drop", times=4))
        outcomes = [await engine.sell_1voucher(1000 * n) for n in range(1, 5)]
        assert [o.status for o in outcomes] == ["in_doubt"] * 4
        broken = outcomes[2].reference

        def answered(entry: Entry) -> None:
            if entry.reference == broken:
                raise KeyError("a bug that only this entry meets")

        engine.hooks = EngineHooks(answered=answered)
        report = await engine.resolve(all_open=True)

        assert sorted(report.approved) == sorted(
            o.reference for o in outcomes if o.reference != broken
        )
        assert report.attention == [broken] and report.still_in_doubt == [broken]
        assert len(printer.printed) == 3  # the three settled ones printed
        entry = journal.get(broken)
        assert entry is not None and entry.state == "in_doubt"
        assert entry.flagged_at is not None
        assert entry.last_error is not None and "KeyError" in entry.last_error
        assert engine.open_count == 1

        engine.hooks = EngineHooks()  # the bug fixed: the next pass settles it, exactly once
        report = await engine.resolve(all_open=True)
        assert report.approved == [broken]
        assert len(sandbox.sales_for(broken)) == 1
        assert len(printer.printed) == 4
