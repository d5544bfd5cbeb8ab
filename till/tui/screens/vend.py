"""Electricity and water: meter -> amount -> lookup -> confirm -> tokens, big. Keyboard only.

The lookup comes before any money moves so the cashier reads the customer's name and address
back (a mistyped meter credits a stranger) and the amount is checked against the meter's limits.
One entry line takes every answer in turn, as on the Sell screen, so a scanner can type ahead.
Free Basic Electricity is "fbe" typed as the amount: the lookup asks Flash about the meter's FBE
registration first, and it vends R 0.00.
"""

from __future__ import annotations

import re

from textual.app import ComposeResult
from textual.widgets import LoadingIndicator, Static

from till.digits import ungroup
from till.money import format_rands
from till.sales import Outcome, SaleEngine
from till.tui.screens.base import EntryLine, FieldError, parse_amount
from till.tui.steps import StepScreen
from till.tui.widgets import OutcomeView
from till.words import product_rows, vend_limits

#: STS meters are 11 or 13 digits; Flash also knows shorter municipal numbers.
METER = re.compile(r"\d{6,20}")
#: Flash codes that fault the amount, not the meter: the cashier corrects only the amount.
AMOUNT_CODES = frozenset({2204, 2230, 2231})
FBE_WORDS = frozenset({"fbe", "free", "free basic", "f"})


class VendScreen(StepScreen[object]):
    title_text = "ELECTRICITY AND WATER"
    KEEP_ERROR_STEPS = frozenset({"outcome", "sending", "looking"})
    FIRST = "meter"
    WAITING = {
        "looking": (
            "Asking Flash about the meter...",
            "Still asking Flash about the meter: wait for its answer.",
        ),
        "sending": (
            "Vending at Flash... do not sell again",
            "Still waiting for Flash's answer: do not sell again.",
        ),
    }
    OUTCOME_PROMPT = "Enter = next meter (or scan it now)"
    SUMMARY = "#vend-summary"
    SPINNER = "#vend-sending"
    SHOWN_AT = {"#vend-hint": frozenset({"meter", "amount"})}

    def __init__(self) -> None:
        super().__init__()
        self.meter = ""
        self.amount = 0
        self.fbe = False
        #: Flash's lookup answer for `self.meter` (customer, limits, arrears), once it came.
        self.lookup: Outcome | None = None

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

    # -- what the machine asks (till.tui.steps) ----------------------------------------------

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

    def prompt_for(self, step: str) -> str:
        limits = self._limits_text()
        return {
            "meter": "Meter number (scan or type, Enter)",
            "amount": "Amount in rands" + (f" ({limits})" if limits else "") + ", or FBE",
            "confirm": "Enter = CONFIRM and vend     Escape = change the amount",
        }[step]

    def summary(self) -> str:
        if not self.meter:
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

    def handle(self, text: str) -> None:
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

    def step_back(self) -> str:
        return "amount" if self.step == "confirm" else "meter"

    def step_for_field(self, field: str | None) -> str:
        return "meter" if field == "meter_number" else "amount"

    def answered(self, outcome: Outcome) -> None:
        if self.step == "looking":
            self._looked_up(outcome)
        else:
            self.show_outcome(outcome)

    def reset(self) -> None:
        self.meter = ""
        self.amount = 0
        self.fbe = False
        self.lookup = None

    # -- the lookup, then the vend -------------------------------------------------------------

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

        self.send(call, step="looking")

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

        self.send(call)

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


__all__ = ["VendScreen"]
