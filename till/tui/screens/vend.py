"""Electricity and water: meter -> amount -> lookup -> confirm -> tokens, big. Keyboard only.

The lookup comes before any money moves so the cashier reads the customer's name and address
back (a mistyped meter credits a stranger) and the amount is checked against the meter's limits.
One entry line takes every answer in turn, as on the Sell screen, so a scanner can type ahead.
Free Basic Electricity is "fbe" typed as the amount: the lookup asks Flash about the meter's FBE
registration first, and it vends R 0.00.
"""

from __future__ import annotations

import re
from typing import Literal

from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import LoadingIndicator, Static

from till.digits import ungroup
from till.money import format_rands
from till.sales import Outcome, SaleEngine
from till.tui.messages import TransactionDone, TransactionRefused
from till.tui.screens.base import AnswerScreen, EntryLine, FieldError, parse_amount
from till.tui.widgets import OutcomeView
from till.words import product_rows, vend_limits

Step = Literal["meter", "amount", "looking", "confirm", "sending", "outcome"]
#: STS meters are 11 or 13 digits; Flash also knows shorter municipal numbers.
METER = re.compile(r"\d{6,20}")
#: Flash codes that fault the amount, not the meter: the cashier corrects only the amount.
AMOUNT_CODES = frozenset({2204, 2230, 2231})
FBE_WORDS = frozenset({"fbe", "free", "free basic", "f"})


class VendScreen(AnswerScreen):
    title_text = "ELECTRICITY AND WATER"
    KEEP_ERROR_STEPS = frozenset({"outcome", "sending", "looking"})
    BINDINGS = [
        Binding("escape", "back", "Back", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.step: Step = "meter"
        self.meter = ""
        self.amount = 0
        self.fbe = False
        #: Flash's lookup answer for `self.meter` (customer, limits, arrears), once it came.
        self.lookup: Outcome | None = None
        self.outcome: Outcome | None = None

    def compose_body(self) -> ComposeResult:
        yield Static("", id="vend-summary")
        yield EntryLine(id="entry")
        yield Static(
            "Scan or type the meter number. Amount in rands, or FBE for free basic electricity.",
            id="vend-hint",
            classes="hint",
        )
        yield LoadingIndicator(id="vend-sending")
        yield OutcomeView(id="outcome")

    def on_mount(self) -> None:
        self._enter("meter")

    # -- steps ---------------------------------------------------------------------------------

    @property
    def limits(self) -> tuple[int | None, int | None]:
        if self.lookup is None:
            return None, None
        return vend_limits(self.lookup.entry, self.lookup.response or {})

    def _limits_text(self) -> str:
        low, high = self.limits
        if low is None or high is None:
            return ""
        return f"{format_rands(low)} - {format_rands(high)}"

    def _summary(self) -> str:
        if not self.meter or self.step in ("meter", "outcome"):
            return ""
        lines = [f"Meter          {self.meter}"]
        if self.lookup is not None and self.lookup.status == "approved":
            rows = product_rows(self.lookup.entry, self.lookup.response or {})
            lines = [f"{label.capitalize():<14} {value}" for label, value in rows]
        if self.step in ("confirm", "sending"):
            if self.fbe:
                lines.append("Amount         FREE BASIC ELECTRICITY (R 0.00)")
            else:
                lines.append(f"Amount         {format_rands(self.amount)}")
        return "\n".join(lines)

    def _enter(self, step: Step) -> None:
        self.refresh_bindings()  # the key bar shows only what applies now
        self.step = step
        entry = self.query_one(EntryLine)
        entry.value = ""
        self.query_one("#vend-sending").display = step in ("looking", "sending")
        self.query_one("#vend-hint").display = step in ("meter", "amount")
        self.query_one("#outcome", OutcomeView).display = step == "outcome"
        summary = self._summary()
        self.query_one("#vend-summary", Static).update(summary)
        self.query_one("#vend-summary").display = bool(summary)
        limits = self._limits_text()
        entry.prompt(
            {
                "meter": "Meter number (scan or type, Enter)",
                "amount": "Amount in rands" + (f" ({limits})" if limits else "") + ", or FBE",
                "looking": "Asking Flash about the meter...",
                "confirm": "Enter = CONFIRM and vend     Escape = change the amount",
                "sending": "Vending at Flash... do not sell again",
                "outcome": "Enter = next meter (or scan it now)",
            }[step]
        )
        entry.focus()

    def _submit(self, text: str) -> None:
        if self.step == "outcome":
            self._new_sale()
            if not text:
                return
        if self.step == "meter":
            meter = ungroup(text)
            if not METER.fullmatch(meter):
                raise FieldError(
                    f"{text!r} is not a meter number: scan it again or type its digits, "
                    "e.g. 04040404040."
                )
            if meter != self.meter:
                self.lookup = None
            self.meter = meter
            self._enter("amount")
        elif self.step == "amount":
            self._choose_amount(text)
        elif self.step == "confirm":
            if text:
                raise FieldError("Press Enter on its own to vend, or Escape to change.")
            self._vend()
        elif self.step == "looking":
            raise FieldError("Still asking Flash about the meter: wait for its answer.")
        elif self.step == "sending":
            raise FieldError("Still waiting for Flash's answer: do not sell again.")

    def _choose_amount(self, text: str) -> None:
        fbe = text.lower() in FBE_WORDS
        if fbe:
            self.amount = 0
        else:
            low, high = self.limits
            self.amount = parse_amount(text, minimum=low, maximum=high)
        known = self.lookup is not None and self.lookup.status == "approved"
        if known and fbe == self.fbe:
            self._enter("confirm")  # the meter is known: its limits were just checked
            return
        self.fbe = fbe
        meter, amount = self.meter, self.amount

        async def call(engine: SaleEngine, approved_by: str | None) -> Outcome:
            return await engine.lookup_meter(meter, amount, fbe=fbe)

        if not self.till.transact(self, call):
            raise FieldError("Another transaction is still with Flash: wait for its answer.")
        self._enter("looking")

    def _check_limits(self) -> None:
        """The meter's own minimum and maximum, from Flash's lookup."""
        low, high = self.limits
        if low is not None and self.amount < low:
            raise FieldError(f"The smallest amount for this meter is {format_rands(low)}.")
        if high is not None and self.amount > high:
            raise FieldError(f"The largest amount for this meter is {format_rands(high)}.")

    def _vend(self) -> None:
        if not self.fbe:  # the limits may have come after the amount was typed
            self._check_limits()
        meter, amount, fbe = self.meter, self.amount, self.fbe

        async def call(engine: SaleEngine, approved_by: str | None) -> Outcome:
            return await engine.vend_utility(meter, amount, fbe=fbe, approved_by=approved_by)

        if not self.till.transact(self, call):
            raise FieldError("Another transaction is still with Flash: wait for its answer.")
        self._enter("sending")

    def on_transaction_done(self, message: TransactionDone) -> None:
        outcome = message.outcome
        if self.step == "looking":
            self._looked_up(outcome)
            return
        self.show_answer(outcome)
        self._enter("outcome")

    def _looked_up(self, outcome: Outcome) -> None:
        if outcome.status != "approved":
            code = f" (code {outcome.code})" if outcome.code is not None else ""
            self.lookup = None
            # The meter stays when Flash only refused the amount (or did not answer).
            self._enter("amount" if outcome.code in AMOUNT_CODES else "meter")
            self.show_error(f"Flash says: {outcome.message}{code}. Nothing was sold.")
            return
        self.lookup = outcome
        try:
            if not self.fbe:  # free basic electricity is R 0.00 whatever the vend limits
                self._check_limits()
        except FieldError as exc:
            self._enter("amount")
            self.show_error(exc.message)
            return
        self._enter("confirm")
        self.clear_error()

    def on_transaction_refused(self, message: TransactionRefused) -> None:
        if message.field == "approval":  # not approved: Enter asks again, Escape changes it
            self._enter("confirm")
        else:
            self._enter("meter" if message.field == "meter_number" else "amount")
        self.show_error(f"{message.message}. Nothing was sent.")

    def action_back(self) -> None:
        if self.step in ("sending", "looking"):
            return  # on the wire: its answer will show here
        self.clear_error()
        if self.step == "outcome":
            self._new_sale()
        elif self.step == "confirm":
            self._enter("amount")
        elif self.step == "amount":
            self._enter("meter")
        else:
            self.query_one(EntryLine).value = ""

    def _new_sale(self) -> None:
        self.meter = ""
        self.amount = 0
        self.fbe = False
        self.lookup = None
        self.outcome = None
        self._enter("meter")


__all__ = ["VendScreen"]
