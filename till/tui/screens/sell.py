"""Sell: product -> (mobile number) -> amount -> confirm -> the PIN, big. Keyboard only.

One entry line takes every answer in turn (type a product name or code, Enter; the amount in
rands, Enter; Enter again to confirm; Escape steps back), so a fast cashier or a scanner can type
ahead: keys never land in a field that was on screen a moment ago.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Literal

from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import LoadingIndicator, OptionList, Static
from textual.widgets.option_list import Option

from till.money import format_rands
from till.phone import normalize_mobile
from till.tui.catalog import SaleItem
from till.tui.messages import TransactionDone, TransactionRefused
from till.tui.screens.base import AnswerScreen, EntryLine, FieldError, parse_amount
from till.tui.widgets import OutcomeView
from till.words import display_mobile

if TYPE_CHECKING:  # the sale engine loads after the screen is up
    from till.sales import Outcome, SaleEngine

Step = Literal["product", "mobile", "amount", "confirm", "sending", "outcome"]
MOBILE = re.compile(r"27\d{9}")


class SellScreen(AnswerScreen):
    title_text = "SELL"
    #: Focus lands on the entry line at once (not first on the scrolling body, then moved).
    AUTO_FOCUS = "#entry"
    BINDINGS = [
        Binding("escape", "back", "Back", show=False),
        Binding("down", "move(1)", "Next product", show=False),
        Binding("up", "move(-1)", "Previous product", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.step: Step = "product"
        self.item: SaleItem | None = None
        self.mobile = ""
        self.amount = 0
        self.outcome: Outcome | None = None
        self._shown: list[SaleItem] = []

    def compose_body(self) -> ComposeResult:
        yield Static("", id="summary")
        yield EntryLine(id="entry")
        products = OptionList(id="products")
        products.can_focus = False
        yield products
        yield LoadingIndicator(id="sending")
        yield OutcomeView(id="outcome")

    def on_mount(self) -> None:
        self.watch(self.till, "catalog", self._refresh_products, init=False)
        self._enter("product")  # shows the products

    # -- steps ---------------------------------------------------------------------------------

    def _enter(self, step: Step) -> None:
        self.refresh_bindings()  # the key bar shows only what applies now
        self.step = step
        entry = self.query_one(EntryLine)
        entry.value = ""
        self.query_one("#products").display = step == "product"
        self.query_one("#sending").display = step == "sending"
        self.query_one("#outcome", OutcomeView).display = step == "outcome"
        item = self.item
        summary = ""
        if item is not None and step != "product":
            summary = f"{item.name}   {limits(item)}"
            if self.mobile:
                summary += f"\nCell number  {display_mobile(self.mobile)}"
            if self.amount and step != "amount":
                summary += f"\nAmount       {format_rands(self.amount)}"
        self.query_one("#summary", Static).update(summary)
        self.query_one("#summary").display = bool(summary) and step != "outcome"
        entry.prompt(
            {
                "product": "Product (type a name or code, Enter)",
                "mobile": "Customer's cell number, e.g. 082 123 4567",
                "amount": "Amount in rands" + (f" ({limits(item)})" if item else ""),
                "confirm": "Enter = CONFIRM and send to Flash     Escape = change",
                "sending": "Sending to Flash... do not sell again",
                "outcome": "Enter = next sale (or type the next product)",
            }[step]
        )
        if step == "product":
            self._refresh_products()
        entry.focus()

    def _refresh_products(self, catalog: tuple[SaleItem, ...] = ()) -> None:
        text = self.query_one(EntryLine).value if self.step == "product" else ""
        self._shown = [item for item in self.till.catalog if item.matches(text)]
        products = self.query_one("#products", OptionList)
        products.clear_options()
        products.add_options(
            Option(f"{item.name:<32} {item.code:>5}  {limits(item)}") for item in self._shown
        )
        if self._shown:
            products.highlighted = 0

    def on_input_changed(self, event: EntryLine.Changed) -> None:
        if self.step == "product":
            self._refresh_products()

    def action_move(self, delta: int) -> None:
        if self.step == "product" and self._shown:
            products = self.query_one("#products", OptionList)
            current = products.highlighted or 0
            products.highlighted = max(0, min(len(self._shown) - 1, current + delta))

    def _submit(self, text: str) -> None:
        if self.step == "outcome":
            self._new_sale()
            if not text:
                return
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
        elif self.step == "sending":
            raise FieldError("Still waiting for Flash's answer: do not sell again.")

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
        highlighted = self.query_one("#products", OptionList).highlighted
        if exact:
            item = exact[0]
        elif shown == self._shown and highlighted is not None:  # the list the cashier sees
            item = shown[highlighted]
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

        if not self.till.transact(self, call):
            raise FieldError("Another transaction is still with Flash: wait for its answer.")
        self._enter("sending")

    def on_transaction_done(self, message: TransactionDone) -> None:
        self.show_answer(message.outcome)
        self._enter("outcome")

    def on_transaction_refused(self, message: TransactionRefused) -> None:
        if message.field == "approval":  # not approved: Enter asks again, Escape changes it
            self._enter("confirm")
        else:
            self._enter("mobile" if message.field == "mobile_number" else "amount")
        self.show_error(f"{message.message}. Nothing was sent.")

    def action_back(self) -> None:
        if self.step == "sending":
            return  # the sale is on the wire: its answer will show here
        self.clear_error()
        if self.step == "outcome":
            self._new_sale()
        elif self.step == "confirm":
            fixed = self.item is not None and self.item.minimum == self.item.maximum
            self._enter("product" if fixed else "amount")
        elif self.step == "amount" and self.item is not None and self.item.needs_mobile:
            self._enter("mobile")
        elif self.step in ("amount", "mobile"):
            self._enter("product")
        else:
            self.query_one(EntryLine).value = ""

    def _new_sale(self) -> None:
        self.item = None
        self.amount = 0
        self.mobile = ""
        self._enter("product")


def limits(item: SaleItem) -> str:
    if item.minimum is None or item.maximum is None:
        return ""
    if item.minimum == item.maximum:
        return f"{format_rands(item.minimum)} fixed"
    return f"{format_rands(item.minimum)} - {format_rands(item.maximum)}"
