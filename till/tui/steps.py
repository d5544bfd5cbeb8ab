"""The one step machine of the screens that ask one thing at a time on one entry line.

Sell, Vend, Redeem, Refund, Cash Out and Disburse walk a transaction step by step on a single
`EntryLine`, so a barcode scanner or a cashier typing ahead never puts keys in a field that was
on screen a moment ago. `StepScreen` is that walk: `_enter(step)` shows what the step shows and
asks its question, Enter hands the line to the screen's `handle`, Escape steps back
(`step_back`), `send` hands an engine call to the app and waits at a "waiting" step, and Flash's
answer ends the walk at "outcome", where Enter starts the next one. A step may offer a list
(`PICK_STEPS`): Up/Down highlight, typing filters it, Enter picks.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Iterable
from typing import TYPE_CHECKING, ClassVar, Generic, TypeVar

from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Input, LoadingIndicator, OptionList, Static
from textual.widgets.option_list import Option

from till.tui.messages import NOT_APPROVED, Call, TransactionDone, TransactionRefused
from till.tui.screens.base import AnswerScreen, EntryLine, FieldError
from till.tui.widgets import OutcomeView

if TYPE_CHECKING:
    from till.sales import Outcome
    from till.sales.reads import SaleReads

#: What a pick list holds (journal entries, or the Sell screen's products).
P = TypeVar("P")

#: The entry line while a transaction is with Flash (unless a screen says it its own way).
SENDING_PROMPT = "Sending to Flash... wait for the answer"
BUSY = "Another transaction is still with Flash: wait for its answer."


class StepScreen(AnswerScreen, Generic[P]):
    """A one-entry-line step machine: `submit` moves it on, Escape steps back.

    Subclasses give the prompts, the summary, and what each step does with the text. Steps named
    in `PICK_STEPS` show a list (`picks`) that Up/Down highlight, typing filters and Enter picks.
    """

    BINDINGS = [
        Binding("escape", "back", "Back", show=False),
        Binding("down", "move(1)", "Next in list", show=False),
        Binding("up", "move(-1)", "Previous in list", show=False),
    ]
    #: Where every walk starts, and where Enter on an answer starts the next one.
    FIRST: ClassVar[str] = ""
    #: Steps that wait for Flash -> (the entry line's prompt, what Enter is told meanwhile).
    #: Escape does nothing there: the request is on the wire and its answer will show here.
    WAITING: ClassVar[dict[str, tuple[str, str]]] = {
        "sending": (SENDING_PROMPT, "Still waiting for Flash's answer: do not do it again."),
    }
    OUTCOME_PROMPT: ClassVar[str] = "Enter = next one (or type it now)     Escape = done"
    PICK_STEPS: ClassVar[frozenset[str]] = frozenset()
    #: The widgets the machine shows and hides: the pick list (at `PICK_STEPS`), the summary
    #: (when there is one), the spinner (while waiting), and any others at the steps named.
    PICKS: ClassVar[str] = "#picks"
    SUMMARY: ClassVar[str] = "#summary"
    SPINNER: ClassVar[str] = "#sending"
    SHOWN_AT: ClassVar[dict[str, frozenset[str]]] = {}

    def __init__(self) -> None:
        super().__init__()
        self.step = self.FIRST
        self._picks: list[tuple[P, str]] = []
        self._shown: list[P] = []

    def compose_body(self) -> ComposeResult:
        yield Static("", id="summary")
        yield EntryLine(id="entry")
        picks = OptionList(id=self.PICKS.removeprefix("#"))
        picks.can_focus = False
        yield picks
        yield LoadingIndicator(id="sending")
        yield OutcomeView(id="outcome")

    async def on_mount(self) -> None:
        self.started()
        self._enter(self.FIRST)
        await self.reads_done()  # the first step's list is there before the screen settles

    async def on_screen_resume(self) -> None:
        self.resumed()
        await self.reads_done()

    # -- what subclasses say -------------------------------------------------------------------

    def started(self) -> None:
        """The screen is up, before its first step."""

    def resumed(self) -> None:
        """Shown again: a list read from the journal is read again (it may have changed)."""
        if self.step in self.PICK_STEPS:
            self.load_picks()

    def prompt_for(self, step: str) -> str:
        """The entry line's title at `step` (not a waiting step, nor "outcome")."""
        raise NotImplementedError

    def summary(self) -> str:
        """What the walk has so far, above the entry line (not at FIRST nor at "outcome")."""
        return ""

    def handle(self, text: str) -> None:
        """Act on the text typed at `self.step` (not waiting, nor at the outcome); FieldError if
        it is bad."""
        raise NotImplementedError

    def step_back(self) -> str:
        """The step Escape goes back to from `self.step`."""
        return self.FIRST

    def step_for_field(self, field: str | None) -> str:
        """Where to go when the engine refuses input (before sending)."""
        return self.FIRST

    def picks(self, reads: SaleReads, step: str) -> list[tuple[P, str]]:
        """The items `step` offers, newest first, each with its one-line label. Runs in a
        thread: reads the journal through `reads` only, and touches no widget."""
        return []

    def pick_matches(self, item: P, text: str) -> bool:
        """Whether typing `text` keeps `item` in the list."""
        return True

    def answered(self, outcome: Outcome) -> None:
        """The app's answer to `send`: shown, and the walk ends at "outcome"."""
        self.show_outcome(outcome)

    def reset(self) -> None:
        """Forget the last transaction's answers."""

    # -- the machine ---------------------------------------------------------------------------

    def _enter(self, step: str) -> None:
        self.refresh_bindings()  # the key bar shows only what applies now
        self.step = step
        entry = self.query_one(EntryLine)
        entry.value = ""
        for picks in self.query(self.PICKS):
            picks.display = step in self.PICK_STEPS
        self.query_one(self.SPINNER).display = step in self.WAITING
        self.query_one("#outcome", OutcomeView).display = step == "outcome"
        for selector, steps in self.SHOWN_AT.items():
            self.query_one(selector).display = step in steps
        summary = self.summary() if step not in (self.FIRST, "outcome") else ""
        shown = self.query_one(self.SUMMARY, Static)
        shown.update(summary)
        shown.display = bool(summary)
        entry.prompt(self._prompt(step))
        if step in self.PICK_STEPS:
            self.load_picks()
        entry.focus()

    def _prompt(self, step: str) -> str:
        waiting = self.WAITING.get(step)
        if waiting is not None:
            return waiting[0]
        if step == "outcome":
            return self.OUTCOME_PROMPT
        return self.prompt_for(step)

    def load_picks(self) -> None:
        """Fill the list the step offers: `picks`, read in a thread, drawn when it is done."""
        self.read_later(functools.partial(self._read_picks, self.step))

    async def _read_picks(self, step: str) -> None:
        picks = await asyncio.to_thread(self.picks, self.till.reads, step)
        if self.step == step:
            self.show_picks(picks)

    def show_picks(self, picks: Iterable[tuple[P, str]]) -> None:
        """The items the list offers now (then filtered by what is typed)."""
        self._picks = list(picks)
        self._filter_picks()

    def _filter_picks(self) -> None:
        text = self.query_one(EntryLine).value.strip() if self.step in self.PICK_STEPS else ""
        shown = [pick for pick in self._picks if not text or self.pick_matches(pick[0], text)]
        self._shown = [item for item, _ in shown]
        options = self.query_one(self.PICKS, OptionList)
        options.clear_options()
        options.add_options(Option(label) for _, label in shown)
        if shown:
            options.highlighted = 0

    def highlighted(self) -> P | None:
        """The list item the cashier sees highlighted, if the list shows any."""
        if self.step not in self.PICK_STEPS:
            return None
        index = self.query_one(self.PICKS, OptionList).highlighted
        if index is None or index >= len(self._shown):
            return None
        return self._shown[index]

    def on_input_changed(self, event: Input.Changed) -> None:
        if self.step in self.PICK_STEPS:
            self._filter_picks()

    def action_move(self, delta: int) -> None:
        if self.step in self.PICK_STEPS and self._shown:
            options = self.query_one(self.PICKS, OptionList)
            current = options.highlighted or 0
            options.highlighted = max(0, min(len(self._shown) - 1, current + delta))

    def _submit(self, text: str) -> None:
        waiting = self.WAITING.get(self.step)
        if waiting is not None:
            raise FieldError(waiting[1])
        if self.step == "outcome":
            self._restart()
            if not text:
                return
        self.handle(text)

    def send(self, call: Call, *, step: str = "sending") -> None:
        """Hand the engine call to the app and wait at `step`; the answer comes as a message."""
        if not self.till.transact(self, call):
            raise FieldError(BUSY)
        self._enter(step)

    def on_transaction_done(self, message: TransactionDone) -> None:
        self.answered(message.outcome)

    def show_outcome(self, outcome: Outcome) -> None:
        self.show_answer(outcome)
        self._enter("outcome")

    def on_transaction_refused(self, message: TransactionRefused) -> None:
        # Not approved: back to confirm, where Enter asks again and Escape changes it.
        field = message.field
        self._enter("confirm" if field == NOT_APPROVED else self.step_for_field(field))
        self.show_error(f"{message.message}. Nothing was sent.")

    def action_back(self) -> None:
        if self.step in self.WAITING:
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


__all__ = ["BUSY", "SENDING_PROMPT", "StepScreen"]
