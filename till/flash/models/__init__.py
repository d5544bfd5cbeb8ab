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
        PIN_LENGTH,
        PRODUCT_CODE_MAX,
        REFERENCE_MAX_LENGTH,
        AccountNumber,
        CashOutCents,
        Cents,
        CentsOrZero,
        Metadata,
        MeterNumber,
        MobileNumber,
        PaymentMethod,
        Pin,
        ProductCode,
        Reference,
        SerialNumber,
        StoreId,
        StrictFlag,
        TerminalId,
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
        SaleRequest,
        TillRequest,
        UtilityLookupRequest,
        UtilityPurchaseRequest,
    )
    from till.flash.models.responses import (
        AllowReversal,
        FlashResponse,
        PinlessResponse,
        Product,
        ProductDetail,
        ProductList,
        RechargeDetails,
        TokenResponse,
        Voucher,
        VoucherContent,
        VoucherResponse,
    )
    from till.flash.models.utilities import (
        BillingInfo,
        CustomerInfo,
        KeyChangeTokenData,
        MeterInfo,
        Number,
        TariffBlock,
        UtilityCharge,
        UtilityCharges,
        UtilityInfo,
        UtilityLookupResponse,
        UtilityPurchaseResponse,
        UtilityToken,
        UtilityTokenUnits,
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
            "PIN_LENGTH",
            "PRODUCT_CODE_MAX",
            "REFERENCE_MAX_LENGTH",
            "AccountNumber",
            "CashOutCents",
            "Cents",
            "CentsOrZero",
            "Metadata",
            "MeterNumber",
            "MobileNumber",
            "PaymentMethod",
            "Pin",
            "ProductCode",
            "Reference",
            "SerialNumber",
            "StoreId",
            "StrictFlag",
            "TerminalId",
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
            "SaleRequest",
            "TillRequest",
            "UtilityLookupRequest",
            "UtilityPurchaseRequest",
        ),
        "responses": (
            "AllowReversal",
            "FlashResponse",
            "PinlessResponse",
            "Product",
            "ProductDetail",
            "ProductList",
            "RechargeDetails",
            "TokenResponse",
            "Voucher",
            "VoucherContent",
            "VoucherResponse",
        ),
        "utilities": (
            "BillingInfo",
            "CustomerInfo",
            "KeyChangeTokenData",
            "MeterInfo",
            "Number",
            "TariffBlock",
            "UtilityCharge",
            "UtilityCharges",
            "UtilityInfo",
            "UtilityLookupResponse",
            "UtilityPurchaseResponse",
            "UtilityToken",
            "UtilityTokenUnits",
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
    "PIN_LENGTH",
    "PRODUCT_CODE_MAX",
    "REFERENCE_MAX_LENGTH",
    "AccountNumber",
    "AllowReversal",
    "BillingInfo",
    "CashOutCents",
    "CashOutPinCancelRequest",
    "CashOutPinLookupRequest",
    "CashOutPinPurchaseRequest",
    "CellularPinlessPurchaseRequest",
    "Cents",
    "CentsOrZero",
    "CustomerInfo",
    "EeziVoucherPurchaseRequest",
    "FlashRequest",
    "FlashResponse",
    "GiftVoucherPurchaseRequest",
    "KeyChangeTokenData",
    "Metadata",
    "MeterInfo",
    "MeterNumber",
    "MobileNumber",
    "Number",
    "OneVoucherDisburseRequest",
    "OneVoucherPurchaseRequest",
    "OneVoucherRedeemRequest",
    "OneVoucherRefundRequest",
    "PaymentMethod",
    "Pin",
    "PinlessResponse",
    "Product",
    "ProductCode",
    "ProductDetail",
    "ProductList",
    "RechargeDetails",
    "Reference",
    "SaleRequest",
    "SerialNumber",
    "StoreId",
    "StrictFlag",
    "TariffBlock",
    "TerminalId",
    "TillRequest",
    "TokenResponse",
    "UtilityCharge",
    "UtilityCharges",
    "UtilityInfo",
    "UtilityLookupRequest",
    "UtilityLookupResponse",
    "UtilityPurchaseRequest",
    "UtilityPurchaseResponse",
    "UtilityToken",
    "UtilityTokenUnits",
    "Voucher",
    "VoucherContent",
    "VoucherResponse",
]

_lazy = LazyNames(globals(), _WHERE)


def __getattr__(name: str) -> Any:
    return _lazy.get(name)


def __dir__() -> list[str]:
    return _lazy.names()
