"""The words of a void (Flash calls it a reversal): the mark a voided sale's receipt carries, what
a supervisor is asked, and what a cashier is told when Flash refuses one.

The cashier *voids* a sale; the journal entry that does it is a *reversal* (Flash's word, and its
kinds `1voucher.reverse`, `cash-out-pin.reverse`, `eezi-voucher.reverse`); the sale it undid is
REVERSED. Flash's refusals come as codes 2273-2283, 2412 and 2413 of its table; each is said here
in a cashier's words, with Flash's own message and code after it. The sale stands after any
refusal: nothing is given back.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from till.journal import Entry

#: The journal kinds of a void (`till.flash`'s reversal endpoints; light here, without them).
VOID_KINDS = frozenset({"1voucher.reverse", "cash-out-pin.reverse", "eezi-voucher.reverse"})
#: The mark a voided sale's receipt carries, double width and height, top and bottom.
REVERSED_MARK = "REVERSED"
#: Under the mark, what it means for the customer.
REVERSED_NOTE = "VOIDED: NOT A VALID VOUCHER"
#: A void still waiting for Flash's answer, on the sale's receipt.
VOID_PENDING_MARK = "VOID NOT YET CONFIRMED"
#: What the supervisor is asked to approve.
VOID_APPROVAL = "a supervisor must approve a void"
#: The longest reason a void keeps: Flash's limit on a metadata value (`METADATA_VALUE_MAX_LENGTH`).
REASON_CHARS = 43
#: After every refusal.
SALE_STANDS = "give the customer no money back"

#: Flash's reversal codes, in a cashier's words.
_REFUSALS: dict[int, str] = {
    2273: "Flash does not allow this product to be voided",
    2274: (
        "this till's Flash account is not set up for voids: ask head office to have Flash "
        "enable reversals"
    ),
    2275: "Flash cannot void this sale: it does not know it as a sale it can reverse",
    2276: "Flash cannot void this sale: it does not know it as a sale it can reverse",
    2277: "Flash cannot void this sale: it does not know it as a sale it can reverse",
    2278: "Flash refused the void (gateway): call the Flash helpdesk",
    2279: "Flash refused the void because a cell number came with it: call the Flash helpdesk",
    2280: "this sale was already voided",
    2281: (
        "too late to void this sale: Flash allows a void only for a limited time after the sale"
    ),
    2282: "Flash says the amount does not match the sale's",
    2283: "Flash says this product cannot be voided this way: call the Flash helpdesk",
    2412: (
        "the voucher or PIN cannot be voided: it has been used (even in part), cancelled or "
        "has expired"
    ),
    2413: "this voucher was already voided",
}


def void_refused(code: int | None, flash_message: str, sale: str) -> str:
    """What the cashier is told when Flash refuses to void `sale` (its reference)."""
    why = _REFUSALS.get(code or 0, "Flash refused the void")
    said = f"Flash said: {flash_message}" if flash_message else "Flash gave no reason"
    return f"{why[0].upper()}{why[1:]}. Sale {sale} stands: {SALE_STANDS}. {said}"


def reversal_in(related: Iterable[Entry]) -> Entry | None:
    """The void of a sale among the entries linked to it (`Journal.related`, or the central
    ledger's): an approved one, else one still waiting for Flash's answer; a declined one undid
    nothing. What a sale's receipt is marked by, and what the till refuses a second void for."""
    voids = [e for e in related if e.kind in VOID_KINDS and e.state != "declined"]
    return next((e for e in voids if e.state == "approved"), voids[0] if voids else None)


def void_reason(entry: Entry) -> str | None:
    """Why a void (`entry`) was made, as the cashier typed it: kept in its request's `metadata`,
    the bytes sent to Flash (the journal holds it nowhere else). None if it has none."""
    try:
        body = json.loads(entry.request)
    except ValueError:
        return None
    metadata = body.get("metadata") if isinstance(body, dict) else None
    reason = metadata.get("reason") if isinstance(metadata, dict) else None
    if not isinstance(reason, str) or not reason.strip():
        return None
    return "".join(c if c.isprintable() else "?" for c in reason)[:REASON_CHARS]
