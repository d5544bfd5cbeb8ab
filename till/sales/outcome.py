"""The engine's outcome types under their old path: they live in `till.outcome`, below the
words and the slips that read them."""

from till.outcome import (
    EngineHooks,
    InputError,
    Outcome,
    OutcomeStatus,
    ResolveReport,
    input_error,
)

__all__ = ["EngineHooks", "InputError", "Outcome", "OutcomeStatus", "ResolveReport", "input_error"]
