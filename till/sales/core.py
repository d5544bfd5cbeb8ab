"""The engine's state and what every sale shares before and after Flash: the in-doubt badge,
the product list and approval checks made before anything is journaled, and the receipt
printed once an approval is in the journal.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from till.clock import now_ms
from till.flash import FlashClient
from till.journal import Journal
from till.outcome import EngineHooks, InputError, Outcome
from till.sales import reversal
from till.sales.backoff import Backoff
from till.sales.products import LISTED_KINDS, Listed, check_sale
from till.staff.approvals import ApprovalPolicy, ApprovalRequired

if TYPE_CHECKING:
    from till.sales.printing import SlipPrinter

log = logging.getLogger("till.sales")


class EngineCore:
    """One till's engine state: journal, client, hooks, policy; the badge; the checks made
    before a sale is journaled; the receipt printed once it is approved."""

    def __init__(
        self,
        journal: Journal,
        client: FlashClient,
        *,
        store_id: str,
        terminal_id: str,
        training: bool = False,
        cashier: str | None = None,
        hooks: EngineHooks | None = None,
        slips: SlipPrinter | None = None,
        policy: ApprovalPolicy | None = None,
        backoff: Backoff | None = None,
        resolver_concurrency: int = 8,
        attention_after_ms: int = 24 * 3600 * 1000,
        clock: Callable[[], int] = now_ms,
        products: Sequence[Listed] = (),
    ) -> None:
        self.journal = journal
        self.client = client
        self.store_id = store_id
        self.terminal_id = terminal_id
        self.training = training
        self.cashier = cashier
        self.hooks = hooks or EngineHooks()
        self.slips = slips
        self.policy = policy
        self.backoff = backoff or Backoff()
        self.resolver_concurrency = resolver_concurrency
        self.attention_after_ms = attention_after_ms
        self.clock = clock
        #: The product list a sale is checked against before it is journaled (`check_sale`):
        #: the one the till fetched or cached. Empty: Flash alone judges codes and amounts.
        self.products: Sequence[Listed] = products
        self._listeners: list[Callable[[int], None]] = []
        self._open_count = journal.count_open()
        self._wake = asyncio.Event()
        self._in_flight: set[str] = set()
        self._vouched: str | None = None
        self._resolve_lock = asyncio.Lock()

    # -- the in-doubt badge ------------------------------------------------------------------

    @property
    def open_count(self) -> int:
        """Pending and in-doubt entries: the number on every screen's badge."""
        return self._open_count

    def on_open_count(self, listener: Callable[[int], None]) -> None:
        self._listeners.append(listener)

    def _refresh_count(self) -> None:
        count = self.journal.count_open()
        if count != self._open_count:
            self._open_count = count
            for listener in self._listeners:
                listener(count)

    # -- what every request carries ---------------------------------------------------------

    def _common(self) -> dict[str, Any]:
        return {
            "account_number": self.client.account_number,
            "store_id": self.store_id,
            "terminal_id": self.terminal_id,
        }

    # -- before a sale is journaled, and after it is approved ----------------------------------

    async def _print_if_approved(self, outcome: Outcome, *, kick_drawer: bool = False) -> Outcome:
        """An approved sale's receipt prints once the journal holds it, whoever settled it."""
        if outcome.status != "approved" or self.slips is None or not outcome.entry.retryable:
            return outcome
        if outcome.entry.print_count:
            return outcome
        try:
            printed = await self.slips.print_entry(outcome.entry, kick_drawer=kick_drawer)
        except Exception as exc:  # the sale stands: its PIN is journaled; say it did not print
            log.warning("receipt for %s not printed: %s", outcome.reference, type(exc).__name__)
            return replace(outcome, print_error=f"receipt not printed ({type(exc).__name__})")
        return replace(
            outcome,
            entry=printed.entry,
            receipt=printed.document,
            print_error=printed.error,
            print_warning=printed.warning,
        )

    def _check_listed(self, kind: str, amount: int | None, product_code: int | None) -> None:
        """The product list's ranges and groups, before a supervisor is asked or anything is
        journaled: the same check the Sell screen makes as the amount is typed."""
        listed = LISTED_KINDS.get(kind)
        if listed is None or amount is None or not self.products:
            return
        refusal = check_sale(self.products, listed, amount, product_code)
        if refusal is not None:
            raise InputError(refusal.message, field=refusal.field)

    def approve_next(self, approver: str | None) -> None:
        """A supervisor (already verified by the caller) vouches for the next transaction only:
        for the one-shot commands, which cannot stop mid-way to ask."""
        self._vouched = approver

    def _check_approval(self, kind: str, amount: int | None, approved_by: str | None) -> None:
        """A cashier may not refund, cancel or sell above the limit alone (when staff is on)."""
        if self.policy is None:
            return
        reason = self.policy.reason(kind, amount) or reversal.approval_reason(kind)
        if reason is None:
            return
        if not approved_by:
            raise ApprovalRequired(reason)
        if self.cashier is not None and approved_by == self.cashier:
            raise ApprovalRequired("another person must approve: not the cashier themself")
