"""What a request field may hold: the document's limits and ours, each checked with a message a
cashier can act on (a PydanticCustomError), before anything is journaled or sent."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Annotated

from pydantic import BeforeValidator
from pydantic_core import PydanticCustomError

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


def check_reference(value: object) -> str:
    """A reference: 1 to 50 of the characters the document allows (reversals check theirs too)."""
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


Reference = Annotated[str, BeforeValidator(check_reference)]
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
