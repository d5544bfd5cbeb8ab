"""Messages the app sends a screen when the engine (or a printer) has finished something for it,
and the shape of the engine call a screen hands the app."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from textual.message import Message

if TYPE_CHECKING:
    from till.sales import Outcome, SaleEngine

#: One engine call for `TillApp.transact`: `(engine, approved_by)`. `approved_by` is None on the
#: first try; if the engine raises ApprovalRequired the app asks a supervisor and calls it again
#: with their id, so the call must pass it to the engine method (those without one ignore it).
Call = Callable[["SaleEngine", str | None], Awaitable["Outcome"]]

#: `TransactionRefused.field` when a supervisor did not approve (Escape on the approval modal).
NOT_APPROVED = "approval"


class TransactionDone(Message):
    """The engine settled (or could not settle) the screen's transaction."""

    def __init__(self, outcome: Outcome) -> None:
        super().__init__()
        self.outcome = outcome


class TransactionRefused(Message):
    """Bad input, or no approval: refused before anything was written or sent."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__()
        self.message = message
        self.field = field


class SlipPrinted(Message):
    """A slip job the app ran for a screen finished: printed, or the printer's error. `copy` is
    the reprint's number (at the desk it is recorded centrally whenever set, printed or not)."""

    def __init__(
        self, reference: str, printed: bool, copy: int = 0, error: str | None = None
    ) -> None:
        super().__init__()
        self.reference = reference
        self.printed = printed
        self.copy = copy
        self.error = error
