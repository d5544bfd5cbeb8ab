"""One check of a sale against the till's product list, for the screens and the commands alike.

Flash declines an amount outside a product's range (2204) and a product code from another group
(2257). The till refuses both first, in the cashier's words, before anything is journaled or
sent: the Sell screen as the amount is typed, the engine (and so every command) before it
journals. Both call `check_sale` with the product list the till fetched from Flash or cached
(`till.tui.catalog`'s `SaleItem`s, or anything shaped like them). With no list, or one that
does not describe the product at all, nothing is refused here: Flash decides.

Pure and light (no Flash models, no I/O), so a screen can call it on every amount typed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from till.money import format_rands

#: The engine's transaction kinds that sell a listed product -> the product list's kind for it.
#: A 1Voucher refund or disbursement issues a new 1Voucher: the 1Voucher's range applies.
LISTED_KINDS: dict[str, str] = {
    "1voucher.purchase": "1voucher",
    "1voucher.disburse": "1voucher",
    "1voucher.refund": "1voucher",
    "gift-voucher.purchase": "gift",
    "eezi-voucher.purchase": "eezi",
    "cellular.pinless.purchase": "airtime",
    "cash-out-pin.purchase": "cashout",
}
#: Kinds sold without a product code: the list's one product of that kind gives the range.
WITHOUT_CODE = frozenset({"1voucher"})
#: How a refusal names a kind ("product 200 is Takealot Gift Voucher, not pinless airtime").
KIND_NAMES: dict[str, str] = {
    "1voucher": "a 1Voucher",
    "gift": "a gift voucher",
    "eezi": "an Eezi voucher",
    "airtime": "pinless airtime",
    "cashout": "a Cash Out PIN",
    "electricity": "prepaid electricity",
    "water": "prepaid water",
}


class Listed(Protocol):
    """One product of the till's list, as `till.tui.catalog.SaleItem` holds it (cents)."""

    @property
    def kind(self) -> str: ...
    @property
    def code(self) -> int: ...
    @property
    def name(self) -> str: ...
    @property
    def minimum(self) -> int | None: ...
    @property
    def maximum(self) -> int | None: ...


@dataclass(frozen=True)
class Refusal:
    """Why a sale is refused: a sentence for the cashier, and the field it is about."""

    message: str
    #: "product_code" or "amount" (the engine's field names, as `InputError.field`).
    field: str


def check_sale(
    products: Iterable[Listed], kind: str, amount: int, code: int | None = None
) -> Refusal | None:
    """None if the list allows selling product `code` of `kind` for `amount` cents (or cannot
    tell), else why not. `code` is ignored for kinds sold without one (1Voucher)."""
    listed = list(products)
    if kind in WITHOUT_CODE:
        product = next((p for p in listed if p.kind == kind), None)
    else:
        if code is None:
            return None
        product = next((p for p in listed if p.code == code), None)
        what = KIND_NAMES.get(kind, kind)
        if product is None:
            codes = sorted(p.code for p in listed if p.kind == kind)
            if not codes:
                return None  # the list says nothing of this kind: Flash decides
            sold = ", ".join(str(c) for c in codes)
            return Refusal(f"product {code} is not {what} this till sells ({sold})", "product_code")
        if product.kind != kind:
            return Refusal(f"product {code} is {product.name}, not {what}", "product_code")
    if product is None:
        return None
    return _amount_refusal(product, amount)


def _amount_refusal(product: Listed, amount: int) -> Refusal | None:
    low, high = product.minimum, product.maximum
    if low is not None and low == high:
        if amount != low:
            return Refusal(f"the only amount is {format_rands(low)} for {product.name}", "amount")
        return None
    if low is not None and amount < low:
        return Refusal(f"the smallest amount is {format_rands(low)} for {product.name}", "amount")
    if high is not None and amount > high:
        return Refusal(f"the largest amount is {format_rands(high)} for {product.name}", "amount")
    return None
