"""A faithful, stateful, local Flash Partner API v4 server for training mode, the demo and tests.

An independent reading of the API document: it imports nothing from the rest of ``till``. Test
data, fault controls and HTTP status choices are listed in docs/sandbox.md; the
Sandbox options are in ``till.sandbox.state``'s docstring, the idempotency rules and the module of
each product family in ``till.sandbox.server``'s, what each revision of the document serves in
``till.sandbox.paths``, reversals in ``till.sandbox.reversal``.
"""

from .faults import Fault, FaultController, FaultPlan
from .paths import APRIL_2023, DEFAULT_REVISION, MAY_2025, REVISIONS
from .runner import running_sandbox, serve
from .server import Sandbox
from .state import DEFAULT_ACCOUNT, DEFAULT_API_KEY, LedgerEntry, Voucher
from .transport import DropConnection

__all__ = [
    "APRIL_2023",
    "DEFAULT_ACCOUNT",
    "DEFAULT_API_KEY",
    "DEFAULT_REVISION",
    "MAY_2025",
    "REVISIONS",
    "DropConnection",
    "Fault",
    "FaultController",
    "FaultPlan",
    "LedgerEntry",
    "Sandbox",
    "Voucher",
    "running_sandbox",
    "serve",
]
