"""Cold start: `till demo` to a Sell screen ready for typing, against a minimal Textual app.

    python -m bench.cold_start [--runs N] [--compile-each-start]

Each side is a fresh interpreter (spawn, imports, app start-up, exit), driven the same way: the
app runs headless and exits as soon as it is ready, which for the till is "the screen is the Sell
screen, its entry line has focus and its product list shows the cached catalog" and for the
baseline (Header, Input, Footer) "the Input has focus". Runs are interleaved so both sides see
the same machine. Reported per side: the median and the best time from spawn to ready (the driver
compares the wall clock with the spawn time it is given) and the median to exit, and the ratio of
the medians. Target: the till within 1.5x of the baseline.

The till side runs `till.cli.main(["demo"])`, the console script's own path (training settings,
the journal in XDG_DATA_HOME, the sandbox served on loopback, the catalog cache), in a private
data directory that persists across runs, as on a real till that has started before: the first,
discarded, warm-up run waits for the engine to fetch the catalog and cache it.

Both sides run with Python's bytecode cache (in a private PYTHONPYCACHEPREFIX, filled by the
warm-up), as an installed till does: pip compiles a wheel's modules when it installs them, as it
did Textual's. Where PYTHONDONTWRITEBYTECODE is set (CI machines), the till's own modules would
otherwise be compiled from source on every start while Textual's are not; `--compile-each-start`
measures that way too.
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
    # The Sell screen, its entry line focused and its product list showing the cached catalog;
    # the warm-up run also waits for the engine to fetch and cache that catalog.
    focused = app.focused
    if not (
        type(app.screen).__name__ == "SellScreen"
        and focused is not None
        and focused.id == "entry"
    ):
        return False
    if os.environ.get("COLD_START_WARM_UP"):
        return app.ready and bool(app.catalog) and app.catalog_path.exists()
    shown = app.screen.query_one("#products").option_count
    return shown > 0 and shown == len(app.catalog)

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
    parser.add_argument("--runs", type=int, default=21, help="runs per side (default 21)")
    parser.add_argument(
        "--compile-each-start",
        action="store_true",
        help="keep this environment's bytecode settings (PYTHONDONTWRITEBYTECODE: the till's "
        "modules compile on every start)",
    )
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
        if not args.compile_each_start:
            env.pop("PYTHONDONTWRITEBYTECODE", None)
            env["PYTHONPYCACHEPREFIX"] = str(Path(tmp, "pycache"))
        sides = {"till demo": TILL_DRIVER, "minimal app": BASELINE_DRIVER}
        for driver in sides.values():  # warm-up: the till's journal and catalog cache, disk cache
            run_once(driver, {**env, "COLD_START_WARM_UP": "1"})
        ready: dict[str, list[float]] = {name: [] for name in sides}
        total: dict[str, list[float]] = {name: [] for name in sides}
        for _ in range(args.runs):
            for name, driver in sides.items():
                to_ready, to_exit = run_once(driver, env)
                ready[name].append(to_ready)
                total[name].append(to_exit)

    cache = "compiled on every start" if args.compile_each_start else "bytecode cache"
    print(
        f"cold start, {args.runs} interleaved runs per side, python {sys.version.split()[0]}, "
        f"{cache}"
    )
    print(f"{'':<14}{'spawn->ready median':>22}{'best':>12}{'spawn->exit median':>22}")
    for name in sides:
        print(
            f"{name:<14}{statistics.median(ready[name]) * 1000:>19.1f} ms"
            f"{min(ready[name]) * 1000:>9.1f} ms"
            f"{statistics.median(total[name]) * 1000:>19.1f} ms"
        )
    ratio = statistics.median(ready["till demo"]) / statistics.median(ready["minimal app"])
    best_ratio = min(ready["till demo"]) / min(ready["minimal app"])
    exit_ratio = statistics.median(total["till demo"]) / statistics.median(total["minimal app"])
    ok = ratio <= TARGET_RATIO
    print(f"ratio to ready {ratio:.2f}x (best {best_ratio:.2f}x), to exit {exit_ratio:.2f}x")
    print(
        f"TARGET cold start: {ratio:.2f}x the minimal Textual app "
        f"(target <= {TARGET_RATIO}x) {'PASS' if ok else 'MISS'}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
