"""The sale engine: validate -> journal `pending` -> call Flash -> settle -> outcome.

Screens and commands call one method per transaction kind and show the `Outcome`. The engine
knows nothing of screens. The journal entry is written durably before any byte is sent, and a
sale whose answer never came is settled later by `resolve()`, which resends the journaled bytes
with the same reference until Flash answers definitively.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from till.clock import now_ms
from till.digits import ungroup
from till.flash import (
    ENDPOINTS,
    FlashClient,
    FlashDeclined,
    FlashInDoubt,
    FlashNotSent,
    FlashUnusable,
)
from till.flash import client as endpoints
from till.flash.models import (
    CashOutPinCancelRequest,
    CashOutPinLookupRequest,
    CashOutPinPurchaseRequest,
    CellularPinlessPurchaseRequest,
    EeziVoucherPurchaseRequest,
    FlashRequest,
    FlashResponse,
    GiftVoucherPurchaseRequest,
    OneVoucherDisburseRequest,
    OneVoucherPurchaseRequest,
    OneVoucherRedeemRequest,
    OneVoucherRefundRequest,
    UtilityLookupRequest,
    UtilityPurchaseRequest,
)
from till.journal import Entry, Journal, JournalError, JournalFault, NewEntry
from till.money import format_rands
from till.phone import normalize_mobile
from till.sales import reversal
from till.sales.backoff import Backoff
from till.sales.outcome import (
    EngineHooks,
    InputError,
    Outcome,
    OutcomeStatus,
    ResolveReport,
    input_error,
)
from till.sales.products import LISTED_KINDS, Listed, check_sale
from till.staff.approvals import ApprovalPolicy, ApprovalRequired

if TYPE_CHECKING:
    from till.sales.printing import SlipPrinter

log = logging.getLogger("till.sales")

__all__ = [
    "QUERY_KINDS",
    "EngineHooks",
    "InputError",
    "Outcome",
    "OutcomeStatus",
    "ResolveReport",
    "SaleEngine",
    "redeemed_amount",
    "refunded_amount",
    "unusable_advice",
]

#: Queries are journaled for audit but never resent in the background.
QUERY_KINDS = frozenset({endpoints.UTILITY_LOOKUP.name, endpoints.CASH_OUT_PIN_LOOKUP.name})


def unusable_advice(reference: str) -> str:
    """What a cashier does with an approval the till could not use."""
    return (
        "Hand over nothing and do not sell again: call the Flash helpdesk with reference "
        f"{reference}"
    )


def redeemed_amount(redemption: Entry) -> int:
    """What a redemption was worth: a full one is journaled as 0, and Flash's answer says."""
    return int((redemption.response or {}).get("amount") or redemption.amount or 0)


def refunded_amount(journal: Journal, redemption_reference: str) -> int:
    """Refunds made against a redemption, in doubt ones included (they may yet be approved)."""
    return sum(
        e.amount or 0
        for e in journal.related(redemption_reference)
        if e.kind == endpoints.ONE_VOUCHER_REFUND.name and e.state != "declined"
    )


class SaleEngine:
    """One till's sales against Flash, journaled before they are sent."""

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

    # -- the common path ---------------------------------------------------------------------

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
        _log_outcome(outcome)
        self._refresh_count()
        if outcome.status == "in_doubt":
            self._wake.set()
        return await self._print_if_approved(outcome, kick_drawer=True)

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

    # -- 1Voucher ----------------------------------------------------------------------------

    def _common(self) -> dict[str, Any]:
        return {
            "account_number": self.client.account_number,
            "store_id": self.store_id,
            "terminal_id": self.terminal_id,
        }

    async def sell_1voucher(self, amount: int, *, approved_by: str | None = None) -> Outcome:
        def factory(reference: str) -> FlashRequest:
            return OneVoucherPurchaseRequest(reference=reference, amount=amount, **self._common())

        return await self._run(
            endpoints.ONE_VOUCHER_PURCHASE, factory, amount=amount, approved_by=approved_by
        )

    async def disburse_1voucher(self, amount: int, *, approved_by: str | None = None) -> Outcome:
        def factory(reference: str) -> FlashRequest:
            return OneVoucherDisburseRequest(reference=reference, amount=amount, **self._common())

        return await self._run(
            endpoints.ONE_VOUCHER_DISBURSE, factory, amount=amount, approved_by=approved_by
        )

    async def redeem_1voucher(
        self, pin: str, amount: int = 0, *, mobile_number: str | None = None
    ) -> Outcome:
        """Redeem a customer's 1Voucher; amount 0 redeems its full value."""
        pin = ungroup(pin)
        mobile = normalize_mobile(mobile_number) if mobile_number else None

        def factory(reference: str) -> FlashRequest:
            return OneVoucherRedeemRequest(
                reference=reference, pin=pin, amount=amount, mobile_number=mobile, **self._common()
            )

        return await self._run(
            endpoints.ONE_VOUCHER_REDEEM, factory, amount=amount, mobile_number=mobile
        )

    async def refund_1voucher(
        self,
        redemption_reference: str,
        amount: int,
        *,
        mobile_number: str | None = None,
        approved_by: str | None = None,
    ) -> Outcome:
        """Refund (part of) an approved redemption as a new voucher, linked to it."""
        redemption = self.journal.get(redemption_reference)
        if redemption is None or redemption.kind != endpoints.ONE_VOUCHER_REDEEM.name:
            raise InputError(f"{redemption_reference} is not a 1Voucher redemption on this till")
        if redemption.state != "approved":
            raise InputError(f"redemption {redemption_reference} was not approved")
        redeemed = redeemed_amount(redemption)
        already = refunded_amount(self.journal, redemption_reference)
        if not redeemed:
            raise InputError(f"the amount redeemed by {redemption_reference} is not known")
        if amount + already > redeemed:
            raise InputError(
                f"refund would exceed the redemption: {format_rands(redeemed - already)} left "
                "to refund",
                field="amount",
            )
        mobile = normalize_mobile(mobile_number) if mobile_number else None

        def factory(reference: str) -> FlashRequest:
            return OneVoucherRefundRequest(
                reference=reference,
                amount=amount,
                mobile_number=mobile,
                metadata={"refundOf": redemption_reference},
                **self._common(),
            )

        return await self._run(
            endpoints.ONE_VOUCHER_REFUND,
            factory,
            amount=amount,
            mobile_number=mobile,
            related_reference=redemption_reference,
            approved_by=approved_by,
        )

    # -- other vouchers ----------------------------------------------------------------------

    async def sell_gift_voucher(
        self, product_code: int, amount: int, *, approved_by: str | None = None
    ) -> Outcome:
        def factory(reference: str) -> FlashRequest:
            return GiftVoucherPurchaseRequest(
                reference=reference, amount=amount, product_code=product_code, **self._common()
            )

        return await self._run(
            endpoints.GIFT_VOUCHER_PURCHASE,
            factory,
            amount=amount,
            product_code=product_code,
            approved_by=approved_by,
        )

    async def sell_eezi_voucher(
        self, product_code: int, amount: int, *, approved_by: str | None = None
    ) -> Outcome:
        def factory(reference: str) -> FlashRequest:
            return EeziVoucherPurchaseRequest(
                reference=reference, amount=amount, product_code=product_code, **self._common()
            )

        return await self._run(
            endpoints.EEZI_VOUCHER_PURCHASE,
            factory,
            amount=amount,
            product_code=product_code,
            approved_by=approved_by,
        )

    async def sell_airtime(
        self, product_code: int, mobile_number: str, amount: int, *, approved_by: str | None = None
    ) -> Outcome:
        mobile = normalize_mobile(mobile_number)

        def factory(reference: str) -> FlashRequest:
            return CellularPinlessPurchaseRequest(
                reference=reference,
                amount=amount,
                product_code=product_code,
                mobile_number=mobile,
                **self._common(),
            )

        return await self._run(
            endpoints.PINLESS_PURCHASE,
            factory,
            amount=amount,
            product_code=product_code,
            mobile_number=mobile,
            approved_by=approved_by,
        )

    # -- Cash Out PIN ------------------------------------------------------------------------

    async def sell_cash_out_pin(
        self, product_code: int, amount: int, *, approved_by: str | None = None
    ) -> Outcome:
        def factory(reference: str) -> FlashRequest:
            return CashOutPinPurchaseRequest(
                reference=reference, amount=amount, product_code=product_code, **self._common()
            )

        return await self._run(
            endpoints.CASH_OUT_PIN_PURCHASE,
            factory,
            amount=amount,
            product_code=product_code,
            approved_by=approved_by,
        )

    async def cancel_cash_out_pin(
        self, purchase_reference: str, *, approved_by: str | None = None
    ) -> Outcome:
        """Cancel a Cash Out PIN this till sold, found by its purchase reference."""
        purchase = self.journal.get(purchase_reference)
        if purchase is None or purchase.kind != endpoints.CASH_OUT_PIN_PURCHASE.name:
            raise InputError(f"{purchase_reference} is not a Cash Out PIN sale on this till")
        if purchase.state != "approved" or not purchase.serial_number:
            raise InputError(f"Cash Out PIN sale {purchase_reference} was not approved")
        self._check_not_undone(purchase_reference)
        serial = purchase.serial_number
        product_code = purchase.product_code

        def factory(reference: str) -> FlashRequest:
            # Again inside the journal's write transaction: no cancel or void got in meanwhile.
            self._check_not_undone(purchase_reference)
            return CashOutPinCancelRequest(
                reference=reference,
                serial_number=serial,
                product_code=product_code,
                metadata={"cancelOf": purchase_reference},
                **self._common(),
            )

        return await self._run(
            endpoints.CASH_OUT_PIN_CANCEL,
            factory,
            amount=purchase.amount,
            product_code=product_code,
            serial_number=serial,
            related_reference=purchase_reference,
            approved_by=approved_by,
        )

    def _check_not_undone(self, purchase_reference: str) -> None:
        """InputError when this Cash Out PIN sale has a cancel or a void that stands."""
        if any(
            e.kind == endpoints.CASH_OUT_PIN_CANCEL.name and e.state != "declined"
            for e in self.journal.related(purchase_reference)
        ):
            raise InputError(f"Cash Out PIN sale {purchase_reference} is already cancelled")
        if reversal.live_void(self.journal, purchase_reference) is not None:
            raise InputError(
                f"Cash Out PIN sale {purchase_reference} was voided: nothing to cancel"
            )

    async def lookup_cash_out_pin(self, serial_number: str, product_code: int) -> Outcome:
        def factory(reference: str) -> FlashRequest:
            return CashOutPinLookupRequest(
                reference=reference,
                account_number=self.client.account_number,
                serial_number=serial_number,
                product_code=product_code,
            )

        return await self._run(
            endpoints.CASH_OUT_PIN_LOOKUP,
            factory,
            product_code=product_code,
            serial_number=serial_number,
        )

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

    # -- prepaid utilities -------------------------------------------------------------------

    async def lookup_meter(self, meter_number: str, amount: int, *, fbe: bool = False) -> Outcome:
        """Who the meter belongs to and what it may buy; `fbe` asks about free basic electricity."""
        meter = ungroup(meter_number)

        def factory(reference: str) -> FlashRequest:
            return UtilityLookupRequest(
                reference=reference,
                account_number=self.client.account_number,
                amount=amount,
                meter_number=meter,
                is_fbe=True if fbe else None,
            )

        return await self._run(endpoints.UTILITY_LOOKUP, factory, amount=amount, meter_number=meter)

    async def vend_utility(
        self, meter_number: str, amount: int, *, fbe: bool = False, approved_by: str | None = None
    ) -> Outcome:
        """Electricity or water tokens for a meter; `fbe` asks for free basic electricity."""
        meter = ungroup(meter_number)

        def factory(reference: str) -> FlashRequest:
            return UtilityPurchaseRequest(
                reference=reference,
                amount=amount,
                meter_number=meter,
                is_fbe=True if fbe else None,
                **self._common(),
            )

        return await self._run(
            endpoints.UTILITY_PURCHASE,
            factory,
            amount=amount,
            meter_number=meter,
            approved_by=approved_by,
        )

    # -- the resolver ------------------------------------------------------------------------

    async def resolve(self, *, all_open: bool = False) -> ResolveReport:
        """One pass: resend every due open entry (or every open one: "retry now").

        Leftover `pending` entries from a crash are due at once: each may or may not have
        reached Flash, so they are resent with their reference and bytes like any in-doubt one.
        """
        async with self._resolve_lock:
            now = self.clock()
            report = ResolveReport()
            report.flagged = self.journal.flag_stale(
                older_than=now - self.attention_after_ms, now=now
            )
            for query in self.journal.open_entries():
                if not query.retryable and query.reference not in self._in_flight:
                    # A lookup cut short by a crash: it changed nothing at Flash, so it is
                    # closed rather than asked again in the background.
                    self.journal.settle(
                        query.reference, "declined", now=now, error="no answer: interrupted"
                    )
            if all_open:
                entries = [e for e in self.journal.open_entries() if e.retryable]
            else:
                entries = self.journal.due(now=now)
            entries = [
                e
                for e in entries
                if e.training == self.training and e.reference not in self._in_flight
            ]
            semaphore = asyncio.Semaphore(self.resolver_concurrency)

            async def settle(entry: Entry) -> None:
                async with semaphore:
                    try:
                        outcome = await self._attempt(entry, first=False)
                        outcome = await self._print_if_approved(outcome)
                    except JournalFault:
                        raise  # the journal itself: nothing more can be recorded, stop loudly
                    except Exception as exc:  # one bad entry must not stop the others
                        status = self._record_failure(entry, exc)
                        report.attention.append(entry.reference)
                    else:
                        status = outcome.status
                        _log_outcome(outcome, resent=True)
                        if outcome.needs_attention:
                            report.attention.append(entry.reference)
                bucket = {
                    "approved": report.approved,
                    "declined": report.declined,
                }.get(status, report.still_in_doubt)
                bucket.append(entry.reference)

            report.attempted = len(entries)
            # Every entry's attempt runs to its end, even when one meets a journal fault: what
            # the others settled is recorded (and printed) before the fault is raised.
            results = await asyncio.gather(*(settle(e) for e in entries), return_exceptions=True)
            for result in results:
                if isinstance(result, BaseException):
                    raise result
            self._refresh_count()
            if report.attempted:
                log.info(
                    "resolver: %d attempted, %d approved, %d declined, %d still in doubt",
                    report.attempted,
                    len(report.approved),
                    len(report.declined),
                    len(report.still_in_doubt),
                )
            return report

    def _record_failure(self, entry: Entry, exc: Exception) -> str:
        """Keep an unexpected error on the entry it happened to (flagged), and say its state."""
        name = type(exc).__name__
        log.error("resolver: settling %s failed unexpectedly (%s)", entry.reference, name)
        log.debug("resolver: %s failure", entry.reference, exc_info=exc)
        now = self.clock()
        try:
            return self.journal.mark_in_doubt(
                entry.reference,
                now=now,
                error=f"unexpected error while settling ({name}): see the till's log",
                next_attempt_at=now + self.backoff.delay_ms(entry.attempts + 1),
                flag=True,
            ).state
        except Exception:  # settled meanwhile, or the journal itself is failing
            current = self.journal.get(entry.reference)
            return current.state if current is not None else "in_doubt"

    def clear_training(self, reason: str) -> list[str]:
        """Training only: settle this journal's open training entries as declined (`reason`), so
        the next lesson starts clean; a live entry, or one on the wire, is never touched."""
        if not self.training:
            raise InputError("Only a training till clears its in-doubt sales: live ones stay.")
        cleared: list[str] = []
        for entry in self.journal.open_entries():
            if not entry.training or entry.reference in self._in_flight:
                continue
            try:
                self.journal.settle(entry.reference, "declined", now=self.clock(), error=reason)
            except JournalFault:
                raise
            except JournalError:  # settled meanwhile: its answer stands
                continue
            cleared.append(entry.reference)
        self._refresh_count()
        return cleared

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


def _log_outcome(outcome: Outcome, *, resent: bool = False) -> None:
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
