"""What the engine hands back: an `Outcome` per transaction, a `ResolveReport` per resolver pass,
the `InputError` that refuses bad input before anything is written, and the hooks tests observe.

Outside `till.sales`, below it, so the words and the slips that read an outcome never import the
engine that makes one; `till.sales` exports them too.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from pydantic import ValidationError

if TYPE_CHECKING:
    from receipts import Document
    from till.journal import Entry

OutcomeStatus = Literal["approved", "declined", "in_doubt", "not_sent"]


class InputError(ValueError):
    """Bad input from the cashier: nothing was written and nothing was sent."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


def input_error(exc: ValidationError) -> InputError:
    """A request model's first complaint, as the cashier reads it."""
    first = exc.errors(include_url=False)[0]
    field = ".".join(str(part) for part in first["loc"]) or None
    message = str(first["msg"]).removeprefix("Value error, ")
    return InputError(message, field=field)


@dataclass(frozen=True)
class Outcome:
    """What a screen shows after a transaction: the journal entry is the source of truth."""

    status: OutcomeStatus
    entry: Entry
    message: str
    code: int | None = None
    #: The receipt, when one was printed (or tried): the screen can preview it.
    receipt: Document | None = None
    print_error: str | None = None
    #: The receipt printed, but the printer warned (paper near its end): say so at once.
    print_warning: str | None = None
    #: Flagged for a person (an approval the till could not use): not for the resolver alone.
    needs_attention: bool = False

    @property
    def reference(self) -> str:
        return self.entry.reference

    @property
    def response(self) -> dict[str, Any] | None:
        return self.entry.response


@dataclass
class ResolveReport:
    """What one pass of the resolver did."""

    attempted: int = 0
    approved: list[str] = field(default_factory=list)
    declined: list[str] = field(default_factory=list)
    still_in_doubt: list[str] = field(default_factory=list)
    flagged: int = 0
    #: Flagged in this pass for a person: an approval that could not be used, or an entry
    #: whose settling failed unexpectedly (the others went on).
    attention: list[str] = field(default_factory=list)


@dataclass
class EngineHooks:
    """Points where tests (and, later, screens) observe a sale in flight."""

    journaled: Callable[[Entry], None] = lambda entry: None
    answered: Callable[[Entry], None] = lambda entry: None
    settled: Callable[[Entry], None] = lambda entry: None
