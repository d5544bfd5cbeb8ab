"""The common path of every transaction: validate -> journal `pending` -> call Flash -> settle
as `approved`, `declined` or `in_doubt`, and the outcome the screens show.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from pydantic import ValidationError

from till.flash import ENDPOINTS, FlashDeclined, FlashInDoubt, FlashNotSent, FlashUnusable
from till.flash import client as endpoints
from till.flash.models import FlashRequest, FlashResponse
from till.journal import Entry, JournalError, JournalFault, NewEntry
from till.outcome import Outcome, OutcomeStatus, input_error
from till.sales.core import EngineCore

log = logging.getLogger("till.sales")

#: Queries are journaled for audit but never resent in the background.
QUERY_KINDS = frozenset({endpoints.UTILITY_LOOKUP.name, endpoints.CASH_OUT_PIN_LOOKUP.name})


def unusable_advice(reference: str) -> str:
    """What a cashier does with an approval the till could not use."""
    return (
        "Hand over nothing and do not sell again: call the Flash helpdesk with reference "
        f"{reference}"
    )


class Settling(EngineCore):
    """Journal a transaction, send its bytes, and settle whatever Flash said."""

    async def _sell_product(
        self,
        endpoint: endpoints.Endpoint[Any],
        request: Callable[..., FlashRequest],
        product_code: int,
        amount: int,
        approved_by: str | None,
    ) -> Outcome:
        """`amount` of a listed product, bought with the till's ids: the gift voucher, Eezi
        voucher and Cash Out PIN sales differ only in their request and endpoint."""

        def factory(reference: str) -> FlashRequest:
            return request(
                reference=reference, amount=amount, product_code=product_code, **self._common()
            )

        return await self._run(
            endpoint, factory, amount=amount, product_code=product_code, approved_by=approved_by
        )

    async def _run(
        self,
        endpoint: endpoints.Endpoint[Any],
        factory: Callable[[str], FlashRequest],
        *,
        approved_by: str | None = None,
        **details: Any,
    ) -> Outcome:
        if approved_by is None and self._vouched is not None:
            approved_by, self._vouched = self._vouched, None
        self._check_listed(endpoint.name, details.get("amount"), details.get("product_code"))
        self._check_approval(endpoint.name, details.get("amount"), approved_by)
        try:  # the request is built inside the journal's transaction: bad input rolls it back
            entry = self.journal.add(
                NewEntry(
                    kind=endpoint.name,
                    build_request=lambda reference: factory(reference).to_wire(),
                    store_id=self.store_id,
                    terminal_id=self.terminal_id,
                    cashier=self.cashier,
                    training=self.training,
                    retryable=endpoint.name not in QUERY_KINDS,
                    approved_by=approved_by,
                    **details,
                ),
                now=self.clock(),
            )
        except ValidationError as exc:
            raise input_error(exc) from None
        self.hooks.journaled(entry)
        outcome = await self._attempt(entry, first=True)
        log_outcome(outcome)
        self._refresh_count()
        if outcome.status == "in_doubt":
            self._wake.set()
        return await self._print_if_approved(outcome, kick_drawer=True)

    async def _attempt(self, entry: Entry, *, first: bool) -> Outcome:
        """Send the journaled bytes once and settle whatever Flash said.

        A reference is never in flight twice from this engine; if another process settled it
        meanwhile, its answer stands (Flash is idempotent on the reference, so it is the same).
        """
        self._in_flight.add(entry.reference)
        try:
            return await self._send_and_settle(entry, first=first)
        except JournalFault as exc:  # the file itself failed: Flash's answer was not recorded
            raise exc.for_reference(entry.reference) from exc
        except JournalError:
            current = self.journal.get(entry.reference)
            assert current is not None
            status: OutcomeStatus = current.state if current.state != "pending" else "in_doubt"
            return Outcome(status, current, current.last_error or "settled elsewhere")
        finally:
            self._in_flight.discard(entry.reference)

    async def _send_and_settle(self, entry: Entry, *, first: bool) -> Outcome:
        endpoint = ENDPOINTS[entry.kind]
        query = entry.kind in QUERY_KINDS
        try:
            exchange = await self.client.exchange(
                endpoint, entry.request, reference=entry.reference
            )
        except FlashDeclined as exc:
            self.hooks.answered(entry)
            settled = self.journal.settle(
                entry.reference,
                "declined",
                now=self.clock(),
                response=exc.body,  # Flash's answer as it came (made safe)
                response_code=exc.code,
                error=exc.message,
            )
            self.hooks.settled(settled)
            return Outcome("declined", settled, exc.message, exc.code)
        except FlashNotSent as exc:
            if first and not entry.attempts:
                # Nothing ever left the till for this reference: it is definitively not a sale.
                settled = self.journal.settle(
                    entry.reference, "declined", now=self.clock(), error=f"not sent: {exc.message}"
                )
                self.hooks.settled(settled)
                return Outcome("not_sent", settled, exc.message)
            return self._in_doubt(entry, exc.message, None, query=query)
        except FlashUnusable as exc:
            self.hooks.answered(entry)
            message = f"{exc.message}. {unusable_advice(entry.reference)}"
            return self._in_doubt(entry, message, exc.code, query=query, flag=True)
        except FlashInDoubt as exc:
            self.hooks.answered(entry)
            return self._in_doubt(entry, str(exc), exc.code, query=query)
        self.hooks.answered(entry)
        response = exchange.response
        settled = self.journal.settle(
            entry.reference,
            "approved",
            now=self.clock(),
            response=exchange.text,
            response_code=response.response_code,
            serial_number=_serial_of(response),
            amount=response.amount if not entry.amount and response.amount else None,
        )
        self.hooks.settled(settled)
        return Outcome("approved", settled, "Approved", response.response_code)

    def _in_doubt(
        self, entry: Entry, message: str, code: int | None, *, query: bool, flag: bool = False
    ) -> Outcome:
        now = self.clock()
        if query:
            # A lookup changes nothing at Flash: no answer simply means ask again later, by hand.
            settled = self.journal.settle(
                entry.reference,
                "declined",
                now=now,
                response_code=code,
                error=f"no answer: {message}",
            )
            self.hooks.settled(settled)
            return Outcome("declined", settled, f"No answer from Flash: {message}", code)
        attempts = entry.attempts + 1
        updated = self.journal.mark_in_doubt(
            entry.reference,
            now=now,
            error=message,
            response_code=code,
            next_attempt_at=now + self.backoff.delay_ms(attempts),
            flag=flag,
        )
        return Outcome("in_doubt", updated, message, code, needs_attention=flag)


def log_outcome(outcome: Outcome, *, resent: bool = False) -> None:
    """One line per answer, for the support desk: kind, reference, what happened (never a PIN:
    the message is Flash's decline text, made safe, or the till's own words)."""
    entry = outcome.entry
    how = "resent, " if resent else ""
    if outcome.status == "approved":
        log.info("%s %s: %sapproved", entry.kind, entry.reference, how)
    else:
        level = logging.WARNING if outcome.status == "in_doubt" else logging.INFO
        log.log(level, "%s %s: %s%s: %s", entry.kind, entry.reference, how, outcome.status,
                outcome.message)  # fmt: skip


def _serial_of(response: FlashResponse) -> str | None:
    voucher = getattr(response, "voucher", None)
    serial = getattr(voucher, "serial_number", None) if voucher is not None else None
    return str(serial) if serial else None
