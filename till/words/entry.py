"""A journal entry as the support desk reads it: on the Journal and In doubt screens and from
`till journal show` / `till journal list` alike."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import fields
from typing import TYPE_CHECKING, Any

from till.words.labels import kind_label, local_time, rands_or_dash, status_label
from till.words.rows import product_rows
from till.words.void import REVERSED_MARK, VOID_PENDING_MARK, reversal_in

if TYPE_CHECKING:
    from till.journal import Entry, Reprint

_LABEL_WIDTH = 15
_SECRET_KEYS = re.compile(r"^(pin|token)$", re.IGNORECASE)
#: In place of a PIN or token: where `till journal show` prints them grouped above the
#: response, and where they are left out altogether (a listing that may be pasted anywhere).
SHOWN_ABOVE = "(shown above)"
HIDDEN = "(hidden: see till journal show)"


def indented_rows(rows: Sequence[tuple[str, str]]) -> list[str]:
    """Label/value rows, indented and aligned, as the commands and the desk screens print them."""
    return [f"  {label.ljust(_LABEL_WIDTH)} {value}" for label, value in rows]


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
    lines = [f"{status_label(entry.state)}  {kind_label(entry.kind)}  {entry.reference}"]
    void = reversal_in(related) if entry.state == "approved" else None
    if void is not None:
        lines.append(
            f"{REVERSED_MARK}: voided by {void.reference}, {local_time(void.settled_at)}"
            if void.state == "approved"
            else f"{VOID_PENDING_MARK}: {void.reference} waits for Flash's answer"
        )
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
    lines += indented_rows(rows)
    if entry.state == "approved" and entry.response:
        lines.append("What the customer got:")
        lines += indented_rows(product_rows(entry, entry.response))
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


def _plain(value: object) -> str:
    """A field as the desk reads it: nothing is '-', never 'None'."""
    return "-" if value is None else str(value)
