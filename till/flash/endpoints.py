"""Every transaction endpoint of the document: where it lives, what it answers, and what an
approval must carry (a voucher PIN, a utility token) to be one."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from till.flash.models import (
    FlashResponse,
    PinlessResponse,
    UtilityLookupResponse,
    UtilityPurchaseResponse,
    VoucherResponse,
)
from till.flash.reversals import ReversalResponse
from till.flash.revision import APRIL_2023, MAY_2025, REVISIONS

R = TypeVar("R", bound=FlashResponse)
#: Each revision's place, oldest first.
_AGE: dict[str, int] = {revision: n for n, revision in enumerate(REVISIONS)}


def _voucher_pin(response: FlashResponse) -> str | None:
    voucher = getattr(response, "voucher", None)
    if voucher is None or not voucher.pin:
        return "the voucher PIN"
    return None


def _voucher_pin_unless_sms(response: FlashResponse) -> str | None:
    """A refund's new voucher comes with its PIN, unless Flash sent the PIN by SMS instead."""
    if getattr(response, "mobile_number", None):
        return "the voucher" if getattr(response, "voucher", None) is None else None
    return _voucher_pin(response)


def _utility_tokens(response: FlashResponse) -> str | None:
    tokens = getattr(response, "tokens", None) or []
    if not tokens or any(not token.token for token in tokens):
        return "the utility token"
    return None


def _meter_info(response: FlashResponse) -> str | None:
    return "the meter details" if getattr(response, "meter_info", None) is None else None


def _nothing(response: FlashResponse) -> str | None:
    return None


@dataclass(frozen=True)
class Endpoint(Generic[R]):
    """One transaction endpoint: where it lives, what it answers, what approval must carry.

    `name` is what the journal records as an entry's kind, the same in every revision; the
    path is the revision's (`path_for`): `path` in every revision from `since` on, unless
    `revised` gives that revision another.
    """

    name: str
    path: str
    response: type[R]
    #: Returns what an approved-looking answer lacks (then the outcome is in doubt), or None.
    missing: Callable[[FlashResponse], str | None]
    #: (revision, path) for each revision whose path differs from `path`.
    revised: tuple[tuple[str, str], ...] = ()
    #: The first revision that has this endpoint.
    since: str = APRIL_2023

    def available_in(self, api_revision: str) -> bool:
        """True when the revision has this endpoint at all."""
        age = _AGE.get(api_revision)
        return age is not None and age >= _AGE[self.since]

    def path_for(self, api_revision: str) -> str | None:
        """The path under /aggregation/4.0 in that revision, or None if it has no such endpoint."""
        if not self.available_in(api_revision):
            return None
        return dict(self.revised).get(api_revision, self.path)

    @property
    def revision_dependent(self) -> bool:
        """True when the path differs between revisions, or some revision lacks the endpoint."""
        return bool(self.revised) or self.since != REVISIONS[0]


# Redemptions carry a voucher only when they leave change; cancels and pinless carry none.
ONE_VOUCHER_PURCHASE = Endpoint(
    "1voucher.purchase", "/1voucher/purchase", VoucherResponse, _voucher_pin
)
ONE_VOUCHER_DISBURSE = Endpoint(
    "1voucher.disburse", "/1voucher/disburse", VoucherResponse, _voucher_pin
)
ONE_VOUCHER_REDEEM = Endpoint("1voucher.redeem", "/1voucher/redeem", VoucherResponse, _nothing)
ONE_VOUCHER_REFUND = Endpoint(
    "1voucher.refund", "/1voucher/refund", VoucherResponse, _voucher_pin_unless_sms
)
#: Plural in the April 2023 document (2.4.1), singular in rev 3.0 (2.4.1, 3.1.11).
GIFT_VOUCHER_PURCHASE = Endpoint(
    "gift-voucher.purchase",
    "/gift-vouchers/purchase",
    VoucherResponse,
    _voucher_pin,
    revised=((MAY_2025, "/gift-voucher/purchase"),),
)
CASH_OUT_PIN_PURCHASE = Endpoint(
    "cash-out-pin.purchase", "/cash-out-pin/purchase", VoucherResponse, _voucher_pin
)
CASH_OUT_PIN_CANCEL = Endpoint(
    "cash-out-pin.cancel", "/cash-out-pin/cancel", VoucherResponse, _nothing
)
CASH_OUT_PIN_LOOKUP = Endpoint(
    "cash-out-pin.lookup", "/cash-out-pin/lookup", VoucherResponse, _nothing
)
PINLESS_PURCHASE = Endpoint(
    "cellular.pinless.purchase", "/cellular/pinless/purchase", PinlessResponse, _nothing
)
EEZI_VOUCHER_PURCHASE = Endpoint(
    "eezi-voucher.purchase", "/eezi-voucher/purchase", VoucherResponse, _voucher_pin
)
UTILITY_LOOKUP = Endpoint(
    "prepaid-utilities.lookup", "/prepaid-utilities/lookup", UtilityLookupResponse, _meter_info
)
UTILITY_PURCHASE = Endpoint(
    "prepaid-utilities.purchase",
    "/prepaid-utilities/purchase",
    UtilityPurchaseResponse,
    _utility_tokens,
)
# Reversals: rev 3.0 only (3.1.8, 3.1.15, 3.1.25). The voided voucher may come back, or not.
ONE_VOUCHER_REVERSE = Endpoint(
    "1voucher.reverse", "/1voucher/reverse", ReversalResponse, _nothing, since=MAY_2025
)
CASH_OUT_PIN_REVERSE = Endpoint(
    "cash-out-pin.reverse", "/cash-out-pin/reverse", ReversalResponse, _nothing, since=MAY_2025
)
EEZI_VOUCHER_REVERSE = Endpoint(
    "eezi-voucher.reverse", "/eezi-voucher/reverse", ReversalResponse, _nothing, since=MAY_2025
)


@dataclass(frozen=True)
class Exchange(Generic[R]):
    """An approval: the parsed response and the JSON text Flash sent."""

    response: R
    text: str


ENDPOINTS: dict[str, Endpoint[Any]] = {
    endpoint.name: endpoint
    for endpoint in (
        ONE_VOUCHER_PURCHASE,
        ONE_VOUCHER_DISBURSE,
        ONE_VOUCHER_REDEEM,
        ONE_VOUCHER_REFUND,
        GIFT_VOUCHER_PURCHASE,
        CASH_OUT_PIN_PURCHASE,
        CASH_OUT_PIN_CANCEL,
        CASH_OUT_PIN_LOOKUP,
        PINLESS_PURCHASE,
        EEZI_VOUCHER_PURCHASE,
        UTILITY_LOOKUP,
        UTILITY_PURCHASE,
        ONE_VOUCHER_REVERSE,
        CASH_OUT_PIN_REVERSE,
        EEZI_VOUCHER_REVERSE,
    )
}

#: The sale kinds Flash can reverse, each with the endpoint that reverses it (rev 3.0; whether a
#: particular product may be reversed is its `allowReversal`).
REVERSAL_FOR: dict[str, Endpoint[ReversalResponse]] = {
    ONE_VOUCHER_PURCHASE.name: ONE_VOUCHER_REVERSE,
    ONE_VOUCHER_DISBURSE.name: ONE_VOUCHER_REVERSE,
    CASH_OUT_PIN_PURCHASE.name: CASH_OUT_PIN_REVERSE,
    EEZI_VOUCHER_PURCHASE.name: EEZI_VOUCHER_REVERSE,
}
#: The reversal endpoints' names (journal kinds).
REVERSAL_KINDS = frozenset(endpoint.name for endpoint in REVERSAL_FOR.values())
