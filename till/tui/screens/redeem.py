"""Redeem a 1Voucher: PIN -> amount -> (cell number for the change) -> confirm -> the answer.

One entry line takes every answer in turn, as on the Sell screen, so a barcode scanner (which
types the 16 digits and Enter) and a cashier typing ahead never put keys in a stale field. The
PIN is checked here before anything is written or sent; the engine checks it again.

`StepScreen` is the step machine the Redeem, Refund and Cash Out screens share.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import LoadingIndicator, OptionList, Static
from textual.widgets.option_list import Option

from till.clock import format_local
from till.journal import Entry
from till.money import format_rands
from till.sales import Outcome, SaleEngine, normalize_mobile
from till.tui.messages import Call, TransactionDone, TransactionRefused
from till.tui.screens.base import AnswerScreen, EntryLine, FieldError, parse_amount
from till.tui.widgets import OutcomeView
from till.words import display_mobile

PIN_LENGTH = 16
MOBILE = re.compile(r"27\d{9}")
#: The most a 1Voucher redemption can be worth (Flash's 1Voucher maximum).
REDEEM_MAXIMUM = 500_000
SENDING_PROMPT = "Sending to Flash... wait for the answer"


def parse_pin(text: str) -> str:
    """A typed or scanned 1Voucher PIN, spaces and dashes dropped, or a FieldError."""
    pin = re.sub(r"[\s-]", "", text)
    if not pin:
        raise FieldError("Type or scan the customer's 16-digit 1Voucher PIN.")
    if not pin.isdigit():
        raise FieldError("A 1Voucher PIN is digits only: type or scan the 16 digits again.")
    if len(pin) != PIN_LENGTH:
        raise FieldError(
            f"A 1Voucher PIN has {PIN_LENGTH} digits; that was {len(pin)}. Check it and retype."
        )
    return pin


def parse_optional_mobile(text: str) -> str | None:
    """Empty means no SMS (the voucher prints); otherwise a 10-digit SA cell number."""
    if not text.strip():
        return None
    mobile = normalize_mobile(text)
    if not MOBILE.fullmatch(mobile):
        raise FieldError(
            "Type the customer's 10-digit cell number, e.g. 082 123 4567 (or nothing to print)."
        )
    return mobile


def masked_pin(pin: str) -> str:
    """The cashier sees enough to check the voucher, not enough to spend it."""
    return "**** **** **** " + pin[-4:]


def when(entry: Entry) -> str:
    return format_local(entry.created_at, fmt="%d %b %H:%M")


def mobile_field(field: str | None) -> bool:
    return field in ("mobile_number", "mobileNumber")


class StepScreen(AnswerScreen):
    """A one-entry-line step machine: `submit` moves it on, Escape steps back.

    Subclasses give the prompts, the summary, and what each step does with the text. Steps named
    in `PICK_STEPS` show a list (of journal entries) that Up/Down highlight and Enter picks.
    """

    BINDINGS = [
        Binding("escape", "back", "Back", show=False),
        Binding("down", "move(1)", "Next in list", show=False),
        Binding("up", "move(-1)", "Previous in list", show=False),
    ]
    FIRST: ClassVar[str] = ""
    PICK_STEPS: ClassVar[frozenset[str]] = frozenset()

    def __init__(self) -> None:
        super().__init__()
        self.step = self.FIRST
        self._shown: list[Entry] = []

    def compose_body(self) -> ComposeResult:
        yield Static("", id="summary")
        yield EntryLine(id="entry")
        picks = OptionList(id="picks")
        picks.can_focus = False
        yield picks
        yield LoadingIndicator(id="sending")
        yield OutcomeView(id="outcome")

    def on_mount(self) -> None:
        self._enter(self.FIRST)

    def on_screen_resume(self) -> None:
        if self.step in self.PICK_STEPS:
            self._refresh_picks()

    # -- what subclasses say -------------------------------------------------------------------

    def prompt_for(self, step: str) -> str:
        raise NotImplementedError

    def summary(self) -> str:
        return ""

    def handle(self, text: str) -> None:
        """Act on the text typed at `self.step` (not sending/outcome); FieldError if it is bad."""
        raise NotImplementedError

    def step_back(self) -> str:
        """The step Escape goes back to from `self.step`."""
        return self.FIRST

    def step_for_field(self, field: str | None) -> str:
        """Where to go when the engine refuses input (before sending)."""
        return self.FIRST

    def candidates(self) -> Iterable[Entry]:
        """The journal entries a pick step offers, newest first."""
        return ()

    def pick_label(self, entry: Entry) -> str:
        return entry.reference

    def pick_matches(self, entry: Entry, text: str) -> bool:
        return text.upper() in entry.reference.upper()

    def reset(self) -> None:
        """Forget the last transaction's answers."""

    # -- the machine ---------------------------------------------------------------------------

    def _enter(self, step: str) -> None:
        self.refresh_bindings()  # the key bar shows only what applies now
        self.step = step
        entry = self.query_one(EntryLine)
        entry.value = ""
        self.query_one("#picks").display = step in self.PICK_STEPS
        self.query_one("#sending").display = step == "sending"
        self.query_one("#outcome", OutcomeView).display = step == "outcome"
        summary = self.summary() if step not in (self.FIRST, "outcome") else ""
        self.query_one("#summary", Static).update(summary)
        self.query_one("#summary").display = bool(summary)
        if step == "sending":
            entry.prompt(SENDING_PROMPT)
        elif step == "outcome":
            entry.prompt("Enter = next one (or type it now)     Escape = done")
        else:
            entry.prompt(self.prompt_for(step))
        if step in self.PICK_STEPS:
            self._refresh_picks()
        entry.focus()

    def _refresh_picks(self) -> None:
        text = self.query_one(EntryLine).value.strip()
        self._shown = [e for e in self.candidates() if not text or self.pick_matches(e, text)]
        picks = self.query_one("#picks", OptionList)
        picks.clear_options()
        picks.add_options(Option(self.pick_label(e)) for e in self._shown)
        if self._shown:
            picks.highlighted = 0

    def highlighted(self) -> Entry | None:
        """The list entry the cashier sees highlighted, if the list shows any."""
        index = self.query_one("#picks", OptionList).highlighted
        if self.step not in self.PICK_STEPS or index is None or index >= len(self._shown):
            return None
        return self._shown[index]

    def on_input_changed(self, event: EntryLine.Changed) -> None:
        if self.step in self.PICK_STEPS:
            self._refresh_picks()

    def action_move(self, delta: int) -> None:
        if self.step in self.PICK_STEPS and self._shown:
            picks = self.query_one("#picks", OptionList)
            current = picks.highlighted or 0
            picks.highlighted = max(0, min(len(self._shown) - 1, current + delta))

    def _submit(self, text: str) -> None:
        if self.step == "sending":
            raise FieldError("Still waiting for Flash's answer: do not do it again.")
        if self.step == "outcome":
            self._restart()
            if not text:
                return
        self.handle(text)

    def send(self, call: Call) -> None:
        """Hand the engine call to the app; the answer comes back as a message."""
        if not self.till.transact(self, call):
            raise FieldError("Another transaction is still with Flash: wait for its answer.")
        self._enter("sending")

    def on_transaction_done(self, message: TransactionDone) -> None:
        self.show_outcome(message.outcome)

    def show_outcome(self, outcome: Outcome) -> None:
        self.show_answer(outcome)
        self._enter("outcome")

    def on_transaction_refused(self, message: TransactionRefused) -> None:
        # Not approved: back to confirm, where Enter asks again and Escape changes it.
        field = message.field
        self._enter("confirm" if field == "approval" else self.step_for_field(field))
        self.show_error(f"{message.message}. Nothing was sent.")

    def action_back(self) -> None:
        if self.step == "sending":
            return  # it is on the wire: its answer will show here
        self.clear_error()
        if self.step == "outcome":
            self._restart()
        elif self.step == self.FIRST:
            self.query_one(EntryLine).value = ""
        else:
            self._enter(self.step_back())

    def _restart(self) -> None:
        self.outcome = None
        self.reset()
        self._enter(self.FIRST)


class RedeemScreen(StepScreen):
    """The customer pays with a 1Voucher; any change comes back as a new voucher."""

    title_text = "REDEEM A 1VOUCHER"
    FIRST = "pin"

    def __init__(self) -> None:
        super().__init__()
        self.pin = ""
        self.amount = 0
        self.mobile: str | None = None

    def prompt_for(self, step: str) -> str:
        return {
            "pin": "Scan or type the 16-digit 1Voucher PIN, Enter",
            "amount": "Amount to redeem in rands (Enter on its own = the full value)",
            "mobile": "Cell number for the change voucher SMS (Enter on its own = print it)",
            "confirm": "Enter = CONFIRM and redeem at Flash     Escape = change",
        }[step]

    def summary(self) -> str:
        lines = [f"PIN      {masked_pin(self.pin)}"]
        if self.step in ("mobile", "confirm"):
            lines.append(f"Amount   {format_rands(self.amount) if self.amount else 'full value'}")
        if self.step == "confirm" and self.amount:
            change = "printed on the slip"
            if self.mobile:
                change = f"SMS to {display_mobile(self.mobile)}"
            lines.append(f"Change   {change}")
        return "\n".join(lines)

    def handle(self, text: str) -> None:
        if self.step == "pin":
            self.pin = parse_pin(text)
            self._enter("amount")
        elif self.step == "amount":
            self.amount = parse_amount(text, maximum=REDEEM_MAXIMUM, allow_zero=True)
            self.mobile = None
            # A full redemption leaves no change, so there is no voucher to send anywhere.
            self._enter("mobile" if self.amount else "confirm")
        elif self.step == "mobile":
            self.mobile = parse_optional_mobile(text)
            self._enter("confirm")
        elif self.step == "confirm":
            if text:
                raise FieldError("Press Enter on its own to confirm, or Escape to change.")
            pin, amount, mobile = self.pin, self.amount, self.mobile

            async def call(engine: SaleEngine, approved_by: str | None) -> Outcome:
                return await engine.redeem_1voucher(pin, amount, mobile_number=mobile)

            self.send(call)

    def step_back(self) -> str:
        if self.step == "confirm":
            return "mobile" if self.amount else "amount"
        return {"mobile": "amount", "amount": "pin"}.get(self.step, "pin")

    def step_for_field(self, field: str | None) -> str:
        if field == "pin":
            return "pin"
        return "mobile" if mobile_field(field) and self.amount else "amount"

    def reset(self) -> None:
        self.pin = ""
        self.amount = 0
        self.mobile = None
