"""Pydantic models for every request and response of the Flash Partner API v4.

Requests (`requests`, their fields in `fields`) are strict: they refuse bad input with a message a
cashier can act on, before anything is journaled or sent, and `to_wire()` gives the exact bytes
that are stored and resent on retry. Responses (`responses`, `utilities`) are tolerant: they
accept both the April 2023 shapes and the later-revision variants (see `shared/spec/README.md`),
keep unknown fields, and never show a PIN or token in a repr.

The names load on first use (PEP 562): reading a journaled answer (`till journal show`)
needs the response models only, not the request models.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from till.lazy import LazyNames

if TYPE_CHECKING:
    from till.flash.models.fields import (
        CASH_OUT_PIN_MAX_CENTS,
        ID_MAX_LENGTH,
        MAX_AMOUNT_CENTS,
        METADATA_MAX_PROPERTIES,
        METADATA_NAME_MAX_LENGTH,
        METADATA_VALUE_MAX_LENGTH,
        PRODUCT_CODE_MAX,
        REFERENCE_MAX_LENGTH,
    )
    from till.flash.models.requests import (
        CashOutPinCancelRequest,
        CashOutPinLookupRequest,
        CashOutPinPurchaseRequest,
        CellularPinlessPurchaseRequest,
        EeziVoucherPurchaseRequest,
        FlashRequest,
        GiftVoucherPurchaseRequest,
        OneVoucherDisburseRequest,
        OneVoucherPurchaseRequest,
        OneVoucherRedeemRequest,
        OneVoucherRefundRequest,
        UtilityLookupRequest,
        UtilityPurchaseRequest,
    )
    from till.flash.models.responses import (
        FlashResponse,
        PinlessResponse,
        Product,
        ProductDetail,
        ProductList,
        TokenResponse,
        Voucher,
        VoucherResponse,
    )
    from till.flash.models.utilities import (
        MeterInfo,
        UtilityCharge,
        UtilityLookupResponse,
        UtilityPurchaseResponse,
        UtilityToken,
    )

#: Each public name -> the module that defines it.
_WHERE = {
    name: f"till.flash.models.{module}"
    for module, names in {
        "fields": (
            "CASH_OUT_PIN_MAX_CENTS",
            "ID_MAX_LENGTH",
            "MAX_AMOUNT_CENTS",
            "METADATA_MAX_PROPERTIES",
            "METADATA_NAME_MAX_LENGTH",
            "METADATA_VALUE_MAX_LENGTH",
            "PRODUCT_CODE_MAX",
            "REFERENCE_MAX_LENGTH",
        ),
        "requests": (
            "CashOutPinCancelRequest",
            "CashOutPinLookupRequest",
            "CashOutPinPurchaseRequest",
            "CellularPinlessPurchaseRequest",
            "EeziVoucherPurchaseRequest",
            "FlashRequest",
            "GiftVoucherPurchaseRequest",
            "OneVoucherDisburseRequest",
            "OneVoucherPurchaseRequest",
            "OneVoucherRedeemRequest",
            "OneVoucherRefundRequest",
            "UtilityLookupRequest",
            "UtilityPurchaseRequest",
        ),
        "responses": (
            "FlashResponse",
            "PinlessResponse",
            "Product",
            "ProductDetail",
            "ProductList",
            "TokenResponse",
            "Voucher",
            "VoucherResponse",
        ),
        "utilities": (
            "MeterInfo",
            "UtilityCharge",
            "UtilityLookupResponse",
            "UtilityPurchaseResponse",
            "UtilityToken",
        ),
    }.items()
    for name in names
}

__all__ = [
    "CASH_OUT_PIN_MAX_CENTS",
    "ID_MAX_LENGTH",
    "MAX_AMOUNT_CENTS",
    "METADATA_MAX_PROPERTIES",
    "METADATA_NAME_MAX_LENGTH",
    "METADATA_VALUE_MAX_LENGTH",
    "PRODUCT_CODE_MAX",
    "REFERENCE_MAX_LENGTH",
    "CashOutPinCancelRequest",
    "CashOutPinLookupRequest",
    "CashOutPinPurchaseRequest",
    "CellularPinlessPurchaseRequest",
    "EeziVoucherPurchaseRequest",
    "FlashRequest",
    "FlashResponse",
    "GiftVoucherPurchaseRequest",
    "MeterInfo",
    "OneVoucherDisburseRequest",
    "OneVoucherPurchaseRequest",
    "OneVoucherRedeemRequest",
    "OneVoucherRefundRequest",
    "PinlessResponse",
    "Product",
    "ProductDetail",
    "ProductList",
    "TokenResponse",
    "UtilityCharge",
    "UtilityLookupRequest",
    "UtilityLookupResponse",
    "UtilityPurchaseRequest",
    "UtilityPurchaseResponse",
    "UtilityToken",
    "Voucher",
    "VoucherResponse",
]

_lazy = LazyNames(globals(), _WHERE)


def __getattr__(name: str) -> Any:
    return _lazy.get(name)


def __dir__() -> list[str]:
    return _lazy.names()
