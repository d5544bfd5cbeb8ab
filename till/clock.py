"""The journal's clock: Unix milliseconds, UTC (screens and receipts convert for people)."""

from __future__ import annotations

import time


def now_ms() -> int:
    return time.time_ns() // 1_000_000
