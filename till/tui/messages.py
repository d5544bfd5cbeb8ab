"""Messages the app sends a screen when the engine has finished something for it."""

from __future__ import annotations

from textual.message import Message

from till.sales import Outcome


class TransactionDone(Message):
    """The engine settled (or could not settle) the screen's transaction."""

    def __init__(self, outcome: Outcome) -> None:
        super().__init__()
        self.outcome = outcome


class TransactionRefused(Message):
    """Bad input, refused before anything was written or sent."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__()
        self.message = message
        self.field = field
