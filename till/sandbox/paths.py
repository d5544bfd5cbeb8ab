"""Which transaction paths each revision of the API document serves (the sandbox's own reading).

- "2023-04": the April 2023 document: gift vouchers at the plural ``gift-vouchers/purchase``, no
  reversals, the product list a bare array, a product lookup one object (3.1.2).
- "2025-05": rev 3.0 of May 2025: gift vouchers at the singular ``gift-voucher/purchase`` (2.4.1),
  ``1voucher/reverse`` (3.1.8), ``cash-out-pin/reverse`` (3.1.15) and ``eezi-voucher/reverse``
  (3.1.25), the product list and lookup wrapped in ``{"responseCode", "responseMessage",
  "products"}`` with ``allowReversal`` on each product. Its reshaped utility purchase (3.1.27) is
  ``Sandbox(utility_shape="rev3")``; both revisions serve the 3.1.14 shape by default.

A path the revision does not have answers HTTP 404 with the API gateway's "no matching resource"
body (no ``responseCode``: Flash never saw the request), so a till on the wrong revision fails.
"""

from __future__ import annotations

from typing import Any

APRIL_2023 = "2023-04"
MAY_2025 = "2025-05"
REVISIONS: tuple[str, ...] = (APRIL_2023, MAY_2025)
DEFAULT_REVISION = MAY_2025

#: URL path (after /aggregation/4.0/) -> canonical kind, in both revisions. The canonical kind
#: names the handler, the ledger's ``kind`` and the idempotency check.
_COMMON: dict[str, str] = {
    "1voucher/purchase": "1voucher/purchase",
    "1voucher/disburse": "1voucher/disburse",
    "1voucher/redeem": "1voucher/redeem",
    "1voucher/refund": "1voucher/refund",
    "cash-out-pin/purchase": "cash-out-pin/purchase",
    "cash-out-pin/cancel": "cash-out-pin/cancel",
    "cash-out-pin/lookup": "cash-out-pin/lookup",
    "cellular/pinless/purchase": "cellular/pinless/purchase",
    "eezi-voucher/purchase": "eezi-voucher/purchase",
    "prepaid-utilities/lookup": "prepaid-utilities/lookup",
    "prepaid-utilities/purchase": "prepaid-utilities/purchase",
}
#: The gift voucher sale keeps one canonical kind (and ledger kind) whichever path it came on.
GIFT_KIND = "gift-vouchers/purchase"
REVERSAL_KINDS: tuple[str, ...] = (
    "1voucher/reverse",
    "cash-out-pin/reverse",
    "eezi-voucher/reverse",
)
_ONLY: dict[str, dict[str, str]] = {
    APRIL_2023: {"gift-vouchers/purchase": GIFT_KIND},
    MAY_2025: {"gift-voucher/purchase": GIFT_KIND, **{k: k for k in REVERSAL_KINDS}},
}
#: Every path either revision serves, with its canonical kind.
ALL_KINDS: dict[str, str] = {**_COMMON, **_ONLY[APRIL_2023], **_ONLY[MAY_2025]}


def check_revision(revision: str) -> str:
    if revision not in REVISIONS:
        raise ValueError(f"revision must be one of {', '.join(REVISIONS)} (got {revision!r})")
    return revision


def kinds(revision: str) -> dict[str, str]:
    """The transaction paths the revision serves, each with its canonical kind."""
    return {**_COMMON, **_ONLY[check_revision(revision)]}


def no_such_resource(method: str, path: str) -> dict[str, Any]:
    """The gateway's answer to a path it has no API resource for (HTTP 404)."""
    return {
        "fault": {
            "code": 900906,
            "message": "No matching resource found for given API Request",
            "description": f"The requested resource ({method} {path}) is not available.",
        }
    }
