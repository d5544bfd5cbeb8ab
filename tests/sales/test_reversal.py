"""Void at the till: `SaleEngine.reverse_sale` against the in-process sandbox and a real journal.

A void is Flash's reversal (rev 3.0): its own journal entry, linked both ways to the sale, sent
through the engine's one path (journaled first, resent with the same reference and body until
Flash answers), refused before anything is written or sent when the till can tell it would fail,
and, when Flash refuses it, the sale stands and the cashier is told why.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

import till.sandbox.state as sandbox_state
from receipts import PreviewPrinter, render_text
from tests.support import make_engine, sandbox_client
from till.flash import FlashClient
from till.journal import Entry, Journal, NewEntry
from till.sales import InputError, Outcome, SaleEngine
from till.sales import reversal as reversal_module
from till.sales.printing import SlipPrinter
from till.sales.reversal import REASON_MAX, REVERSAL_KINDS, REVERSIBLE, plan, reversible
from till.sandbox import APRIL_2023, Fault, Sandbox
from till.slips import SlipHeader, slip_for
from till.staff import ApprovalPolicy, ApprovalRequired
from till.tui.catalog import SaleItem, sale_items
from till.words.void import REASON_CHARS, REVERSED_MARK, VOID_KINDS

START_FLOAT = 100_000_000


@pytest.fixture
def sandbox() -> Sandbox:
    return Sandbox(seed=4321, float_cents=START_FLOAT)


@pytest.fixture
def printer() -> PreviewPrinter:
    return PreviewPrinter()


@pytest.fixture
async def engine(journal: Journal, client: FlashClient, printer: PreviewPrinter) -> SaleEngine:
    made = make_engine(journal, client, cashier="c1")
    made.slips = SlipPrinter(journal, printer, SlipHeader("Corner Shop"), clock=made.clock)
    return made


async def approved(sale: Awaitable[Outcome]) -> Entry:
    outcome = await sale
    assert outcome.status == "approved", outcome.message
    return outcome.entry


def transaction_paths(sandbox: Sandbox) -> list[str]:
    """Where every transaction the sandbox received went (sent bytes are recorded)."""
    arrived: list[str] = []
    sandbox.on_request = lambda path, body: arrived.append(path.rsplit("4.0/", 1)[-1])
    return arrived


# -- a void, linked both ways ------------------------------------------------------------------


async def test_a_1voucher_sale_is_voided_once_and_linked_both_ways(
    engine: SaleEngine, sandbox: Sandbox, journal: Journal, printer: PreviewPrinter
) -> None:
    sale = await approved(engine.sell_1voucher(5_000))
    outcome = await engine.reverse_sale(sale.reference, reason="  wrong   amount keyed ")
    assert outcome.status == "approved", outcome.message
    void = outcome.entry
    assert (void.kind, void.state, void.amount) == ("1voucher.reverse", "approved", 5_000)
    assert void.related_reference == sale.reference and void.serial_number == sale.serial_number
    body = json.loads(void.request)
    assert body["originalReference"] == sale.reference and body["reference"] == void.reference
    assert body["metadata"] == {"reverseOf": sale.reference, "reason": "wrong amount keyed"}
    assert "amount" not in body
    # the sale finds its void; Flash reversed it once, and the float has the money back
    assert [e.reference for e in journal.related(sale.reference)] == [void.reference]
    (row,) = [r for r in sandbox.ledger if r.kind == "1voucher/reverse"]
    assert (row.reference, row.original_reference, row.float_delta) == (
        void.reference, sale.reference, 5_000,
    )  # fmt: skip
    assert sandbox.float_cents == START_FLOAT
    # its own receipt printed (what was voided, the money back, why), and the sale stands voided
    assert outcome.receipt is not None
    receipt = printer.printed[-1]
    for shown in ("1VOUCHER VOID", sale.reference, "R 50.00", "wrong amount keyed"):
        assert shown in receipt
    copy = await engine.slips.reprint(sale.reference)  # type: ignore[union-attr]
    assert copy.printed and copy.copy == 1
    lines = [line.strip() for line in printer.printed[-1].splitlines()]
    assert lines.count("COPY 1") == 2 and lines.count(REVERSED_MARK) == 2
    assert f"by {void.reference}" in lines


@pytest.mark.parametrize(
    ("sell", "kind"),
    [
        (lambda e: e.sell_cash_out_pin(300, 20_000), "cash-out-pin.reverse"),
        (lambda e: e.sell_eezi_voucher(500, 1_000), "eezi-voucher.reverse"),
    ],
)
async def test_cash_out_pin_and_eezi_sales_are_voided(
    engine: SaleEngine, sandbox: Sandbox, sell: Callable[[SaleEngine], Any], kind: str
) -> None:
    sale = await approved(sell(engine))
    outcome = await engine.reverse_sale(sale.reference, reason="customer changed mind")
    assert outcome.status == "approved", outcome.message
    assert (outcome.entry.kind, outcome.entry.amount) == (kind, sale.amount)
    assert sandbox.float_cents == START_FLOAT


async def test_a_voided_cash_out_pin_cannot_be_cancelled_nor_voided_again(
    engine: SaleEngine,
) -> None:
    sale = await approved(engine.sell_cash_out_pin(300, 20_000))
    await approved(engine.reverse_sale(sale.reference, reason="wrong amount"))
    with pytest.raises(InputError, match="already voided"):
        await engine.reverse_sale(sale.reference, reason="again")
    with pytest.raises(InputError, match="was voided: nothing to cancel"):
        await engine.cancel_cash_out_pin(sale.reference)


async def test_a_void_written_by_another_process_mid_cancel_stops_the_cancel(
    journal: Journal, client: FlashClient, sandbox: Sandbox
) -> None:
    """The cancel checks again inside its own journal write, as a void does: a void another
    process wrote after the first check (here, just before the write) wins, nothing is sent."""
    seller = make_engine(journal, client, cashier="c1")
    sale = await approved(seller.sell_cash_out_pin(300, 20_000))

    class RacedEngine(SaleEngine):
        def _check_approval(self, kind: str, amount: int | None, approved_by: str | None) -> None:
            with Journal.open(journal.path) as other:  # the other process's own connection
                other.add(
                    NewEntry(
                        "cash-out-pin.reverse", lambda ref: b"{}", "S1", "T1",
                        related_reference=sale.reference,
                    ),
                    now=1,
                )  # fmt: skip
            super()._check_approval(kind, amount, approved_by)

    raced = RacedEngine(journal, client, store_id="S1", terminal_id="T1", cashier="c1")
    sent_before = len(sandbox.ledger)
    with pytest.raises(InputError, match="was voided: nothing to cancel"):
        await raced.cancel_cash_out_pin(sale.reference)
    assert len(sandbox.ledger) == sent_before
    assert [e.kind for e in journal.related(sale.reference)] == ["cash-out-pin.reverse"]


# -- refused before anything is written or sent ------------------------------------------------


async def _gift(engine: SaleEngine) -> str:
    return (await approved(engine.sell_gift_voucher(200, 10_000))).reference


async def _airtime(engine: SaleEngine) -> str:
    return (await approved(engine.sell_airtime(400, "0821234567", 2_900))).reference


async def _disbursement(engine: SaleEngine) -> str:
    return (await approved(engine.disburse_1voucher(5_000))).reference


async def _redemption(engine: SaleEngine) -> str:
    return (await approved(engine.redeem_1voucher("1212121212121212"))).reference


async def _declined(engine: SaleEngine) -> str:
    outcome = await engine.sell_1voucher(600_000)  # above Flash's 1Voucher maximum
    assert outcome.status == "declined"
    return outcome.reference


async def _voided(engine: SaleEngine) -> str:
    sale = await approved(engine.sell_1voucher(5_000))
    await approved(engine.reverse_sale(sale.reference, reason="first"))
    return sale.reference


async def _a_void(engine: SaleEngine) -> str:
    sale = await approved(engine.sell_1voucher(5_000))
    return (await approved(engine.reverse_sale(sale.reference, reason="first"))).reference


async def _cancelled(engine: SaleEngine) -> str:
    sale = await approved(engine.sell_cash_out_pin(300, 20_000))
    await approved(engine.cancel_cash_out_pin(sale.reference))
    return sale.reference


async def _unknown(engine: SaleEngine) -> str:
    return "S1-T1-NOPE-9"


@pytest.mark.parametrize(
    ("make", "words"),
    [
        (_unknown, "No sale on this till"),
        (_gift, r"\(Gift voucher sale\) cannot be voided: only 1Voucher, Cash Out PIN and Eezi"),
        (_airtime, "cannot be voided: only 1Voucher, Cash Out PIN and Eezi voucher sales"),
        (_disbursement, r"\(1Voucher disbursement\) cannot be voided"),
        (_redemption, r"\(1Voucher redemption\) cannot be voided"),
        (_declined, "was declined: nothing was sold"),
        (_voided, r"is already voided \(by "),
        (_a_void, "a void cannot be voided"),
        (_cancelled, "was cancelled: its money was given back"),
    ],
)
async def test_what_cannot_be_voided_is_refused_before_anything_is_written_or_sent(
    engine: SaleEngine,
    sandbox: Sandbox,
    journal: Journal,
    make: Callable[[SaleEngine], Awaitable[str]],
    words: str,
) -> None:
    reference = await make(engine)
    entries = len(journal.search(limit=1000))
    arrived = transaction_paths(sandbox)
    with pytest.raises(InputError, match=words):
        await engine.reverse_sale(reference, reason="because")
    assert len(journal.search(limit=1000)) == entries and arrived == []


@pytest.mark.parametrize(
    ("reason", "words"),
    [
        ("", "Type why the sale is being voided"),
        ("   ", "Type why the sale is being voided"),
        ("x" * (REASON_MAX + 1), f"Keep the reason to {REASON_MAX} characters"),
        ("bad\x07bell", "letters, digits and punctuation only"),
    ],
)
async def test_a_void_needs_a_reason_flash_can_keep(
    engine: SaleEngine, sandbox: Sandbox, journal: Journal, reason: str, words: str
) -> None:
    sale = await approved(engine.sell_1voucher(5_000))
    arrived = transaction_paths(sandbox)
    with pytest.raises(InputError, match=words) as caught:
        await engine.reverse_sale(sale.reference, reason=reason)
    assert caught.value.field == "reason"
    assert journal.related(sale.reference) == [] and arrived == []
    longest = await engine.reverse_sale(sale.reference, reason="y" * REASON_MAX)
    assert longest.status == "approved"


async def test_a_till_on_the_april_2023_document_has_no_voids(
    journal: Journal, tmp_path: Path
) -> None:
    sandbox = Sandbox(seed=5, revision=APRIL_2023)
    async with sandbox_client(sandbox, api_revision=APRIL_2023) as client:
        engine = make_engine(journal, client, cashier="c1")
        sale = await approved(engine.sell_1voucher(5_000))
        arrived = transaction_paths(sandbox)
        with pytest.raises(InputError, match=r'set \[flash\] api_revision = "2025-05"'):
            await engine.reverse_sale(sale.reference, reason="wrong amount")
    assert arrived == [] and journal.related(sale.reference) == []


async def test_the_product_lists_allow_reversal_is_heeded_when_it_says(
    engine: SaleEngine, client: FlashClient, sandbox: Sandbox, journal: Journal
) -> None:
    listed = sale_items(await client.list_products())
    assert {item.kind: item.allow_reversal for item in listed}["1voucher"] is True
    engine.products = [
        SaleItem(item.kind, item.code, item.name, item.minimum, item.maximum, False)
        for item in listed
    ]
    sale = await approved(engine.sell_1voucher(5_000))
    arrived = transaction_paths(sandbox)
    with pytest.raises(InputError, match="Flash does not allow this 1Voucher sale to be voided"):
        await engine.reverse_sale(sale.reference, reason="wrong amount")
    assert arrived == []
    engine.products = listed  # Flash's own list: it allows it
    assert (await engine.reverse_sale(sale.reference, reason="wrong amount")).status == "approved"


async def test_a_void_needs_a_supervisor_when_staff_is_on(
    journal: Journal, client: FlashClient, sandbox: Sandbox
) -> None:
    engine = make_engine(journal, client, cashier="c1", policy=ApprovalPolicy(sale_limit=None))
    sale = await approved(engine.sell_1voucher(5_000))
    arrived = transaction_paths(sandbox)
    with pytest.raises(ApprovalRequired, match="a supervisor must approve a void"):
        await engine.reverse_sale(sale.reference, reason="wrong amount")
    with pytest.raises(ApprovalRequired, match="not the cashier themself"):
        await engine.reverse_sale(sale.reference, reason="wrong amount", approved_by="c1")
    assert arrived == [] and journal.related(sale.reference) == []
    outcome = await engine.reverse_sale(sale.reference, reason="wrong amount", approved_by="s1")
    assert outcome.status == "approved" and outcome.entry.approved_by == "s1"
    receipt = render_text(slip_for(outcome.entry, SlipHeader("Corner Shop")), 42)
    assert "Approved by" in receipt and "s1" in receipt


# -- Flash refuses: the sale stands --------------------------------------------------------------


async def test_a_redeemed_voucher_cannot_be_voided_and_the_sale_stands(
    engine: SaleEngine, journal: Journal, sandbox: Sandbox
) -> None:
    sale = await approved(engine.sell_1voucher(10_000))
    pin = str((sale.response or {})["voucher"]["pin"])
    await approved(engine.redeem_1voucher(pin, 2_500))  # even partly
    outcome = await engine.reverse_sale(sale.reference, reason="customer changed mind")
    assert (outcome.status, outcome.code) == ("declined", 2412)
    assert outcome.message.startswith("The voucher or PIN cannot be voided: it has been used")
    assert f"Sale {sale.reference} stands: give the customer no money back" in outcome.message
    assert "Flash said: " in outcome.message
    assert outcome.entry.state == "declined"
    assert journal.get(sale.reference).state == "approved"  # type: ignore[union-attr]
    assert not [r for r in sandbox.ledger if r.kind == "1voucher/reverse"]
    # a declined void undid nothing: the sale is not marked, and no void stands
    assert reversal_module.live_void(journal, sale.reference) is None


async def test_too_late_for_flash_is_said_so(
    engine: SaleEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    sale = await approved(engine.sell_1voucher(5_000))
    later = sandbox_state._now() + timedelta(days=2)
    monkeypatch.setattr(sandbox_state, "_now", lambda: later)
    outcome = await engine.reverse_sale(sale.reference, reason="wrong amount")
    assert (outcome.status, outcome.code) == ("declined", 2281)
    assert outcome.message.startswith("Too late to void this sale")


# -- in doubt: the resolver settles it, exactly once -----------------------------------------


async def test_a_void_in_doubt_is_resent_with_the_same_bytes_and_counted_once(
    engine: SaleEngine, sandbox: Sandbox, journal: Journal
) -> None:
    sale = await approved(engine.sell_1voucher(5_000))
    sent: list[bytes] = []
    sandbox.on_request = lambda path, body: sent.append(body) if "reverse" in path else None
    sandbox.faults.inject(Fault("drop", path="1voucher/reverse"))  # Flash did it; no answer
    outcome = await engine.reverse_sale(sale.reference, reason="wrong amount")
    assert outcome.status == "in_doubt"
    with pytest.raises(InputError, match="still waiting for Flash's answer"):
        await engine.reverse_sale(sale.reference, reason="wrong amount")
    report = await engine.resolve(all_open=True)
    assert report.approved == [outcome.reference]
    assert sent == [outcome.entry.request, outcome.entry.request]
    assert len([r for r in sandbox.ledger if r.kind == "1voucher/reverse"]) == 1
    assert sandbox.float_cents == START_FLOAT
    assert journal.get(outcome.reference).state == "approved"  # type: ignore[union-attr]


async def test_two_processes_cannot_both_void_a_sale(
    engine: SaleEngine, journal: Journal, sandbox: Sandbox
) -> None:
    """The check runs again inside the write transaction that gives the void its reference."""
    sale = await approved(engine.sell_1voucher(5_000))
    stale = plan(journal, sale.reference, "first", common=engine._common())
    await approved(engine.reverse_sale(sale.reference, reason="the other till was quicker"))
    before = len(journal.search(limit=1000))
    with pytest.raises(InputError, match="already voided"):
        journal.add(
            NewEntry(
                kind=stale.endpoint.name,
                build_request=lambda reference: stale.request(reference).to_wire(),
                store_id="S1",
                terminal_id="T1",
                **stale.details,
            ),
            now=engine.clock(),
        )
    assert len(journal.search(limit=1000)) == before


# -- one set of kinds everywhere -----------------------------------------------------------------


def test_the_void_kinds_agree_everywhere() -> None:
    from till.flash.client import REVERSAL_KINDS as FLASH_KINDS
    from till.flash.models import METADATA_VALUE_MAX_LENGTH
    from till.reports.report import REVERSALS
    from till.slips.parts import REVERSALS as SLIP_KINDS
    from till.words import KIND_LABELS, in_doubt_advice

    assert REVERSAL_KINDS == FLASH_KINDS == SLIP_KINDS == VOID_KINDS == REVERSALS
    assert set(REVERSIBLE) == {
        "1voucher.purchase", "cash-out-pin.purchase", "eezi-voucher.purchase",
    }  # fmt: skip
    assert REASON_CHARS == REASON_MAX == METADATA_VALUE_MAX_LENGTH
    for kind in REVERSAL_KINDS:
        assert "void" in KIND_LABELS[kind].lower()
        assert "do not give the customer the money back" in in_doubt_advice(kind)


async def test_reversible_says_why_for_the_screens(engine: SaleEngine, journal: Journal) -> None:
    sale = await approved(engine.sell_1voucher(5_000))
    assert reversible(journal, sale.reference).reference == sale.reference
    with pytest.raises(InputError, match="which has no voids"):
        reversible(journal, sale.reference, api_revision=APRIL_2023)
