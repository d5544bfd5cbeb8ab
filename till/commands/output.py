"""How an outcome or a journal entry reads on the command line, and as JSON for scripts.

The words themselves (labels, advice, what the customer got, a journal entry for the desk) live
in `till.words`, which the screens and the slips read too; this module adds only what the
commands alone print, and re-exports the rest for the command modules that import it from here.
PINs and tokens are shown grouped because the cashier reads them to the customer; nothing here
ever logs.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import fields
from typing import TYPE_CHECKING, Any, TypeVar

from till.money import format_rands
from till.words import (
    HIDDEN,
    KIND_LABELS,
    NOT_SENT_ADVICE,
    RETRY_ADVICE,
    SHOWN_ABOVE,
    STATUS_LABELS,
    format_entry,
    indented_rows,
    kind_label,
    list_row,
    local_time,
    masked_request,
    ordered_tokens,
    outcome_amount,
    product_rows,
    rands_or_dash,
    read_answer,
    redact,
    retry_advice,
    status_label,
)

if TYPE_CHECKING:
    from till.journal import Entry
    from till.sales import Outcome, ResolveReport

log = logging.getLogger("till.commands")

#: The command line's in-doubt advice (it names `till retry`; the screens name F9).
IN_DOUBT_ADVICE = RETRY_ADVICE


def format_outcome(outcome: Outcome) -> str:
    """The outcome of one transaction as the cashier reads it."""
    entry = outcome.entry
    lines = [f"{status_label(outcome.status)}  {kind_label(entry.kind)}"]
    rows: list[tuple[str, str]] = [("reference", entry.reference)]
    amount = outcome_amount(outcome)
    if entry.kind == "1voucher.redeem" and amount == 0:
        rows.append(("amount", "the full value of the voucher"))
    elif amount is not None:
        rows.append(("amount", format_rands(amount)))
    if outcome.status == "approved":
        rows += product_rows(entry, outcome.response or {})
        answer = read_answer(entry, outcome.response or {})
        if answer is not None and answer.transaction_id:
            rows.append(("Flash txn", answer.transaction_id))
        if outcome.print_error:
            rows.append(("receipt", f"NOT PRINTED ({outcome.print_error}): read it from here"))
        lines += indented_rows(rows)
    elif outcome.status == "declined":
        code = f" (code {outcome.code})" if outcome.code is not None else ""
        rows.append(("Flash says", f"{outcome.message}{code}"))
        lines += indented_rows(rows)
        lines.append("Nothing was done at Flash for this reference.")
    elif outcome.status == "in_doubt":
        rows.append(("reason", outcome.message))
        lines += indented_rows(rows)
        lines.append(retry_advice(entry.kind, entry.reference))
    else:
        rows.append(("reason", outcome.message))
        lines += indented_rows(rows)
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
    from till.sales import Outcome

    if entry.state == "approved":
        return Outcome("approved", entry, "Approved", entry.response_code)
    if entry.state == "declined":
        return Outcome("declined", entry, entry.last_error or "Declined", entry.response_code)
    return Outcome("in_doubt", entry, entry.last_error or "no answer yet", entry.response_code)


T = TypeVar("T")


def shown(entry: Entry, render: Callable[[Outcome], T], failed: T) -> T:
    """`render` of what the journal says of `entry`, or `failed`: one settled entry that cannot
    be shown must not hide the others' PINs (`till retry`)."""
    try:
        return render(outcome_from_entry(entry))
    except Exception as exc:  # its type only: the message could quote the entry's PIN
        log.error("retry: %s could not be shown (%s)", entry.reference, type(exc).__name__)
        return failed


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
        failed = f"{entry.reference}: could not be shown here; see `till journal show`"
        lines += ["", shown(entry, format_outcome, failed)]
    if open_left:
        lines += ["", f"{open_left} still open: run `till retry` again later."]
    elif report.attempted:
        lines += ["", "Nothing is left open."]
    return "\n".join(lines)


def format_table(rows: Sequence[Sequence[str]], header: Sequence[str]) -> str:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    return "\n".join(
        "  ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in [header, *rows]
    )


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


__all__ = [
    "HIDDEN",
    "IN_DOUBT_ADVICE",
    "KIND_LABELS",
    "NOT_SENT_ADVICE",
    "SHOWN_ABOVE",
    "STATUS_LABELS",
    "entry_json",
    "format_entry",
    "format_outcome",
    "format_resolve",
    "format_table",
    "kind_label",
    "list_row",
    "local_time",
    "masked_request",
    "ordered_tokens",
    "outcome_amount",
    "outcome_from_entry",
    "outcome_json",
    "product_rows",
    "rands_or_dash",
    "redact",
]
