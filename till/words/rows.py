"""What the customer got, read from Flash's answer with the typed response models.

One reading for every place that shows it: the receipt (`till.slips`), the answer on a screen
(read back from that receipt by `read_receipt`), the Journal and In doubt screens and the
commands (`product_rows`). Values come from the same helpers the receipt prints with (dates in
the till's zone, tokens in keying order, units as the receipt writes them), so the screen, the
command line and the paper cannot disagree. The Flash models load on first use, not on import.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from till.clock import to_local
from till.digits import format_sts_token, group_digits
from till.money import format_rands
from till.words.labels import display_mobile
from till.words.void import VOID_KINDS, void_reason

if TYPE_CHECKING:
    from receipts import Document
    from till.flash.models import (
        FlashResponse,
        MeterInfo,
        PinlessResponse,
        UtilityLookupResponse,
        UtilityPurchaseResponse,
        UtilityToken,
        Voucher,
        VoucherResponse,
    )
    from till.journal import Entry
    from till.outcome import Outcome

#: Number as the response models hold it (int when whole, Decimal, or the text as sent).
Number = int | Decimal | str

Rows = list[tuple[str, str]]


# -- values, as the receipt prints them --------------------------------------------------------


def text_or_none(value: object) -> str | None:
    return None if value is None or value == "" else str(value)


def number(value: Number | None) -> int | Decimal | None:
    """A number Flash sent as a number or as text; None when it is neither."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | Decimal):
        return value
    try:
        parsed = Decimal(value.strip())
    except ArithmeticError:
        return None
    return parsed if parsed.is_finite() else None  # "NaN" and "Infinity" are not amounts


def money(value: Number | None) -> str | None:
    """Cents as 'R 12.50'; a value that is not whole cents is shown as Flash sent it."""
    amount = number(value)
    if amount is None:
        return text_or_none(value)
    if isinstance(amount, Decimal):
        if amount != amount.to_integral_value():
            return str(value)
        amount = int(amount)
    return format_rands(amount)


def quantity(value: Number | None) -> str | None:
    """Units as the receipt writes them: '12.5', never '12.50000'."""
    amount = number(value)
    if isinstance(amount, Decimal):
        return format(amount.normalize(), "f")
    return text_or_none(value)


def total(values: Iterable[Number | None]) -> int | Decimal | None:
    numbers = [n for n in (number(v) for v in values) if n is not None]
    if not numbers:
        return None
    result: int | Decimal = 0
    for item in numbers:
        result += item
    return result


def expiry_date(text: str | None) -> str | None:
    """An ISO date-time from Flash as a date in the till's zone; anything else as sent."""
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return text
    return to_local(moment).strftime("%Y-%m-%d")


def units_text(token: UtilityToken) -> str | None:
    """'54.3 kWh': what one token buys."""
    if token.units is None or quantity(token.units.quantity) is None:
        return None
    return f"{quantity(token.units.quantity)} {token.units.unit_type or ''}".strip()


def keying_order(response: UtilityPurchaseResponse) -> list[UtilityToken]:
    """The paid tokens in the order they are keyed in: key change first, then credit."""
    return [t for t in response.key_change_tokens + response.credit_tokens if t.token]


def ordered_tokens(response: dict[str, Any] | UtilityPurchaseResponse) -> list[UtilityToken]:
    """Every token as the receipt prints them: key change, credit, then free basic electricity
    on its own (a meter refuses the credit token until the key change tokens are keyed in)."""
    from pydantic import ValidationError

    from till.flash.models import UtilityPurchaseResponse

    if isinstance(response, dict):
        try:
            response = UtilityPurchaseResponse.model_validate(_answered(response))
        except ValidationError:
            return []
    return keying_order(response) + [t for t in response.fbe_tokens if t.token]


# -- reading Flash's answer --------------------------------------------------------------------


def _answered(response: dict[str, Any]) -> dict[str, Any]:
    """A journaled approval may lack `responseCode`: approved means 0."""
    return {"responseCode": 0, **response}


def read_answer(entry: Entry, response: dict[str, Any] | None = None) -> FlashResponse | None:
    """Flash's answer for `entry` in the model for its kind (tolerant, as the client reads it);
    None when there is no answer or it does not fit the model."""
    from pydantic import ValidationError

    from till.flash import models

    raw = entry.response if response is None else response
    if not isinstance(raw, dict):
        return None
    by_kind: dict[str, type[models.FlashResponse]] = {
        "prepaid-utilities.purchase": models.UtilityPurchaseResponse,
        "prepaid-utilities.lookup": models.UtilityLookupResponse,
        "cellular.pinless.purchase": models.PinlessResponse,
    }
    model = by_kind.get(entry.kind, models.VoucherResponse)
    try:
        return model.model_validate(_answered(raw))
    except ValidationError:
        return None


def outcome_amount(outcome: Outcome) -> int | None:
    """A full redemption is journaled as amount 0; Flash's answer says what it was worth."""
    entry = outcome.entry
    if outcome.status == "approved" and not entry.amount:
        answer = read_answer(entry, outcome.response or {})
        if answer is not None and answer.amount is not None:
            return answer.amount
    return entry.amount


def whole_cents(value: Number | None) -> int | None:
    """An amount in cents Flash sent as a number or digits; None unless it is whole cents."""
    amount = number(value)
    if amount is None or amount != int(amount):
        return None
    return int(amount)


def vend_limits(
    entry: Entry, response: dict[str, Any] | None = None
) -> tuple[int | None, int | None]:
    """A meter lookup's smallest and largest vend in cents, from its typed answer."""
    from till.flash.models import UtilityLookupResponse

    answer = read_answer(entry, response)
    if not isinstance(answer, UtilityLookupResponse) or answer.billing_info is None:
        return None, None
    billing = answer.billing_info
    return whole_cents(billing.minimum_vend_value), whole_cents(billing.maximum_vend_value)


# -- the product part of an approval, for the screens and the commands ------------------------


def _voucher_rows(voucher: Voucher, *, pin_label: str = "PIN") -> Rows:
    rows: Rows = []
    if voucher.pin:
        rows.append((pin_label, group_digits(voucher.pin)))
    if voucher.barcode:
        rows.append(("barcode", voucher.barcode))
    if voucher.serial_number:
        rows.append(("serial", voucher.serial_number))
    expires = expiry_date(voucher.expiry_date)
    if expires:
        rows.append(("expires", expires))
    return rows


def _redemption_rows(response: VoucherResponse) -> Rows:
    """A partial redemption leaves change: a new voucher, on screen or by SMS."""
    voucher = response.voucher
    if voucher is None or (voucher.status or "").lower() == "redeemed":
        if voucher is not None and voucher.amount is not None:
            return [("voucher value", format_rands(voucher.amount))]
        return [("redeemed", "the full value of the voucher")]
    change = format_rands(voucher.amount) if voucher.amount is not None else "?"
    rows: Rows = [("change voucher", change)]
    if voucher.pin:
        return rows + _voucher_rows(voucher, pin_label="change PIN")
    mobile = response.mobile_number
    sms = f"sent by SMS to {display_mobile(mobile)}" if mobile else "not shown by Flash"
    rows.append(("change PIN", sms))
    return rows + _voucher_rows(voucher)


def _airtime_rows(response: PinlessResponse, entry: Entry) -> Rows:
    details = response.recharge_details
    rows: Rows = [("mobile", display_mobile(response.mobile_number or entry.mobile_number) or "-")]
    if details is not None:
        for label, value in (
            ("network", details.recharge_vendor),
            ("recharge", details.recharge_type),
            ("call centre", details.call_centre),
        ):
            if value:
                rows.append((label, value))
    return rows


def _meter_rows(meter: MeterInfo | None, entry: Entry) -> Rows:
    customer = meter.customer_info if meter else None
    utility = meter.utility_info if meter else None
    rows: Rows = []
    if customer and customer.name:
        rows.append(("customer", customer.name))
    if customer and customer.address:
        rows.append(("address", customer.address))
    rows.append(("meter", (meter.meter_number if meter else None) or entry.meter_number or "-"))
    if utility and utility.name:
        rows.append(("utility", utility.name))
    if utility and utility.call_centre:
        rows.append(("call centre", utility.call_centre))
    return rows


def _lookup_rows(response: UtilityLookupResponse, entry: Entry) -> Rows:
    rows = _meter_rows(response.meter_info, entry)
    billing = response.billing_info
    if billing is not None:
        for label, value in (
            ("minimum vend", billing.minimum_vend_value),
            ("maximum vend", billing.maximum_vend_value),
        ):
            shown = money(value)
            if shown:
                rows.append((label, shown))
    if billing is not None and number(billing.arrear_value):
        desc = f" ({billing.arrear_desc})" if billing.arrear_desc else ""
        rows.append(("arrears", f"{money(billing.arrear_value)}{desc}"))
    else:
        rows.append(("arrears", "none"))
    if billing is not None and billing.tariff_name:
        rows.append(("tariff", billing.tariff_name))
    if response.is_fbe is not None:
        rows.append(("free basic", "registered" if response.is_fbe else "not registered"))
    return rows


def _vend_rows(response: UtilityPurchaseResponse, entry: Entry) -> Rows:
    rows = _meter_rows(response.meter_info, entry)
    tokens = ordered_tokens(response)
    for count, token in enumerate(tokens, start=1):
        if token.is_key_change:
            note = "KEY CHANGE: key in first"
        elif token.is_fbe:
            note = f"FREE BASIC {units_text(token) or ''}".rstrip()
        else:
            note = units_text(token) or ""
        grouped = format_sts_token(token.token or "")
        rows.append((f"token {count} of {len(tokens)}", f"{grouped}  {note}".rstrip()))
    debt = response.debt_charge
    if debt is not None and number(debt.value):
        rows.append(("arrears paid", money(debt.value) or ""))
        outstanding = money(debt.outstanding)
        if outstanding:
            rows.append(("arrears left", outstanding))
    return rows


def _voucher_kind_rows(response: VoucherResponse, entry: Entry) -> Rows:
    from till.flash.models import Voucher

    kind = entry.kind
    voucher = response.voucher or Voucher()
    if kind in VOID_KINDS:  # the voided voucher's PIN, if Flash echoes it, is dead: never shown
        rows: Rows = [("voids sale", entry.related_reference or "-")]
        if voucher.serial_number or entry.serial_number:
            rows.append(("serial", voucher.serial_number or entry.serial_number or ""))
        rows.append(("status", voucher.status or "Reversed"))
        reason = void_reason(entry)
        return [*rows, ("reason", reason)] if reason else rows
    if kind == "cash-out-pin.cancel":  # the PIN is dead: never shown
        return [
            ("cancelled", f"serial {voucher.serial_number or entry.serial_number}"),
            ("status", voucher.status or "Cancelled"),
        ]
    if kind == "cash-out-pin.lookup":  # a serial is not enough to see the cash: no PIN here
        voucher = voucher.model_copy(update={"pin": None})
    rows = _voucher_rows(voucher)
    if kind == "1voucher.refund" and not voucher.pin and response.mobile_number:
        rows.insert(0, ("PIN", f"sent by SMS to {display_mobile(response.mobile_number)}"))
    if kind == "cash-out-pin.lookup" and voucher.status:
        rows.append(("status", voucher.status))
    if kind == "cash-out-pin.purchase":
        rows.append(("note", "the customer needs both the PIN and the serial"))
    return rows


def product_rows(entry: Entry, response: dict[str, Any] | None = None) -> Rows:
    """What the customer walks away with (label, value), read with the typed models from
    `response` (by default the entry's journaled answer); nothing when it cannot be read."""
    from till.flash import models

    answer = read_answer(entry, response)
    if isinstance(answer, models.UtilityPurchaseResponse):
        return _vend_rows(answer, entry)
    if isinstance(answer, models.UtilityLookupResponse):
        return _lookup_rows(answer, entry)
    if isinstance(answer, models.PinlessResponse):
        return _airtime_rows(answer, entry)
    if not isinstance(answer, models.VoucherResponse):
        return []
    if entry.kind == "1voucher.redeem":
        return _redemption_rows(answer)
    return _voucher_kind_rows(answer, entry)


# -- the answer on a screen, read back from the receipt ----------------------------------------

#: Receipt header rows the status bar already shows.
_HEADER_SHOWN_ELSEWHERE = frozenset({"Date", "Till", "Cashier"})


@dataclass(frozen=True)
class Answer:
    """What an approved receipt says, for the screen: the codes to draw big (caption, code) in
    the order they are used, and every other row (label, value; no label: a line of its own)."""

    codes: tuple[tuple[str, str], ...] = ()
    rows: tuple[tuple[str | None, str], ...] = ()


def read_receipt(document: Document) -> Answer:
    """The screen's answer from the receipt itself, so the two never disagree: the header's
    rows but date, till and cashier; the body's rows and lines; its big codes, each with the
    line printed under it (a token's units) added to its caption."""
    from receipts import BigCode, Paragraph, Row, Rule, Text

    blocks = document.blocks
    rules = [i for i, block in enumerate(blocks) if isinstance(block, Rule)]
    if len(rules) >= 3:  # banners, store | header rows | body | banners
        header, body = blocks[rules[0] + 1 : rules[1]], blocks[rules[1] + 1 : rules[-1]]
    else:
        header, body = (), blocks
    rows: list[tuple[str | None, str]] = [
        (block.label, block.value)
        for block in header
        if isinstance(block, Row) and block.label not in _HEADER_SHOWN_ELSEWHERE
    ]
    codes: list[tuple[str, str]] = []
    under_code = False
    for block in body:
        if isinstance(block, BigCode):
            codes.append((block.caption or "", block.code))
            under_code = True
            continue
        if under_code and isinstance(block, Text):
            caption, code = codes[-1]
            codes[-1] = (f"{caption}   {block.text}".strip(), code)
            continue
        under_code = False
        if isinstance(block, Row):
            rows.append((block.label, block.value))
        elif isinstance(block, (Text, Paragraph)) and block.text.strip():
            rows.append((None, block.text.strip()))
    return Answer(tuple(codes), tuple(rows))
