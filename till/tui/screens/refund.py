"""Refund (part of) a 1Voucher redemption: find it -> amount -> (cell number) -> confirm -> PIN.

The redemption is found by its reference, typed, or picked from this till's latest approved
redemptions (Up/Down, Enter). The screen shows what was redeemed and what is already refunded,
and refuses a refund beyond what is left before anything is written or sent (the engine refuses
it again).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from till.journal import Entry
from till.money import format_rands
from till.sales import Outcome, SaleEngine
from till.tui.screens.base import FieldError, parse_amount
from till.tui.screens.redeem import mobile_field, parse_optional_mobile, reference_matches, when
from till.tui.steps import StepScreen
from till.words import display_mobile

if TYPE_CHECKING:
    from till.sales.reads import Redemption, SaleReads

REDEEM = "1voucher.redeem"


class RefundScreen(StepScreen[Entry]):
    """Money back to a customer who redeemed a 1Voucher here, as a new 1Voucher."""

    title_text = "REFUND A REDEMPTION"
    FIRST = "find"
    PICK_STEPS = frozenset({"find"})

    def __init__(self) -> None:
        super().__init__()
        self.redemption: Entry | None = None
        self.redeemed = 0
        self.refunded = 0
        self.amount = 0
        self.mobile: str | None = None

    @property
    def left(self) -> int:
        return max(0, self.redeemed - self.refunded)

    def prompt_for(self, step: str) -> str:
        if step == "amount" and self.redeemed:
            return f"Amount to refund in rands (Enter on its own = all {format_rands(self.left)})"
        return {
            "find": "Redemption reference (or Up/Down to pick, Enter)",
            "amount": "Amount to refund in rands",
            "mobile": "Cell number for the new voucher SMS (Enter on its own = print it)",
            "confirm": "Enter = CONFIRM and refund at Flash     Escape = change",
        }[step]

    def summary(self) -> str:
        entry = self.redemption
        if entry is None:
            return ""
        lines = [
            f"Redemption  {entry.reference}  {when(entry)}",
            f"Redeemed    {format_rands(self.redeemed) if self.redeemed else 'unknown'}",
            f"Refunded    {format_rands(self.refunded)}  (left {format_rands(self.left)})",
        ]
        if self.step in ("mobile", "confirm"):
            lines.append(f"Refund      {format_rands(self.amount)}")
        if self.step == "confirm":
            sms = f"SMS to {display_mobile(self.mobile)}" if self.mobile else "printed"
            lines.append(f"New PIN     {sms}")
        return "\n".join(lines)

    def picks(self, reads: SaleReads, step: str) -> list[tuple[Entry, str]]:
        """This till's latest approved redemptions, each with what is left to refund."""
        return [(found.entry, redemption_label(found)) for found in reads.recent_redemptions()]

    def pick_matches(self, item: Entry, text: str) -> bool:
        return reference_matches(item, text)

    def handle(self, text: str) -> None:
        if self.step == "find":
            self._choose(self._find(text))
        elif self.step == "amount":
            self.amount = self._parse_amount(text)
            self._enter("mobile")
        elif self.step == "mobile":
            self.mobile = parse_optional_mobile(text)
            self._enter("confirm")
        elif self.step == "confirm":
            if text:
                raise FieldError("Press Enter on its own to confirm, or Escape to change.")
            assert self.redemption is not None
            reference, amount, mobile = self.redemption.reference, self.amount, self.mobile

            async def call(engine: SaleEngine, approved_by: str | None) -> Outcome:
                return await engine.refund_1voucher(
                    reference, amount, mobile_number=mobile, approved_by=approved_by
                )

            self.send(call)

    def _find(self, text: str) -> Entry:
        if text:
            found = self.till.reads.find(text)
            if found is not None:
                return found
        picked = self.highlighted()
        if picked is not None:
            return picked
        if text:
            raise FieldError(f"No redemption on this till has reference {text!r}: check it.")
        raise FieldError("Type the redemption's reference (it is on the customer's slip).")

    def _choose(self, entry: Entry) -> None:
        if entry.kind != REDEEM:
            raise FieldError(f"{entry.reference} is not a 1Voucher redemption: nothing to refund.")
        if entry.state != "approved":
            raise FieldError(f"Redemption {entry.reference} was not approved: nothing to refund.")
        found = self.till.reads.redemption(entry)
        redeemed, refunded = found.redeemed, found.refunded
        if redeemed and refunded >= redeemed:
            raise FieldError(
                f"Redemption {entry.reference} is already refunded in full "
                f"({format_rands(refunded)})."
            )
        self.redemption, self.redeemed, self.refunded = entry, redeemed, refunded
        self._enter("amount")

    def _parse_amount(self, text: str) -> int:
        if not text and self.redeemed:
            return self.left
        cents = parse_amount(text)
        if self.redeemed and cents > self.left:
            raise FieldError(
                f"Only {format_rands(self.left)} is left to refund on this redemption "
                f"({format_rands(self.refunded)} already refunded)."
            )
        return cents

    def step_back(self) -> str:
        return {"confirm": "mobile", "mobile": "amount"}.get(self.step, "find")

    def step_for_field(self, field: str | None) -> str:
        if mobile_field(field):
            return "mobile"
        return "amount" if field == "amount" else "find"

    def reset(self) -> None:
        self.redemption = None
        self.redeemed = self.refunded = self.amount = 0
        self.mobile = None


def redemption_label(found: Redemption) -> str:
    """One line (never two at 80 columns): reference, when, what is left of what."""
    entry = found.entry
    return (
        f"{entry.reference:<14} {when(entry)}  "
        f"{format_rands(found.left):>10} left of {format_rands(found.redeemed)}"
    )


__all__ = ["RefundScreen", "redemption_label"]
