"""Sell: product -> (mobile number) -> amount -> confirm -> the PIN, big. Keyboard only.

One entry line takes every answer in turn (type a product name or code, Enter; the amount in
rands, Enter; Enter again to confirm; Escape steps back), so a fast cashier or a scanner can type
ahead: keys never land in a field that was on screen a moment ago.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from textual.binding import Binding

from till.money import format_rands
from till.phone import normalize_mobile
from till.tui.catalog import SaleItem
from till.tui.screens.base import FieldError, parse_amount
from till.tui.steps import StepScreen
from till.words import display_mobile

if TYPE_CHECKING:  # the sale engine loads after the screen is up
    from till.sales import Outcome, SaleEngine

MOBILE = re.compile(r"27\d{9}")


class SellScreen(StepScreen[SaleItem]):
    title_text = "SELL"
    #: Focus lands on the entry line at once (not first on the scrolling body, then moved).
    AUTO_FOCUS = "#entry"
    BINDINGS = [
        Binding("down", "move(1)", "Next product", show=False),
        Binding("up", "move(-1)", "Previous product", show=False),
    ]
    FIRST = "product"
    WAITING = {
        "sending": (
            "Sending to Flash... do not sell again",
            "Still waiting for Flash's answer: do not sell again.",
        ),
    }
    OUTCOME_PROMPT = "Enter = next sale (or type the next product)"
    PICK_STEPS = frozenset({"product"})
    PICKS = "#products"

    def __init__(self) -> None:
        super().__init__()
        self.item: SaleItem | None = None
        self.mobile = ""
        self.amount = 0

    # -- what the machine asks (till.tui.steps) ----------------------------------------------

    def started(self) -> None:
        self.watch(self.app, "catalog", self._catalog_changed, init=False)

    def resumed(self) -> None:
        """The product list follows the catalog as it changes: nothing to read again."""

    def _catalog_changed(self, catalog: tuple[SaleItem, ...]) -> None:
        self.load_picks()

    def load_picks(self) -> None:
        """The products, from the catalog the app holds (no journal read)."""
        self.show_picks((item, product_row(item)) for item in self.till.catalog)

    def pick_matches(self, item: SaleItem, text: str) -> bool:
        return item.matches(text)

    def prompt_for(self, step: str) -> str:
        item = self.item
        return {
            "product": "Product (type a name or code, Enter)",
            "mobile": "Customer's cell number, e.g. 082 123 4567",
            "amount": "Amount in rands" + (f" ({limits(item)})" if item else ""),
            "confirm": "Enter = CONFIRM and send to Flash     Escape = change",
        }[step]

    def summary(self) -> str:
        item = self.item
        if item is None:
            return ""
        summary = f"{item.name}   {limits(item)}"
        if self.mobile:
            summary += f"\nCell number  {display_mobile(self.mobile)}"
        if self.amount and self.step != "amount":
            summary += f"\nAmount       {format_rands(self.amount)}"
        return summary

    def handle(self, text: str) -> None:
        if self.step == "product":
            self._choose(text)
        elif self.step == "mobile":
            mobile = normalize_mobile(text)
            if not MOBILE.fullmatch(mobile):
                raise FieldError("Type the customer's 10-digit cell number, e.g. 082 123 4567.")
            self.mobile = mobile
            self._enter("amount")
        elif self.step == "amount":
            assert self.item is not None
            self.amount = self._checked(parse_amount(text))
            self._enter("confirm")
        elif self.step == "confirm":
            if text:
                raise FieldError("Press Enter on its own to confirm, or Escape to change.")
            self._send()

    def step_back(self) -> str:
        item = self.item
        if self.step == "confirm":
            fixed = item is not None and item.minimum == item.maximum
            return "product" if fixed else "amount"
        if self.step == "amount" and item is not None and item.needs_mobile:
            return "mobile"
        return "product"

    def step_for_field(self, field: str | None) -> str:
        return "mobile" if field == "mobile_number" else "amount"

    def reset(self) -> None:
        self.item = None
        self.amount = 0
        self.mobile = ""

    # -- the sale ------------------------------------------------------------------------------

    def _checked(self, amount: int) -> int:
        """The amount, if the product list allows it: the engine's own check, run here first
        so the cashier hears at once (the sale engine is loaded by the time one is typed)."""
        from till.sales.products import check_sale

        assert self.item is not None
        refusal = check_sale(self.till.catalog, self.item.kind, amount, self.item.code)
        if refusal is not None:
            message = refusal.message
            raise FieldError(f"{message[:1].upper()}{message[1:]}.")
        return amount

    def _choose(self, text: str) -> None:
        exact = [item for item in self.till.catalog if text and str(item.code) == text]
        shown = [item for item in self.till.catalog if item.matches(text)]
        highlighted = self.highlighted()
        if exact:
            item = exact[0]
        elif shown == self._shown and highlighted is not None:  # the list the cashier sees
            item = highlighted
        elif shown:
            item = shown[0]
        else:
            raise FieldError("No product matches: type less, or check the code.")
        if item.is_utility:
            self.app.switch_mode("vend")
            return
        self.item = item
        self.mobile = ""
        fixed = item.minimum is not None and item.minimum == item.maximum
        if item.needs_mobile:
            self._enter("mobile")
        elif fixed and item.minimum:
            self.amount = item.minimum
            self._enter("confirm")
        else:
            self._enter("amount")

    def _send(self) -> None:
        item, amount, mobile = self.item, self.amount, self.mobile
        assert item is not None

        async def call(engine: SaleEngine, approved_by: str | None) -> Outcome:
            by = approved_by
            if item.kind == "1voucher":
                return await engine.sell_1voucher(amount, approved_by=by)
            if item.kind == "gift":
                return await engine.sell_gift_voucher(item.code, amount, approved_by=by)
            if item.kind == "eezi":
                return await engine.sell_eezi_voucher(item.code, amount, approved_by=by)
            if item.kind == "cashout":
                return await engine.sell_cash_out_pin(item.code, amount, approved_by=by)
            return await engine.sell_airtime(item.code, mobile, amount, approved_by=by)

        self.send(call)


def product_row(item: SaleItem) -> str:
    """One product in the list: name, code, and its limits."""
    return f"{item.name:<32} {item.code:>5}  {limits(item)}"


def limits(item: SaleItem) -> str:
    if item.minimum is None or item.maximum is None:
        return ""
    if item.minimum == item.maximum:
        return f"{format_rands(item.minimum)} fixed"
    return f"{format_rands(item.minimum)} - {format_rands(item.maximum)}"
