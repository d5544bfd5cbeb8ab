"""Disbursement: pay a customer out as a new 1Voucher: amount -> confirm -> supervisor -> PIN.

Money going out of the till's account: with staff on, a supervisor approves every one (asked by
the app before anything is journaled or sent), and the entry records who approved it.
"""

from __future__ import annotations

from till.money import format_rands
from till.sales import Outcome, SaleEngine
from till.staff import ApprovalRequired
from till.tui.catalog import ONE_VOUCHER
from till.tui.screens.base import FieldError, parse_amount
from till.tui.steps import StepScreen

#: Why a disbursement waits for a supervisor (`till.staff.approvals` always asks for one).
APPROVAL_REASON = "a supervisor must approve a disbursement: money paid out"


class DisburseScreen(StepScreen[object]):
    """Pays a customer out (winnings, a payout the store owes) as a new 1Voucher PIN."""

    title_text = "DISBURSE  -  pay a customer out as a new 1Voucher"
    FIRST = "amount"

    def __init__(self) -> None:
        super().__init__()
        self.amount = 0

    @property
    def limits(self) -> tuple[int, int]:
        """1Voucher's minimum and maximum, from Flash's product list when it has loaded."""
        for item in self.till.catalog:
            if item.kind == "1voucher":
                return (
                    item.minimum or ONE_VOUCHER.minimum or 0,
                    item.maximum or ONE_VOUCHER.maximum or 0,
                )
        return ONE_VOUCHER.minimum or 0, ONE_VOUCHER.maximum or 0

    def prompt_for(self, step: str) -> str:
        low, high = self.limits
        return {
            "amount": f"Amount to pay out in rands ({format_rands(low)} - {format_rands(high)})",
            "confirm": "Enter = CONFIRM and pay out at Flash     Escape = change",
        }[step]

    def summary(self) -> str:
        lines = [f"Pay out    {format_rands(self.amount)} as a new 1Voucher"]
        if self.till.staff_enabled:
            lines.append("A supervisor approves it before anything is sent.")
        return "\n".join(lines)

    def handle(self, text: str) -> None:
        if self.step == "amount":
            low, high = self.limits
            self.amount = parse_amount(text, minimum=low, maximum=high)
            self._enter("confirm")
        elif self.step == "confirm":
            if text:
                raise FieldError("Press Enter on its own to confirm, or Escape to change.")
            amount, staff = self.amount, self.till.staff_enabled

            async def call(engine: SaleEngine, approved_by: str | None) -> Outcome:
                if staff and not approved_by:
                    raise ApprovalRequired(APPROVAL_REASON)  # the app asks, then calls again
                return await engine.disburse_1voucher(amount, approved_by=approved_by or None)

            self.send(call)

    def step_back(self) -> str:
        return "amount"

    def step_for_field(self, field: str | None) -> str:
        return "amount"

    def reset(self) -> None:
        self.amount = 0


__all__ = ["DisburseScreen"]
