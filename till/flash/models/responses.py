"""The answers every product shares: tolerant of both revisions' shapes, unknown fields kept,
and never a PIN or token in a repr. Prepaid utility answers are in `utilities`."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field
from pydantic.alias_generators import to_camel

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


def none_to_empty(value: object) -> object:
    """A list Flash sent as null reads as an empty list."""
    return [] if value is None else value


class Tolerant(BaseModel):
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


class FlashResponse(Tolerant):
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


class TokenResponse(Tolerant):
    """OAuth2 access token (1.1.1); snake_case on the wire, the token never in a repr."""

    access_token: str = Field(alias="access_token", repr=False)
    token_type: str | None = Field(default=None, alias="token_type")
    expires_in: int | None = Field(default=None, alias="expires_in")
    scope: str | None = None


class VoucherContent(Tolerant):
    """Text printed on a voucher slip."""

    redemption_instructions: str | None = None
    terms_and_conditions: str | None = None


class Voucher(Tolerant):
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


class RechargeDetails(Tolerant):
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


class Product(Tolerant):
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


class ProductDetail(Tolerant):
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


class ProductList(Tolerant):
    """The product list, whether Flash sent a bare array or the later `products` wrapper."""

    response_code: int | None = None
    response_message: str | None = None
    products: Annotated[list[Product], BeforeValidator(none_to_empty)] = Field(default_factory=list)

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
