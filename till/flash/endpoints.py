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

R = TypeVar("R", bound=FlashResponse)


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
    """One transaction endpoint: where it lives, what it answers, what approval must carry."""

    name: str
    path: str
    response: type[R]
    #: Returns what an approved-looking answer lacks (then the outcome is in doubt), or None.
    missing: Callable[[FlashResponse], str | None]


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
GIFT_VOUCHER_PURCHASE = Endpoint(
    "gift-voucher.purchase", "/gift-vouchers/purchase", VoucherResponse, _voucher_pin
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
    )
}
