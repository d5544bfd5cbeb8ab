"""Widgets every till screen shares: the training banner, the in-doubt badge, the outcome panel."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Digits, Static

from till.digits import format_sts_token, group_digits
from till.money import format_rands

if TYPE_CHECKING:  # the outcome helpers (and the Flash models) load with the engine
    from till.sales import Outcome
    from till.tui.app import TillApp

TRAINING_TEXT = "TRAINING MODE  -  not real money  -  vouchers are NOT valid"
SCREEN_IN_DOUBT_ADVICE = (
    "Do not sell again: the till keeps trying with the same reference. "
    "Print the customer's slip (F9) and hand over the PIN only once it is APPROVED."
)


class StatusBar(Vertical):
    """Top of every screen: training banner, where this till is, and the in-doubt badge."""

    def compose(self) -> ComposeResult:
        app: TillApp = self.app  # type: ignore[assignment]
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


def big_codes(outcome: Outcome) -> list[tuple[str, str]]:
    """The codes a customer must read, grouped, in the order to use them: (caption, code)."""
    from till.commands.output import ordered_tokens

    response = outcome.response or {}
    if outcome.status != "approved":
        return []
    if outcome.entry.kind == "prepaid-utilities.purchase":
        tokens = ordered_tokens(response)
        return [
            (f"Token {n} of {len(tokens)}" + (" (key change)" if t.is_key_change else ""),
             format_sts_token(t.token or ""))
            for n, t in enumerate(tokens, 1)
        ]  # fmt: skip
    voucher = response.get("voucher")
    if (
        isinstance(voucher, dict)
        and voucher.get("pin")
        and outcome.entry.kind != ("cash-out-pin.lookup")
    ):
        caption = "Change PIN" if outcome.entry.kind == "1voucher.redeem" else "PIN"
        return [(caption, group_digits(str(voucher["pin"])))]
    return []


class OutcomeView(Vertical):
    """The answer, big: what happened, the PIN or tokens, and what to do next."""

    def compose(self) -> ComposeResult:
        yield Static("", id="outcome-status")
        yield Vertical(id="outcome-codes")
        yield Static("", id="outcome-details")

    def show(self, outcome: Outcome) -> None:
        from till.commands.output import STATUS_LABELS, kind_label

        status = self.query_one("#outcome-status", Static)
        label = STATUS_LABELS.get(outcome.status, outcome.status.upper())
        status.update(f"{label}  {kind_label(outcome.entry.kind)}")
        for name in ("approved", "declined", "in_doubt", "not_sent"):
            status.set_class(outcome.status == name, name)
        codes = self.query_one("#outcome-codes", Vertical)
        codes.remove_children()
        for caption, code in big_codes(outcome):
            codes.mount(Static(caption, classes="code-caption"))
            codes.mount(Digits(code, classes="code"))
        self.query_one("#outcome-details", Static).update(outcome_details(outcome))
        self.display = True

    def clear(self) -> None:
        self.display = False


def outcome_details(outcome: Outcome) -> str:
    """Rows under the big codes: reference, amount, what to do next."""
    from till.commands.output import NOT_SENT_ADVICE, outcome_amount, product_rows

    rows: list[tuple[str, str]] = [("Reference", outcome.entry.reference)]
    amount = outcome_amount(outcome)
    if amount:
        rows.append(("Amount", format_rands(amount)))
    lines: list[str] = []
    if outcome.status == "approved":
        rows += [
            (label, value)
            for label, value in product_rows(outcome.entry, outcome.response or {})
            if not label.lower().endswith("pin") and not label.lower().startswith("token")
        ]
        if outcome.print_error:
            lines.append(f"Receipt NOT printed ({outcome.print_error}): reprint from F7.")
    elif outcome.status == "declined":
        code = f" (code {outcome.code})" if outcome.code is not None else ""
        lines.append(f"Flash says: {outcome.message}{code}. Nothing was sold.")
    elif outcome.needs_attention:  # Flash's approval could not be used: the helpdesk's job
        lines.append(outcome.message)
    elif outcome.status == "in_doubt":
        lines.append(SCREEN_IN_DOUBT_ADVICE)
    else:
        lines.append(NOT_SENT_ADVICE)
    width = max(len(label) for label, _ in rows)
    text = [f"{label.ljust(width)}  {value}" for label, value in rows]
    return "\n".join(text + lines)


__all__ = ["OutcomeView", "StatusBar", "big_codes", "outcome_details"]
