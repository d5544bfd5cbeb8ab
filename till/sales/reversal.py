"""Void at the till: undo an approved sale at Flash with a reversal (rev 3.0 of May 2025 only).

What the till voids, and what it refuses before anything is written or sent (`reversible`):
- an approved sale the customer paid for that Flash can reverse: a 1Voucher, a Cash Out PIN or
  an Eezi voucher (`REVERSIBLE`). Not a 1Voucher disbursement, which Flash could reverse too:
  the customer paid nothing at the till, so a void has no money to give back;
- not one whose product the till's product list says Flash will not reverse (`allowReversal`
  false), when the list knows; without a list, Flash judges (2273);
- not one already voided, nor one whose void still waits for Flash's answer, nor a Cash Out PIN
  already cancelled (its money was given back then);
- not on a till that speaks the April 2023 document, which has no reversals (`[flash]
  api_revision`);
- only with a reason, which Flash keeps in the request's `metadata` (at most 43 characters).
A supervisor approves every void when staff is on, as every refund and cancel
(`approval_reason`).

How long after a sale: the document (rev 3.0, 3.1.8/3.1.15/3.1.25) gives no time limit, only
the code 2281 "Unable to process reversal due to the allocated time limit", so the till sets
none of its own: Flash decides. Any refusal of Flash's (2273-2283, 2412, 2413) is a definitive
decline: the sale stands, and the cashier is told why in words (`till.words.void`).

A void is a journal entry of its own (kinds `1voucher.reverse`, `cash-out-pin.reverse`,
`eezi-voucher.reverse`), linked to the sale by `related_reference` and in `metadata`
(`reverseOf`, `reason`), and goes through the engine's one path: journaled before it is sent,
resent by the resolver with the same reference and body until Flash answers. That no other void
of the sale is open or approved is checked again inside the journal's write transaction that
gives the void its reference, so two processes on one journal cannot both void a sale.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from till.flash import client as endpoints
from till.flash.models import METADATA_VALUE_MAX_LENGTH, FlashRequest
from till.flash.reversals import ReversalRequest
from till.flash.revision import describe
from till.journal import Entry, Journal
from till.outcome import InputError, Outcome
from till.sales.products import LISTED_KINDS, WITHOUT_CODE, Listed
from till.words import kind_label
from till.words.void import VOID_APPROVAL, reversal_in, void_refused

if TYPE_CHECKING:
    from till.flash import Endpoint
    from till.flash.reversals import ReversalResponse

#: The sales the till voids -> the endpoint that reverses each (`till.flash`'s `REVERSAL_FOR`
#: less the 1Voucher disbursement: see the module docstring).
REVERSIBLE: dict[str, Endpoint[ReversalResponse]] = {
    kind: endpoints.REVERSAL_FOR[kind]
    for kind in (
        endpoints.ONE_VOUCHER_PURCHASE.name,
        endpoints.CASH_OUT_PIN_PURCHASE.name,
        endpoints.EEZI_VOUCHER_PURCHASE.name,
    )
}
#: The journal kinds of a void.
REVERSAL_KINDS = frozenset(endpoint.name for endpoint in REVERSIBLE.values())
#: Flash keeps the reason as a metadata value: no longer than this.
REASON_MAX = METADATA_VALUE_MAX_LENGTH
_CANCEL = endpoints.CASH_OUT_PIN_CANCEL.name


def approval_reason(kind: str) -> str | None:
    """Why a transaction of `kind` needs a supervisor whatever its amount: every void does."""
    return VOID_APPROVAL if kind in REVERSAL_KINDS else None


def clean_reason(reason: str) -> str:
    """The reason as it is kept: spaces collapsed; refused when empty, too long or unprintable."""
    text = " ".join(reason.split())
    if not text:
        raise InputError("Type why the sale is being voided (a few words).", field="reason")
    if not text.isprintable():
        raise InputError(
            "The reason may hold letters, digits and punctuation only.", field="reason"
        )
    if len(text) > REASON_MAX:
        raise InputError(
            f"Keep the reason to {REASON_MAX} characters (Flash keeps no more); "
            f"that was {len(text)}.",
            field="reason",
        )
    return text


def cancel_in(related: Iterable[Entry]) -> Entry | None:
    """The cancel of a Cash Out PIN sale among the entries linked to it that stands: any but a
    declined one, which gave nothing back."""
    return next((e for e in related if e.kind == _CANCEL and e.state != "declined"), None)


def live_void(journal: Journal, reference: str) -> Entry | None:
    """The void of sale `reference` that stands: approved, or still waiting for Flash."""
    return reversal_in(journal.related(reference))


def reversible(
    journal: Journal,
    reference: str,
    *,
    products: Sequence[Listed] = (),
    api_revision: str | None = None,
) -> Entry:
    """The sale `reference` names, when the till may ask Flash to void it; else an InputError
    that says why (nothing was written or sent). `api_revision`: the till's `[flash]
    api_revision` (None: not known yet, left to the engine); `products`: the product list whose
    `allowReversal` is checked when it has one."""
    sale = journal.get(reference)
    if sale is None:
        raise InputError(f"No sale on this till has reference {reference}.", field="reference")
    what = kind_label(sale.kind)
    endpoint = REVERSIBLE.get(sale.kind)
    if sale.kind in REVERSAL_KINDS:
        raise InputError(f"{reference} is itself a void: a void cannot be voided.")
    if endpoint is None:
        raise InputError(
            f"{reference} ({what}) cannot be voided: only 1Voucher, Cash Out PIN and Eezi "
            "voucher sales can."
        )
    if sale.is_open:
        raise InputError(
            f"{what} {reference} is still IN DOUBT: wait for Flash's answer (F8, or `till "
            "retry`), then void it if it was approved."
        )
    if sale.state != "approved":
        raise InputError(f"{what} {reference} was declined: nothing was sold, nothing to void.")
    _check_not_undone(journal, sale)
    if api_revision is not None and not endpoint.available_in(api_revision):
        raise InputError(
            f"This till speaks Flash API revision {describe(api_revision)}, which has no voids "
            f"(reversals): if this till's Flash speaks {describe(endpoint.since)}, set [flash] "
            f'api_revision = "{endpoint.since}" (`till check` tells which).'
        )
    if _listed_allows(products, sale) is False:
        raise InputError(f"Flash does not allow this {what} to be voided (its product list says).")
    return sale


def _check_not_undone(journal: Journal, sale: Entry) -> None:
    related = journal.related(sale.reference)
    void = reversal_in(related)
    what = kind_label(sale.kind)
    if void is not None and void.state == "approved":
        raise InputError(f"{what} {sale.reference} is already voided (by {void.reference}).")
    if void is not None:
        raise InputError(
            f"{what} {sale.reference} has a void still waiting for Flash's answer "
            f"({void.reference}): do not void it again; F8 shows when it settles."
        )
    if cancel_in(related) is not None:
        raise InputError(
            f"Cash Out PIN sale {sale.reference} was cancelled: its money was given back then."
        )


def _listed_allows(products: Sequence[Listed], sale: Entry) -> bool | None:
    """The product list's `allowReversal` for the sale's product; None when it does not say."""
    kind = LISTED_KINDS.get(sale.kind)
    if kind is None:
        return None
    if kind in WITHOUT_CODE:
        product = next((p for p in products if p.kind == kind), None)
    else:
        product = next((p for p in products if p.code == sale.product_code), None)
    allowed = getattr(product, "allow_reversal", None)
    return allowed if isinstance(allowed, bool) else None


@dataclass(frozen=True)
class Void:
    """A void ready for the engine's one path: where it goes, its body for a reference, and
    the journal entry's own columns."""

    endpoint: Endpoint[ReversalResponse]
    request: Callable[[str], FlashRequest]
    details: dict[str, Any]


def plan(
    journal: Journal,
    reference: str,
    reason: str,
    *,
    common: dict[str, Any],
    products: Sequence[Listed] = (),
    api_revision: str | None = None,
) -> Void:
    """Everything the engine needs to void sale `reference`, or an InputError saying why not.
    `common`: the account, store and till ids every request carries."""
    why = clean_reason(reason)
    sale = reversible(journal, reference, products=products, api_revision=api_revision)

    def request(own: str) -> FlashRequest:
        # Inside the journal's write transaction: no void of this sale got in meanwhile.
        _check_not_undone(journal, sale)
        return ReversalRequest(
            reference=own,
            original_reference=sale.reference,
            metadata={"reverseOf": sale.reference, "reason": why},
            **common,
        )

    details = {
        "amount": sale.amount,
        "product_code": sale.product_code,
        "serial_number": sale.serial_number,
        "related_reference": sale.reference,
    }
    return Void(REVERSIBLE[sale.kind], request, details)


def explained(outcome: Outcome) -> Outcome:
    """A void Flash refused, in the cashier's words (the sale stands); anything else as it is."""
    entry = outcome.entry
    if outcome.status != "declined" or entry.kind not in REVERSAL_KINDS or outcome.code is None:
        return outcome
    message = void_refused(outcome.code, outcome.message, entry.related_reference or "")
    return replace(outcome, message=message)
