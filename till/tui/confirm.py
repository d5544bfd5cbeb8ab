"""Asking the cashier before the till does something they cannot take back: quitting while
sales are still in doubt."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static

from till.words import quit_question


class QuitScreen(ModalScreen[bool]):
    """Ctrl+Q with sales in doubt: Enter (or y) quits, Escape (or n) keeps the till open."""

    BINDINGS = [
        Binding("enter", "answer(True)", "Quit", priority=True),
        Binding("y", "answer(True)", "Quit", show=False),
        Binding("escape", "answer(False)", "Stay", priority=True),
        Binding("n", "answer(False)", "Stay", show=False),
    ]

    def __init__(self, count: int) -> None:
        super().__init__(classes="confirm")
        self.count = count

    def compose(self) -> ComposeResult:
        with Vertical(classes="confirm-box"):
            yield Static("QUIT THE TILL?", classes="screen-title")
            yield Static(quit_question(self.count), id="quit-question")
            yield Static("Enter = quit     Escape = keep the till open", classes="hint")

    def action_answer(self, quit_now: bool) -> None:
        self.dismiss(quit_now)


__all__ = ["QuitScreen", "quit_question"]
