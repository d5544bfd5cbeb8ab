"""The request bodies: strict, immutable, and serialised by `to_wire()` to the exact bytes that
are journaled and resent on retry. The fields every body shares are declared once, on the bases.
"""

from __future__ import annotations

from typing import Any, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from pydantic.alias_generators import to_camel
from pydantic.fields import FieldInfo
from pydantic_core import InitErrorDetails, PydanticCustomError

from till.flash.models.fields import (
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

#: Where the bases' fields go on the wire, as the document's tables list them: the first two,
#: then the product's required fields, then the till's own, the product's optional fields, and
#: metadata last.
_FIRST = ("reference", "account_number")
_TILL = ("store_id", "terminal_id", "payment_method")
_LAST = ("metadata",)


def _wire_order(fields: dict[str, FieldInfo]) -> list[str]:
    """The fields in wire order; a product's own fields keep their declared order (stable sort)."""

    def rank(name: str) -> tuple[int, int]:
        if name in _FIRST:
            return 0, _FIRST.index(name)
        if name in _TILL:
            return 2, _TILL.index(name)
        if name in _LAST:
            return 4, _LAST.index(name)
        return (1 if fields[name].is_required() else 3), 0

    return sorted(fields, key=rank)


class FlashRequest(BaseModel):
    """A request body: immutable, refuses unknown fields, serialises to stable bytes.

    Every body has these three fields. A subclass's fields are put in wire order when it is
    defined (`_wire_order`), so validation, repr and `to_wire()` all follow the document.
    """

    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        alias_generator=to_camel,
        populate_by_name=True,
        # Error text may be logged: never echo what was typed (it may be a PIN).
        hide_input_in_errors=True,
    )

    reference: Reference
    account_number: AccountNumber
    metadata: Metadata | None = None

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        fields = cls.__pydantic_fields__
        order = _wire_order(fields)
        if order != list(fields):
            cls.__pydantic_fields__ = {name: fields[name] for name in order}
            cls.model_rebuild(force=True)  # validator and serializer in the new order
        if list(cls.model_fields) != order:  # a pydantic that gathers the fields again
            raise TypeError(
                f"{cls.__name__}: fields {list(cls.model_fields)} are not in wire order {order}; "
                "this pydantic no longer keeps the order FlashRequest sets"
            )

    def to_wire(self) -> bytes:
        """Compact JSON in wire order; journaled and resent byte-identically on retry."""
        return self.model_dump_json(by_alias=True, exclude_none=True).encode("utf-8")


class TillRequest(FlashRequest):
    """A body that may say which store and terminal sent it."""

    store_id: StoreId | None = None
    terminal_id: TerminalId | None = None


class SaleRequest(TillRequest):
    """A purchase: it may also say how the customer paid."""

    payment_method: PaymentMethod | None = None


def _fbe_amount_error(model: type[BaseModel], amount: int, is_fbe: bool | None) -> None:
    """Flash code 2230: an FBE purchase carries amount 0; any other utility sale needs an amount."""
    if is_fbe and amount > 0:
        message = "Amount cannot be greater than 0 for an FBE purchase"
    elif not is_fbe and amount == 0:
        message = "Amount must be more than R0.00"
    else:
        return
    raise ValidationError.from_exception_data(
        model.__name__,
        [
            InitErrorDetails(
                type=PydanticCustomError("fbe_amount", message), loc=("amount",), input=amount
            )
        ],
        hide_input=True,
    )


class OneVoucherPurchaseRequest(SaleRequest):
    """POST /1voucher/purchase (2.3.1)."""

    amount: Cents


class OneVoucherDisburseRequest(TillRequest):
    """POST /1voucher/disburse (2.3.2)."""

    amount: Cents


class OneVoucherRedeemRequest(TillRequest):
    """POST /1voucher/redeem (2.3.3); amount 0 redeems the voucher's full value."""

    pin: Pin = Field(repr=False)
    amount: CentsOrZero
    mobile_number: MobileNumber | None = None


class OneVoucherRefundRequest(TillRequest):
    """POST /1voucher/refund (2.3.4); the link to the redemption lives in journal and metadata."""

    amount: Cents
    mobile_number: MobileNumber | None = None


class GiftVoucherPurchaseRequest(SaleRequest):
    """POST /gift-vouchers/purchase (2.4.1)."""

    amount: Cents
    product_code: ProductCode


class CashOutPinPurchaseRequest(SaleRequest):
    """POST /cash-out-pin/purchase (2.5.1); capped at R500 per PIN."""

    amount: CashOutCents
    product_code: ProductCode


class CashOutPinCancelRequest(TillRequest):
    """POST /cash-out-pin/cancel (2.5.2): by serial number, not by the original reference."""

    serial_number: SerialNumber
    product_code: ProductCode


class CashOutPinLookupRequest(FlashRequest):
    """POST /cash-out-pin/lookup (2.5.3)."""

    serial_number: SerialNumber
    product_code: ProductCode


class CellularPinlessPurchaseRequest(SaleRequest):
    """POST /cellular/pinless/purchase (2.6.1); mobileNumber sent as a string, as the table says."""

    amount: Cents
    product_code: ProductCode
    mobile_number: MobileNumber


class EeziVoucherPurchaseRequest(SaleRequest):
    """POST /eezi-voucher/purchase (2.7.1)."""

    amount: Cents
    product_code: ProductCode


class UtilityLookupRequest(FlashRequest):
    """POST /prepaid-utilities/lookup (2.8.1); amount must be 0 when isFBE is true."""

    amount: CentsOrZero
    meter_number: MeterNumber
    is_fbe: StrictFlag | None = Field(default=None, alias="isFBE")

    @model_validator(mode="after")
    def _fbe_amount(self) -> Self:
        _fbe_amount_error(type(self), self.amount, self.is_fbe)
        return self


class UtilityPurchaseRequest(SaleRequest):
    """POST /prepaid-utilities/purchase (2.8.2); amount must be 0 when isFBE is true."""

    amount: CentsOrZero
    meter_number: MeterNumber
    is_fbe: StrictFlag | None = Field(default=None, alias="isFBE")

    @model_validator(mode="after")
    def _fbe_amount(self) -> Self:
        _fbe_amount_error(type(self), self.amount, self.is_fbe)
        return self
