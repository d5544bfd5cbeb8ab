"""The till's fixed words: what each kind of transaction and each state is called, what a
cashier does while Flash has not answered, how a cell number and a time read.

Light on purpose (no Flash models, no engine): the screens, the commands and the slips all
import it, and a one-shot command starts fast.
"""

from __future__ import annotations

import re
from collections.abc import Collection

from till.clock import SECONDS, SECONDS_ZONE, format_local
from till.money import format_rands

KIND_LABELS: dict[str, str] = {
    "1voucher.purchase": "1Voucher sale",
    "1voucher.disburse": "1Voucher disbursement",
    "1voucher.redeem": "1Voucher redemption",
    "1voucher.refund": "1Voucher refund",
    "gift-voucher.purchase": "Gift voucher sale",
    "eezi-voucher.purchase": "Eezi voucher sale",
    "cellular.pinless.purchase": "Airtime recharge",
    "cash-out-pin.purchase": "Cash Out PIN sale",
    "cash-out-pin.cancel": "Cash Out PIN cancel",
    "cash-out-pin.lookup": "Cash Out PIN lookup",
    "prepaid-utilities.lookup": "Meter lookup",
    "prepaid-utilities.purchase": "Prepaid utility vend",
    "1voucher.reverse": "1Voucher void",
    "cash-out-pin.reverse": "Cash Out PIN void",
    "eezi-voucher.reverse": "Eezi voucher void",
}
STATUS_LABELS: dict[str, str] = {
    "approved": "APPROVED",
    "declined": "DECLINED",
    "in_doubt": "IN DOUBT",
    "not_sent": "NOT SENT",
}


def kind_label(kind: str) -> str:
    """'1voucher.purchase' -> '1Voucher sale'; a kind with no label as it is."""
    return KIND_LABELS.get(kind, kind)


def status_label(status: str) -> str:
    """'in_doubt' -> 'IN DOUBT'."""
    return STATUS_LABELS.get(status, status.upper())


# -- in doubt, not sent ------------------------------------------------------------------------

_KEEPS_TRYING = "the till keeps trying with the same reference"
#: What a cashier does while Flash has not confirmed, by kind: each says what not to do again,
#: what to hold back, and how to print the customer's slip ({slip}) and follow it ({watch}),
#: which the screens and the command line each say in their own keys.
_IN_DOUBT: dict[str, str] = {
    "1voucher.purchase": (
        f"Do not sell again: {_KEEPS_TRYING}. "
        "{slip} and hand over the PIN only once it is APPROVED."
    ),
    "1voucher.disburse": (
        f"Do not pay out again: {_KEEPS_TRYING}. "
        "{slip} and hand over the PIN only once it is APPROVED."
    ),
    "1voucher.redeem": (
        "Do not pay out cash or hand over goods until it is confirmed, and do not redeem the "
        f"PIN again: {_KEEPS_TRYING}. {{slip}}; {{watch}}."
    ),
    "1voucher.refund": (
        f"Do not refund again: {_KEEPS_TRYING}. "
        "{slip} and hand over the new PIN only once it is APPROVED."
    ),
    "cellular.pinless.purchase": (
        f"Do not recharge again: {_KEEPS_TRYING}, and the airtime may already be on the "
        "phone. {slip}; {watch}."
    ),
    "cash-out-pin.cancel": (
        "Do not cancel again, and do not give the customer the money back until the cancel is "
        f"APPROVED: {_KEEPS_TRYING}. {{slip}}."
    ),
    "prepaid-utilities.purchase": (
        f"Do not vend again: {_KEEPS_TRYING}. "
        "{slip} and hand over the tokens only once it is APPROVED."
    ),
    **dict.fromkeys(
        ("1voucher.reverse", "cash-out-pin.reverse", "eezi-voucher.reverse"),
        "Do not void again, and do not give the customer the money back until the void is "
        f"APPROVED: {_KEEPS_TRYING}. {{slip}}; {{watch}}.",
    ),
}
_SCREEN_KEYS = {"slip": "Print the customer's slip (F9)", "watch": "F8 shows when it is APPROVED"}
_COMMAND_KEYS = {
    "slip": "Print the customer's slip with `till slip {reference}`",
    "watch": "`till journal show {reference}` says when it is APPROVED",
}
#: The screens' words, by kind.
IN_DOUBT_ADVICE: dict[str, str] = {
    kind: text.format(**_SCREEN_KEYS) for kind, text in _IN_DOUBT.items()
}
#: A voucher sale (gift, Eezi, Cash Out PIN, and any kind not named above).
SCREEN_IN_DOUBT_ADVICE = IN_DOUBT_ADVICE["1voucher.purchase"]
#: The command line's generic in-doubt line, for a kind it cannot name.
RETRY_ADVICE = (
    "Do not sell again. The till keeps trying with the same reference; run `till retry` to "
    "settle it now, and hand over the PIN or token only once it is APPROVED."
)
NOT_SENT_ADVICE = "Nothing was sold: Flash did not take this request. It is safe to try again."


def in_doubt_summary(kinds: Collection[str]) -> str:
    """The In doubt screen's first line: "do not sell them again" only when each one is a sale
    (a redemption or a refund in doubt has its own instruction below it)."""
    count = len(kinds)
    plural = "s" if count != 1 else ""
    if all(kind.endswith(".purchase") for kind in kinds):
        return f"{count} sale{plural} in doubt: do not sell them again."
    return f"{count} transaction{plural} in doubt: do not repeat any of them."


def in_doubt_advice(kind: str) -> str:
    """The in-doubt instruction for a transaction of `kind`, on a screen."""
    return IN_DOUBT_ADVICE.get(kind, SCREEN_IN_DOUBT_ADVICE)


def retry_advice(kind: str, reference: str) -> str:
    """The same instruction on the command line, which has `till slip` and `till retry`."""
    text = _IN_DOUBT.get(kind, _IN_DOUBT["1voucher.purchase"])
    keys = {name: phrase.format(reference=reference) for name, phrase in _COMMAND_KEYS.items()}
    return f"{text.format(**keys)} Run `till retry` to settle it now."


def quit_question(count: int) -> str:
    """What Ctrl+Q asks while `count` sales are in doubt."""
    sales = "1 sale is" if count == 1 else f"{count} sales are"
    them = "It stays" if count == 1 else "They stay"
    return (
        f"{sales} still IN DOUBT. {them} in the journal: the till tries again when it next "
        "starts (or run `till retry`); F8 lists what is open."
    )


# -- numbers and times -------------------------------------------------------------------------

_MOBILE = re.compile(r"(?:27|0)([1-9][0-9])([0-9]{3})([0-9]{4})")


def display_mobile(number: str | None) -> str:
    """A South African cell number as its owner writes it: '27821234567', '+27821234567' and
    '0821234567' -> '082 123 4567'; anything else as it came; nothing as ''."""
    if not number:
        return ""
    match = _MOBILE.fullmatch(number.strip().removeprefix("+"))
    return "0{} {} {}".format(*match.groups()) if match else number


def local_time(ms: int | None, *, named: bool = False) -> str:
    """Journal times are UTC milliseconds; people read them in the till's zone (`[till]
    timezone`, through till.clock), never the machine's; `named` adds the zone ("SAST")."""
    if ms is None:
        return "-"
    return format_local(ms, fmt=SECONDS_ZONE if named else SECONDS)


def rands_or_dash(cents: int | None) -> str:
    return "-" if cents is None else format_rands(cents)
