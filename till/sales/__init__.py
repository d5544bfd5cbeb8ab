"""The sale engine: every transaction journaled, sent, settled, and resolved when in doubt."""

from till.sales.backoff import Backoff
from till.sales.engine import (
    EngineHooks,
    InputError,
    Outcome,
    ResolveReport,
    SaleEngine,
    normalize_mobile,
)

__all__ = [
    "Backoff",
    "EngineHooks",
    "InputError",
    "Outcome",
    "ResolveReport",
    "SaleEngine",
    "normalize_mobile",
]
