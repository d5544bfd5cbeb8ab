"""Redeem a 1Voucher: PIN -> amount -> (cell number for the change) -> confirm -> the answer.

One entry line takes every answer in turn, as on the Sell screen, so a barcode scanner (which
types the 16 digits and Enter) and a cashier typing ahead never put keys in a stale field. The
PIN is checked here before anything is written or sent; the engine checks it again.

The step machine (`till.tui.steps.StepScreen`) is the one every selling screen walks; the
helpers here are what Redeem, Refund and Cash Out share.
"""

from __future__ import annotations

import re

from till.clock import format_local
from till.journal import Entry
from till.money import format_rands
from till.sales import Outcome, SaleEngine, normalize_mobile
from till.tui.screens.base import FieldError, parse_amount
from till.tui.steps import StepScreen
from till.words import display_mobile

PIN_LENGTH = 16
MOBILE = re.compile(r"27\d{9}")
#: The most a 1Voucher redemption can be worth (Flash's 1Voucher maximum).
REDEEM_MAXIMUM = 500_000


def parse_pin(text: str) -> str:
    """A typed or scanned 1Voucher PIN, spaces and dashes dropped, or a FieldError."""
    pin = re.sub(r"[\s-]", "", text)
    if not pin:
        raise FieldError("Type or scan the customer's 16-digit 1Voucher PIN.")
    if not pin.isdigit():
        raise FieldError("A 1Voucher PIN is digits only: type or scan the 16 digits again.")
    if len(pin) != PIN_LENGTH:
        raise FieldError(
            f"A 1Voucher PIN has {PIN_LENGTH} digits; that was {len(pin)}. Check it and retype."
        )
    return pin


def parse_optional_mobile(text: str) -> str | None:
    """Empty means no SMS (the voucher prints); otherwise a 10-digit SA cell number."""
    if not text.strip():
        return None
    mobile = normalize_mobile(text)
    if not MOBILE.fullmatch(mobile):
        raise FieldError(
            "Type the customer's 10-digit cell number, e.g. 082 123 4567 (or nothing to print)."
        )
    return mobile


def masked_pin(pin: str) -> str:
    """The cashier sees enough to check the voucher, not enough to spend it."""
    return "**** **** **** " + pin[-4:]


def when(entry: Entry) -> str:
    return format_local(entry.created_at, fmt="%d %b %H:%M")


def mobile_field(field: str | None) -> bool:
    return field in ("mobile_number", "mobileNumber")


def reference_matches(entry: Entry, text: str) -> bool:
    """Typing part of a reference, in any case, keeps its entry in a pick list."""
    return text.upper() in entry.reference.upper()


class RedeemScreen(StepScreen[object]):
    """The customer pays with a 1Voucher; any change comes back as a new voucher."""

    title_text = "REDEEM A 1VOUCHER"
    FIRST = "pin"

    def __init__(self) -> None:
        super().__init__()
        self.pin = ""
        self.amount = 0
        self.mobile: str | None = None

    def prompt_for(self, step: str) -> str:
        return {
            "pin": "Scan or type the 16-digit 1Voucher PIN, Enter",
            "amount": "Amount to redeem in rands (Enter on its own = the full value)",
            "mobile": "Cell number for the change voucher SMS (Enter on its own = print it)",
            "confirm": "Enter = CONFIRM and redeem at Flash     Escape = change",
        }[step]

    def summary(self) -> str:
        lines = [f"PIN      {masked_pin(self.pin)}"]
        if self.step in ("mobile", "confirm"):
            lines.append(f"Amount   {format_rands(self.amount) if self.amount else 'full value'}")
        if self.step == "confirm" and self.amount:
            change = "printed on the slip"
            if self.mobile:
                change = f"SMS to {display_mobile(self.mobile)}"
            lines.append(f"Change   {change}")
        return "\n".join(lines)

    def handle(self, text: str) -> None:
        if self.step == "pin":
            self.pin = parse_pin(text)
            self._enter("amount")
        elif self.step == "amount":
            self.amount = parse_amount(text, maximum=REDEEM_MAXIMUM, allow_zero=True)
            self.mobile = None
            # A full redemption leaves no change, so there is no voucher to send anywhere.
            self._enter("mobile" if self.amount else "confirm")
        elif self.step == "mobile":
            self.mobile = parse_optional_mobile(text)
            self._enter("confirm")
        elif self.step == "confirm":
            if text:
                raise FieldError("Press Enter on its own to confirm, or Escape to change.")
            pin, amount, mobile = self.pin, self.amount, self.mobile

            async def call(engine: SaleEngine, approved_by: str | None) -> Outcome:
                return await engine.redeem_1voucher(pin, amount, mobile_number=mobile)

            self.send(call)

    def step_back(self) -> str:
        if self.step == "confirm":
            return "mobile" if self.amount else "amount"
        return {"mobile": "amount", "amount": "pin"}.get(self.step, "pin")

    def step_for_field(self, field: str | None) -> str:
        if field == "pin":
            return "pin"
        return "mobile" if mobile_field(field) and self.amount else "amount"

    def reset(self) -> None:
        self.pin = ""
        self.amount = 0
        self.mobile = None


__all__ = [
    "RedeemScreen",
    "masked_pin",
    "mobile_field",
    "parse_optional_mobile",
    "parse_pin",
    "reference_matches",
    "when",
]
