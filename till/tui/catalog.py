"""What the Sell screen offers: Flash's product list, mapped to the engine call that sells each.

Pure functions, so the mapping is tested without a screen. The list is cached on disk so a till
that starts while Flash is unreachable still knows what it sells.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal, get_args

if TYPE_CHECKING:  # the screens start before the Flash models are imported
    from till.flash.models import Product

SaleKind = Literal["1voucher", "gift", "eezi", "cashout", "airtime", "electricity", "water"]


@dataclass(frozen=True)
class SaleItem:
    """One line of the Sell screen's product list."""

    kind: SaleKind
    code: int
    name: str
    minimum: int | None
    maximum: int | None
    #: Flash's `allowReversal` (rev 3.0): whether a sale of it can be voided; None: not known
    #: (a list saved before the till read it, or the 1Voucher the till assumes).
    allow_reversal: bool | None = None

    @property
    def needs_mobile(self) -> bool:
        return self.kind == "airtime"

    @property
    def is_utility(self) -> bool:
        return self.kind in ("electricity", "water")

    def matches(self, text: str) -> bool:
        """Typing filters by name words or by product code."""
        needle = text.strip().lower()
        return not needle or needle in self.name.lower() or str(self.code).startswith(needle)


#: Shown when Flash's list has no 1Voucher entry: 1Voucher needs no product code.
ONE_VOUCHER = SaleItem(kind="1voucher", code=100, name="1Voucher", minimum=500, maximum=400_000)


def sale_kind(product: Product) -> SaleKind | None:
    """Which engine call sells this product, from its group (or, failing that, its name)."""
    text = f"{product.product_group or ''} {product.product_name or ''}".lower()
    if "1voucher" in text:
        return "1voucher"
    if "cash out" in text or "cashout" in text:
        return "cashout"
    if "eezi" in text:
        return "eezi"
    if "gift" in text:
        return "gift"
    if "water" in text:
        return "water"
    if "electric" in text or "prepaid utilit" in text:
        return "electricity"
    if "cellular" in text or "airtime" in text or "pinless" in text:
        return "airtime"
    return None


def sale_items(products: list[Product]) -> list[SaleItem]:
    """Sellable products, 1Voucher first, the rest in the order Flash listed them."""
    items: list[SaleItem] = []
    for product in products:
        kind = sale_kind(product)
        if kind is None or (product.status not in (None, "Active", 1, "1", "active")):
            continue
        items.append(
            SaleItem(
                kind=kind,
                code=product.product_code,
                name=product.product_name or f"Product {product.product_code}",
                minimum=product.minimum_amount,
                maximum=product.maximum_amount,
                allow_reversal=product.allow_reversal,
            )
        )
    if not any(item.kind == "1voucher" for item in items):
        items.insert(0, ONE_VOUCHER)
    items.sort(key=lambda item: item.kind != "1voucher")
    return items


def save_catalog(path: Path, items: list[SaleItem] | tuple[SaleItem, ...]) -> None:
    """Keep what the till sells for the next start (read without the Flash models)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps([asdict(item) for item in items]), encoding="utf-8")
    tmp.replace(path)


def load_catalog(path: Path) -> list[SaleItem]:
    """The last list saved, or nothing if there is none (or it is unreadable)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        items = [SaleItem(**item) for item in data]
    except (OSError, ValueError, TypeError):
        return []
    return [item for item in items if item.kind in get_args(SaleKind)]
