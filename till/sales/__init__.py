"""The sale engine: every transaction journaled, sent, settled, and resolved when in doubt."""

from till.outcome import EngineHooks, InputError, Outcome, ResolveReport
from till.phone import normalize_mobile
from till.sales.backoff import Backoff
from till.sales.engine import SaleEngine
from till.sales.vouchers import redeemed_amount, refunded_amount

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
