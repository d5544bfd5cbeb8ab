"""What every till screen has: the status bar on top, the key bar below, one form between."""

from __future__ import annotations

import contextlib
import functools
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, ClassVar, cast

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Input, Static
from textual.worker import Worker, WorkerCancelled, WorkerFailed

from till.money import format_rands, parse_rands
from till.tui.messages import SlipPrinted
from till.tui.printing import print_slip, slip_message
from till.tui.widgets import OutcomeView, StatusBar

if TYPE_CHECKING:
    from till.sales import Outcome
    from till.tui.host import TillHost

log = logging.getLogger("till.tui")

#: The entry line while a supervisor is being asked: nothing has left the till yet.
APPROVAL_PROMPT = "Waiting for a supervisor to approve: nothing has been sent"
#: The error line when a list could not be read for a reason the journal did not name.
READ_FAILED = (
    "Could not read the journal ({problem}); nothing was sent or changed. Try again, and if "
    "it keeps failing tell your supervisor (the till's log says why)."
)


class FieldError(ValueError):
    """Input the cashier must correct: shown under the form; nothing was written or sent."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class TillScreen(Screen[None]):
    """A screen with the status bar, a scrolling body, an error line and the key bar."""

    title_text = ""
    #: Steps after which a good Enter leaves the error line alone: the answer is still to come.
    KEEP_ERROR_STEPS: ClassVar[frozenset[str]] = frozenset({"outcome", "sending"})
    #: The latest journal read this screen started (`read_later`), until it has drawn.
    _read: Worker[None] | None = None

    @property
    def till(self) -> TillHost:
        return cast("TillHost", self.app)

    def compose(self) -> ComposeResult:
        yield StatusBar()
        yield Static(self.title_text, classes="screen-title")
        with VerticalScroll(classes="body"):
            yield from self.compose_body()
        yield Static("", id="error", classes="error")
        yield Footer(compact=True)

    def compose_body(self) -> ComposeResult:
        yield from ()

    def submit(self, text: str) -> None:
        """Called by the entry line on Enter, before any key typed after it is handled."""
        try:
            self._submit(text.strip())
        except FieldError as exc:
            self.show_error(exc.message)
            # Selected, so the next key typed (or a rescan) replaces it; arrows edit it.
            self.query_one(EntryLine).select_all()
        else:
            if getattr(self, "step", None) not in self.KEEP_ERROR_STEPS:
                self.clear_error()

    def _submit(self, text: str) -> None:
        """Act on the line as typed at this step; FieldError says what to correct."""
        raise NotImplementedError

    def show_error(self, message: str) -> None:
        """Say what is wrong and what to do; nothing was sent."""
        error = self.query_one("#error", Static)
        error.update(message)
        error.display = bool(message)

    def clear_error(self) -> None:
        self.show_error("")

    def read_later(self, read: Callable[[], Awaitable[None]]) -> None:
        """Run `read()` (journal reads in a thread, then drawing what they found) in a worker:
        the screen keeps answering keys meanwhile. A newer read replaces one still running.
        A read that fails never ends the app: the error line says so (`_reading`)."""
        work = functools.partial(self._reading, read)
        self._read = self.run_worker(work, group="reads", exclusive=True, exit_on_error=False)

    async def _reading(self, read: Callable[[], Awaitable[None]]) -> None:
        from till.journal import JournalError

        try:
            await read()
        except JournalError as exc:  # the file failing: said in words, as a sale would say it
            log.error("journal read failed: %s", exc)
            self.show_error(str(exc))
        except Exception as exc:  # SQLite's own error, or a bug drawing the list: the till goes on
            log.error("journal read failed unexpectedly (%s)", type(exc).__name__, exc_info=exc)
            self.show_error(READ_FAILED.format(problem=type(exc).__name__))

    async def reads_done(self) -> None:
        """Once the latest read has drawn: Enter waits for it, so it acts on what is shown."""
        while (read := self._read) is not None and not read.is_finished:
            with contextlib.suppress(WorkerCancelled, WorkerFailed):
                await read.wait()

    def awaiting_approval(self, waiting: bool) -> None:
        """The app is asking a supervisor (True) before sending this screen's transaction, or
        was just given their approval (False): the entry line must not say it is sending yet."""
        line = self.query_one(EntryLine)
        if waiting:
            self._before_approval = str(line.border_title or "")
            line.prompt(APPROVAL_PROMPT)
        elif getattr(self, "_before_approval", None) and line.border_title == APPROVAL_PROMPT:
            line.prompt(self._before_approval)
            self._before_approval = ""


class AnswerScreen(TillScreen):
    """A screen that ends on Flash's answer (`step == "outcome"`, shown in `#outcome`): F9
    prints the customer's slip while it is in doubt, Ctrl+P shows the receipt once approved."""

    BINDINGS = [
        Binding("f9", "print_slip", "Slip"),
        Binding("ctrl+p", "toggle_receipt", "Receipt"),
    ]
    outcome: Outcome | None = None

    def answer(self) -> Outcome | None:
        """The answer on screen now, if the screen is showing one."""
        return self.outcome if getattr(self, "step", None) == "outcome" else None

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """F9 only for an answer in doubt, Ctrl+P only for one approved; else hidden (False)."""
        answer = self.answer()
        status = answer.status if answer is not None else None
        if action == "print_slip":
            return status == "in_doubt"
        if action == "toggle_receipt":
            return status == "approved"
        return True

    def show_answer(self, outcome: Outcome) -> None:
        """Flash's answer into `#outcome` (the screen then enters its "outcome" step)."""
        self.outcome = outcome
        self.query_one("#outcome", OutcomeView).show(outcome)

    def action_toggle_receipt(self) -> None:
        """Show the receipt as printed (the preview printer's paper, in training), or the answer."""
        if self.answer() is not None:
            view = self.query_one("#outcome", OutcomeView)
            view.show_receipt(not view.showing_receipt)

    def action_print_slip(self) -> None:
        """The customer's 'not yet confirmed' slip for the answer in doubt."""
        answer = self.answer()
        if answer is None or answer.status != "in_doubt":
            self.show_error("F9 prints the customer's slip only for an answer that is IN DOUBT.")
            return
        print_slip(self, answer.reference, in_doubt=True)

    def on_slip_printed(self, message: SlipPrinted) -> None:
        text = slip_message(message, in_doubt=True)
        if message.printed:
            self.clear_error()
            self.notify(text)
        else:
            self.show_error(text)


class EntryLine(Input):
    """The screen's one input. Enter hands the text to the screen synchronously, so keys typed
    ahead (a fast cashier, a barcode scanner) are handled after the step has moved on."""

    def prompt(self, text: str) -> None:
        self.placeholder = text
        self.border_title = text

    async def _on_key(self, event: events.Key) -> None:
        # Enter is taken here, in key order, rather than as a binding: a binding bubbles to the
        # app and runs after keys already queued behind it (a scanner's burst), which would
        # then land in the step that was just left.
        if event.key == "enter":
            event.stop()
            event.prevent_default()
            await self.action_submit()
            return
        await super()._on_key(event)

    async def action_submit(self) -> None:
        screen = self.screen
        if not isinstance(screen, TillScreen):
            await super().action_submit()
            return
        # Enter acts on the list the cashier sees, once it is read; and keys typed after it
        # (queued behind this one) land once the step it moves to has its list.
        await screen.reads_done()
        screen.submit(self.value)
        await screen.reads_done()


def parse_amount(
    text: str,
    *,
    minimum: int | None = None,
    maximum: int | None = None,
    allow_zero: bool = False,
) -> int:
    """The rands the cashier typed, as cents, within the product's limits."""
    text = text.strip()
    if not text and allow_zero:
        return 0
    try:
        cents = parse_rands(text)
    except ValueError:
        raise FieldError(f"Type the amount in rands, e.g. 50 or 50.00 (not {text!r}).") from None
    if cents == 0 and not allow_zero:
        raise FieldError("The amount must be more than R 0.00.")
    if minimum is not None and cents and cents < minimum:
        raise FieldError(f"The smallest amount is {format_rands(minimum)}.")
    if maximum is not None and cents > maximum:
        raise FieldError(f"The largest amount is {format_rands(maximum)}.")
    return cents
