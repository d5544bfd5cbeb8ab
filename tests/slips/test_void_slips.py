"""The slips of a void (Flash's reversal), from real sandbox answers: the void's own receipt (what
was voided, the money back, why, who approved), and the voided sale's reprint marked REVERSED,
large, top and bottom, as a copy is; the words of the screens and commands agree with both."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from receipts import BigCode, render_bytes, render_text
from tests.receipts.escpos_bytes import DOUBLE_WIDTH_AND_HEIGHT, print_modes
from tests.slips.test_slips import (
    HEADER,
    PROFILES,
    WIDTHS,
    _engine,
    _lines,
    approved,
    check_bytes,
    check_widths,
    pin,
)
from till.digits import group_digits
from till.journal import Entry, Journal
from till.sales import SaleEngine
from till.sandbox import Fault, Sandbox
from till.slips import slip_for
from till.words import format_entry, product_rows, read_receipt
from till.words.void import REVERSED_MARK, REVERSED_NOTE, VOID_PENDING_MARK, reversal_in


@pytest.fixture
async def engine(sandbox: Sandbox, tmp_path: Path) -> AsyncIterator[SaleEngine]:
    with Journal.open(tmp_path / "journal.sqlite3") as journal:
        async for made in _engine(sandbox, journal):
            yield made


async def _voided(engine: SaleEngine) -> tuple[Entry, Entry]:
    sale = await approved(engine.sell_1voucher(5000))
    void = await approved(
        engine.reverse_sale(sale.reference, reason="wrong amount keyed", approved_by="Sipho")
    )
    return engine.journal.get(sale.reference) or sale, void


async def test_the_voids_own_receipt(engine: SaleEngine) -> None:
    sale, void = await _voided(engine)
    document = slip_for(void, HEADER)
    text = render_text(document, 42)
    for shown in ("1VOUCHER VOID", "SALE VOIDED", "Amount returned", "R 50.00"):
        assert shown in text
    lines = _lines(document)
    assert f"Voids sale{sale.reference:>32}" in lines
    assert any(line.startswith("Reason") and line.endswith("wrong amount keyed") for line in lines)
    assert any(line.startswith("Approved by") and line.endswith("Sipho") for line in lines)
    assert any(
        line.startswith("Serial") and line.endswith(str(sale.serial_number)) for line in lines
    )
    assert any(line.startswith("Cashier") and line.endswith("Thandi") for line in lines)
    assert not any(isinstance(block, BigCode) for block in document.blocks)  # no code: void
    assert group_digits(pin(sale)) not in text
    check_widths(document)
    check_bytes(document, "1VOUCHER VOID", sale.reference)


async def test_a_pin_flash_echoes_on_a_void_never_prints(engine: SaleEngine) -> None:
    """The document's sample reversal answer carries the voided voucher's `pin`: it is dead, and
    neither the slip nor the rows the screens and commands show print it."""
    sale, void = await _voided(engine)
    response = dict(void.response or {})
    response["voucher"] = {**response["voucher"], "pin": pin(sale)}
    echoed = dataclasses.replace(void, response_json=json.dumps(response))
    text = render_text(slip_for(echoed, HEADER), 42)
    assert pin(sale) not in text.replace(" ", "")
    assert all(pin(sale) not in value.replace(" ", "") for _, value in product_rows(echoed))


async def test_the_voided_sale_reprints_marked_reversed_large_top_and_bottom(
    engine: SaleEngine,
) -> None:
    sale, void = await _voided(engine)
    reversal = reversal_in(engine.journal.related(sale.reference))
    assert reversal is not None and reversal.reference == void.reference
    document = slip_for(sale, HEADER, copy=1, reversal=reversal)
    for profile in PROFILES:
        data = render_bytes(document, profile)
        assert print_modes(data, REVERSED_MARK) == [DOUBLE_WIDTH_AND_HEIGHT] * 2, profile
        assert print_modes(data, "COPY 1") == [DOUBLE_WIDTH_AND_HEIGHT] * 2, profile
    for width in WIDTHS:
        lines = _lines(document, width)
        assert lines.count(REVERSED_MARK) == 2 and lines.count(REVERSED_NOTE) == 2
        assert lines.count(f"by {void.reference}") == 2
        assert all(len(line) <= width // 2 for line in lines if line == REVERSED_MARK)
    check_widths(document)
    # without the void, the same sale is not marked
    assert REVERSED_MARK not in render_text(slip_for(sale, HEADER, copy=1), 42)


async def test_a_void_in_doubt_marks_the_sale_not_yet_and_a_declined_one_not_at_all(
    engine: SaleEngine, sandbox: Sandbox
) -> None:
    sale = await approved(engine.sell_1voucher(5000))
    sandbox.faults.inject(Fault("error_503", path="1voucher/reverse"))
    pending = await engine.reverse_sale(sale.reference, reason="wrong amount")
    assert pending.status == "in_doubt"
    reversal = reversal_in(engine.journal.related(sale.reference))
    text = render_text(slip_for(sale, HEADER, copy=1, reversal=reversal), 42)
    assert VOID_PENDING_MARK in text and REVERSED_MARK not in text.replace(VOID_PENDING_MARK, "")
    in_doubt = render_text(slip_for(pending.entry, HEADER), 42)
    assert "NOT YET CONFIRMED" in in_doubt and "money back" in in_doubt

    redeemed = await approved(engine.sell_1voucher(8000))
    await approved(engine.redeem_1voucher(pin(redeemed), 8000))
    refused = await engine.reverse_sale(redeemed.reference, reason="too late")
    assert refused.status == "declined"
    assert reversal_in(engine.journal.related(redeemed.reference)) is None
    declined = render_text(slip_for(refused.entry, HEADER), 42)
    assert "Nothing was voided: the sale stands." in declined and redeemed.reference in declined


async def test_the_screens_and_commands_read_the_void_as_its_receipt_does(
    engine: SaleEngine,
) -> None:
    sale, void = await _voided(engine)
    printed = {
        label: value
        for label, value in read_receipt(slip_for(void, HEADER)).rows
        if label is not None
    }
    receipt_label = {"voids sale": "Voids sale", "serial": "Serial", "reason": "Reason"}
    rows = dict(product_rows(void))
    assert set(rows) == {"voids sale", "serial", "status", "reason"}
    for label, value in rows.items():
        if label in receipt_label:
            assert printed[receipt_label[label]] == value, label
    assert rows["status"] == "Reversed"
    # `till journal show` and the Journal screen: the sale says it was voided, and by which
    shown = format_entry(sale, engine.journal.related(sale.reference))
    assert f"{REVERSED_MARK}: voided by {void.reference}" in shown.splitlines()[1]
    assert "1Voucher void" in format_entry(void)
