"""Issue 12: screens, commands and receipts take their words from one place (`till.words`).

For every kind of approved sale, from a real sandbox answer: the answer on the screen is read
from the receipt by one function, and the rows the Journal screen and the commands show (what
the customer got) carry the values the receipt prints, computed by the same typed helpers.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

import till.slips.approved as slip_module
import till.tui.widgets as widgets
import till.words
import till.words.rows as rows_module
from receipts import Barcode, Document
from tests.slips.test_slips import (
    FBE_METER,
    KEY_CHANGE_METER,
    _cash_out,
    _cash_out_cancel,
    _engine,
    _redeem_partial,
    _refund,
    approved,
)
from till.digits import group_digits
from till.journal import Entry, Journal
from till.sales import Outcome, SaleEngine
from till.sandbox import Sandbox
from till.slips import SlipHeader, slip_for
from till.words import (
    Answer,
    display_mobile,
    format_entry,
    in_doubt_advice,
    kind_label,
    product_rows,
    read_receipt,
)


@pytest.fixture
async def engine(sandbox: Sandbox, tmp_path: Path) -> AsyncIterator[SaleEngine]:
    journal = Journal.open(tmp_path / "journal.sqlite3")
    try:
        async for made in _engine(sandbox, journal):
            yield made
    finally:
        journal.close()


Sale = Callable[[SaleEngine], Awaitable[Entry]]

#: Every kind of approval a customer walks away with something from.
SALES: dict[str, Sale] = {
    "1voucher sale": lambda e: approved(e.sell_1voucher(5000)),
    "change voucher": _redeem_partial,
    "refund": _refund,
    "gift voucher": lambda e: approved(e.sell_gift_voucher(200, 10_000)),
    "eezi voucher": lambda e: approved(e.sell_eezi_voucher(500, 1000)),
    "airtime": lambda e: approved(e.sell_airtime(400, "082 123 4567", 2900)),
    "cash out sale": _cash_out,
    "cash out cancel": _cash_out_cancel,
    "vend with key change": lambda e: approved(e.vend_utility(KEY_CHANGE_METER, 20_000)),
    "free basic electricity": lambda e: approved(e.vend_utility(FBE_METER, 0, fbe=True)),
}

#: A row the Journal screen and the commands show -> the receipt row that prints its value.
RECEIPT_LABEL = {
    "serial": "Serial",
    "expires": "Expires",
    "change voucher": "Change value",
    "network": "Network",
    "recharge": "Type",
    "call centre": "Call centre",
    "meter": "Meter",
    "customer": "Customer",
    "utility": "Utility",
}
#: Rows only the counter sees: advice to the cashier, or the state the receipt prints as text.
SCREEN_ONLY = frozenset({"note", "status"})


def _receipt_rows(answer: Answer) -> dict[str, str]:
    return {label: value for label, value in answer.rows if label is not None}


def _check_agree(entry: Entry, receipt: Document, answer: Answer) -> None:
    """Every row of what the customer got carries the value the receipt prints."""
    printed = _receipt_rows(answer)
    lines = [value for label, value in answer.rows if label is None]
    codes = [code for _, code in answer.codes]
    barcodes = [block.data for block in receipt.blocks if isinstance(block, Barcode)]
    tokens: list[tuple[str, str]] = []
    for label, value in product_rows(entry):
        if label in ("PIN", "change PIN"):
            assert value in codes or value.startswith("sent by SMS"), (label, value, codes)
        elif label == "barcode":
            assert value in barcodes
        elif label == "mobile":
            assert display_mobile(value) == printed["Mobile"]
        elif label == "address":
            assert value in lines
        elif label == "cancelled":
            assert value == f"serial {printed['Serial']}"
        elif label.startswith("token "):
            code, _, note = value.partition("  ")
            tokens.append((code, note))
        elif label in RECEIPT_LABEL:
            assert printed[RECEIPT_LABEL[label]] == value, (label, value, printed)
        else:
            assert label in SCREEN_ONLY, f"{label!r}: say where the receipt prints it"
    if tokens:  # the same tokens, in the same order, each with the units printed under it
        assert [code for code, _ in tokens] == codes
        for (_, note), (caption, _) in zip(tokens, answer.codes, strict=True):
            units = note.removeprefix("KEY CHANGE: key in first").removeprefix("FREE BASIC ")
            assert caption.endswith(units.strip()), (caption, note)


@pytest.mark.parametrize("kind", list(SALES))
async def test_screen_and_receipt_rows_come_from_one_reading(engine: SaleEngine, kind: str) -> None:
    entry = await SALES[kind](engine)
    receipt = slip_for(entry, SlipHeader(store_name=""))
    answer = read_receipt(receipt)
    outcome = Outcome("approved", entry, "Approved", 0)

    # The answer on the screen is the receipt read back, by the one function.
    assert widgets.answer_of(outcome) == answer
    details = widgets.outcome_details(outcome)
    for label, value in answer.rows:
        assert value in details and (label is None or label in details)
    assert [code for _, code in widgets.big_codes(outcome)] == [c for _, c in answer.codes]

    # The Journal screen, `till journal show` and `till sell` agree with the receipt.
    _check_agree(entry, receipt, answer)
    shown = format_entry(entry)
    for label, value in product_rows(entry):
        assert f"{label.ljust(15)} {value}" in shown
    assert kind_label(entry.kind) in shown


async def test_a_cancelled_cash_out_pin_is_nowhere(engine: SaleEngine) -> None:
    entry = await _cash_out_cancel(engine)
    assert entry.response is not None
    pin = group_digits(str(entry.response["voucher"]["pin"]))
    answer = read_receipt(slip_for(entry, SlipHeader(store_name="")))
    assert not answer.codes
    assert all(pin not in value for _, value in product_rows(entry))


def test_the_slips_and_the_screens_use_the_words_functions() -> None:
    """Not copies: the very functions of `till.words`."""
    same = {
        (slip_module, "display_mobile"): till.words.display_mobile,
        (slip_module, "expiry_date"): rows_module.expiry_date,
        (slip_module, "units_text"): rows_module.units_text,
        (slip_module, "money"): rows_module.money,
        (slip_module, "keying_order"): rows_module.keying_order,
        (widgets, "read_receipt"): till.words.read_receipt,
        (widgets, "in_doubt_advice"): till.words.in_doubt_advice,
        (widgets, "status_label"): till.words.status_label,
        (widgets, "kind_label"): till.words.kind_label,
    }
    for (module, name), function in same.items():
        assert getattr(module, name) is function, f"{module.__name__}.{name}"


def test_mobile_numbers_read_as_the_customer_knows_them() -> None:
    assert display_mobile("27821234567") == "082 123 4567"
    assert display_mobile("+27831234567") == "083 123 4567"
    assert display_mobile("0611234567") == "061 123 4567"
    assert display_mobile("12345") == "12345" and display_mobile(None) == ""


def test_every_kind_has_a_label_and_its_own_in_doubt_advice() -> None:
    assert "cash" in in_doubt_advice("1voucher.redeem")
    assert "PIN" not in in_doubt_advice("cellular.pinless.purchase")
    for kind in till.words.IN_DOUBT_ADVICE:
        assert kind in till.words.KIND_LABELS


async def test_unreadable_answers_give_no_rows(engine: SaleEngine) -> None:
    """A journaled answer that does not fit its model shows nothing rather than guesses."""
    entry = await approved(engine.sell_1voucher(5000))
    broken = dataclasses.replace(entry, response_json='{"voucher": "not an object"}')
    assert product_rows(broken) == []


async def test_an_expiry_late_in_the_utc_day_is_the_receipts_date(engine: SaleEngine) -> None:
    """Flash's expiry is a UTC time; the receipt prints its date in the till's zone, and so do
    the Journal screen and the commands (they once cut the text at 10 characters: a day early
    for two hours every night)."""
    entry = await approved(engine.sell_1voucher(5000))
    response = dict(entry.response or {})
    response["voucher"] = {**response["voucher"], "expiryDate": "2027-03-31T23:30:00+00:00"}
    late = dataclasses.replace(entry, response_json=json.dumps(response))
    printed = _receipt_rows(read_receipt(slip_for(late, SlipHeader(store_name=""))))
    shown = dict(product_rows(late))
    assert shown["expires"] == printed["Expires"] == "2027-04-01"


async def test_tokens_show_in_the_order_the_receipt_prints_them(engine: SaleEngine) -> None:
    """Free basic electricity after the paid credit, whatever order Flash listed them in."""
    entry = await approved(engine.vend_utility(KEY_CHANGE_METER, 20_000))
    response = dict(entry.response or {})
    fbe = {
        "token": "1" * 20,
        "tokenDescription": "Free Basic Electricity",
        "units": {"quantity": 50, "unitType": "kWh"},
    }
    response["tokens"] = [fbe, *response["tokens"]]
    mixed = dataclasses.replace(entry, response_json=json.dumps(response))
    answer = read_receipt(slip_for(mixed, SlipHeader(store_name="")))
    shown = [value for label, value in product_rows(mixed) if label.startswith("token ")]
    assert [value.partition("  ")[0] for value in shown] == [code for _, code in answer.codes]
    assert shown[-1].endswith("FREE BASIC 50 kWh")
    _check_agree(mixed, slip_for(mixed, SlipHeader(store_name="")), answer)
