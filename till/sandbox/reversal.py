"""Reversals (rev 3.0 of May 2025: ``1voucher/reverse`` 3.1.8, ``cash-out-pin/reverse`` 3.1.15,
``eezi-voucher/reverse`` 3.1.25): undo a sale by its ``originalReference``.

The body is ``reference`` (the reversal's own: idempotent like every other POST), ``accountNumber``,
``originalReference`` and optional ``metadata`` (``storeId``/``terminalId`` echoed when sent). The
checks, in order, each answering a code from the table (always HTTP 200):

  2274  the account is not configured for reversals (``Sandbox(reversals=False)``)
  2279  a ``mobileNumber`` was sent ("configured for reversals, mobile number is not allowed")
  2275  no approved transaction of this account has that reference
  2276  the original is not a sale: a redemption, refund, cancel, or itself a reversal
  2273  the original's product does not allow reversal (``allowReversal`` false: gift vouchers,
        airtime, prepaid utilities)
  2283  the product is not this endpoint's (e.g. a Cash Out PIN sale on ``1voucher/reverse``)
  2413  the 1Voucher was already reversed; 2280 for a Cash Out PIN or Eezi voucher
  2282  an ``amount`` was sent and is not the original's
  2281  the sale is older than ``Sandbox.reversal_window`` seconds (default 24 h)
  2412  the voucher cannot be reversed: redeemed (even partly: a partial redemption redeems the
        whole voucher and issues change), cancelled or expired

The document gives no time limit, only code 2281 ("Unable to process reversal due to the allocated
time limit"): the sandbox's default is 24 hours, configurable. An approved reversal refunds the
sale's amount to the float, marks the voucher ``Reversed`` (a later redeem of it answers 2403, as a
cancelled one; a Cash Out cancel 2414), and is a ``LedgerEntry`` of its own whose
``original_reference`` is the sale. Its answer is the voucher sale shape: ``amount`` the amount
reversed and ``voucher`` the voided voucher, without its PIN.
"""

from __future__ import annotations

from typing import Any

from . import catalog
from ._codes import Decline
from .state import LedgerEntry, SandboxState

#: Reversal kind -> the sale kinds it undoes.
UNDOES: dict[str, tuple[str, ...]] = {
    "1voucher/reverse": ("1voucher/purchase", "1voucher/disburse"),
    "cash-out-pin/reverse": ("cash-out-pin/purchase",),
    "eezi-voucher/reverse": ("eezi-voucher/purchase",),
}
#: Sales that issue no voucher, with the product group they sell from.
_VOUCHERLESS_SALES: dict[str, str] = {
    "cellular/pinless/purchase": catalog.GROUP_CELLULAR,
    "prepaid-utilities/purchase": catalog.GROUP_UTILITY,
}
_VOUCHER_SALES = frozenset(
    {"1voucher/purchase", "1voucher/disburse", "gift-vouchers/purchase"}
    | {"cash-out-pin/purchase", "eezi-voucher/purchase"}
)


def _allows_reversal(sb: SandboxState, original: LedgerEntry) -> bool:
    if original.kind in _VOUCHERLESS_SALES:
        group = _VOUCHERLESS_SALES[original.kind]
        return any(p.allow_reversal for p in catalog.PRODUCTS if p.group == group)
    voucher = sb.voucher_by_serial(original.serial) if original.serial else None
    return voucher is not None and catalog.PRODUCTS_BY_CODE[voucher.product_code].allow_reversal


def reverse(sb: SandboxState, kind: str, path: str, data: dict[str, Any]) -> dict[str, Any]:
    """The handler of every reversal path (see the module docstring for the checks)."""
    if not sb.reversals:
        raise Decline(2274)
    if data.get("mobileNumber") is not None:
        raise Decline(2279)
    wanted = data["originalReference"]
    original = next((e for e in sb.ledger if e.reference == wanted), None)
    if original is None:
        raise Decline(2275)
    if original.kind not in _VOUCHER_SALES and original.kind not in _VOUCHERLESS_SALES:
        raise Decline(2276)  # a redemption, refund, cancel, or a reversal of a reversal
    if not _allows_reversal(sb, original):
        raise Decline(2273)
    if original.kind not in UNDOES[kind]:
        raise Decline(2283)
    voucher = sb.voucher_by_serial(original.serial) if original.serial else None
    if wanted in sb.reversed or (voucher is not None and voucher.status == "Reversed"):
        raise Decline(2413 if kind == "1voucher/reverse" else 2280)
    amount = data.get("amount")
    if amount is not None and amount != original.amount:
        raise Decline(2282)
    now = sb.now()
    window = sb.reversal_window
    if window is not None and (now - original.created).total_seconds() > window:
        raise Decline(2281)
    expired = voucher is not None and voucher.expiry < now.isoformat(timespec="seconds")
    if voucher is None or voucher.status != "Active" or expired:
        raise Decline(2412)
    voucher.status = "Reversed"
    sb.reversed[wanted] = data["reference"]
    body = sb.base(data)
    body["amount"] = original.amount
    body["voucher"] = voucher.to_json(with_pin=False)
    return sb.commit(
        kind,
        path,
        data,
        body,
        amount=original.amount,
        float_delta=original.amount,
        serial=voucher.serial,
        original=wanted,
    )
