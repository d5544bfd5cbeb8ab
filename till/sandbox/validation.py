"""Hand-written request validation from the API document's parameter tables (hot path: no pydantic).

Returns the Flash responseCode for the first problem found, or None when the body is acceptable:
2308 a required field is missing (or null), 2301 reference longer than 50, 2230 FBE with an amount,
2231 any other format problem.
"""

from __future__ import annotations

import re
from typing import Any

_REFERENCE = re.compile(r"[A-Za-z0-9.=\-]+")
_ALNUM = re.compile(r"[A-Za-z0-9]+")
_PIN = re.compile(r"[0-9]{16}")
_MOBILE = re.compile(r"27[0-9]{9}")
_DIGITS = re.compile(r"[0-9]+")

_BASE = ("reference", "accountNumber")
REQUIRED: dict[str, tuple[str, ...]] = {
    "1voucher/purchase": (*_BASE, "amount"),
    "1voucher/disburse": (*_BASE, "amount"),
    "1voucher/redeem": (*_BASE, "pin", "amount"),
    "1voucher/refund": (*_BASE, "amount"),
    "gift-vouchers/purchase": (*_BASE, "amount", "productCode"),
    "cash-out-pin/purchase": (*_BASE, "amount", "productCode"),
    "cash-out-pin/cancel": (*_BASE, "serialNumber", "productCode"),
    "cash-out-pin/lookup": (*_BASE, "serialNumber", "productCode"),
    "cellular/pinless/purchase": (*_BASE, "amount", "productCode", "mobileNumber"),
    "eezi-voucher/purchase": (*_BASE, "amount", "productCode"),
    "prepaid-utilities/lookup": (*_BASE, "amount", "meterNumber"),
    "prepaid-utilities/purchase": (*_BASE, "amount", "meterNumber"),
    "1voucher/reverse": (*_BASE, "originalReference"),
    "cash-out-pin/reverse": (*_BASE, "originalReference"),
    "eezi-voucher/reverse": (*_BASE, "originalReference"),
}
_UTILITY = frozenset({"prepaid-utilities/lookup", "prepaid-utilities/purchase"})
_ALNUM_FIELDS = (
    "accountNumber",
    "storeId",
    "terminalId",
    "paymentMethod",
    "meterNumber",
    "serialNumber",
)


def product_code(value: Any) -> int | None:
    """productCode as an int: the tables say Integer, some examples send a numeric string."""
    if type(value) is int:
        return value if value > 0 else None
    if isinstance(value, str) and _DIGITS.fullmatch(value):
        code = int(value)
        return code if code > 0 else None
    return None


def mobile_number(value: Any) -> str | None:
    """mobileNumber as "27" + 9 digits: a String in the tables, a number in one example."""
    if type(value) is int:
        value = str(value)
    if isinstance(value, str) and _MOBILE.fullmatch(value):
        return value
    return None


def validate(kind: str, data: dict[str, Any]) -> int | None:
    """First validation failure's responseCode for a transaction body, or None."""
    for name in REQUIRED[kind]:
        if data.get(name) is None:
            return 2308
    reference = data["reference"]
    if not isinstance(reference, str):
        return 2231
    if len(reference) > 50:
        return 2301
    if not _REFERENCE.fullmatch(reference):
        return 2231
    original = data.get("originalReference")
    if original is not None and not (
        isinstance(original, str) and len(original) <= 50 and _REFERENCE.fullmatch(original)
    ):
        return 2231
    for name in _ALNUM_FIELDS:
        value = data.get(name)
        if value is not None and not (isinstance(value, str) and _ALNUM.fullmatch(value)):
            return 2231
    is_fbe = data.get("isFBE")
    if is_fbe is not None and type(is_fbe) is not bool:
        return 2231
    amount = data.get("amount")
    if amount is not None:
        if type(amount) is not int or amount < 0:
            return 2231
        if kind in _UTILITY:
            if is_fbe:
                if amount > 0:
                    return 2230
            elif amount == 0:
                return 2231
        elif amount == 0 and kind != "1voucher/redeem":
            return 2231
    pin = data.get("pin")
    if pin is not None and not (isinstance(pin, str) and _PIN.fullmatch(pin)):
        return 2231
    mobile = data.get("mobileNumber")
    if mobile is not None and mobile_number(mobile) is None:
        return 2231
    code = data.get("productCode")
    if code is not None and product_code(code) is None:
        return 2231
    metadata = data.get("metadata")
    if metadata is not None:
        if not isinstance(metadata, dict) or len(metadata) > 9:
            return 2231
        for key, value in metadata.items():
            if not 0 < len(key) <= 10 or not isinstance(value, str) or len(value) > 43:
                return 2231
    return None
