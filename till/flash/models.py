"""Pydantic models for every request and response of the Flash Partner API v4.

Requests are strict: they refuse bad input with a message a cashier can act on, before anything is
journaled or sent, and `to_wire()` gives the exact bytes that are stored and resent on retry.
Responses are tolerant: they accept both the April 2023 shapes and the later-revision variants
(see `shared/spec/README.md`), keep unknown fields, and never show a PIN or token in a repr.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Annotated, Any, Self

from pydantic import (
    AliasChoices,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    model_validator,
)
from pydantic.alias_generators import to_camel
from pydantic_core import InitErrorDetails, PydanticCustomError

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
    "BillingInfo",
    "CashOutPinCancelRequest",
    "CashOutPinLookupRequest",
    "CashOutPinPurchaseRequest",
    "CellularPinlessPurchaseRequest",
    "CustomerInfo",
    "EeziVoucherPurchaseRequest",
    "FlashRequest",
    "FlashResponse",
    "GiftVoucherPurchaseRequest",
    "KeyChangeTokenData",
    "MeterInfo",
    "OneVoucherDisburseRequest",
    "OneVoucherPurchaseRequest",
    "OneVoucherRedeemRequest",
    "OneVoucherRefundRequest",
    "PinlessResponse",
    "Product",
    "ProductDetail",
    "ProductList",
    "RechargeDetails",
    "TariffBlock",
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

# --------------------------------------------------------------------------------------------
# Limits
# --------------------------------------------------------------------------------------------

#: The document only says which characters a reference may hold; 50 is the later revision's cap.
REFERENCE_MAX_LENGTH = 50
#: accountNumber, storeId, terminalId, paymentMethod, serialNumber, meterNumber: the document gives
#: no length, so this is our own sanity cap (meters are 11-13 digits, serials shorter still).
ID_MAX_LENGTH = 32
#: Our own fat-finger guard, not Flash's: no single sale above R100 000.00.
MAX_AMOUNT_CENTS = 10_000_000
#: A Cash Out PIN is capped at R500 per transaction (later revision, spec README).
CASH_OUT_PIN_MAX_CENTS = 50_000
#: productCode is an "Integer" in the tables: keep it inside a signed 32-bit int.
PRODUCT_CODE_MAX = 2**31 - 1
PIN_LENGTH = 16
METADATA_MAX_PROPERTIES = 9
METADATA_NAME_MAX_LENGTH = 10
METADATA_VALUE_MAX_LENGTH = 43

_REFERENCE_RE = re.compile(r"[-.=A-Za-z0-9]+")
_ALNUM_RE = re.compile(r"[A-Za-z0-9]+")
_PIN_RE = re.compile(rf"[0-9]{{{PIN_LENGTH}}}")
_MOBILE_RE = re.compile(r"27[0-9]{9}")


def _rands(cents: int) -> str:
    """Format cents the way a South African slip does: R100 000.00."""
    return f"R{cents // 100:,}.{cents % 100:02d}".replace(",", " ")


# --------------------------------------------------------------------------------------------
# Request field validators: each raises a PydanticCustomError whose message a cashier can read.
# --------------------------------------------------------------------------------------------


def _check_reference(value: object) -> str:
    if not isinstance(value, str):
        raise PydanticCustomError("reference_type", "Reference must be text")
    if not 1 <= len(value) <= REFERENCE_MAX_LENGTH:
        raise PydanticCustomError(
            "reference_length", f"Reference must be 1 to {REFERENCE_MAX_LENGTH} characters long"
        )
    if not _REFERENCE_RE.fullmatch(value):
        raise PydanticCustomError(
            "reference_chars", "Reference may only contain letters, digits, '-', '.' and '='"
        )
    return value


def _alnum(label: str, max_length: int = ID_MAX_LENGTH) -> Callable[[object], str]:
    """Build a check for an identifier the document says is 'alphanumeric characters'."""

    def check(value: object) -> str:
        if not isinstance(value, str):
            raise PydanticCustomError("alnum_type", f"{label} must be text")
        if not value:
            raise PydanticCustomError("alnum_empty", f"{label} must not be empty")
        if len(value) > max_length:
            raise PydanticCustomError(
                "alnum_length", f"{label} must be at most {max_length} characters long"
            )
        if not _ALNUM_RE.fullmatch(value):
            raise PydanticCustomError("alnum_chars", f"{label} may only contain letters and digits")
        return value

    return check


def _cents(minimum: int, maximum: int, too_big: str | None = None) -> Callable[[object], int]:
    """Build a check for an amount in integer cents (never a float, string or bool)."""

    def check(value: object) -> int:
        if type(value) is not int:
            raise PydanticCustomError("amount_type", "Amount must be a whole number of cents")
        if value < minimum:
            message = (
                "Amount cannot be negative" if minimum == 0 else "Amount must be more than R0.00"
            )
            raise PydanticCustomError("amount_too_small", message)
        if value > maximum:
            raise PydanticCustomError(
                "amount_too_big", too_big or f"Amount cannot be more than {_rands(maximum)}"
            )
        return value

    return check


def _check_pin(value: object) -> str:
    if not isinstance(value, str) or not _PIN_RE.fullmatch(value):
        raise PydanticCustomError("pin_format", f"PIN must be exactly {PIN_LENGTH} digits")
    return value


def _check_mobile(value: object) -> str:
    if not isinstance(value, str) or not _MOBILE_RE.fullmatch(value):
        raise PydanticCustomError(
            "mobile_format",
            "Mobile number must be 27 followed by 9 digits, e.g. 27821234567 (no leading 0)",
        )
    return value


def _check_product_code(value: object) -> int:
    if type(value) is not int or not 1 <= value <= PRODUCT_CODE_MAX:
        raise PydanticCustomError("product_code", "Product code must be a positive whole number")
    return value


def _check_metadata(value: object) -> dict[str, str]:
    if not isinstance(value, dict):
        raise PydanticCustomError("metadata_type", "Metadata must be a set of name/value pairs")
    if len(value) > METADATA_MAX_PROPERTIES:
        raise PydanticCustomError(
            "metadata_size", f"Metadata may hold at most {METADATA_MAX_PROPERTIES} properties"
        )
    for name, item in value.items():
        if not isinstance(name, str) or not 1 <= len(name) <= METADATA_NAME_MAX_LENGTH:
            raise PydanticCustomError(
                "metadata_name",
                f"Metadata names must be 1 to {METADATA_NAME_MAX_LENGTH} characters long",
            )
        if not isinstance(item, str):
            raise PydanticCustomError("metadata_value", "Metadata values must be text")
        if len(item) > METADATA_VALUE_MAX_LENGTH:
            raise PydanticCustomError(
                "metadata_value",
                f"Metadata values must be at most {METADATA_VALUE_MAX_LENGTH} characters long",
            )
    # Sorted so that equal metadata always gives the same wire bytes, whatever the insertion order.
    return dict(sorted(value.items()))


def _check_bool(value: object) -> bool:
    if not isinstance(value, bool):
        raise PydanticCustomError("bool_type", "isFBE must be true or false")
    return value


Reference = Annotated[str, BeforeValidator(_check_reference)]
AccountNumber = Annotated[str, BeforeValidator(_alnum("Account number"))]
StoreId = Annotated[str, BeforeValidator(_alnum("Store ID"))]
TerminalId = Annotated[str, BeforeValidator(_alnum("Terminal ID"))]
PaymentMethod = Annotated[str, BeforeValidator(_alnum("Payment method"))]
SerialNumber = Annotated[str, BeforeValidator(_alnum("Serial number"))]
MeterNumber = Annotated[str, BeforeValidator(_alnum("Meter number"))]
#: A sale amount: at least one cent.
Cents = Annotated[int, BeforeValidator(_cents(1, MAX_AMOUNT_CENTS))]
#: Redeem (0 = the full voucher value) and prepaid utilities (0 for FBE): zero allowed.
CentsOrZero = Annotated[int, BeforeValidator(_cents(0, MAX_AMOUNT_CENTS))]
CashOutCents = Annotated[
    int,
    BeforeValidator(
        _cents(
            1,
            CASH_OUT_PIN_MAX_CENTS,
            f"A Cash Out PIN cannot be more than {_rands(CASH_OUT_PIN_MAX_CENTS)}",
        )
    ),
]
Pin = Annotated[str, BeforeValidator(_check_pin)]
MobileNumber = Annotated[str, BeforeValidator(_check_mobile)]
ProductCode = Annotated[int, BeforeValidator(_check_product_code)]
Metadata = Annotated[dict[str, str], BeforeValidator(_check_metadata)]
StrictFlag = Annotated[bool, BeforeValidator(_check_bool)]

# --------------------------------------------------------------------------------------------
# Requests
# --------------------------------------------------------------------------------------------


class FlashRequest(BaseModel):
    """A request body: immutable, refuses unknown fields, serialises to stable bytes."""

    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        alias_generator=to_camel,
        populate_by_name=True,
        # Error text may be logged: never echo what was typed (it may be a PIN).
        hide_input_in_errors=True,
    )

    # Every endpoint's body starts with these two, in this order.
    reference: Reference
    account_number: AccountNumber

    def to_wire(self) -> bytes:
        """Compact JSON in declaration order; journaled and resent byte-identically on retry."""
        return self.model_dump_json(by_alias=True, exclude_none=True).encode("utf-8")


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


class OneVoucherPurchaseRequest(FlashRequest):
    """POST /1voucher/purchase (2.3.1)."""

    amount: Cents
    store_id: StoreId | None = None
    terminal_id: TerminalId | None = None
    payment_method: PaymentMethod | None = None
    metadata: Metadata | None = None


class OneVoucherDisburseRequest(FlashRequest):
    """POST /1voucher/disburse (2.3.2)."""

    amount: Cents
    store_id: StoreId | None = None
    terminal_id: TerminalId | None = None
    metadata: Metadata | None = None


class OneVoucherRedeemRequest(FlashRequest):
    """POST /1voucher/redeem (2.3.3); amount 0 redeems the voucher's full value."""

    pin: Pin = Field(repr=False)
    amount: CentsOrZero
    store_id: StoreId | None = None
    terminal_id: TerminalId | None = None
    mobile_number: MobileNumber | None = None
    metadata: Metadata | None = None


class OneVoucherRefundRequest(FlashRequest):
    """POST /1voucher/refund (2.3.4); the link to the redemption lives in journal and metadata."""

    amount: Cents
    store_id: StoreId | None = None
    terminal_id: TerminalId | None = None
    mobile_number: MobileNumber | None = None
    metadata: Metadata | None = None


class GiftVoucherPurchaseRequest(FlashRequest):
    """POST /gift-vouchers/purchase (2.4.1)."""

    amount: Cents
    product_code: ProductCode
    store_id: StoreId | None = None
    terminal_id: TerminalId | None = None
    payment_method: PaymentMethod | None = None
    metadata: Metadata | None = None


class CashOutPinPurchaseRequest(FlashRequest):
    """POST /cash-out-pin/purchase (2.5.1); capped at R500 per PIN."""

    amount: CashOutCents
    product_code: ProductCode
    store_id: StoreId | None = None
    terminal_id: TerminalId | None = None
    payment_method: PaymentMethod | None = None
    metadata: Metadata | None = None


class CashOutPinCancelRequest(FlashRequest):
    """POST /cash-out-pin/cancel (2.5.2): by serial number, not by the original reference."""

    serial_number: SerialNumber
    product_code: ProductCode
    store_id: StoreId | None = None
    terminal_id: TerminalId | None = None
    metadata: Metadata | None = None


class CashOutPinLookupRequest(FlashRequest):
    """POST /cash-out-pin/lookup (2.5.3)."""

    serial_number: SerialNumber
    product_code: ProductCode
    metadata: Metadata | None = None


class CellularPinlessPurchaseRequest(FlashRequest):
    """POST /cellular/pinless/purchase (2.6.1); mobileNumber sent as a string, as the table says."""

    amount: Cents
    product_code: ProductCode
    mobile_number: MobileNumber
    store_id: StoreId | None = None
    terminal_id: TerminalId | None = None
    payment_method: PaymentMethod | None = None
    metadata: Metadata | None = None


class EeziVoucherPurchaseRequest(FlashRequest):
    """POST /eezi-voucher/purchase (2.7.1)."""

    amount: Cents
    product_code: ProductCode
    store_id: StoreId | None = None
    terminal_id: TerminalId | None = None
    payment_method: PaymentMethod | None = None
    metadata: Metadata | None = None


class UtilityLookupRequest(FlashRequest):
    """POST /prepaid-utilities/lookup (2.8.1); amount must be 0 when isFBE is true."""

    amount: CentsOrZero
    meter_number: MeterNumber
    is_fbe: StrictFlag | None = Field(default=None, alias="isFBE")
    metadata: Metadata | None = None

    @model_validator(mode="after")
    def _fbe_amount(self) -> Self:
        _fbe_amount_error(type(self), self.amount, self.is_fbe)
        return self


class UtilityPurchaseRequest(FlashRequest):
    """POST /prepaid-utilities/purchase (2.8.2); amount must be 0 when isFBE is true."""

    amount: CentsOrZero
    meter_number: MeterNumber
    store_id: StoreId | None = None
    terminal_id: TerminalId | None = None
    payment_method: PaymentMethod | None = None
    is_fbe: StrictFlag | None = Field(default=None, alias="isFBE")
    metadata: Metadata | None = None

    @model_validator(mode="after")
    def _fbe_amount(self) -> Self:
        _fbe_amount_error(type(self), self.amount, self.is_fbe)
        return self


# --------------------------------------------------------------------------------------------
# Responses
# --------------------------------------------------------------------------------------------

#: A number whose unit or type the document does not pin down (units, costPerUnit, tax, debt):
#: an int when it is one, else an exact Decimal (never a float), else the text as sent.
Number = Annotated[int | Decimal | str, Field(union_mode="left_to_right")]

_SECRET_KEY_RE = re.compile(r"pin|token|secret|password", re.IGNORECASE)


def _redact(key: str, value: Any) -> Any:
    """Hide anything that looks like a PIN or token inside fields we did not model."""
    if _SECRET_KEY_RE.search(key):
        return "***"
    if isinstance(value, dict):
        return {k: _redact(str(k), v) for k, v in value.items()}
    if isinstance(value, list):
        return [_redact(key, v) for v in value]
    return value


class _Tolerant(BaseModel):
    """Base of response parts: camelCase in, unknown fields kept, numbers accepted as strings."""

    model_config = ConfigDict(
        extra="allow",
        alias_generator=to_camel,
        populate_by_name=True,
        coerce_numbers_to_str=True,
    )

    def __repr_args__(self) -> Iterator[tuple[str | None, Any]]:
        extra = self.model_extra or {}
        for name, value in super().__repr_args__():
            if name is not None and name in extra:
                yield name, _redact(name, value)
            else:
                yield name, value


class FlashResponse(_Tolerant):
    """Fields common to every product response, and the whole of an error body."""

    response_code: int
    response_message: str | None = None
    account_number: str | None = None
    reference: str | None = None
    transaction_date: str | None = None
    #: A number in most responses, a string in some: always kept as a string.
    transaction_id: str | None = None
    metadata: dict[str, Any] | None = None
    store_id: str | None = None
    terminal_id: str | None = None
    amount: int | None = None


class TokenResponse(_Tolerant):
    """OAuth2 access token (1.1.1); snake_case on the wire, the token never in a repr."""

    access_token: str = Field(alias="access_token", repr=False)
    token_type: str | None = Field(default=None, alias="token_type")
    expires_in: int | None = Field(default=None, alias="expires_in")
    scope: str | None = None


class VoucherContent(_Tolerant):
    """Text printed on a voucher slip."""

    redemption_instructions: str | None = None
    terms_and_conditions: str | None = None


class Voucher(_Tolerant):
    """A voucher Flash issued (or the change voucher of a partial redemption)."""

    amount: int | None = None
    expiry_date: str | None = None
    pin: str | None = Field(default=None, repr=False)
    serial_number: str | None = None
    barcode: str | None = None
    status: str | None = None
    redemption_date: str | None = None
    content: VoucherContent | None = None


class VoucherResponse(FlashResponse):
    """1Voucher, gift voucher, Cash Out PIN and Eezi responses."""

    voucher: Voucher | None = None
    mobile_number: str | None = None


class RechargeDetails(_Tolerant):
    """What the network did with a pinless recharge."""

    recharge_type: str | None = None
    call_centre: str | None = None
    recharge_vendor: str | None = None


class PinlessResponse(FlashResponse):
    """Cellular pinless recharge response; mobileNumber may come back as a number."""

    recharge_details: RechargeDetails | None = None
    mobile_number: str | None = None


def _none_to_false(value: object) -> object:
    return False if value is None else value


#: The 2025 revision's `allowReversal`: absent (the April 2023 document has no reversals) or
#: null means the product cannot be reversed.
AllowReversal = Annotated[bool, BeforeValidator(_none_to_false)]


class Product(_Tolerant):
    """One entry of the product list (3.1.1, and the later revision's richer entries), and what
    a product lookup answers in either revision (`FlashClient.lookup_product`)."""

    product_code: int
    product_name: str | None = None
    minimum_amount: int | None = None
    maximum_amount: int | None = None
    status: str | int | None = None
    product_group: str | None = None
    vendor: str | None = None
    supplier_name: str | None = None
    barcode: str | None = None
    product_type: int | str | None = None
    allow_reversal: AllowReversal = False
    fixed_amount: bool | None = None
    content: VoucherContent | None = None


class ProductDetail(_Tolerant):
    """A single product lookup (3.1.2, April 2023 shape; `as_product()` gives the list's form)."""

    id: int | str | None = None
    product_code: int
    product_name: str | None = None
    minimum_amount: int | None = None
    maximum_amount: int | None = None
    status: str | int | None = None
    supplier_name: str | None = None
    supplier_code: int | str | None = None
    vendor_name: str | None = None
    vendor_code: int | str | None = None
    product_type: int | str | None = None
    product_upc: str | None = Field(default=None, alias="productUPC")
    redemption_instructions: str | None = None
    terms_and_conditions: str | None = None
    product_parameters: dict[str, Any] | None = None
    created: str | None = None
    updated: str | None = None
    allow_reversal: AllowReversal = False

    def as_product(self) -> Product:
        """The same product as a list entry (the form the 2025 revision's lookup answers in)."""
        content = None
        if self.redemption_instructions is not None or self.terms_and_conditions is not None:
            content = VoucherContent(
                redemption_instructions=self.redemption_instructions,
                terms_and_conditions=self.terms_and_conditions,
            )
        return Product(
            product_code=self.product_code,
            product_name=self.product_name,
            minimum_amount=self.minimum_amount,
            maximum_amount=self.maximum_amount,
            status=self.status,
            supplier_name=self.supplier_name,
            vendor=self.vendor_name,
            barcode=self.product_upc,
            product_type=self.product_type,
            allow_reversal=self.allow_reversal,
            content=content,
        )


def _none_to_empty(value: object) -> object:
    return [] if value is None else value


class ProductList(_Tolerant):
    """The product list, whether Flash sent a bare array or the later `products` wrapper."""

    response_code: int | None = None
    response_message: str | None = None
    products: Annotated[list[Product], BeforeValidator(_none_to_empty)] = Field(
        default_factory=list
    )

    @classmethod
    def from_json(cls, data: Any) -> ProductList:
        """Parse raw bytes/text or decoded JSON: an array, a wrapper object, or one product."""
        if isinstance(data, str | bytes | bytearray):
            data = json.loads(data)
        if isinstance(data, list):
            return cls.model_validate({"products": data})
        if isinstance(data, dict) and "products" not in data and "productCode" in data:
            return cls.model_validate({"products": [data]})
        return cls.model_validate(data)


class BillingInfo(_Tolerant):
    """Billing part of a meter lookup or utility purchase, in either revision's shape."""

    # April 2023 (lookup and purchase)
    arrear_value: Number | None = None
    arrear_desc: str | None = None
    maximum_vend_value: Number | None = None
    minimum_vend_value: Number | None = None
    tariff_name: str | None = None
    # later revision (purchase)
    tax_amount: Number | None = None
    unit_type: str | None = None
    units: Number | None = None
    free_units: Number | None = None
    exclusive_amount: Number | None = None
    receipt_number: str | None = None
    transaction_number: str | None = None


class CustomerInfo(_Tolerant):
    """The meter's registered customer."""

    address: str | None = None
    name: str | None = None


class UtilityInfo(_Tolerant):
    """The municipality or utility that owns the meter."""

    address: str | None = None
    call_centre: str | None = None
    name: str | None = Field(
        default=None, validation_alias=AliasChoices("name", "utilityname", "utilityName")
    )
    vat_number: str | None = None


class MeterInfo(_Tolerant):
    """STS meter details; SGC/TI/KRN are strings here even when Flash sends numbers."""

    algorithm_code: str | None = None
    customer_info: CustomerInfo | None = None
    key_revision_number: str | None = None
    meter_number: str | None = None
    supply_group_code: str | None = None
    tariff_index: str | None = None
    token_technology: str | None = None
    utility_info: UtilityInfo | None = None
    # later revision: key change signalled by old/new values
    old_supply_group_code: str | None = None
    old_tariff_index: str | None = None
    old_key_revision_number: str | None = None
    new_supply_group_code: str | None = None
    new_tariff_index: str | None = None
    new_key_revision_number: str | None = None
    consumer_message: str | None = None
    tariff_name: str | None = None


class UtilityLookupResponse(FlashResponse):
    """Meter lookup (3.1.13): who the meter belongs to and how much may be vended."""

    billing_info: BillingInfo | None = None
    meter_info: MeterInfo | None = Field(
        default=None, validation_alias=AliasChoices("meterInfo", "meterinfo", "meter_info")
    )
    is_fbe: bool | None = Field(default=None, alias="isFBE")


class UtilityCharge(_Tolerant):
    """A debt recovery or fixed cost deducted from a utility purchase."""

    value: Number | None = None
    description: str | None = None
    outstanding: Number | None = None
    tariff_description: str | None = None
    tax: Number | None = None
    tax_invoice_number: str | None = None


class UtilityCharges(_Tolerant):
    """The later revision's `charges` wrapper."""

    debt: UtilityCharge | None = None
    fixed_cost: list[UtilityCharge] | None = None


class KeyChangeTokenData(_Tolerant):
    """April 2023: the new STS key values when the purchase carries key change tokens."""

    key_revision_number: str | None = None
    supply_group_code: str | None = None
    tariff_index: str | None = None


class TariffBlock(_Tolerant):
    """One tariff block of a utility purchase."""

    amount: Number | None = None
    # The later revision documents the key as "units " with a trailing space.
    units: Number | None = Field(default=None, validation_alias=AliasChoices("units", "units "))
    cost_per_unit: Number | None = None
    tariff_name: str | None = None


class UtilityTokenUnits(_Tolerant):
    """How much a token buys."""

    description: str | None = None
    quantity: Number | None = None
    unit_type: str | None = None


class UtilityToken(_Tolerant):
    """One token to key into the meter: credit, key change or free basic electricity."""

    token: str | None = Field(default=None, repr=False)
    token_description: str | None = None
    type: str | None = None
    value: Number | None = None
    tax: Number | None = None
    tariff_name: str | None = None
    tariff_description: str | None = None
    serial_number: str | None = None
    units: UtilityTokenUnits | None = None

    def _label(self) -> str:
        text = f"{self.type or ''} {self.token_description or ''}".lower()
        return re.sub(r"[^a-z]", "", text)

    @property
    def is_key_change(self) -> bool:
        """True for an STS key change token (must be keyed in before the credit token)."""
        return "keychange" in self._label()

    @property
    def is_fbe(self) -> bool:
        """True for a free basic electricity token."""
        label = self._label()
        return not self.is_key_change and ("freebasic" in label or "fbe" in label)


class UtilityPurchaseResponse(FlashResponse):
    """Prepaid utility purchase, normalised over the April 2023 and later-revision shapes."""

    billing_info: BillingInfo | None = None
    # April 2023: debt and fixedCost at the top level
    debt: UtilityCharge | None = None
    fixed_cost: list[UtilityCharge] | None = None
    # later revision: both under `charges`
    charges: UtilityCharges | None = None
    key_change_token_data: KeyChangeTokenData | None = None
    meter_info: MeterInfo | None = Field(
        default=None, validation_alias=AliasChoices("meterInfo", "meterinfo", "meter_info")
    )
    tariff_blocks: list[TariffBlock] | None = None
    tokens: Annotated[list[UtilityToken], BeforeValidator(_none_to_empty)] = Field(
        default_factory=list
    )

    @property
    def debt_charge(self) -> UtilityCharge | None:
        """The debt recovered on this purchase, wherever the revision put it."""
        if self.debt is not None:
            return self.debt
        return self.charges.debt if self.charges is not None else None

    @property
    def fixed_costs(self) -> list[UtilityCharge]:
        """Fixed costs deducted on this purchase, wherever the revision put them."""
        if self.fixed_cost is not None:
            return self.fixed_cost
        if self.charges is not None and self.charges.fixed_cost is not None:
            return self.charges.fixed_cost
        return []

    @property
    def key_change_tokens(self) -> list[UtilityToken]:
        """Key change tokens, in the order they must be keyed in."""
        return [t for t in self.tokens if t.is_key_change]

    @property
    def fbe_tokens(self) -> list[UtilityToken]:
        """Free basic electricity tokens."""
        return [t for t in self.tokens if t.is_fbe]

    @property
    def credit_tokens(self) -> list[UtilityToken]:
        """Everything that is neither key change nor FBE: the credit the customer paid for."""
        return [t for t in self.tokens if not t.is_key_change and not t.is_fbe]
