"""The sale engine: every transaction journaled, sent, settled, and resolved when in doubt."""

from till.phone import normalize_mobile
from till.sales.backoff import Backoff
from till.sales.engine import (
    EngineHooks,
    InputError,
    Outcome,
    ResolveReport,
    SaleEngine,
    redeemed_amount,
    refunded_amount,
)

__all__ = [
    "Backoff",
    "EngineHooks",
    "InputError",
    "Outcome",
    "ResolveReport",
    "SaleEngine",
    "normalize_mobile",
    "redeemed_amount",
    "refunded_amount",
]
