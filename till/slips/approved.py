"""What an approved slip says, by kind: a voucher's PIN, serial and terms; airtime loaded onto a
phone; a prepaid utility's meter, money, units and tokens in the order they are keyed in.

Flash's response is parsed with the same tolerant models the client uses, so both shapes of the
prepaid utility purchase (v4 section 3.1.14 and the later revision) print alike.
"""

from __future__ import annotations

from typing import Any

from receipts import Barcode, BigCode, Block, Paragraph, Row, Rule, Text, Title
from till.digits import format_sts_token, group_digits, ungroup
from till.flash.models import (
    FlashResponse,
    MeterInfo,
    PinlessResponse,
    UtilityCharge,
    UtilityLookupResponse,
    UtilityPurchaseResponse,
    Voucher,
    VoucherResponse,
)
from till.journal import Entry
from till.slips import parts
from till.slips.parts import (
    CASH_OUT_PIN_CANCEL,
    CASH_OUT_PIN_LOOKUP,
    CASH_OUT_PIN_PURCHASE,
    EEZI_VOUCHER_PURCHASE,
    GIFT_VOUCHER_PURCHASE,
    ONE_VOUCHER_DISBURSE,
    ONE_VOUCHER_PURCHASE,
    ONE_VOUCHER_REDEEM,
    ONE_VOUCHER_REFUND,
    PINLESS_PURCHASE,
    REVERSALS,
    UTILITY_LOOKUP,
    UTILITY_PURCHASE,
)
from till.words import display_mobile
from till.words.rows import (
    Number,
    expiry_date,
    keying_order,
    money,
    number,
    quantity,
    total,
    units_text,
)
from till.words.void import void_reason


def approved_body(
    entry: Entry, response: dict[str, Any], product: str
) -> tuple[list[Block], str | None]:
    """An approved slip's body for its kind, and Flash's transaction id for the frame; raises
    `ValidationError` when Flash's response cannot be read."""
    kind = entry.kind
    if kind == UTILITY_PURCHASE:
        utility = UtilityPurchaseResponse.model_validate(response)
        return _utility_body(entry, utility), utility.transaction_id
    if kind == UTILITY_LOOKUP:
        lookup = UtilityLookupResponse.model_validate(response)
        return _meter_lookup_body(entry, lookup), lookup.transaction_id
    if kind == PINLESS_PURCHASE:
        pinless = PinlessResponse.model_validate(response)
        return _pinless_body(entry, pinless, product), pinless.transaction_id
    if kind in _VOUCHER_BODIES:
        voucher = VoucherResponse.model_validate(response)
        return _VOUCHER_BODIES[kind](entry, voucher, product), voucher.transaction_id
    parsed = FlashResponse.model_validate(response)
    body: list[Block] = [
        Title(parts.title(entry)),
        *parts.amount_row("Amount", parsed.amount or entry.amount),
    ]
    return body, parsed.transaction_id


def _sale_amount(
    entry: Entry, response: FlashResponse, voucher: Voucher | None = None
) -> int | None:
    """What the customer paid: Flash's amount, else the voucher's, else what the till asked."""
    for value in (response.amount, voucher.amount if voucher else None, entry.amount):
        if value:
            return value
    return entry.amount


def _voucher_details(
    voucher: Voucher, *, barcode: str | None, sms_to: str | None, pin_caption: str = "PIN"
) -> list[Block]:
    """PIN big (or where it was sent), serial, expiry, barcode, instructions and terms."""
    blocks: list[Block] = []
    if voucher.pin:
        blocks.append(BigCode(group_digits(voucher.pin), caption=pin_caption))
    elif sms_to:
        blocks.append(Paragraph(f"The PIN was sent by SMS to {display_mobile(sms_to)}.", "center"))
    blocks += parts.rows(
        ("Serial", voucher.serial_number), ("Expires", expiry_date(voucher.expiry_date))
    )
    if barcode:
        blocks.append(Barcode(barcode))
    content = voucher.content
    if content is not None:
        blocks += parts.paragraphs(content.redemption_instructions, content.terms_and_conditions)
    return blocks


def _one_voucher_barcode(voucher: Voucher) -> str | None:
    """A 1Voucher is redeemed by PIN at any 1Voucher merchant: the next till scans the PIN."""
    return ungroup(voucher.pin) if voucher.pin else None


def _purchase_body(entry: Entry, response: VoucherResponse, product: str) -> list[Block]:
    """1Voucher purchase/disburse, gift, Eezi and Cash Out PIN: a voucher the customer keeps."""
    voucher = response.voucher or Voucher()
    body: list[Block] = [Title(parts.title(entry)), Row("Product", product)]
    body += parts.amount_row("Amount", _sale_amount(entry, response, voucher))
    if entry.kind in (ONE_VOUCHER_PURCHASE, ONE_VOUCHER_DISBURSE):
        barcode = _one_voucher_barcode(voucher)
    elif entry.kind == GIFT_VOUCHER_PURCHASE:
        # The retailer's own barcode when Flash sends one: it is what their checkout scans.
        barcode = voucher.barcode
    else:
        # Eezi: the PIN is dialled on a phone (*130*PIN#), nothing to scan. Cash Out PIN: the
        # buyer passes PIN and serial to the recipient, whose cashier keys both in; a scannable
        # PIN on the buyer's slip would only make the cash easier to take.
        barcode = None
    sms_to = response.mobile_number or entry.mobile_number
    return body + _voucher_details(voucher, barcode=barcode, sms_to=sms_to)


def _redeem_body(entry: Entry, response: VoucherResponse, _product: str) -> list[Block]:
    """Amount redeemed; a partial redemption's change voucher (PIN, or where it was sent)."""
    voucher = response.voucher
    body: list[Block] = [Title(parts.title(entry))]
    body += parts.amount_row("Amount redeemed", response.amount or entry.amount)
    sms_to = response.mobile_number or entry.mobile_number
    fully_redeemed = voucher is None or (voucher.status or "").lower() == "redeemed"
    if voucher is not None and voucher.pin:
        body += [Rule(), Text("CHANGE VOUCHER", "center", bold=True)]
        body += parts.amount_row("Change value", voucher.amount)
        body += _voucher_details(
            voucher, barcode=_one_voucher_barcode(voucher), sms_to=None, pin_caption="Change PIN"
        )
    elif voucher is not None and not fully_redeemed and sms_to:
        body += [Rule(), Text("CHANGE VOUCHER", "center", bold=True)]
        body += parts.amount_row("Change value", voucher.amount)
        body += _voucher_details(voucher, barcode=None, sms_to=sms_to)
    else:
        body.append(Text("Voucher fully redeemed: no change.", "center"))
        if voucher is not None:
            body += parts.rows(("Voucher serial", voucher.serial_number))
    return body


def _refund_body(entry: Entry, response: VoucherResponse, _product: str) -> list[Block]:
    """A refund is paid as a new 1Voucher: its PIN big, or the number it was sent to."""
    voucher = response.voucher or Voucher()
    body: list[Block] = [Title(parts.title(entry))]
    if entry.related_reference:
        body.append(Text(f"Refund of {entry.related_reference}", "center"))
    body += parts.amount_row("Amount refunded", _sale_amount(entry, response, voucher))
    body += [Rule(), Text("NEW 1VOUCHER", "center", bold=True)]
    sms_to = response.mobile_number or entry.mobile_number
    barcode = _one_voucher_barcode(voucher)
    return body + _voucher_details(voucher, barcode=barcode, sms_to=sms_to)


def _cash_out_cancel_body(entry: Entry, response: VoucherResponse, _product: str) -> list[Block]:
    """Proof the PIN is dead and the money came back; the response carries the PIN: never shown."""
    voucher = response.voucher or Voucher()
    body: list[Block] = [Title(parts.title(entry)), Text("CANCELLED", "center", bold=True)]
    body += parts.rows(("Serial", voucher.serial_number or entry.serial_number))
    body += parts.amount_row("Amount returned", _sale_amount(entry, response, voucher))
    if entry.related_reference:
        body.append(Text(f"Cancels sale {entry.related_reference}", "center"))
    body.append(Paragraph("This Cash Out PIN can no longer be used."))
    return body


def _cash_out_lookup_body(entry: Entry, response: VoucherResponse, _product: str) -> list[Block]:
    """Status, not the PIN.

    A lookup is a service-desk query by serial number, and the serial is printed on slips and
    read out over the phone: printing the PIN here would hand the cash to anyone who knows a
    serial. The PIN is printed once, on the purchase slip (and on its reprints).
    """
    voucher = response.voucher or Voucher()
    body: list[Block] = [Title(parts.title(entry))]
    body += parts.rows(
        ("Serial", voucher.serial_number or entry.serial_number),
        ("Status", voucher.status),
    )
    body += parts.amount_row("Amount", voucher.amount)
    body += parts.rows(("Expires", expiry_date(voucher.expiry_date)))
    body.append(Paragraph("Status enquiry only: not a voucher. The PIN is not printed here."))
    return body


def _reversal_body(entry: Entry, response: VoucherResponse, product: str) -> list[Block]:
    """What was voided, the money given back, why, and who approved it; the voided voucher's
    PIN (Flash may echo it) is never printed: it is dead."""
    voucher = response.voucher or Voucher()
    body: list[Block] = [Title(parts.title(entry)), Text("SALE VOIDED", "center", bold=True)]
    body += parts.rows(
        ("Voids sale", entry.related_reference),
        ("Product", product),
        ("Serial", voucher.serial_number or entry.serial_number),
    )
    body += parts.amount_row("Amount returned", _sale_amount(entry, response))
    body += parts.rows(("Reason", void_reason(entry)), ("Approved by", entry.approved_by))
    body.append(Paragraph("The voucher or PIN sold on that sale can no longer be used."))
    return body


_VOUCHER_BODIES = {
    ONE_VOUCHER_PURCHASE: _purchase_body,
    ONE_VOUCHER_DISBURSE: _purchase_body,
    GIFT_VOUCHER_PURCHASE: _purchase_body,
    EEZI_VOUCHER_PURCHASE: _purchase_body,
    CASH_OUT_PIN_PURCHASE: _purchase_body,
    ONE_VOUCHER_REDEEM: _redeem_body,
    ONE_VOUCHER_REFUND: _refund_body,
    CASH_OUT_PIN_CANCEL: _cash_out_cancel_body,
    CASH_OUT_PIN_LOOKUP: _cash_out_lookup_body,
    **dict.fromkeys(REVERSALS, _reversal_body),
}


def _pinless_body(entry: Entry, response: PinlessResponse, product: str) -> list[Block]:
    """Airtime goes straight onto the phone: the slip shows where it went and whom to call."""
    details = response.recharge_details
    recharge_type = details.recharge_type if details else None
    network = details.recharge_vendor if details else None
    title = f"{recharge_type.upper()} RECHARGE" if recharge_type else parts.title(entry)
    body: list[Block] = [Title(title)]
    body += parts.rows(
        ("Network", network or product),
        ("Mobile", display_mobile(response.mobile_number or entry.mobile_number)),
    )
    body += parts.amount_row("Amount", _sale_amount(entry, response))
    body += parts.rows(
        ("Type", recharge_type),
        ("Call centre", details.call_centre if details else None),
    )
    body.append(Paragraph("Loaded directly onto the phone: there is no PIN to enter."))
    return body


# -- prepaid utilities -------------------------------------------------------------------------


def _is_water(response: UtilityPurchaseResponse) -> bool:
    units = response.billing_info.unit_type if response.billing_info else None
    for token in response.tokens:
        units = units or (token.units.unit_type if token.units else None)
    if units and units.strip().lower() in ("kl", "l", "litres", "kilolitres"):
        return True
    utility = response.meter_info.utility_info if response.meter_info else None
    words = [t.token_description or "" for t in response.tokens]
    words.append(utility.name or "" if utility else "")
    return "water" in " ".join(words).lower()


def _charge_rows(charge: UtilityCharge, default: str) -> list[Block]:
    """A deduction from the amount tendered: '-R 50.00' with Flash's description."""
    value = number(charge.value)
    if not value:
        return []
    less = money(charge.value) or ""
    rows: list[Block] = [Row(f"Less {charge.description or default}", f"-{less}")]
    rows += parts.rows(
        ("Still outstanding", money(charge.outstanding)),
        ("Tax invoice", charge.tax_invoice_number),
    )
    return rows


def _token_blocks(response: UtilityPurchaseResponse) -> list[Block]:
    """Tokens in the order they are keyed in: key change first, then credit; FBE on its own."""
    ordered = keying_order(response)
    blocks: list[Block] = []
    if response.key_change_tokens:
        blocks.append(
            Paragraph("Enter these key change tokens first, in order, then the credit token.")
        )
    for position, token in enumerate(ordered, 1):
        what = "key change" if token.is_key_change else "credit"
        caption = f"Token {position} of {len(ordered)} - {what}"
        blocks.append(BigCode(format_sts_token(token.token or ""), caption=caption))
        units = None if token.is_key_change else units_text(token)
        if units:
            blocks.append(Text(units, "center"))
    fbe = [t for t in response.fbe_tokens if t.token]
    if fbe:
        if ordered:  # on its own, so it is never keyed in as part of the paid sequence
            blocks += [Rule(), Text("FREE BASIC ELECTRICITY", "center", bold=True)]
        for position, token in enumerate(fbe, 1):
            caption = "Free basic electricity token"
            if len(fbe) > 1:
                caption += f" {position} of {len(fbe)}"
            blocks.append(BigCode(format_sts_token(token.token or ""), caption=caption))
            units = units_text(token)
            if units:
                blocks.append(Text(units, "center"))
    return blocks


def _meter_rows(entry: Entry, meter: MeterInfo | None) -> list[Block]:
    """Whose meter it is and which utility serves it: on both the vend and the lookup slip."""
    customer = meter.customer_info if meter else None
    utility = meter.utility_info if meter else None
    rows = parts.rows(
        ("Meter", (meter.meter_number if meter else None) or entry.meter_number),
        ("Customer", customer.name if customer else None),
    )
    if customer and customer.address:
        rows.append(Text(customer.address))
    return rows + parts.rows(
        ("Utility", utility.name if utility else None),
        ("Utility VAT No", utility.vat_number if utility else None),
        ("Call centre", utility.call_centre if utility else None),
    )


def _utility_body(entry: Entry, response: UtilityPurchaseResponse) -> list[Block]:
    """Meter, customer, utility, money (tendered, deductions, VAT), units and tariff, tokens."""
    meter = response.meter_info
    billing = response.billing_info
    only_fbe = bool(response.fbe_tokens) and not response.credit_tokens
    if only_fbe:
        title = "FREE BASIC ELECTRICITY"
    else:
        title = "PREPAID WATER" if _is_water(response) else "PREPAID ELECTRICITY"
    body: list[Block] = [Title(title)]
    body += _meter_rows(entry, meter)
    body += parts.rows(
        ("Receipt no", billing.receipt_number if billing else None),
    )
    body.append(Rule())
    body += parts.amount_row("Amount tendered", _sale_amount(entry, response))
    debt = response.debt_charge
    if debt is not None:
        body += _charge_rows(debt, "debt")
    for cost in response.fixed_costs:
        body += _charge_rows(cost, "fixed cost")
    vat = billing.tax_amount if billing and billing.tax_amount is not None else None
    if vat is None:
        vat = total(t.tax for t in response.tokens)
    body += parts.rows(("VAT incl.", money(vat)))
    body += parts.rows(("Excl. VAT", money(billing.exclusive_amount if billing else None)))
    body += _units_rows(response)
    body += _key_change_rows(response)
    if meter and meter.consumer_message:
        body += parts.paragraphs(meter.consumer_message)
    body.append(Rule())
    return body + _token_blocks(response)


def _units_rows(response: UtilityPurchaseResponse) -> list[Block]:
    billing = response.billing_info
    fbe = response.fbe_tokens
    # What the customer gets: the credit paid for, or on a free basic electricity vend the
    # free units (that slip has a units row too, not only the figure under its token).
    credit = response.credit_tokens or fbe
    unit = billing.unit_type if billing and billing.unit_type else None
    for token in response.tokens:
        unit = unit or (token.units.unit_type if token.units else None)
    units: Number | None = billing.units if billing else None
    if units is None:
        units = total(t.units.quantity for t in credit if t.units)
    rows: list[Block] = []
    bought = quantity(units)
    if bought is not None and credit:
        rows.append(Row("Units", f"{bought} {unit or ''}".strip(), bold=True))
    free = number(billing.free_units) if billing else None
    if free is None and fbe and response.credit_tokens:
        free = total(t.units.quantity for t in fbe if t.units)
    if free and not (credit is fbe and free == number(units)):
        rows.append(Row("Free units", f"{quantity(free)} {unit or ''}".strip()))
    tariff = (billing.tariff_name if billing else None) or (
        response.meter_info.tariff_name if response.meter_info else None
    )
    for token in response.tokens:
        tariff = tariff or token.tariff_name
    rows += parts.rows(("Tariff", tariff))
    for block in response.tariff_blocks or []:
        rate = money(block.cost_per_unit)
        label = f"{quantity(block.units) or '?'} {unit or 'units'}"
        if rate:
            label += f" @ {rate}/{unit or 'unit'}"
        cost = money(block.amount)
        if cost:
            rows.append(Row(label, cost))
    return rows


def _key_change_rows(response: UtilityPurchaseResponse) -> list[Block]:
    """The meter's new STS key values, for the technician if the key change tokens fail."""
    data = response.key_change_token_data
    meter = response.meter_info
    if data is not None:
        values = (data.supply_group_code, data.tariff_index, data.key_revision_number)
    elif meter is not None and meter.new_supply_group_code:
        values = (
            meter.new_supply_group_code,
            meter.new_tariff_index,
            meter.new_key_revision_number,
        )
    else:
        return []
    return [Row("New SGC/TI/KRN", "/".join(v or "-" for v in values))]


def _meter_lookup_body(entry: Entry, response: UtilityLookupResponse) -> list[Block]:
    """Who the meter belongs to and what may be vended: no token, nothing was sold."""
    meter = response.meter_info
    billing = response.billing_info
    body: list[Block] = [Title(parts.title(entry))]
    body += _meter_rows(entry, meter)
    body += parts.rows(
        ("Tariff", billing.tariff_name if billing else None),
        ("Minimum vend", money(billing.minimum_vend_value) if billing else None),
        ("Maximum vend", money(billing.maximum_vend_value) if billing else None),
    )
    if billing is not None and number(billing.arrear_value):
        body += parts.rows(("Arrears", money(billing.arrear_value)))
        body += parts.paragraphs(billing.arrear_desc)
        body.append(Paragraph("Part of each purchase goes to the arrears until they are paid."))
    if response.is_fbe:
        body.append(Text("Registered for free basic electricity", "center"))
    body.append(Paragraph("Meter lookup only: no token was bought.", "center"))
    return body
