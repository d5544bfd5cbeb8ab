"""Exactly-once under fire, the quick run: mixed sales, random faults, SIGKILLs, a set check.

The same `run_chaos` as `python -m bench.chaos --transactions 10000`, sized to run in seconds:
a real sandbox over a real socket, a real SQLite journal, a driver till in a child process that
is SIGKILLed and restarted. The second test proves the check itself can see each kind of failure.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import AsyncIterator
from pathlib import Path

from bench.chaos import ChaosReport, compare, run_chaos
from tests.support import HANG_SECONDS
from till.flash import FlashClient
from till.flash.models import OneVoucherPurchaseRequest
from till.journal import Journal, NewEntry
from till.sales import SaleEngine
from till.sandbox import DEFAULT_ACCOUNT, DEFAULT_API_KEY, Sandbox, running_sandbox


@contextlib.asynccontextmanager
async def engine_on_a_sandbox(
    tmp_path: Path, seed: int
) -> AsyncIterator[tuple[Sandbox, Journal, SaleEngine]]:
    """A sale engine on its own journal and a sandbox over a real socket, for the set check."""
    sandbox = Sandbox(seed=seed)
    with (
        running_sandbox(sandbox, startup_timeout=HANG_SECONDS) as base_url,
        Journal.open(tmp_path / "j.sqlite3") as journal,
    ):
        async with FlashClient(
            base_url=base_url, api_key=DEFAULT_API_KEY, account_number=DEFAULT_ACCOUNT
        ) as client:
            yield sandbox, journal, SaleEngine(journal, client, store_id="S1", terminal_id="T1")


def test_quick_chaos_run_loses_nothing_and_sells_nothing_twice(tmp_path: Path) -> None:
    report = run_chaos(
        200,
        seed=7,
        kill_every_min=0.2,
        kill_every_max=1.0,
        journal_path=tmp_path / "journal.sqlite3",
    )
    summary = "\n".join(report.lines())
    # The run must have been hostile, or a clean result proves nothing.
    assert report.kills >= 3, summary
    assert len(report.faults) >= 5, summary
    assert report.faults_fired >= 20, summary
    assert len(report.approved) >= 6, summary  # most transaction kinds really happened
    voids = report.approved.get("1voucher.reverse", 0) + report.approved.get(
        "cash-out-pin.reverse", 0
    )
    assert voids >= 1, summary  # sales were voided (Flash's reversals) under fire too
    assert not report.driver_failures, summary
    assert report.journal_entries >= 200, summary
    assert report.lost == 0, summary
    assert report.duplicated == 0, summary
    assert report.unresolved == 0, summary
    assert report.phantom == 0, summary
    assert report.money_mismatch_cents == 0, summary
    assert report.ok, summary


async def test_the_set_check_sees_lost_duplicated_phantom_unresolved_and_money(
    tmp_path: Path,
) -> None:
    async with engine_on_a_sandbox(tmp_path, seed=11) as (sandbox, journal, engine):
        start_float = sandbox.float_cents
        assert (await engine.sell_1voucher(1000)).status == "approved"
        # Lost: Flash sold it, the journal never heard of it.
        await engine.client.purchase_1voucher(
            OneVoucherPurchaseRequest(
                reference="S1-T1-ELSEWHERE-1", amount=2000, account_number=DEFAULT_ACCOUNT
            )
        )

        def new(reference: str) -> bytes:
            return b"{}"

        # Phantom: approved in the journal, nothing at Flash.
        ghost = journal.add(NewEntry("1voucher.purchase", new, "S1", "T1", amount=700), now=1)
        journal.settle(ghost.reference, "approved", now=2, response={"voucher": {"pin": "x"}})
        # Unresolved: never settled.
        journal.add(NewEntry("1voucher.purchase", new, "S1", "T1", amount=900), now=3)

        ledger = list(sandbox.ledger)
        report = ChaosReport(transactions=0)
        compare(report, journal, [*ledger, ledger[0]], start_float - sandbox.float_cents)

    assert report.lost == 1
    assert report.duplicated == 1
    assert report.phantom == 1
    assert report.unresolved == 1
    # Flash moved 3000; the doubled ledger row says 4000; the journal's approvals say 1700.
    assert report.money_mismatch_cents == 1000 + 1300
    assert not report.ok


async def test_the_set_check_reads_voids_their_sale_and_their_money(tmp_path: Path) -> None:
    """A void gives its sale's amount back to the float; one Flash holds against another sale
    than the journal's is counted lost."""
    async with engine_on_a_sandbox(tmp_path, seed=12) as (sandbox, journal, engine):
        start_float = sandbox.float_cents
        kept = await engine.sell_1voucher(1000)
        voided = await engine.sell_cash_out_pin(300, 4000)
        void = await engine.reverse_sale(voided.reference, reason="chaos")
        assert void.status == "approved"
        ledger = list(sandbox.ledger)
        moved = start_float - sandbox.float_cents
        report = ChaosReport(transactions=0)
        compare(report, journal, ledger, moved)
        assert (report.lost, report.phantom, report.money_mismatch_cents) == (0, 0, 0)
        assert moved == 1000 and report.approved["cash-out-pin.reverse"] == 1

        wrong = [
            dataclasses.replace(row, original_reference=kept.reference)
            if row.reference == void.reference
            else row
            for row in ledger
        ]
        report = ChaosReport(transactions=0)
        compare(report, journal, wrong, moved)
    assert report.lost == 1
    assert (
        f"journal voids {voided.reference}, Flash reversed {kept.reference}" in report.problems[0]
    )
