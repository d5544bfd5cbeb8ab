"""The sale engine: validate -> journal `pending` -> call Flash -> settle -> outcome.

Screens and commands call one method per transaction kind and show the `Outcome`. The engine
knows nothing of screens. The journal entry is written durably before any byte is sent, and a
sale whose answer never came is settled later by `resolve()`, which resends the journaled bytes
with the same reference until Flash answers definitively. Each kind of work has its own module;
`SaleEngine` puts them together and runs the resolver in the background.
"""

from __future__ import annotations

import asyncio
import logging

from till.outcome import Outcome
from till.sales import reversal
from till.sales.cashout import CashOut
from till.sales.resolver import Resolving
from till.sales.utilities import Utilities
from till.sales.vouchers import Vouchers

log = logging.getLogger("till.sales")

__all__ = ["SaleEngine"]


class SaleEngine(Vouchers, CashOut, Utilities, Resolving):
    """One till's sales against Flash, journaled before they are sent."""

    # -- voids (Flash's reversals: rev 3.0 only) --------------------------------------------

    async def reverse_sale(
        self, reference: str, *, reason: str, approved_by: str | None = None
    ) -> Outcome:
        """Void an approved sale at Flash: a reversal entry linked to it both ways. Which sales,
        and what is refused before anything is written or sent: `till.sales.reversal`."""
        void = reversal.plan(
            self.journal,
            reference,
            reason,
            common=self._common(),
            products=self.products,
            api_revision=self.client.api_revision,
        )
        outcome = await self._run(
            void.endpoint, void.request, approved_by=approved_by, **void.details
        )
        return reversal.explained(outcome)

    # -- the resolver in the background ------------------------------------------------------

    def wake(self) -> None:
        """Ask the background resolver to run now."""
        self._wake.set()

    async def run_resolver(self, stop: asyncio.Event) -> None:
        """Background loop: settle due entries, then sleep until the next is due or woken."""
        while not stop.is_set():
            timeout = 60.0
            try:
                await self.resolve()
                next_due = self.journal.next_due_at(
                    training=self.training, excluding=self._in_flight
                )
                if next_due is not None:
                    timeout = min(timeout, max(0.05, (next_due - self.clock()) / 1000))
            except Exception:  # keep retrying; the journal keeps every entry safe meanwhile
                log.exception("resolver pass failed")
            self._wake.clear()
            stopper = asyncio.ensure_future(stop.wait())
            waker = asyncio.ensure_future(self._wake.wait())
            await asyncio.wait({stopper, waker}, timeout=timeout, return_when="FIRST_COMPLETED")
            stopper.cancel()
            waker.cancel()
