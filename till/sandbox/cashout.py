"""Cash Out PIN (API document 2.5): purchase, cancel (the float refunded) and lookup by serial."""

from __future__ import annotations

from typing import Any

from . import catalog
from ._codes import Decline
from .state import Handler, SandboxState, Voucher
from .validation import product_code


def purchase(sb: SandboxState, kind: str, path: str, data: dict[str, Any]) -> dict[str, Any]:
    return sb.voucher_sale(kind, path, data, catalog.GROUP_CASH_OUT, 12, 30)


def _voucher(sb: SandboxState, data: dict[str, Any]) -> Voucher:
    if product_code(data["productCode"]) != catalog.CASH_OUT.code:
        raise Decline(2268)
    v = sb.voucher_by_serial(data["serialNumber"])
    if v is None or v.product_code != catalog.CASH_OUT.code:
        raise Decline(2249)
    return v


def cancel(sb: SandboxState, kind: str, path: str, data: dict[str, Any]) -> dict[str, Any]:
    v = _voucher(sb, data)
    if v.status == "Cancelled":
        raise Decline(2409)
    if v.status != "Active":
        raise Decline(2414)
    v.status = "Cancelled"
    body = sb.base(data)
    body["amount"] = v.amount
    body["voucher"] = v.to_json()
    return sb.commit(kind, path, data, body, amount=v.amount, float_delta=v.amount, serial=v.serial)


def lookup(sb: SandboxState, kind: str, path: str, data: dict[str, Any]) -> dict[str, Any]:
    v = _voucher(sb, data)
    body = sb.base(data, echo=False)
    body["voucher"] = v.to_json()
    return body


HANDLERS: dict[str, Handler] = {
    "cash-out-pin/purchase": purchase,
    "cash-out-pin/cancel": cancel,
    "cash-out-pin/lookup": lookup,
}
