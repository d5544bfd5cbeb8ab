"""Which transactions a cashier may not do alone, and the error that asks for a supervisor."""

from __future__ import annotations

from dataclasses import dataclass, field


class ApprovalRequired(Exception):
    """A supervisor (or manager) must approve this before anything is written or sent."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


#: Kinds that always need a second person: money or a PIN going back out.
ALWAYS: frozenset[str] = frozenset({"1voucher.refund", "1voucher.disburse", "cash-out-pin.cancel"})
#: Not sales, so never held up by the sale limit: lookups move no money, and a redemption
#: has no approver to give (the engine's redeem takes no `approved_by`).
NOT_SALES: frozenset[str] = frozenset(
    {"1voucher.redeem", "prepaid-utilities.lookup", "cash-out-pin.lookup"}
)


@dataclass(frozen=True)
class ApprovalPolicy:
    """Refunds, Cash Out PIN cancels and reprints always; any sale above `sale_limit`."""

    sale_limit: int | None = 100_000  # cents: R 1 000.00
    always: frozenset[str] = field(default_factory=lambda: ALWAYS)

    def reason(self, kind: str, amount: int | None) -> str | None:
        """Why this needs approval, or None when the cashier may go ahead."""
        if kind in self.always:
            return "a supervisor must approve refunds, disbursements and cancels"
        if kind in NOT_SALES:
            return None
        if self.sale_limit is not None and amount is not None and amount > self.sale_limit:
            return "a supervisor must approve a sale this large"
        return None
