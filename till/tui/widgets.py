"""Widgets every till screen shares: the training banner, the in-doubt badge, the outcome panel."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, cast

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Digits, Static

from till.money import format_rands
from till.words import (
    NOT_SENT_ADVICE,
    Answer,
    display_mobile,
    in_doubt_advice,
    kind_label,
    outcome_amount,
    read_receipt,
    status_label,
)
from till.words.void import VOID_KINDS

if TYPE_CHECKING:  # the outcome helpers (and the Flash models) load with the engine
    from receipts import Document
    from till.sales import Outcome
    from till.tui.host import BarHost

log = logging.getLogger("till.tui")

TRAINING_TEXT = "TRAINING MODE  -  not real money  -  vouchers are NOT valid"


class StatusBar(Vertical):
    """Top of every screen: training banner, where this till is, and the in-doubt badge."""

    def compose(self) -> ComposeResult:
        app = cast("BarHost", self.app)
        if app.training:
            yield Static(TRAINING_TEXT, classes="training-banner")
        with Horizontal(classes="status-line"):
            yield Static(app.identity_text, classes="identity")
            yield Static("", classes="badge")

    def on_mount(self) -> None:
        self.watch(self.app, "open_count", self._show_count)

    def _show_count(self, count: int) -> None:
        badge = self.query_one(".badge", Static)
        badge.update(f"IN DOUBT: {count}  (F8)" if count else "all settled")
        badge.set_class(count > 0, "alert")


def receipt_of(outcome: Outcome) -> Document | None:
    """The receipt as it printed; for an approval that did not print (a lookup, no printer),
    the receipt it would print. None for anything not approved."""
    if outcome.receipt is not None:
        return outcome.receipt
    if outcome.status != "approved":
        return None
    from till.slips import SlipHeader, slip_for

    try:
        return slip_for(outcome.entry, SlipHeader(store_name=""))
    except Exception as exc:  # the journal holds the answer: the screen still shows the rest
        log.warning("%s: no receipt to show (%s)", outcome.reference, type(exc).__name__)
        return None


def answer_of(outcome: Outcome) -> Answer:
    """An approval's answer, read from its receipt; nothing for anything else."""
    receipt = receipt_of(outcome) if outcome.status == "approved" else None
    return read_receipt(receipt) if receipt is not None else Answer()


def big_codes(outcome: Outcome) -> list[tuple[str, str]]:
    """The codes a customer must read, grouped, in the order to use them: (caption, code).

    Exactly the receipt's: a cancelled or looked-up Cash Out PIN has none."""
    return list(answer_of(outcome).codes)


class OutcomeView(Vertical):
    """The answer, big: what happened, the PIN or tokens, and what to do next; Ctrl+P swaps it
    for the receipt as it printed."""

    def compose(self) -> ComposeResult:
        yield Static("", id="outcome-status")
        yield Vertical(id="outcome-codes")
        yield Static("", id="outcome-details")
        yield Static("", id="receipt", classes="receipt")

    def show(self, outcome: Outcome) -> None:
        from till.runtime import receipt_preview

        status = self.query_one("#outcome-status", Static)
        label = status_label(outcome.status)
        status.update(f"{label}  {kind_label(outcome.entry.kind)}   {outcome.reference}")
        for name in ("approved", "declined", "in_doubt", "not_sent"):
            status.set_class(outcome.status == name, name)
        codes = self.query_one("#outcome-codes", Vertical)
        codes.remove_children()
        for caption, code in big_codes(outcome):
            codes.mount(Static(caption, classes="code-caption"))
            codes.mount(Digits(code, classes="code"))
        self.query_one("#outcome-details", Static).update(outcome_details(outcome))
        receipt = receipt_of(outcome) if outcome.status == "approved" else None
        self.query_one("#receipt", Static).update(
            receipt_preview(self.app.settings, receipt)  # type: ignore[attr-defined]
            if receipt is not None
            else "No receipt was printed."
        )
        self.show_receipt(False)
        self.display = True

    @property
    def showing_receipt(self) -> bool:
        return bool(self.query_one("#receipt").display)

    def show_receipt(self, receipt: bool) -> None:
        """The receipt (True) or the answer (False)."""
        for selector in ("#outcome-status", "#outcome-codes", "#outcome-details"):
            self.query_one(selector).display = not receipt
        self.query_one("#receipt").display = receipt

    def clear(self) -> None:
        self.display = False


def outcome_details(outcome: Outcome) -> str:
    """Rows under the big codes: the receipt's rows when approved (the reference first), else
    the reference, amount, cell number and meter, and what to do next."""
    entry = outcome.entry
    rows: list[tuple[str | None, str]] = []
    lines: list[str] = []
    if outcome.status == "approved":
        rows += answer_of(outcome).rows
        if not any(label == "Reference" for label, _ in rows):
            rows.insert(0, ("Reference", entry.reference))
        if outcome.print_error:
            lines.append(f"Receipt NOT printed: {outcome.print_error}, then F7 / Ctrl+R.")
        elif outcome.print_warning:  # it printed; the next one may not
            lines.append(f"Receipt printed, but: {outcome.print_warning}.")
    else:
        rows.append(("Reference", entry.reference))
        amount = outcome_amount(outcome)
        if amount:
            rows.append(("Amount", format_rands(amount)))
        if entry.mobile_number:
            rows.append(("Mobile", display_mobile(entry.mobile_number)))
        if entry.meter_number:
            rows.append(("Meter", entry.meter_number))
        if outcome.status == "declined" and entry.kind in VOID_KINDS:
            if outcome.code is not None:  # in a cashier's words, the sale stands (till.words.void)
                lines.append(f"{outcome.message} (code {outcome.code})")
            else:
                lines.append(f"Flash says: {outcome.message}. Nothing was voided: the sale stands.")
        elif outcome.status == "declined":
            code = f" (code {outcome.code})" if outcome.code is not None else ""
            lines.append(f"Flash says: {outcome.message}{code}. Nothing was sold.")
        elif outcome.needs_attention:  # Flash's approval could not be used: the helpdesk's job
            lines.append(outcome.message)
        elif outcome.status == "in_doubt":
            lines.append(in_doubt_advice(entry.kind))
        else:
            lines.append(NOT_SENT_ADVICE)
    width = max((len(label) for label, _ in rows if label is not None), default=0)
    text = [value if label is None else f"{label.ljust(width)}  {value}" for label, value in rows]
    return "\n".join(text + lines)


__all__ = [
    "OutcomeView",
    "StatusBar",
    "answer_of",
    "big_codes",
    "outcome_details",
    "receipt_of",
]
