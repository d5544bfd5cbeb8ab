"""Shared helpers for the benchmarks: percentiles, figures, machine facts, PASS/MISS lines.

Every benchmark compares against a baseline measured in the same run, because this machine is
small and noisy: an absolute figure alone says little, a ratio against a floor says a lot.
"""

from __future__ import annotations

import os
import platform
import statistics
import time
from collections.abc import Sequence
from pathlib import Path


def percentile(samples: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile: p99 of 500 samples is the 495th smallest, a real observation."""
    if not samples:
        raise ValueError("no samples")
    ordered = sorted(samples)
    rank = max(1, min(len(ordered), round(pct / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def median(samples: Sequence[float]) -> float:
    return statistics.median(samples)


def ms(seconds: float) -> str:
    """Seconds as milliseconds with three decimals: sub-millisecond differences matter here."""
    return f"{seconds * 1000:.3f} ms"


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def target_line(name: str, figure: str, target: str, ok: bool) -> str:
    """One line per target, greppable: `TARGET <name>: <figure> (target <target>) PASS`."""
    return f"TARGET {name}: {figure} (target {target}) {verdict(ok)}"


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def machine() -> str:
    """Where the figures came from: they mean nothing without it."""
    return (
        f"{time.strftime('%Y-%m-%d %H:%M:%S %Z')}; {os.cpu_count()} CPUs ({cpu_model()}); "
        f"Python {platform.python_version()}; {platform.system()} {platform.release()}"
    )


def header(title: str) -> None:
    print(f"== {title}")
    print(f"   {machine()}")
