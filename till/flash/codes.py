"""Flash `responseCode` values: their messages, and which of them mean "ask again".

The April 2023 document lists no codes; the table comes from a later revision
(`shared/spec/flash-response-codes.json`, packaged as `response_codes.json`). A non-zero code is a
definitive decline unless it is one of the transient families below, in which case the outcome
is in doubt and the same request (same reference, same body) must be sent again.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources

SUCCESS = 0

#: "A timeout occurred ... please resubmit", and 2378 "A network error occurred, please resubmit".
RESUBMIT_CODES = frozenset({2210, 2211, 2331, 2378, 2661, 2771})
#: "Transaction is busy processing": the first request with this reference is still running.
BUSY_CODES = frozenset({2220})
#: "System temporarily unavailable, please try again in a couple of minutes."
UNAVAILABLE_CODES = frozenset(
    {2001, 2225, 2226, 2227, 2228, 2250, 2251, 2252, 2254, 2255}
    | set(range(2234, 2248))
    | set(range(2262, 2267))
)
#: "Transaction threshold per second exceeded".
RATE_LIMIT_CODES = frozenset({2373, 2377})
#: "duplicate" / "already processed": the reference was used before, but this answer does not
#: say what the first outcome was, so a sale may exist without its PIN in hand.
DUPLICATE_CODES = frozenset({2201, 2248, 2372})

IN_DOUBT_CODES = (
    RESUBMIT_CODES | BUSY_CODES | UNAVAILABLE_CODES | RATE_LIMIT_CODES | DUPLICATE_CODES
)

#: The same reference was sent with a different body: definitive for this request.
MISMATCH_CODE = 2256

#: Flash refused a reversal (rev 3.0): definitive declines, never "resend". 2273 the product
#: allows no reversal, 2274 the account is not set up for them, 2275-2277 the original cannot be
#: reversed (unknown, not approved, not a sale), 2278 gateway, 2279 mobile number not allowed,
#: 2280 already reversed, 2281 past the time limit, 2282 amount differs from the original's,
#: 2283 product does not fit the endpoint; 2412 the voucher cannot be reversed (e.g. redeemed,
#: even partly), 2413 the voucher was already reversed.
REVERSAL_REFUSED_CODES = frozenset(range(2273, 2284)) | {2412, 2413}
#: The sale was already reversed (by another reversal reference): this one did nothing.
ALREADY_REVERSED_CODES = frozenset({2280, 2413})
#: The reversal came too late for Flash's time limit (the document does not say how long).
REVERSAL_TIME_LIMIT_CODE = 2281


@cache
def _table() -> dict[int, str]:
    raw = resources.files(__package__).joinpath("response_codes.json").read_text("utf-8")
    return {int(code): message for code, message in json.loads(raw).items()}


def message_for(code: int) -> str:
    """Flash's own wording for a code, or a generic one for codes the table does not list."""
    if code == SUCCESS:
        return "Approved"
    return _table().get(code, f"Flash answered with code {code}.")


def is_in_doubt(code: int) -> bool:
    """True when the code means the request must be sent again before the outcome is known."""
    return code in IN_DOUBT_CODES


def known_codes() -> frozenset[int]:
    return frozenset(_table())
