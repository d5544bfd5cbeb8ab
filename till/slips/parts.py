"""The pieces every slip is built from: the kinds of transaction, their titles, and rows that
leave out what Flash did not send. Below both the slip's frame and its bodies.
"""

from __future__ import annotations

from receipts import Block, Paragraph, Row
from till.flash import client as endpoints
from till.journal import Entry
from till.money import format_rands

ONE_VOUCHER_PURCHASE = endpoints.ONE_VOUCHER_PURCHASE.name
ONE_VOUCHER_DISBURSE = endpoints.ONE_VOUCHER_DISBURSE.name
ONE_VOUCHER_REDEEM = endpoints.ONE_VOUCHER_REDEEM.name
ONE_VOUCHER_REFUND = endpoints.ONE_VOUCHER_REFUND.name
GIFT_VOUCHER_PURCHASE = endpoints.GIFT_VOUCHER_PURCHASE.name
CASH_OUT_PIN_PURCHASE = endpoints.CASH_OUT_PIN_PURCHASE.name
CASH_OUT_PIN_CANCEL = endpoints.CASH_OUT_PIN_CANCEL.name
CASH_OUT_PIN_LOOKUP = endpoints.CASH_OUT_PIN_LOOKUP.name
PINLESS_PURCHASE = endpoints.PINLESS_PURCHASE.name
EEZI_VOUCHER_PURCHASE = endpoints.EEZI_VOUCHER_PURCHASE.name
UTILITY_LOOKUP = endpoints.UTILITY_LOOKUP.name
UTILITY_PURCHASE = endpoints.UTILITY_PURCHASE.name
ONE_VOUCHER_REVERSE = endpoints.ONE_VOUCHER_REVERSE.name
CASH_OUT_PIN_REVERSE = endpoints.CASH_OUT_PIN_REVERSE.name
EEZI_VOUCHER_REVERSE = endpoints.EEZI_VOUCHER_REVERSE.name
#: A void (Flash's reversal) of a sale: its own entry, linked to the sale it undid.
REVERSALS = endpoints.REVERSAL_KINDS

TITLES = {
    ONE_VOUCHER_PURCHASE: "1VOUCHER",
    ONE_VOUCHER_DISBURSE: "1VOUCHER",
    ONE_VOUCHER_REDEEM: "1VOUCHER REDEMPTION",
    ONE_VOUCHER_REFUND: "1VOUCHER REFUND",
    GIFT_VOUCHER_PURCHASE: "GIFT VOUCHER",
    CASH_OUT_PIN_PURCHASE: "CASH OUT PIN",
    CASH_OUT_PIN_CANCEL: "CASH OUT PIN",
    CASH_OUT_PIN_LOOKUP: "CASH OUT PIN LOOKUP",
    PINLESS_PURCHASE: "AIRTIME RECHARGE",
    EEZI_VOUCHER_PURCHASE: "EEZI VOUCHER",
    UTILITY_LOOKUP: "METER LOOKUP",
    UTILITY_PURCHASE: "PREPAID UTILITY",
    ONE_VOUCHER_REVERSE: "1VOUCHER VOID",
    CASH_OUT_PIN_REVERSE: "CASH OUT PIN VOID",
    EEZI_VOUCHER_REVERSE: "EEZI VOUCHER VOID",
}


def title(entry: Entry) -> str:
    """The slip's heading for its kind: "1VOUCHER", "PREPAID UTILITY"."""
    return TITLES.get(entry.kind, entry.kind.upper())


def amount_row(label: str, cents: int | None, *, bold: bool = True) -> list[Block]:
    """A money row in rands, or none when the amount is not known."""
    return [] if cents is None else [Row(label, format_rands(cents), bold=bold)]


def rows(*pairs: tuple[str, str | None]) -> list[Block]:
    """Label/value rows, leaving out the values Flash did not send."""
    return [Row(label, value) for label, value in pairs if value]


def paragraphs(*texts: str | None) -> list[Block]:
    """Flash's texts as paragraphs, leaving out the empty ones."""
    return [Paragraph(text.strip()) for text in texts if text and text.strip()]
