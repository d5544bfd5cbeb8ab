"""Every slip the till prints, built from the journal entry alone (request, response, state).

The journal is the source of truth, so a reprint next week says exactly what the first print
said. Here: the frame every slip shares (store, date, till, reference, training and copy marks),
and the declined and in-doubt slips; an approved slip's body by kind is `till.slips.approved`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field

from pydantic import ValidationError

from receipts import BigCode, Block, Cut, Document, Paragraph, Row, Rule, Text, Title
from till.clock import SECONDS_ZONE, format_local
from till.flash.wire import safe_text
from till.journal import Entry
from till.slips.approved import approved_body
from till.slips.parts import (
    CASH_OUT_PIN_CANCEL,
    CASH_OUT_PIN_PURCHASE,
    CASH_OUT_PIN_REVERSE,
    EEZI_VOUCHER_PURCHASE,
    EEZI_VOUCHER_REVERSE,
    GIFT_VOUCHER_PURCHASE,
    ONE_VOUCHER_DISBURSE,
    ONE_VOUCHER_PURCHASE,
    ONE_VOUCHER_REDEEM,
    ONE_VOUCHER_REFUND,
    ONE_VOUCHER_REVERSE,
    PINLESS_PURCHASE,
    REVERSALS,
    UTILITY_PURCHASE,
    amount_row,
    paragraphs,
    rows,
    title,
)
from till.words import display_mobile
from till.words.rows import text_or_none
from till.words.void import REVERSED_MARK, REVERSED_NOTE, VOID_PENDING_MARK

#: A training slip's mark, double width and height top and bottom, and what it means beneath.
TRAINING_MARK = "TRAINING"
TRAINING_NOTE = "NOT A VALID VOUCHER"
#: A catalog name longer than this is cut (it comes from Flash, through a file on disk).
PRODUCT_NAME_CHARS = 60

#: What an in-doubt customer comes back for.
_COLLECT = {
    UTILITY_PURCHASE: "token",
    PINLESS_PURCHASE: "airtime confirmation",
    ONE_VOUCHER_REDEEM: "redemption receipt",
    CASH_OUT_PIN_CANCEL: "cancellation receipt",
    **dict.fromkeys(REVERSALS, "money back"),
}
#: What nobody may do again while it is in doubt, by kind; a sale's is "Do not pay again".
_DO_NOT_REPEAT = {
    ONE_VOUCHER_DISBURSE: "Do not pay out again",
    ONE_VOUCHER_REDEEM: "Do not redeem the PIN again",
    ONE_VOUCHER_REFUND: "Do not refund again",
    CASH_OUT_PIN_CANCEL: "Do not cancel the PIN again",
    **dict.fromkeys(REVERSALS, "Do not void again"),
}


@dataclass(frozen=True)
class SlipHeader:
    """The store's lines at the top of every slip, from config `[till]`."""

    store_name: str
    address_lines: tuple[str, ...] = ()
    vat_number: str = ""
    terminal_id: str = ""
    #: Product code -> the name Flash's catalog gives it ("Takealot Gift Voucher"): the till's
    #: cached product list (`catalog_names`). A code it does not hold prints by kind and code.
    products: Mapping[int, str] = field(default_factory=dict, compare=False, hash=False)


# -- public ------------------------------------------------------------------------------------


def slip_for(
    entry: Entry,
    header: SlipHeader,
    *,
    copy: int = 0,
    training: bool | None = None,
    reversal: Entry | None = None,
) -> Document:
    """The customer's slip for `entry`; `copy` n >= 1 marks a reprint as "COPY n" top and bottom.

    `reversal`: the void of this sale (`till.sales.reversal.reversal_in` of the entries linked
    to it): approved, the slip is marked REVERSED top and bottom; still open, "VOID NOT YET
    CONFIRMED"; declined, or None, no mark.
    An entry still open (pending, in doubt) gets the in-doubt slip: it has no PIN to show yet.
    """
    if copy < 0:
        raise ValueError("copy must be 0 (the original) or a reprint number from 1")
    is_training = entry.training if training is None else training
    if entry.is_open:
        return _frame(entry, header, _in_doubt_body(entry, header), copy, is_training, None)
    if entry.state == "declined":
        return _frame(entry, header, _declined_body(entry), copy, is_training, None)
    marks = _reversal_marks(reversal) if entry.state == "approved" else []
    response = dict(entry.response or {})
    response.setdefault("responseCode", 0)
    try:
        body, transaction_id = approved_body(entry, response, _product(entry, header))
    except ValidationError:
        # A response we cannot read still deserves a slip that names the sale and its amount.
        body = [Title(title(entry)), *amount_row("Amount", entry.amount)]
        body.append(Paragraph("Details unavailable: ask the cashier to check the journal."))
        transaction_id = text_or_none(response.get("transactionId"))
    return _frame(entry, header, body, copy, is_training, transaction_id, marks)


def _reversal_marks(reversal: Entry | None) -> list[Block]:
    if reversal is None or reversal.state == "declined":
        return []
    if reversal.is_open:
        return [Text(VOID_PENDING_MARK, "center", bold=True), Text(reversal.reference, "center")]
    when = receipt_time(reversal.settled_at or reversal.created_at)
    return [
        Text(REVERSED_MARK, "center", bold=True, large=True),
        Text(REVERSED_NOTE, "center", bold=True),
        Text(f"by {reversal.reference}", "center"),
        Text(when, "center"),
    ]


def in_doubt_slip(entry: Entry, header: SlipHeader, *, training: bool | None = None) -> Document:
    """For a customer whose sale Flash has not confirmed yet: proof of payment, not a voucher."""
    is_training = entry.training if training is None else training
    return _frame(entry, header, _in_doubt_body(entry, header), 0, is_training, None)


# -- the frame every slip shares ---------------------------------------------------------------


def _frame(
    entry: Entry,
    header: SlipHeader,
    body: list[Block],
    copy: int,
    training: bool,
    transaction_id: str | None,
    marks: list[Block] | None = None,
) -> Document:
    banners: list[Block] = []
    if training:
        banners.append(Text(TRAINING_MARK, "center", bold=True, large=True))
        banners.append(Text(TRAINING_NOTE, "center", bold=True))
    if copy:
        banners.append(Text(f"COPY {copy}", "center", bold=True, large=True))
    banners += marks or []
    blocks: list[Block] = [*banners, Title(header.store_name)]
    blocks += [Text(line, "center") for line in header.address_lines if line.strip()]
    if header.vat_number:
        blocks.append(Text(f"VAT No {header.vat_number}", "center"))
    blocks.append(Rule())
    blocks.append(Row("Date", receipt_time(entry.created_at)))
    till = entry.terminal_id or header.terminal_id
    if till:
        blocks.append(Row("Till", till))
    if entry.cashier:
        blocks.append(Row("Cashier", entry.cashier))
    blocks.append(Row("Reference", entry.reference))
    if transaction_id:
        blocks.append(Row("Flash ref", transaction_id))
    blocks += [Rule(), *body, Rule(), *banners, Cut()]
    return Document(tuple(blocks))


def receipt_time(unix_ms: int) -> str:
    """Unix milliseconds -> '2026-11-24 05:00:50 SAST': the till's zone, and its name."""
    return format_local(unix_ms, fmt=SECONDS_ZONE)


def sa_time(unix_ms: int) -> str:
    """Unix milliseconds -> '2026-11-24 05:00:50' in the till's zone (`[till] timezone`,
    South African time unless configured otherwise), without the zone's name."""
    return format_local(unix_ms)


def _product(entry: Entry, header: SlipHeader) -> str:
    """The product as Flash's catalog names it ("Takealot Gift Voucher"); a code the till's
    catalog does not hold (or none cached yet) as its kind plus product code."""
    if entry.product_code is not None:
        known = header.products.get(entry.product_code, "")
        name = safe_text(" ".join(known.split()), limit=PRODUCT_NAME_CHARS)
        if name:
            return name
    names = {
        ONE_VOUCHER_PURCHASE: "1Voucher",
        ONE_VOUCHER_DISBURSE: "1Voucher disbursement",
        GIFT_VOUCHER_PURCHASE: "Gift voucher",
        CASH_OUT_PIN_PURCHASE: "Cash Out PIN",
        EEZI_VOUCHER_PURCHASE: "Eezi voucher",
        PINLESS_PURCHASE: "Pinless airtime",
        ONE_VOUCHER_REVERSE: "1Voucher",
        CASH_OUT_PIN_REVERSE: "Cash Out PIN",
        EEZI_VOUCHER_REVERSE: "Eezi voucher",
    }
    name = names.get(entry.kind, title(entry).title())
    return f"{name} ({entry.product_code})" if entry.product_code else name


def catalog_names(text: str | bytes) -> dict[int, str]:
    """Product code -> name from the till's cached product list (the JSON the Sell screen saves
    as `catalog.json`: a list of objects with `code` and `name`), for `SlipHeader.products`.
    Text in, so slips stay free of I/O; anything unreadable gives no names (slips then name
    products by kind and code)."""
    try:
        items = json.loads(text)
    except ValueError:
        return {}
    names: dict[int, str] = {}
    for item in items if isinstance(items, list) else []:
        if not isinstance(item, dict):
            continue
        code, name = item.get("code"), item.get("name")
        if isinstance(code, int) and not isinstance(code, bool) and isinstance(name, str):
            names[code] = name
    return names


# -- declined and in doubt ---------------------------------------------------------------------


def _declined_body(entry: Entry) -> list[Block]:
    """A short slip a customer can take to Flash's call centre; never a PIN."""
    body: list[Block] = [Title(title(entry)), Text("DECLINED", "center", bold=True)]
    body += amount_row("Amount", entry.amount or None, bold=False)
    body += paragraphs(entry.last_error or "Declined by Flash.")
    if entry.response_code is not None:
        body.append(Row("Code", str(entry.response_code)))
    if entry.kind in REVERSALS:
        body += rows(("Sale", entry.related_reference))
        body.append(Paragraph("Nothing was voided: the sale stands."))
    else:
        body.append(Paragraph("Nothing was sold or redeemed on this slip."))
    return body


def _in_doubt_body(entry: Entry, header: SlipHeader) -> list[Block]:
    what = _COLLECT.get(entry.kind, "PIN")
    body: list[Block] = [
        Title(title(entry)),
        Text("NOT YET CONFIRMED", "center", bold=True),
        Text(_DO_NOT_REPEAT.get(entry.kind, "Do not pay again"), "center", bold=True),
    ]
    body += amount_row("Amount", entry.amount or None)
    body += rows(
        ("Mobile", display_mobile(entry.mobile_number)),
        ("Meter", entry.meter_number),
    )
    body.append(BigCode(entry.reference, caption="Reference"))
    body.append(
        Paragraph(
            "Keep this slip. The till is confirming with Flash; come back to "
            f"{header.store_name} with this slip to collect your {what}."
        )
    )
    return body
