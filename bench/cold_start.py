"""Cold start: `till demo` to a Sell screen ready for typing, against a minimal Textual app.

    python -m bench.cold_start [--runs N]

Each side is a fresh interpreter (spawn, imports, app start-up, exit), driven the same way: the
app runs headless and exits as soon as it is ready, which for the till is "the screen is the Sell
screen and its entry line has focus" and for the baseline (Header, Input, Footer) "the Input has
focus". Runs are interleaved so both sides see the same machine. Reported per side: the median
time from spawn to ready (the driver compares the wall clock with the spawn time it is given) and
from spawn to exit, and the ratio of the medians. Target: the till within 1.5x of the baseline.

The till side runs `till.cli.main(["demo"])`, the console script's own path (training settings,
the journal in XDG_DATA_HOME, the sandbox served on loopback, the catalog cache), in a private
data directory that persists across runs, as on a real till that has started before (the first,
discarded, warm-up run creates the journal and the catalog cache).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET_RATIO = 1.5

#: Both drivers make `App.run` headless with an autopilot that exits once `ready(app)` holds.
_COMMON = """
import asyncio, os, sys, time
from textual.app import App

_run = App.run

def _headless(self, *args, **kwargs):
    async def pilot(p):
        deadline = time.monotonic() + 30
        while not ready(p.app):
            if time.monotonic() > deadline or p.app._exit_renderables:
                print("NOT READY", type(p.app.screen).__name__, p.app.focused, flush=True)
                p.app.exit(return_code=1)
                return
            await asyncio.sleep(0.001)
        print("READY", time.time() - float(os.environ["COLD_START_SPAWNED"]), flush=True)
        p.app.exit()
    return _run(self, headless=True, auto_pilot=pilot)

App.run = _headless
"""

TILL_DRIVER = (
    _COMMON
    + """
def ready(app):
    focused = app.focused
    return (
        type(app.screen).__name__ == "SellScreen"
        and focused is not None
        and focused.id == "entry"
    )

from till.cli import main
sys.exit(main(["demo"]))
"""
)

BASELINE_DRIVER = (
    _COMMON
    + """
from textual.app import ComposeResult
from textual.widgets import Footer, Header, Input

def ready(app):
    return isinstance(app.focused, Input)

class Minimal(App[None]):
    def compose(self) -> ComposeResult:
        yield Header()
        yield Input(placeholder="Product")
        yield Footer()

Minimal().run()
"""
)


def run_once(driver: str, env: dict[str, str]) -> tuple[float, float]:
    """(spawn to ready, spawn to exit) in seconds, for one fresh interpreter."""
    env = {**env, "COLD_START_SPAWNED": repr(time.time())}
    started = time.perf_counter()
    done = subprocess.run(  # noqa: S603 - our own interpreter and driver text
        [sys.executable, "-c", driver],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    total = time.perf_counter() - started
    ready = [line for line in done.stdout.splitlines() if line.startswith("READY ")]
    if done.returncode != 0 or not ready:
        raise SystemExit(f"driver failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return float(ready[-1].split()[1]), total


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15, help="runs per side (default 15)")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="till-cold-start-") as tmp:
        env = {
            **os.environ,
            "XDG_DATA_HOME": str(Path(tmp, "data")),
            "XDG_CONFIG_HOME": str(Path(tmp, "config")),
            "XDG_STATE_HOME": str(Path(tmp, "state")),
            "XDG_CACHE_HOME": str(Path(tmp, "cache")),
        }
        env.pop("TEXTUAL", None)
        sides = {"till demo": TILL_DRIVER, "minimal app": BASELINE_DRIVER}
        for driver in sides.values():  # warm-up: the till's journal and catalog cache, disk cache
            run_once(driver, env)
        ready: dict[str, list[float]] = {name: [] for name in sides}
        total: dict[str, list[float]] = {name: [] for name in sides}
        for _ in range(args.runs):
            for name, driver in sides.items():
                to_ready, to_exit = run_once(driver, env)
                ready[name].append(to_ready)
                total[name].append(to_exit)

    print(f"cold start, {args.runs} interleaved runs per side, python {sys.version.split()[0]}")
    print(f"{'':<14}{'spawn->ready (median)':>24}{'spawn->exit (median)':>24}")
    for name in sides:
        print(
            f"{name:<14}{statistics.median(ready[name]) * 1000:>21.1f} ms"
            f"{statistics.median(total[name]) * 1000:>21.1f} ms"
        )
    ratio = statistics.median(ready["till demo"]) / statistics.median(ready["minimal app"])
    exit_ratio = statistics.median(total["till demo"]) / statistics.median(total["minimal app"])
    ok = ratio <= TARGET_RATIO
    print(f"ratio to ready {ratio:.2f}x, to exit {exit_ratio:.2f}x")
    print(
        f"TARGET cold start: {ratio:.2f}x the minimal Textual app "
        f"(target <= {TARGET_RATIO}x) {'PASS' if ok else 'MISS'}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
