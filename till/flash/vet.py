"""An approval is only an approval if it answers what was asked: the checks Flash's answer must
pass before the till journals it as approved and hands over a PIN or token.

Each check returns the reason the approval is unusable (never quoting a PIN or token), or None.
The formats come from the document and its later revision (see `shared/spec/README.md`):
- 1Voucher PINs are 16 digits (2.3.3 "16 digits"; the later revision says the same).
- Prepaid utility tokens are STS tokens: 20 digits (IEC 62055-41; every sample and meter agrees).
- Gift voucher, Eezi and Cash Out PINs: the document gives no length; ASCII digits, 6 to 32.
- Serial numbers are "alphanumeric" (2.5.2), and must be, to be sent back in a cancel or lookup.
- A reversal (rev 3.0) sends no amount: its answer's amount must be whole cents, its reference the
  reversal's own, and an `originalReference`, if it names one, the sale's; the voided voucher it
  may echo is held to the formats above (it is not a new voucher: its amount is not checked
  against a request).
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from pydantic.alias_generators import to_camel

from till.flash.models import MAX_AMOUNT_CENTS
from till.flash.wire import safe_text

#: An amount Flash echoes must be a whole number of cents no larger than the till may sell.
MAX_ECHOED_CENTS = MAX_AMOUNT_CENTS
ONE_VOUCHER_PIN = re.compile(r"[0-9]{16}")
STS_TOKEN = re.compile(r"[0-9]{20}")
OTHER_PIN = re.compile(r"[0-9]{6,32}")
SERIAL = re.compile(r"[A-Za-z0-9]{1,32}")
#: Kinds whose voucher amount is the amount asked for (a redemption's is its change).
_VOUCHER_AMOUNT_IS_REQUESTED = frozenset(
    {
        "1voucher.purchase",
        "1voucher.disburse",
        "1voucher.refund",
        "gift-voucher.purchase",
        "cash-out-pin.purchase",
        "eezi-voucher.purchase",
    }
)


def _cents(value: Any) -> int | None:
    """A JSON amount as integer cents, or None when it is not one (a bool, float or text)."""
    if type(value) is int and 0 <= value <= MAX_ECHOED_CENTS:
        return value
    return None


def _date_ok(value: Any) -> bool:
    if value is None or value == "":
        return True
    if not isinstance(value, str) or len(value) > 40:
        return False
    try:
        datetime.fromisoformat(value)
    except ValueError:
        return False
    return True


def _pin_pattern(kind: str) -> tuple[re.Pattern[str], str]:
    if kind.startswith("1voucher."):
        return ONE_VOUCHER_PIN, "16 digits"
    return OTHER_PIN, "6 to 32 digits"


def _check_amount(label: str, value: Any, sent: int | None, *, must_equal: bool) -> str | None:
    if value is None:
        return None
    cents = _cents(value)
    if cents is None:
        return f"{label} is not a whole number of cents"
    if must_equal and sent is not None and cents != sent:
        return f"{label} is {cents} cents, not the {sent} asked for"
    return None


def _pin_or_sms(kind: str, sent: dict[str, Any], data: dict[str, Any]) -> str | None:
    """A refund's new voucher, and a redemption's change, come with a PIN unless the till asked
    for it by SMS (decided by what was sent, never by what came back)."""
    if sent.get("mobileNumber") or kind not in ("1voucher.refund", "1voucher.redeem"):
        return None
    voucher = data.get("voucher")
    if isinstance(voucher, dict) and voucher.get("pin") is not None:
        return None
    if kind == "1voucher.refund":
        return "the refund voucher has no PIN, and it was not asked for by SMS"
    # A redemption without change echoes the redeemed voucher (no PIN, the amount redeemed).
    if isinstance(voucher, dict) and voucher.get("amount") not in (None, data.get("amount")):
        return "the change voucher has no PIN, and it was not asked for by SMS"
    return None


def _check_voucher(kind: str, voucher: Any, sent_amount: int | None) -> str | None:
    if voucher is None:
        return None
    if not isinstance(voucher, dict):
        return "the voucher is not an object"
    pin = voucher.get("pin")
    if pin is not None:
        pattern, wanted = _pin_pattern(kind)
        if not isinstance(pin, str):
            return "the voucher PIN is not text"
        if not pattern.fullmatch(pin):
            return f"the voucher PIN is not {wanted} ({len(pin)} characters)"
    serial = voucher.get("serialNumber")
    if serial is not None and not (
        (isinstance(serial, str) and SERIAL.fullmatch(serial))
        or (type(serial) is int and 0 <= serial < 10**32)
    ):
        return "the voucher serial number is not 1 to 32 letters and digits"
    must_equal = kind in _VOUCHER_AMOUNT_IS_REQUESTED and bool(sent_amount)
    problem = _check_amount(
        "the voucher amount", voucher.get("amount"), sent_amount, must_equal=must_equal
    )
    if problem:
        return problem
    if not _date_ok(voucher.get("expiryDate")):
        return "the voucher expiry date is not a date"
    return None


def _check_tokens(tokens: Any) -> str | None:
    if tokens is None:
        return None
    if not isinstance(tokens, list) or len(tokens) > 10:
        return "the token list is not a list of up to 10 tokens"
    for n, token in enumerate(tokens, 1):
        if not isinstance(token, dict):
            return f"token {n} is not an object"
        value = token.get("token")
        if not isinstance(value, str) or not STS_TOKEN.fullmatch(value):
            length = len(value) if isinstance(value, str) else 0
            return f"token {n} is not 20 digits ({length} characters)"
    return None


def _echo(label: str, value: Any, sent: Any) -> str | None:
    """A field Flash echoes (mobile, meter) must be what was sent, when it is there at all; a
    number echoed as a JSON number has lost its leading zeros."""
    if value is None or sent is None or str(value) == str(sent):
        return None
    if type(value) is int and str(value) == str(sent).lstrip("0"):
        return None
    return f"the {label} is not the one sent"


class _Twice(ValueError):
    """The same field given twice, as camelCase and snake_case."""


def _camel_keys(value: Any) -> Any:
    """The answer with snake_case keys as the models read them (camelCase), so no field can
    slip past these checks under its other name; a field given both ways is refused."""
    if isinstance(value, list):
        return [_camel_keys(v) for v in value]
    if not isinstance(value, dict):
        return value
    out: dict[str, Any] = {}
    for key, item in value.items():
        name = to_camel(key) if "_" in key else key
        if name in out:
            raise _Twice(name)
        out[name] = _camel_keys(item)
    return out


def unusable(kind: str, sent: dict[str, Any], answer: dict[str, Any]) -> str | None:
    """Why an approval of `sent` (the request body) cannot be trusted, or None if it can."""
    try:
        data: dict[str, Any] = _camel_keys(answer)
    except _Twice as twice:
        return f"it gives {safe_text(str(twice), limit=40)} twice"
    reference = data.get("reference")
    if reference != sent.get("reference"):
        if not isinstance(reference, str):
            return "it does not say which reference it answers"
        return f"it answers reference {safe_text(reference, limit=50)!r}, not this sale's"
    sent_amount = sent.get("amount")
    must_equal = bool(sent_amount)  # 0 asks for "the full value" (redeem) or FBE
    problem = _check_amount("the amount", data.get("amount"), sent_amount, must_equal=must_equal)
    if problem:
        return problem
    if not _date_ok(data.get("transactionDate")):
        return "its transaction date is not a date"
    problem = _check_voucher(kind, data.get("voucher"), sent_amount)
    if problem:
        return problem
    problem = _check_tokens(data.get("tokens")) or _pin_or_sms(kind, sent, data)
    if problem:
        return problem
    # A reversal answers for the sale it undid, when it names one at all.
    problem = _echo(
        "original reference", data.get("originalReference"), sent.get("originalReference")
    )
    if problem:
        return problem
    if "meterInfo" in data and "meterinfo" in data:
        return "it gives meterInfo twice"
    meter_info = data.get("meterInfo") or data.get("meterinfo")
    meter = meter_info.get("meterNumber") if isinstance(meter_info, dict) else None
    return _echo("mobile number", data.get("mobileNumber"), sent.get("mobileNumber")) or _echo(
        "meter number", meter, sent.get("meterNumber")
    )
