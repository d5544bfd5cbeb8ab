"""Cellular (API document 2.6): pinless airtime and data recharges to a mobile number."""

from __future__ import annotations

from typing import Any

from . import catalog
from ._codes import MESSAGES, Decline
from .state import Handler, SandboxState
from .validation import mobile_number


def pinless(sb: SandboxState, kind: str, path: str, data: dict[str, Any]) -> dict[str, Any]:
    product = sb.product_for(data, catalog.GROUP_CELLULAR)
    mobile = mobile_number(data["mobileNumber"])
    assert mobile is not None
    if mobile.startswith(catalog.MAGIC_MOBILE_PREFIX):
        code = int(mobile[len(catalog.MAGIC_MOBILE_PREFIX) :])
        if code in MESSAGES and code:
            raise Decline(code)
    amount = data["amount"]
    sb.check_debit(product, amount)
    body = sb.base(data)
    body["amount"] = amount
    body["rechargeDetails"] = {
        "rechargeType": product.recharge_type,
        "callCentre": product.call_centre,
        "rechargeVendor": product.vendor,
    }
    return sb.commit(kind, path, data, body, amount=amount, float_delta=-amount)


HANDLERS: dict[str, Handler] = {"cellular/pinless/purchase": pinless}
