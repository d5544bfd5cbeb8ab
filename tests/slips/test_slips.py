"""Every slip built from a real sandbox sale: sold through the engine, settled in a journal, then
laid out as ESC/POS bytes (python-escpos Dummy) and as text at 32, 42 and 48 columns."""

from __future__ import annotations

import dataclasses
import json
import re
import textwrap
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from receipts import BigCode, Cut, Document, Paragraph, render_bytes, render_text
from tests.receipts.escpos_bytes import (
    DOUBLE_WIDTH_AND_HEIGHT,
    barcodes,
    hardware_barcodes,
    print_modes,
    printable_dots,
)
from tests.support import sandbox_client
from till.clock import now_ms
from till.digits import format_sts_token, group_digits
from till.journal import Entry, Journal, NewEntry
from till.money import format_rands
from till.sales import Backoff, SaleEngine
from till.sandbox import Fault, Sandbox
from till.slips import SlipHeader, in_doubt_slip, slip_for
from till.slips.slip import TRAINING_MARK, TRAINING_NOTE, sa_time

HEADER = SlipHeader(
    store_name="Spaza Corner Café",
    address_lines=("12 Vilakazi Street", "Orlando West, Soweto"),
    vat_number="4123456789",
    terminal_id="T1",
)
WIDTHS = (32, 42, 48)
INIT = b"\x1b@"
CUT = b"\x1dV"  # GS V: python-escpos's cut
BARCODE = b"\x1dk"  # GS k: a hardware barcode
PIN_16 = re.compile(r"\d{4} \d{4} \d{4} \d{4}")
PIN_12 = re.compile(r"\b\d{4} \d{4} \d{4}\b")

NORMAL_METER = "04040404040"
KEY_CHANGE_METER = "04141414141"
FBE_METER = "04242424242"
ARREARS_METER = "04343434343"
WATER_METER = "07070707070"


# -- a real engine on a real journal, against the in-process sandbox ---------------------------


async def _engine(sandbox: Sandbox, journal: Journal, **kwargs: Any) -> AsyncIterator[SaleEngine]:
    async with sandbox_client(sandbox) as client:
        yield SaleEngine(
            journal,
            client,
            store_id="S1",
            terminal_id="T1",
            cashier="Thandi",
            backoff=Backoff(base_ms=1, cap_ms=1),
            **kwargs,
        )


@pytest.fixture
async def engine(sandbox: Sandbox, journal: Journal) -> AsyncIterator[SaleEngine]:
    async for made in _engine(sandbox, journal):
        yield made


@pytest.fixture(params=["v4", "rev3"])
async def utility_engine(
    request: pytest.FixtureRequest, journal: Journal
) -> AsyncIterator[SaleEngine]:
    """An engine whose sandbox answers utility purchases in one of the two documented shapes."""
    async for made in _engine(Sandbox(seed=99, utility_shape=request.param), journal):
        yield made


async def approved(sale: Awaitable[Any]) -> Entry:
    outcome = await sale
    assert outcome.status == "approved", outcome.message
    entry: Entry = outcome.entry
    assert entry.state == "approved"
    return entry


def pin(entry: Entry) -> str:
    assert entry.response is not None
    return str(entry.response["voucher"]["pin"])


def tokens(entry: Entry) -> list[str]:
    assert entry.response is not None
    return [str(t["token"]) for t in entry.response["tokens"]]


def text_of(document: Document, width: int = 42) -> str:
    return render_text(document, width)


def check_bytes(document: Document, *must: str, never: tuple[str, ...] = ()) -> bytes:
    """ESC/POS bytes start with ESC @, contain every `must`, none of `never`, and end cut."""
    data = render_bytes(document, "default")
    assert data.startswith(INIT)
    for text in must:
        assert text.encode("ascii") in data, text
    for text in never:
        assert text.encode("ascii") not in data, text
    assert CUT in data and len(data) - data.rindex(CUT) <= 4, data[-16:]
    assert isinstance(document.blocks[-1], Cut)
    return data


def check_widths(document: Document) -> None:
    for width in WIDTHS:
        for line in render_text(document, width).split("\n"):
            assert len(line) <= width, (width, line)


# -- every kind: the code the customer needs, the amount, the reference, then a cut -------------

Sell = Callable[[SaleEngine], Awaitable[Entry]]


async def _redeem_partial(engine: SaleEngine) -> Entry:
    """R40 off a fresh R100 1Voucher: R60 change."""
    sold = await approved(engine.sell_1voucher(10_000))
    return await approved(engine.redeem_1voucher(pin(sold), 4000))


async def _refund(engine: SaleEngine) -> Entry:
    redemption = await _redeem_partial(engine)
    return await approved(engine.refund_1voucher(redemption.reference, 2500))


async def _cash_out(engine: SaleEngine) -> Entry:
    return await approved(engine.sell_cash_out_pin(300, 20_000))


async def _cash_out_cancel(engine: SaleEngine) -> Entry:
    bought = await _cash_out(engine)
    return await approved(engine.cancel_cash_out_pin(bought.reference))


async def _cash_out_lookup(engine: SaleEngine) -> Entry:
    bought = await _cash_out(engine)
    assert bought.serial_number
    return await approved(engine.lookup_cash_out_pin(bought.serial_number, 300))


# name: (sale, amount shown, the code that must print big, whether its barcode prints)
VOUCHER_KINDS: dict[str, tuple[Sell, int, bool]] = {
    "1voucher.purchase": (lambda e: approved(e.sell_1voucher(5000)), 5000, True),
    "1voucher.disburse": (lambda e: approved(e.disburse_1voucher(2000)), 2000, True),
    "1voucher.redeem": (_redeem_partial, 4000, True),
    "1voucher.refund": (_refund, 2500, True),
    "gift-voucher.purchase": (lambda e: approved(e.sell_gift_voucher(200, 10_000)), 10_000, True),
    "cash-out-pin.purchase": (_cash_out, 20_000, False),
    "eezi-voucher.purchase": (lambda e: approved(e.sell_eezi_voucher(500, 1000)), 1000, False),
}


@pytest.mark.parametrize("kind", list(VOUCHER_KINDS))
async def test_voucher_slips_show_pin_amount_reference(engine: SaleEngine, kind: str) -> None:
    sell, amount, scannable = VOUCHER_KINDS[kind]
    entry = await sell(engine)
    assert entry.kind == kind
    grouped = group_digits(pin(entry))
    document = slip_for(entry, HEADER)
    data = check_bytes(document, grouped, format_rands(amount), entry.reference)
    assert entry.serial_number and entry.serial_number.encode() in data
    assert (BARCODE in data) is scannable
    assert entry.response is not None
    flash_ref = str(entry.response["transactionId"])
    text = text_of(document)
    assert flash_ref in text and "Thandi" in text and "T1" in text
    assert sa_time(entry.created_at) in text
    instructions = entry.response["voucher"]["content"]["redemptionInstructions"]
    assert " ".join(text.split()).count(" ".join(instructions.split())) >= 1
    assert next(b for b in document.blocks if isinstance(b, BigCode)).code == grouped
    check_widths(document)


async def test_1voucher_barcode_is_the_pin_and_gift_barcode_is_flashs(engine: SaleEngine) -> None:
    one = await approved(engine.sell_1voucher(5000))
    assert [b.text for b in barcodes(render_bytes(slip_for(one, HEADER)))] == [pin(one)]
    assert f"|\n{' ' * 13}{pin(one)}\n" in text_of(slip_for(one, HEADER))  # bars, then digits
    gift = await approved(engine.sell_gift_voucher(200, 10_000))
    assert gift.response is not None
    code = gift.response["voucher"]["barcode"]
    assert [b.text for b in barcodes(render_bytes(slip_for(gift, HEADER)))] == [code]
    assert f"|\n{code.center(42).rstrip()}\n" in text_of(slip_for(gift, HEADER))


async def test_cash_out_cancel_shows_cancelled_and_never_the_pin(engine: SaleEngine) -> None:
    entry = await _cash_out_cancel(engine)
    document = slip_for(entry, HEADER)
    check_bytes(
        document,
        "CANCELLED",
        format_rands(20_000),
        entry.reference,
        str(entry.serial_number),
        never=(pin(entry), group_digits(pin(entry))),
    )
    assert f"Cancels sale {entry.related_reference}" in text_of(document)
    assert "Amount returned" in text_of(document)
    check_widths(document)


async def test_cash_out_lookup_shows_status_not_pin(engine: SaleEngine) -> None:
    entry = await _cash_out_lookup(engine)
    document = slip_for(entry, HEADER)
    check_bytes(
        document,
        "Active",
        format_rands(20_000),
        entry.reference,
        str(entry.serial_number),
        never=(pin(entry), group_digits(pin(entry))),
    )
    check_widths(document)


async def test_pinless_airtime(engine: SaleEngine) -> None:
    entry = await approved(engine.sell_airtime(400, "082 123 4567", 2900))
    document = slip_for(entry, HEADER)
    check_bytes(document, "Vodacom", "082 123 4567", format_rands(2900), entry.reference, "082111")
    assert "AIRTIME" in text_of(document) and "27821234567" not in text_of(document)
    check_widths(document)


async def test_meter_lookup(engine: SaleEngine) -> None:
    entry = await approved(engine.lookup_meter(ARREARS_METER, 20_000))
    document = slip_for(entry, HEADER)
    check_bytes(
        document,
        ARREARS_METER,
        "Johan van Wyk",
        "3 Kerk St, Brakpan",
        "City Power Johannesburg",
        format_rands(1000),  # minimum vend
        format_rands(500_000),  # maximum vend
        format_rands(15_000),  # arrears
        entry.reference,
    )
    assert "no token" in text_of(document)
    check_widths(document)


# -- prepaid electricity and water, both response shapes ----------------------------------------


async def test_utility_purchase_both_shapes(utility_engine: SaleEngine) -> None:
    entry = await approved(utility_engine.vend_utility(NORMAL_METER, 11_500))
    [token] = tokens(entry)
    document = slip_for(entry, HEADER)
    check_bytes(
        document,
        format_sts_token(token),
        format_rands(11_500),
        entry.reference,
        NORMAL_METER,
        "Thabo Mokoena",
        "12 Vilakazi St, Orlando West",
        "City Power Johannesburg",
        "4470101234",
        format_rands(1500),  # VAT
        "40 kWh",
        "Domestic Prepaid",
    )
    text = text_of(document)
    assert "PREPAID ELECTRICITY" in text and "Token 1 of 1" in text
    check_widths(document)


async def test_key_change_tokens_first_and_numbered(utility_engine: SaleEngine) -> None:
    entry = await approved(utility_engine.vend_utility(KEY_CHANGE_METER, 20_000))
    assert entry.response is not None
    described = [
        (t["token"], "key change" in str(t.get("tokenDescription", "")).lower())
        for t in entry.response["tokens"]
    ]
    expected = [t for t, kc in described if kc] + [t for t, kc in described if not kc]
    assert sum(kc for _, kc in described) == 2
    document = slip_for(entry, HEADER)
    codes = [b for b in document.blocks if isinstance(b, BigCode)]
    assert [c.code for c in codes] == [format_sts_token(t) for t in expected]
    assert [c.caption for c in codes] == [
        "Token 1 of 3 - key change",
        "Token 2 of 3 - key change",
        "Token 3 of 3 - credit",
    ]
    text = text_of(document)
    instruction = text.index("Enter these key change tokens first")
    positions = [text.index(format_sts_token(t)) for t in expected]
    assert instruction < positions[0] < positions[1] < positions[2]
    assert "Token 1 of 3" in text
    check_bytes(document, *(format_sts_token(t) for t in expected), format_rands(20_000))
    check_widths(document)


async def test_free_basic_electricity_token_on_its_own(utility_engine: SaleEngine) -> None:
    entry = await approved(utility_engine.vend_utility(FBE_METER, 0, fbe=True))
    [token] = tokens(entry)
    document = slip_for(entry, HEADER)
    [code] = [b for b in document.blocks if isinstance(b, BigCode)]
    assert code.code == format_sts_token(token)
    assert code.caption is not None and "free basic electricity" in code.caption.lower()
    text = text_of(document)
    assert "FREE BASIC ELECTRICITY" in text and "Token 1 of" not in text
    check_bytes(document, format_sts_token(token), entry.reference)
    check_widths(document)


async def test_arrears_deduction_shown(utility_engine: SaleEngine) -> None:
    entry = await approved(utility_engine.vend_utility(ARREARS_METER, 20_000))
    document = slip_for(entry, HEADER)
    text = text_of(document)
    assert re.search(r"Less Arrears recovered +-R 50\.00", text)
    check_bytes(document, format_sts_token(tokens(entry)[0]), format_rands(20_000))
    check_widths(document)


async def test_water(utility_engine: SaleEngine) -> None:
    entry = await approved(utility_engine.vend_utility(WATER_METER, 20_000))
    document = slip_for(entry, HEADER)
    text = text_of(document)
    assert "PREPAID WATER" in text and "Johannesburg Water" in text and "kL" in text
    check_bytes(document, format_sts_token(tokens(entry)[0]), format_rands(20_000))
    check_widths(document)


# -- redemptions and refunds --------------------------------------------------------------------


async def test_partial_redemption_shows_change_pin(engine: SaleEngine) -> None:
    entry = await _redeem_partial(engine)
    text = text_of(slip_for(entry, HEADER))
    assert "CHANGE VOUCHER" in text and group_digits(pin(entry)) in text
    assert format_rands(4000) in text and format_rands(6000) in text  # redeemed, change


async def test_partial_redemption_by_sms_has_no_pin(engine: SaleEngine) -> None:
    entry = await approved(
        engine.redeem_1voucher("1212121212121212", 5000, mobile_number="0821234567")
    )
    document = slip_for(entry, HEADER)
    text = " ".join(text_of(document, 32).split())
    assert "sent by SMS to 082 123 4567" in text
    assert not PIN_16.search(text_of(document)) and BARCODE not in render_bytes(document)


async def test_full_redemption_has_no_change(engine: SaleEngine) -> None:
    entry = await approved(engine.redeem_1voucher("5000500050005000", 0))
    document = slip_for(entry, HEADER)
    text = text_of(document)
    assert "no change" in text and "CHANGE VOUCHER" not in text
    assert not PIN_16.search(text)
    check_bytes(document, format_rands(50_000), entry.reference)


async def test_refund_by_sms_shows_no_pin(engine: SaleEngine) -> None:
    redemption = await _redeem_partial(engine)
    entry = await approved(
        engine.refund_1voucher(redemption.reference, 1000, mobile_number="0821234567")
    )
    document = slip_for(entry, HEADER)
    text = text_of(document)
    assert f"Refund of {redemption.reference}" in text
    assert "sent by SMS to 082 123 4567" in " ".join(text.split())
    assert not PIN_16.search(text)
    check_bytes(document, format_rands(1000), entry.reference)


async def test_refund_with_pin(engine: SaleEngine) -> None:
    entry = await _refund(engine)
    text = text_of(slip_for(entry, HEADER))
    assert f"Refund of {entry.related_reference}" in text and group_digits(pin(entry)) in text


# -- declined, in doubt, copies, training --------------------------------------------------------


async def test_declined_slip(engine: SaleEngine) -> None:
    outcome = await engine.redeem_1voucher("2401240124012401", 0)
    assert outcome.status == "declined"
    document = slip_for(outcome.entry, HEADER)
    text = " ".join(text_of(document).split())
    assert "DECLINED" in text and "2401" in text and "already been used" in text
    assert "1VOUCHER REDEMPTION" in text and not PIN_16.search(text)
    check_bytes(document, outcome.reference, "DECLINED")
    check_widths(document)


@pytest.mark.parametrize(
    ("kind", "instruction"),
    [
        ("1voucher.purchase", "Do not pay again"),
        ("cellular.pinless.purchase", "Do not pay again"),
        ("prepaid-utilities.purchase", "Do not pay again"),
        ("1voucher.disburse", "Do not pay out again"),
        ("1voucher.redeem", "Do not redeem the PIN again"),
        ("1voucher.refund", "Do not refund again"),
        ("cash-out-pin.cancel", "Do not cancel the PIN again"),
        ("1voucher.reverse", "Do not void again"),
    ],
)
def test_an_in_doubt_slip_says_what_not_to_do_again_for_its_kind(
    journal: Journal, kind: str, instruction: str
) -> None:
    """A redemption or a refund in doubt must not tell anyone not to "pay again"."""
    new = NewEntry(
        kind=kind,
        build_request=lambda ref: json.dumps({"reference": ref}).encode(),
        store_id="S1",
        terminal_id="T1",
        amount=5000,
    )
    entry = journal.add(new, now=now_ms())
    text = text_of(in_doubt_slip(entry, HEADER))
    assert "NOT YET CONFIRMED" in text and instruction in text
    if instruction != "Do not pay again":
        assert "pay again" not in text


async def test_in_doubt_slip(engine: SaleEngine, sandbox: Sandbox, journal: Journal) -> None:
    sandbox.faults.inject(Fault("drop"))
    outcome = await engine.sell_1voucher(5000)
    assert outcome.status == "in_doubt"
    entry = outcome.entry
    for document in (in_doubt_slip(entry, HEADER), slip_for(entry, HEADER)):
        text = text_of(document)
        flat = " ".join(text.split())
        assert "NOT YET CONFIRMED" in text and "Do not pay again" in text
        assert "Keep this slip" in flat and "Spaza Corner Café" in flat
        assert format_rands(5000) in text and sa_time(entry.created_at) in text
        reference = [b for b in document.blocks if isinstance(b, BigCode)]
        assert [b.code for b in reference] == [entry.reference]
        assert not PIN_16.search(text)
        issued = [sale.pin for sale in sandbox.sales_for(entry.reference)]
        check_bytes(document, entry.reference, never=tuple(p for p in issued if p))
        check_widths(document)


async def test_in_doubt_utility_promises_a_token(engine: SaleEngine, sandbox: Sandbox) -> None:
    sandbox.faults.inject(Fault("error_503"))
    outcome = await engine.vend_utility(NORMAL_METER, 5000)
    assert outcome.status == "in_doubt"
    flat = " ".join(text_of(in_doubt_slip(outcome.entry, HEADER)).split())
    assert "collect your token" in flat and NORMAL_METER in flat


def _lines(document: Document, width: int = 42) -> list[str]:
    return [line.strip() for line in render_text(document, width).split("\n") if line.strip()]


async def test_copy_marked_top_and_bottom(engine: SaleEngine) -> None:
    entry = await approved(engine.sell_1voucher(5000))
    document = slip_for(entry, HEADER, copy=2)
    lines = _lines(document)
    assert lines[0] == "COPY 2"
    assert lines.count("COPY 2") == 2
    assert lines.index("COPY 2", 1) > lines.index(group_digits(pin(entry)))
    assert lines[-2] == "COPY 2"  # then only the cut line
    assert render_bytes(document).count(b"COPY 2") == 2
    assert "COPY" not in render_text(slip_for(entry, HEADER))
    with pytest.raises(ValueError):
        slip_for(entry, HEADER, copy=-1)


async def test_training_marked_top_and_bottom(journal: Journal, sandbox: Sandbox) -> None:
    async for engine in _engine(sandbox, journal, training=True):
        entry = await approved(engine.sell_1voucher(5000))
    assert entry.training
    document = slip_for(entry, HEADER, copy=1)
    lines = _lines(document, 32)
    assert lines[:3] == [TRAINING_MARK, TRAINING_NOTE, "COPY 1"]
    assert lines.count(TRAINING_MARK) == 2 and lines[-4:-2] == [TRAINING_MARK, TRAINING_NOTE]
    assert print_modes(render_bytes(document), TRAINING_MARK) == [DOUBLE_WIDTH_AND_HEIGHT] * 2
    # the argument wins over the entry, both ways
    assert TRAINING_NOTE not in render_text(slip_for(entry, HEADER, training=False))
    plain = dataclasses.replace(entry, training=False)
    assert TRAINING_NOTE not in render_text(slip_for(plain, HEADER))
    assert _lines(slip_for(plain, HEADER, training=True))[0] == TRAINING_MARK
    assert _lines(in_doubt_slip(entry, HEADER))[0] == TRAINING_MARK


# -- layout: never wider than the paper, words kept whole ----------------------------------------


async def test_every_slip_fits_every_width(engine: SaleEngine) -> None:
    entries = [await sell(engine) for sell, _, _ in VOUCHER_KINDS.values()]
    entries += [
        await _cash_out_cancel(engine),
        await _cash_out_lookup(engine),
        await approved(engine.sell_airtime(401, "0831234567", 1000)),
        await approved(engine.lookup_meter(NORMAL_METER, 5000)),
        await approved(engine.vend_utility(KEY_CHANGE_METER, 5000)),
    ]
    for entry in entries:
        for document in (
            slip_for(entry, HEADER, copy=3, training=True),
            in_doubt_slip(entry, HEADER),
        ):
            check_widths(document)


async def test_long_instructions_wrap_at_word_boundaries(engine: SaleEngine) -> None:
    entry = await approved(engine.sell_1voucher(5000))
    assert entry.response is not None
    long_text = " ".join(["Redeem this voucher at any participating 1Voucher merchant"] * 6)
    response = dict(entry.response)
    response["voucher"] = {
        **response["voucher"],
        "content": {"redemptionInstructions": long_text, "termsAndConditions": "Terms apply."},
    }
    document = slip_for(dataclasses.replace(entry, response_json=json.dumps(response)), HEADER)
    [paragraph] = [b for b in document.blocks if isinstance(b, Paragraph) and b.text == long_text]
    for width in WIDTHS:
        lines = render_text(Document.of(paragraph), width).rstrip("\n").split("\n")
        assert len(lines) > 1
        assert all(len(line) <= width for line in lines)
        assert lines == textwrap.wrap(long_text, width)  # every line ends at a word boundary
        assert " ".join(lines).split() == long_text.split()  # no word split


async def test_store_header(engine: SaleEngine) -> None:
    entry = await approved(engine.sell_1voucher(5000))
    document = slip_for(entry, HEADER)
    lines = _lines(document)
    assert lines[:4] == [
        "Spaza Corner Café",
        "12 Vilakazi Street",
        "Orlando West, Soweto",
        "VAT No 4123456789",
    ]
    bare = slip_for(entry, SlipHeader("Shop"))
    assert "VAT No" not in render_text(bare)


def test_sa_time_is_utc_plus_two_without_tzdata() -> None:
    assert sa_time(0) == "1970-01-01 02:00:00"
    assert sa_time(1_767_225_599_000) == "2026-01-01 01:59:59"  # 23:59:59 UTC on 31 Dec


async def test_unreadable_response_still_names_the_sale(engine: SaleEngine) -> None:
    entry = await approved(engine.sell_1voucher(5000))
    garbled = dataclasses.replace(entry, response_json=json.dumps({"responseCode": "not a number"}))
    document = slip_for(garbled, HEADER)
    text = " ".join(text_of(document).split())
    assert "1VOUCHER" in text and format_rands(5000) in text and "journal" in text
    check_bytes(document, entry.reference, never=(group_digits(pin(entry)),))


# -- on paper: barcodes that fit, product names, mobile numbers, units, marks nobody misses ------

#: 80 mm (576 dots; "default" knows no width: 12 dots a column) and 58 mm (384 dots), with and
#: without hardware barcodes.
PROFILES = ("default", "TM-T20II", "TM-T88V", "Sunmi-V2", "POS-5890")


async def _barcoded(engine: SaleEngine) -> dict[str, Document]:
    """Every slip that carries a barcode: 1Voucher purchase, disbursement, change voucher,
    refund voucher, gift voucher, a reprint and a training copy."""
    bought = await approved(engine.sell_1voucher(5000))
    slips = {
        "purchase": slip_for(bought, HEADER),
        "disburse": slip_for(await approved(engine.disburse_1voucher(2000)), HEADER),
        "change": slip_for(await _redeem_partial(engine), HEADER),
        "refund": slip_for(await _refund(engine), HEADER),
        "gift": slip_for(await approved(engine.sell_gift_voucher(200, 10_000)), HEADER),
        "reprint": slip_for(bought, HEADER, copy=3),
        "training": slip_for(bought, HEADER, copy=1, training=True),
    }
    return slips


async def test_every_barcode_fits_the_paper_it_prints_on(engine: SaleEngine) -> None:
    """The 1Voucher PIN's barcode was 633 dots wide on a 576-dot printer: its stop pattern cut."""
    from receipts.escpos import profile_media

    widths: dict[tuple[str, str], int | None] = {}
    for name, document in (await _barcoded(engine)).items():
        for profile in PROFILES:
            data = render_bytes(document, profile)
            media = profile_media(profile)
            printed = barcodes(data)
            preview = render_text(document, media.columns, media)
            bars = [line for line in preview.splitlines() if line.strip().startswith("|")]
            assert len(bars) == len(printed)  # the preview shows what the printer gets
            if not hardware_barcodes(profile):
                assert printed == [], (name, profile)
                widths[(name, profile)] = None
                continue
            [barcode] = printed
            assert barcode.footprint <= printable_dots(profile), (name, profile, barcode)
            widths[(name, profile)] = barcode.dots
    # a 1Voucher PIN: 123 modules in set C, 3 dots each on 80 mm, 2 on 58 mm
    assert widths[("purchase", "TM-T20II")] == widths[("purchase", "default")] == 369
    assert widths[("refund", "Sunmi-V2")] == widths[("change", "Sunmi-V2")] == 246
    assert widths[("gift", "TM-T20II")] == 123 * 3  # 13 digits: 6 pairs, a switch, 1 digit
    assert all(widths[(name, "POS-5890")] is None for name in ("purchase", "training"))


async def test_a_printer_without_barcodes_gets_no_digits_in_place_of_one(
    engine: SaleEngine,
) -> None:
    """On POS-5890 the printer got the PIN again as plain digits while the preview showed bars."""
    from receipts.escpos import profile_media

    entry = await approved(engine.sell_1voucher(5000))
    document = slip_for(entry, HEADER)
    data = render_bytes(document, "POS-5890")
    assert pin(entry).encode() not in data and group_digits(pin(entry)).encode() in data
    preview = render_text(document, 32, profile_media("POS-5890"))
    assert pin(entry) not in preview and "|||" not in preview
    assert group_digits(pin(entry)) in preview  # the PIN itself still prints big


async def test_products_are_named_as_the_catalog_names_them(
    engine: SaleEngine, sandbox: Sandbox, tmp_path: Path
) -> None:
    from till.slips.slip import catalog_names
    from till.tui.catalog import sale_items, save_catalog

    products = await engine.client.list_products()
    save_catalog(tmp_path / "catalog.json", sale_items(products))
    names = catalog_names((tmp_path / "catalog.json").read_text(encoding="utf-8"))
    assert names[200] == "Takealot Gift Voucher"
    header = dataclasses.replace(HEADER, products=names)
    gift = await approved(engine.sell_gift_voucher(200, 10_000))
    text = text_of(slip_for(gift, header))
    assert re.search(r"Product +Takealot Gift Voucher\n", text)
    assert "Gift voucher (200)" not in text
    assert "Takealot Gift Voucher" in render_bytes(slip_for(gift, header)).decode("latin-1")
    # without a catalog (or a code it does not hold) the kind and code, as before
    assert "Gift voucher (200)" in text_of(slip_for(gift, HEADER))
    # Flash's text is made safe and bounded before it reaches paper
    hostile = dataclasses.replace(HEADER, products={200: "Evil\x1b[2J\nName " + "x" * 200})
    row = next(line for line in text_of(slip_for(gift, hostile), 48).splitlines() if "Evil" in line)
    assert "\x1b" not in row and len(row) <= 48
    assert catalog_names("") == {} and catalog_names(b"{not json") == {}
    assert catalog_names('{"code": 200}') == {}
    assert catalog_names('[{"code": "200", "name": 5}, 7, {"code": 201}, {"code": true}]') == {}


def test_catalog_names_read_what_the_sell_screen_saves(tmp_path: Path) -> None:
    from till.slips.slip import catalog_names
    from till.tui.catalog import SaleItem, save_catalog

    save_catalog(tmp_path / "c.json", [SaleItem("airtime", 401, "MTN Pinless Airtime", 1, 2)])
    data = (tmp_path / "c.json").read_bytes()
    assert catalog_names(data) == {401: "MTN Pinless Airtime"}


@pytest.mark.parametrize(
    ("number", "shown"),
    [
        ("27821234567", "082 123 4567"),
        ("0831234567", "083 123 4567"),
        (" 27611234567 ", "061 123 4567"),
        ("+27831234567", "083 123 4567"),
        ("12345", "12345"),
        (None, ""),
    ],
)
def test_mobile_numbers_print_as_the_customer_knows_them(number: str | None, shown: str) -> None:
    from till.slips import display_mobile

    assert display_mobile(number) == shown


async def test_in_doubt_airtime_shows_the_mobile_as_typed(
    engine: SaleEngine, sandbox: Sandbox
) -> None:
    sandbox.faults.inject(Fault("drop"))
    outcome = await engine.sell_airtime(400, "+27 82 123 4567", 2900)
    assert outcome.status == "in_doubt"
    text = text_of(in_doubt_slip(outcome.entry, HEADER))
    assert re.search(r"Mobile +082 123 4567\n", text) and "27821234567" not in text


async def test_free_basic_electricity_slip_has_its_units_row(utility_engine: SaleEngine) -> None:
    entry = await approved(utility_engine.vend_utility(FBE_METER, 0, fbe=True))
    text = text_of(slip_for(entry, HEADER))
    assert re.search(r"\nUnits +50 kWh\n", text), text
    assert "Free units" not in text  # the same 50 kWh, not twice
    data = render_bytes(slip_for(entry, HEADER))
    assert re.search(rb"Units +50 kWh\n", data)


async def test_copy_and_training_marks_print_double_width_and_height(
    journal: Journal, sandbox: Sandbox
) -> None:
    async for engine in _engine(sandbox, journal, training=True):
        entry = await approved(engine.sell_1voucher(5000))
    document = slip_for(entry, HEADER, copy=2)
    for profile in PROFILES:
        data = render_bytes(document, profile)
        assert print_modes(data, "COPY 2") == [DOUBLE_WIDTH_AND_HEIGHT] * 2, profile
        assert print_modes(data, TRAINING_MARK) == [DOUBLE_WIDTH_AND_HEIGHT] * 2, profile
    for width in WIDTHS:  # a double-width line holds half the characters: so does the preview
        lines = _lines(document, width)
        assert lines[0] == TRAINING_MARK and lines[2] == "COPY 2"
        assert all(len(line) <= width // 2 for line in (lines[0], lines[2]))
