"""How an outcome or a journal entry reads on the screen, and as JSON for scripts.

Pure functions from data to text, so the wording is tested without a till. PINs and tokens are
shown grouped because the cashier reads them to the customer; nothing here ever logs.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Sequence
from dataclasses import fields
from typing import Any

from pydantic import ValidationError

from till.clock import SECONDS, SECONDS_ZONE, format_local
from till.digits import format_sts_token, group_digits
from till.flash.models import UtilityPurchaseResponse, UtilityToken
from till.journal import Entry, Reprint
from till.money import format_rands
from till.sales import Outcome, ResolveReport

log = logging.getLogger("till.commands")

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
}
STATUS_LABELS: dict[str, str] = {
    "approved": "APPROVED",
    "declined": "DECLINED",
    "in_doubt": "IN DOUBT",
    "not_sent": "NOT SENT",
}
IN_DOUBT_ADVICE = (
    "Do not sell again. The till keeps trying with the same reference; run `till retry` to "
    "settle it now, and hand over the PIN or token only once it is APPROVED."
)
NOT_SENT_ADVICE = "Nothing was sold: Flash did not take this request. It is safe to try again."
_LABEL_WIDTH = 15
_SECRET_KEYS = re.compile(r"^(pin|token)$", re.IGNORECASE)


# -- small formatters -------------------------------------------------------------------------


def local_time(ms: int | None, *, named: bool = False) -> str:
    """Journal times are UTC milliseconds; people read them in the till's zone (`[till]
    timezone`, through till.clock), never the machine's; `named` adds the zone ("SAST")."""
    if ms is None:
        return "-"
    return format_local(ms, fmt=SECONDS_ZONE if named else SECONDS)


def kind_label(kind: str) -> str:
    return KIND_LABELS.get(kind, kind)


def rands_or_dash(cents: int | None) -> str:
    return "-" if cents is None else format_rands(cents)


#: Cents as text: ASCII digits only ("²" and "٥" are digits to str.isdigit, not money).
_ASCII_CENTS = re.compile(r"[0-9]{1,15}")


def _cents_text(value: object) -> str:
    """Flash sends some cent amounts as numbers and some as strings: show both as rands."""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return format_rands(value)
    if isinstance(value, str) and _ASCII_CENTS.fullmatch(value.strip()):
        return format_rands(int(value.strip()))
    return str(value)


def _date(value: object) -> str:
    """An ISO timestamp's date is what a slip shows as the expiry."""
    text = str(value)
    return text[:10] if re.match(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", text) else text


def _rows(rows: Sequence[tuple[str, str]]) -> list[str]:
    return [f"  {label.ljust(_LABEL_WIDTH)} {value}" for label, value in rows]


def _dict(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


# -- the product part of an approval ----------------------------------------------------------


def _voucher_rows(voucher: dict[str, Any], *, pin_label: str = "PIN") -> list[tuple[str, str]]:
    rows: list[tuple[str, str]] = []
    if voucher.get("pin"):
        rows.append((pin_label, group_digits(str(voucher["pin"]))))
    if voucher.get("barcode"):
        rows.append(("barcode", str(voucher["barcode"])))
    if voucher.get("serialNumber"):
        rows.append(("serial", str(voucher["serialNumber"])))
    if voucher.get("expiryDate"):
        rows.append(("expires", _date(voucher["expiryDate"])))
    return rows


def _redemption_rows(response: dict[str, Any]) -> list[tuple[str, str]]:
    """A partial redemption leaves change: a new voucher, on screen or by SMS."""
    voucher = _dict(response.get("voucher"))
    if not voucher or str(voucher.get("status", "")).lower() == "redeemed":
        rows = [("redeemed", "the full value of the voucher")]
        if isinstance(voucher.get("amount"), int):
            rows = [("voucher value", format_rands(voucher["amount"]))]
        return rows
    rows = [("change voucher", _cents_text(voucher.get("amount", "?")))]
    if voucher.get("pin"):
        rows += _voucher_rows(voucher, pin_label="change PIN")
    else:
        mobile = response.get("mobileNumber")
        rows.append(("change PIN", f"sent by SMS to {mobile}" if mobile else "not shown by Flash"))
        rows += [row for row in _voucher_rows(voucher) if row[0] != "PIN"]
    return rows


def _airtime_rows(response: dict[str, Any], entry: Entry) -> list[tuple[str, str]]:
    details = _dict(response.get("rechargeDetails"))
    rows = [("mobile", str(response.get("mobileNumber") or entry.mobile_number or "-"))]
    for key, label in (
        ("rechargeVendor", "network"),
        ("rechargeType", "recharge"),
        ("callCentre", "call centre"),
    ):
        if details.get(key):
            rows.append((label, str(details[key])))
    return rows


def _meter_rows(response: dict[str, Any], entry: Entry) -> list[tuple[str, str]]:
    meter = _dict(response.get("meterInfo") or response.get("meterinfo"))
    customer = _dict(meter.get("customerInfo"))
    utility = _dict(meter.get("utilityInfo"))
    rows: list[tuple[str, str]] = []
    if customer.get("name"):
        rows.append(("customer", str(customer["name"])))
    if customer.get("address"):
        rows.append(("address", str(customer["address"])))
    rows.append(("meter", str(meter.get("meterNumber") or entry.meter_number or "-")))
    name = utility.get("name") or utility.get("utilityName") or utility.get("utilityname")
    if name:
        rows.append(("utility", str(name)))
    if utility.get("callCentre"):
        rows.append(("call centre", str(utility["callCentre"])))
    return rows


def _lookup_rows(response: dict[str, Any], entry: Entry) -> list[tuple[str, str]]:
    rows = _meter_rows(response, entry)
    billing = _dict(response.get("billingInfo"))
    if billing.get("minimumVendValue") is not None:
        rows.append(("minimum vend", _cents_text(billing["minimumVendValue"])))
    if billing.get("maximumVendValue") is not None:
        rows.append(("maximum vend", _cents_text(billing["maximumVendValue"])))
    arrears = billing.get("arrearValue")
    if arrears not in (None, 0, "0", ""):
        desc = f" ({billing['arrearDesc']})" if billing.get("arrearDesc") else ""
        rows.append(("arrears", _cents_text(arrears) + desc))
    else:
        rows.append(("arrears", "none"))
    if billing.get("tariffName"):
        rows.append(("tariff", str(billing["tariffName"])))
    if response.get("isFBE") is not None:
        rows.append(("free basic", "registered" if response["isFBE"] else "not registered"))
    return rows


def _units(token: UtilityToken) -> str:
    units = token.units
    if units is None or units.quantity is None:
        return ""
    return f"{units.quantity} {units.unit_type or ''}".rstrip()


def ordered_tokens(response: dict[str, Any]) -> list[UtilityToken]:
    """Key change tokens first: a meter refuses the credit token until they are keyed in."""
    try:
        parsed = UtilityPurchaseResponse.model_validate(response)
    except ValidationError:
        return []
    rest = [t for t in parsed.tokens if not t.is_key_change]
    return [t for t in parsed.key_change_tokens if t.token] + [t for t in rest if t.token]


def _vend_rows(response: dict[str, Any], entry: Entry) -> list[tuple[str, str]]:
    rows = _meter_rows(response, entry)
    tokens = ordered_tokens(response)
    for number, token in enumerate(tokens, start=1):
        if token.is_key_change:
            note = "KEY CHANGE: key in first"
        elif token.is_fbe:
            note = f"FREE BASIC {_units(token)}".rstrip()
        else:
            note = _units(token)
        grouped = format_sts_token(token.token or "")
        rows.append((f"token {number} of {len(tokens)}", f"{grouped}  {note}".rstrip()))
    debt = _dict(response.get("debt") or _dict(response.get("charges")).get("debt"))
    if debt.get("value") not in (None, 0, "0"):
        rows.append(("arrears paid", _cents_text(debt["value"])))
        if debt.get("outstanding") is not None:
            rows.append(("arrears left", _cents_text(debt["outstanding"])))
    return rows


def product_rows(entry: Entry, response: dict[str, Any]) -> list[tuple[str, str]]:
    """What the customer walks away with, from the response as Flash sent it."""
    kind = entry.kind
    if kind == "1voucher.redeem":
        return _redemption_rows(response)
    if kind == "cellular.pinless.purchase":
        return _airtime_rows(response, entry)
    if kind == "prepaid-utilities.lookup":
        return _lookup_rows(response, entry)
    if kind == "prepaid-utilities.purchase":
        return _vend_rows(response, entry)
    voucher = _dict(response.get("voucher"))
    if kind == "cash-out-pin.cancel":
        return [
            ("cancelled", f"serial {voucher.get('serialNumber') or entry.serial_number}"),
            ("status", str(voucher.get("status") or "Cancelled")),
        ]
    if kind == "cash-out-pin.lookup":  # a serial is not enough to see the cash: no PIN here
        voucher = {k: v for k, v in voucher.items() if k != "pin"}
    rows = _voucher_rows(voucher)
    if kind == "1voucher.refund" and not voucher.get("pin") and response.get("mobileNumber"):
        rows.insert(0, ("PIN", f"sent by SMS to {response['mobileNumber']}"))
    if kind == "cash-out-pin.lookup" and voucher.get("status"):
        rows.append(("status", str(voucher["status"])))
    if kind == "cash-out-pin.purchase":
        rows.append(("note", "the customer needs both the PIN and the serial"))
    return rows


# -- outcomes ---------------------------------------------------------------------------------


def outcome_amount(outcome: Outcome) -> int | None:
    """A full redemption is journaled as amount 0; Flash's answer says what it was worth."""
    answered = (outcome.response or {}).get("amount")
    if outcome.status == "approved" and isinstance(answered, int) and not outcome.entry.amount:
        return answered
    return outcome.entry.amount


def format_outcome(outcome: Outcome) -> str:
    """The outcome of one transaction as the cashier reads it."""
    entry = outcome.entry
    status = STATUS_LABELS.get(outcome.status, outcome.status.upper())
    lines = [f"{status}  {kind_label(entry.kind)}"]
    rows: list[tuple[str, str]] = [("reference", entry.reference)]
    amount = outcome_amount(outcome)
    if entry.kind == "1voucher.redeem" and amount == 0:
        rows.append(("amount", "the full value of the voucher"))
    elif amount is not None:
        rows.append(("amount", format_rands(amount)))
    if outcome.status == "approved":
        rows += product_rows(entry, outcome.response or {})
        txn = (outcome.response or {}).get("transactionId")
        if txn:
            rows.append(("Flash txn", str(txn)))
        if outcome.print_error:
            rows.append(("receipt", f"NOT PRINTED ({outcome.print_error}): read it from here"))
        lines += _rows(rows)
    elif outcome.status == "declined":
        code = f" (code {outcome.code})" if outcome.code is not None else ""
        rows.append(("Flash says", f"{outcome.message}{code}"))
        lines += _rows(rows)
        lines.append("Nothing was done at Flash for this reference.")
    elif outcome.status == "in_doubt":
        rows.append(("reason", outcome.message))
        lines += _rows(rows)
        lines.append(IN_DOUBT_ADVICE)
    else:
        rows.append(("reason", outcome.message))
        lines += _rows(rows)
        lines.append(NOT_SENT_ADVICE)
    return "\n".join(lines)


def outcome_json(outcome: Outcome) -> dict[str, Any]:
    """One object per outcome for scripts; `response` is Flash's answer as it was sent."""
    entry = outcome.entry
    return {
        "status": outcome.status,
        "reference": entry.reference,
        "kind": entry.kind,
        "code": outcome.code,
        "message": outcome.message,
        "amount": outcome_amount(outcome),
        "state": entry.state,
        "attempts": entry.attempts,
        "training": entry.training,
        "print_error": outcome.print_error,
        "response": outcome.response,
    }


def outcome_from_entry(entry: Entry) -> Outcome:
    """What the journal now says about an entry, shaped like a fresh outcome."""
    if entry.state == "approved":
        return Outcome("approved", entry, "Approved", entry.response_code)
    if entry.state == "declined":
        return Outcome("declined", entry, entry.last_error or "Declined", entry.response_code)
    return Outcome("in_doubt", entry, entry.last_error or "no answer yet", entry.response_code)


def format_resolve(report: ResolveReport, entries: Sequence[Entry], open_left: int) -> str:
    """What `till retry` did, then every settled entry (approved ones with their PINs)."""
    lines = [
        f"Retried {report.attempted} open transaction{'s' if report.attempted != 1 else ''}: "
        f"{len(report.approved)} approved, {len(report.declined)} declined, "
        f"{len(report.still_in_doubt)} still in doubt."
    ]
    if report.flagged:
        lines.append(f"{report.flagged} open for over a day: flagged for the support desk.")
    if report.attention:
        lines.append(
            f"{len(report.attention)} flagged for a person: "
            + ", ".join(report.attention)
            + " (what to do is under each)."
        )
    for entry in entries:
        try:  # one entry that cannot be shown must not hide the others' PINs
            text = format_outcome(outcome_from_entry(entry))
        except Exception as exc:  # its type only: the message could quote the entry's PIN
            log.error("retry: %s could not be shown (%s)", entry.reference, type(exc).__name__)
            text = f"{entry.reference}: could not be shown here; see `till journal show`"
        lines += ["", text]
    if open_left:
        lines += ["", f"{open_left} still open: run `till retry` again later."]
    elif report.attempted:
        lines += ["", "Nothing is left open."]
    return "\n".join(lines)


# -- journal entries ---------------------------------------------------------------------------


def list_row(entry: Entry) -> tuple[str, str, str, str, str, str]:
    """time, reference, kind, state, amount, attempts: one line of `till journal list`."""
    return (
        local_time(entry.created_at),
        entry.reference,
        entry.kind,
        entry.state,
        rands_or_dash(entry.amount),
        str(entry.attempts),
    )


def format_table(rows: Sequence[Sequence[str]], header: Sequence[str]) -> str:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    return "\n".join(
        "  ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in [header, *rows]
    )


#: In place of a PIN or token: where `till journal show` prints them grouped above the
#: response, and where they are left out altogether (a listing that may be pasted anywhere).
SHOWN_ABOVE = "(shown above)"
HIDDEN = "(hidden: see till journal show)"


def redact(value: Any, mask: str = SHOWN_ABOVE) -> Any:
    """The raw response with PINs and tokens replaced by `mask`."""
    if isinstance(value, dict):
        return {
            k: (mask if _SECRET_KEYS.match(str(k)) and v else redact(v, mask))
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [redact(v, mask) for v in value]
    return value


def masked_request(request: bytes) -> str:
    """The journaled request; a redeemed PIN keeps only its last four digits."""
    try:
        body = json.loads(request)
    except ValueError:
        return f"({len(request)} bytes, not JSON)"
    if isinstance(body, dict) and isinstance(body.get("pin"), str):
        pin = body["pin"]
        body["pin"] = "*" * max(len(pin) - 4, 0) + pin[-4:]
    return json.dumps(body, separators=(", ", ": "))


_SHOWN_FIELDS = frozenset(
    [
        "id",
        "reference",
        "kind",
        "state",
        "created_at",
        "settled_at",
        "amount",
        "product_code",
        "mobile_number",
        "meter_number",
        "serial_number",
        "related_reference",
        "store_id",
        "terminal_id",
        "cashier",
        "approved_by",
        "training",
        "retryable",
        "attempts",
        "response_code",
        "last_error",
        "next_attempt_at",
        "flagged_at",
        "print_count",
        "last_printed_at",
        "print_error",
        "request",
    ]
)


def format_entry(
    entry: Entry, related: Sequence[Entry] = (), reprints: Sequence[Reprint] = ()
) -> str:
    """Every field of a journal entry, for the support desk."""
    status = STATUS_LABELS.get(entry.state, entry.state.upper())
    lines = [f"{status}  {kind_label(entry.kind)}  {entry.reference}"]
    rows: list[tuple[str, str]] = [
        ("id", str(entry.id)),
        ("reference", entry.reference),
        ("kind", entry.kind),
        ("state", entry.state),
        ("created", local_time(entry.created_at, named=True)),
        ("settled", local_time(entry.settled_at, named=True)),
        ("amount", rands_or_dash(entry.amount)),
        ("product code", str(entry.product_code) if entry.product_code is not None else "-"),
        ("mobile", entry.mobile_number or "-"),
        ("meter", entry.meter_number or "-"),
        ("serial", entry.serial_number or "-"),
        ("related to", entry.related_reference or "-"),
        ("store / till", f"{entry.store_id} / {entry.terminal_id}"),
        ("cashier", entry.cashier or "-"),
        ("approved by", entry.approved_by or "-"),
        ("training", "yes" if entry.training else "no"),
        ("retryable", "yes" if entry.retryable else "no"),
        ("attempts", str(entry.attempts)),
        ("response code", str(entry.response_code) if entry.response_code is not None else "-"),
        ("last error", entry.last_error or "-"),
        ("next attempt", local_time(entry.next_attempt_at, named=True)),
        ("flagged", local_time(entry.flagged_at, named=True)),
        (
            "printed",
            f"{entry.print_count} time(s), last {local_time(entry.last_printed_at, named=True)}",
        ),
        ("print error", entry.print_error or "-"),
        ("request", masked_request(entry.request)),
    ]
    # Columns added to the journal later still show, plainly, until they get a label here.
    shown = _SHOWN_FIELDS | {"response_json"}
    rows += [
        (f.name.replace("_", " "), _plain(getattr(entry, f.name)))
        for f in fields(entry)
        if f.name not in shown
    ]
    lines += _rows(rows)
    if entry.state == "approved" and entry.response:
        lines.append("What the customer got:")
        lines += _rows(product_rows(entry, entry.response))
    if entry.response is not None:
        lines.append("Response:")
        lines.append("  " + json.dumps(redact(entry.response), separators=(", ", ": ")))
    if related:
        lines.append("Linked to this entry:")
        lines += [f"  {'  '.join(list_row(e))}" for e in related]
    if reprints:
        lines.append("Reprints:")
        lines += [
            f"  COPY {r.copy}  {local_time(r.printed_at, named=True)}  by {r.cashier or '-'}"
            f"  approved by {r.approved_by or '-'}"
            for r in reprints
        ]
    return "\n".join(lines)


def entry_json(entry: Entry, *, secrets: bool = True) -> dict[str, Any]:
    """Every field of an entry as JSON (times in UTC ms, plus `created` in the till's zone).

    The request bytes are left out (the redeemed PIN is in them); `secrets=False` also drops the
    response's PINs and tokens, for listings that may be pasted into a ticket.
    """
    data: dict[str, Any] = {
        f.name: getattr(entry, f.name)
        for f in fields(entry)
        if f.name not in ("request", "response_json")
    }
    data["response"] = entry.response
    data["created"] = local_time(entry.created_at)
    if not secrets:
        data["response"] = redact(entry.response, HIDDEN)
    return data


def _plain(value: object) -> str:
    """A field as the desk reads it: nothing is '-', never 'None'."""
    return "-" if value is None else str(value)
