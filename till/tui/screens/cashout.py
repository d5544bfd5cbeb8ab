"""Cash Out PIN: sell one, cancel one this till sold, or look one up by its serial number.

The first prompt takes 1/2/3 (or p/c/l); then one entry line walks the chosen action's steps,
as on the Sell screen. A cancel is found by the purchase reference, typed or picked from this
till's recent approved sales, and shows the serial and amount before it is confirmed. A lookup
changes nothing at Flash, so it is sent without a confirm step, and it never shows the PIN.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Literal

from till.digits import ungroup
from till.journal import Entry
from till.money import format_rands
from till.sales import Outcome, SaleEngine
from till.tui.screens.base import FieldError, parse_amount
from till.tui.screens.redeem import reference_matches, when
from till.tui.steps import StepScreen

if TYPE_CHECKING:
    from till.sales.reads import SaleReads

Action = Literal["purchase", "cancel", "lookup"]
ACTIONS: dict[str, Action] = {
    "1": "purchase",
    "p": "purchase",
    "2": "cancel",
    "c": "cancel",
    "3": "lookup",
    "l": "lookup",
}
PURCHASE = "cash-out-pin.purchase"
LOOKUP = "cash-out-pin.lookup"
#: Flash's Cash Out PIN product, when the product list has not loaded.
DEFAULT_CODE, DEFAULT_MINIMUM, DEFAULT_MAXIMUM = 300, 2000, 50_000
SERIAL = re.compile(r"[A-Za-z0-9]{6,32}")


def parse_serial(text: str) -> str:
    """The serial number printed under the Cash Out PIN, spaces dropped."""
    serial = ungroup(text)
    if not serial:
        raise FieldError("Type the serial number from the customer's Cash Out slip.")
    if not SERIAL.fullmatch(serial):
        raise FieldError("A serial number is 6 or more letters and digits: check the slip.")
    return serial


class CashOutScreen(StepScreen[Entry]):
    """Cash Out PINs: the customer collects the cash at an ATM or partner with PIN and serial."""

    title_text = "CASH OUT PIN"
    FIRST = "action"
    PICK_STEPS = frozenset({"reference", "serial"})

    def __init__(self) -> None:
        super().__init__()
        self.action: Action = "purchase"
        self.amount = 0
        self.purchase: Entry | None = None

    @property
    def product(self) -> tuple[int, int, int]:
        """(code, minimum, maximum) of Cash Out PIN, from Flash's product list when loaded."""
        for item in self.till.catalog:
            if item.kind == "cashout":
                return (
                    item.code,
                    item.minimum or DEFAULT_MINIMUM,
                    min(item.maximum or DEFAULT_MAXIMUM, DEFAULT_MAXIMUM),
                )
        return DEFAULT_CODE, DEFAULT_MINIMUM, DEFAULT_MAXIMUM

    def prompt_for(self, step: str) -> str:
        _, low, high = self.product
        confirm = "SELL this PIN" if self.action == "purchase" else "CANCEL this PIN"
        return {
            "action": "1 = Sell a PIN   2 = Cancel a PIN   3 = Look up a PIN   (then Enter)",
            "amount": f"Amount in rands ({format_rands(low)} - {format_rands(high)})",
            "reference": "Purchase reference (or Up/Down to pick a recent sale, Enter)",
            "serial": "Serial number (or Up/Down to pick a recent sale, Enter)",
            "confirm": f"Enter = CONFIRM and {confirm} at Flash     Escape = change",
        }[step]

    def summary(self) -> str:
        if self.action == "purchase":
            lines = ["Sell a Cash Out PIN"]
            if self.step == "confirm":
                lines.append(f"Amount     {format_rands(self.amount)}")
            return "\n".join(lines)
        if self.action == "lookup":
            return "Look up a Cash Out PIN (nothing changes at Flash)"
        lines = ["Cancel a Cash Out PIN: the customer gets the cash back"]
        if self.step == "confirm" and self.purchase is not None:
            entry = self.purchase
            lines += [
                f"Sale       {entry.reference}  {when(entry)}",
                f"Serial     {entry.serial_number}",
                f"Amount     {format_rands(entry.amount or 0)}",
            ]
        return "\n".join(lines)

    # -- the pick list: recent approved sales ---------------------------------------------------

    def picks(self, reads: SaleReads, step: str) -> list[tuple[Entry, str]]:
        """This till's latest approved sales; to cancel, only those not given back yet."""
        if step == "reference":
            sales = reads.cancellable_cash_out_sales(limit=20)
        else:
            sales = reads.search(kind=PURCHASE, state="approved", limit=20)
        return [(entry, cash_out_label(entry)) for entry in sales]

    def pick_matches(self, item: Entry, text: str) -> bool:
        if self.step == "serial":
            return (item.serial_number or "").startswith(ungroup(text))
        return reference_matches(item, text)

    # -- the steps ----------------------------------------------------------------------------

    def handle(self, text: str) -> None:
        if self.step == "action":
            action = ACTIONS.get(text.lower())
            if action is None:
                raise FieldError("Type 1 to sell, 2 to cancel or 3 to look up a Cash Out PIN.")
            self.action = action
            self._enter({"purchase": "amount", "cancel": "reference", "lookup": "serial"}[action])
        elif self.step == "amount":
            _, low, high = self.product
            self.amount = parse_amount(text, minimum=low, maximum=high)
            self._enter("confirm")
        elif self.step == "reference":
            self.purchase = self._find(text)
            self._enter("confirm")
        elif self.step == "serial":
            picked = self.highlighted() if not text else None
            serial = picked.serial_number if picked and picked.serial_number else parse_serial(text)
            self._lookup(serial)
        elif self.step == "confirm":
            if text:
                raise FieldError("Press Enter on its own to confirm, or Escape to change.")
            self._confirm()

    def _find(self, text: str) -> Entry:
        reads = self.till.reads
        entry = reads.find(text) if text else None
        if entry is None:
            entry = self.highlighted()
        if entry is None:
            if text:
                raise FieldError(f"No Cash Out PIN sale on this till has reference {text!r}.")
            raise FieldError("Type the purchase reference (it is on the customer's slip).")
        if entry.kind != PURCHASE:
            raise FieldError(f"{entry.reference} is not a Cash Out PIN sale.")
        if entry.state != "approved" or not entry.serial_number:
            raise FieldError(f"Cash Out PIN sale {entry.reference} was not approved.")
        if reads.given_back(entry.reference):
            raise FieldError(
                f"Cash Out PIN sale {entry.reference} is already cancelled or voided: its money "
                "was given back."
            )
        return entry

    def _confirm(self) -> None:
        if self.action == "purchase":
            code, amount = self.product[0], self.amount

            async def sell(engine: SaleEngine, approved_by: str | None) -> Outcome:
                return await engine.sell_cash_out_pin(code, amount, approved_by=approved_by)

            self.send(sell)
            return
        assert self.purchase is not None
        reference = self.purchase.reference

        async def cancel(engine: SaleEngine, approved_by: str | None) -> Outcome:
            return await engine.cancel_cash_out_pin(reference, approved_by=approved_by)

        self.send(cancel)

    def _lookup(self, serial: str) -> None:
        code = self.product[0]

        async def lookup(engine: SaleEngine, approved_by: str | None) -> Outcome:
            return await engine.lookup_cash_out_pin(serial, code)

        self.send(lookup)

    def step_back(self) -> str:
        if self.step == "confirm":
            return "amount" if self.action == "purchase" else "reference"
        return "action"

    def step_for_field(self, field: str | None) -> str:
        if self.action == "purchase":
            return "amount"
        return "reference" if self.action == "cancel" else "serial"

    def reset(self) -> None:
        self.amount = 0
        self.purchase = None


def cash_out_label(entry: Entry) -> str:
    """One line: reference, when, serial, amount."""
    return (
        f"{entry.reference:<16} {when(entry)}  serial {entry.serial_number or '-':<13}"
        f"{format_rands(entry.amount or 0):>10}"
    )


__all__ = ["CashOutScreen", "cash_out_label", "parse_serial"]
