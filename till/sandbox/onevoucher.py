"""1Voucher (API document 2.3): purchase, disburse, redeem (change as a new voucher) and refund,
a change or refund voucher going by SMS when a ``mobileNumber`` is given."""

from __future__ import annotations

from typing import Any

from . import catalog
from ._codes import MESSAGES, Decline
from .state import Handler, SandboxState, Voucher
from .validation import mobile_number


def issue(sb: SandboxState, kind: str, path: str, data: dict[str, Any]) -> dict[str, Any]:
    """Purchase or disburse: a new 1Voucher for ``amount``, debited from the float."""
    return _new_voucher(sb, kind, path, data, by_sms=False)


def _new_voucher(
    sb: SandboxState, kind: str, path: str, data: dict[str, Any], *, by_sms: bool
) -> dict[str, Any]:
    """A new 1Voucher for ``amount``, debited from the float; `by_sms`: sent by SMS when the
    request gives a ``mobileNumber`` (a refund)."""
    amount = data["amount"]
    sb.check_debit(catalog.ONE_VOUCHER, amount)
    v = sb.issue(catalog.ONE_VOUCHER, amount, data["reference"], pin_digits=16, days=1095)
    body = sb.base(data)
    body["amount"] = amount
    body["voucher"] = _maybe_sms(sb, v, data, body) if by_sms else v.to_json()
    return sb.commit(
        kind, path, data, body, amount=amount, float_delta=-amount, pin=v.pin, serial=v.serial
    )


def _redeemable(sb: SandboxState, pin: str) -> Voucher:
    if pin.startswith(catalog.MAGIC_PIN_PREFIX):
        code = int(pin[len(catalog.MAGIC_PIN_PREFIX) :])
        if code in MESSAGES and code:
            raise Decline(code)
    v = sb.voucher(pin)
    if v is None or v.product_code != catalog.ONE_VOUCHER.code:
        raise Decline(2402)
    if v.status == "Redeemed":
        raise Decline(2401)
    if v.status in ("Cancelled", "Reversed"):  # a reversal voids it, as a cancel does
        raise Decline(2403)
    if v.status == "Expired" or v.expiry < sb.now().isoformat(timespec="seconds"):
        raise Decline(2405)
    return v


def redeem(sb: SandboxState, kind: str, path: str, data: dict[str, Any]) -> dict[str, Any]:
    """Redeem the whole voucher; what ``amount`` leaves over comes back as a change voucher."""
    v = _redeemable(sb, data["pin"])
    amount = data["amount"] or v.amount
    if amount > v.amount:
        raise Decline(2408)
    v.status = "Redeemed"
    change = v.amount - amount
    body = sb.base(data)
    body["amount"] = amount
    issued: Voucher | None = None
    if change:
        issued = sb.issue(catalog.ONE_VOUCHER, change, data["reference"], pin_digits=16, days=1095)
        body["voucher"] = _maybe_sms(sb, issued, data, body)
    else:
        redeemed = v.to_json(with_pin=False)
        redeemed["amount"] = amount
        body["voucher"] = redeemed
    return sb.commit(
        kind, path, data, body, amount=amount, float_delta=amount,
        pin=issued.pin if issued else None, serial=issued.serial if issued else v.serial,
    )  # fmt: skip


def _maybe_sms(
    sb: SandboxState, v: Voucher, data: dict[str, Any], body: dict[str, Any]
) -> dict[str, Any]:
    """A change/refund voucher goes in the response, or by SMS when a mobileNumber is given."""
    mobile = mobile_number(data["mobileNumber"]) if data.get("mobileNumber") is not None else None
    if mobile is None:
        return v.to_json()
    v.sms_to = mobile
    sb.sms_outbox.append((mobile, v.pin, v.serial, v.amount))
    body["mobileNumber"] = mobile
    voucher = v.to_json(with_pin=False)
    voucher["content"]["redemptionInstructions"] = (
        f"The voucher PIN was sent by SMS to {mobile}. "
        + voucher["content"]["redemptionInstructions"]
    )
    return voucher


def refund(sb: SandboxState, kind: str, path: str, data: dict[str, Any]) -> dict[str, Any]:
    """Refund a redemption as a new 1Voucher (the document carries no link to the redemption)."""
    return _new_voucher(sb, kind, path, data, by_sms=True)


HANDLERS: dict[str, Handler] = {
    "1voucher/purchase": issue,
    "1voucher/disburse": issue,
    "1voucher/redeem": redeem,
    "1voucher/refund": refund,
}
