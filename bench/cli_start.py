"""Start-up of the one-shot commands a service desk runs all day, against bare floors.

    python -m bench.cli_start [--runs N]

Three pairs, each a fresh interpreter per run, the sides interleaved so they see the same
machine, medians compared:
- `till --help` against `python -c pass` (target <= 3x);
- `till journal show REF` against `python -c "import sqlite3, tomllib"` (target <= 2x);
- `till sell 1voucher --json` against `till sandbox` on loopback, against a bare script that
  makes the same two SQLite commits and one httpx POST to the same sandbox (target <= 1.3x).

For the last two a third side is measured too: the same floor plus the imports DESIGN.md
requires of any till (Flash's answers read with pydantic models; for a sale, the config read
with pydantic-settings). Its ratio to the bare floor shows how much of each target those
imports use up on their own; the till is then measured against it with the same target, which
is the part of the start-up the till's own code decides.

The till side runs the installed console script's module (`python -m till`), with a bytecode
cache, as an installed till does; the journal and config live in a private directory. The load
average is printed before and after: the ratios mean little on a machine that was busy.
Like every benchmark here it exits 0 whether a target is met or not.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from bench._common import header, median, ms, target_line

TARGETS = {"help": 3.0, "journal show": 2.0, "sell": 1.3}
#: What DESIGN.md has every till import on that path, added to the floor for the third side.
DESIGN_IMPORTS = {
    "journal show": "from pydantic import BaseModel",
    "sell": "from pydantic import BaseModel; import pydantic_settings",
}
KEY = "sandbox-key"  # the sandbox's default Basic key

_FLOOR_SALE = """
import json, sqlite3, sys, httpx
db = sqlite3.connect(sys.argv[1]); db.execute("PRAGMA journal_mode=WAL")
db.execute("PRAGMA synchronous=FULL")
db.execute("CREATE TABLE IF NOT EXISTS t (ref TEXT PRIMARY KEY, state TEXT, body TEXT)")
ref = sys.argv[3]
with db:
    db.execute("INSERT INTO t VALUES (?, 'pending', NULL)", (ref,))
base = sys.argv[2]
with httpx.Client(base_url=base) as http:
    token = http.post("/token", data={"grant_type": "client_credentials"},
                      headers={"Authorization": "Basic " + sys.argv[4]}).json()["access_token"]
    answer = http.post("/aggregation/4.0/1voucher/purchase", headers={
        "Authorization": "Bearer " + token}, json={"reference": ref, "accountNumber":
        "SANDBOX01", "amount": 5000, "storeId": "S1", "terminalId": "T1"})
with db:
    db.execute("UPDATE t SET state = 'approved', body = ? WHERE ref = ?", (answer.text, ref))
print(json.dumps({"status": answer.status_code}))
"""


def _load() -> str:
    """The 1, 5 and 15 minute load averages."""
    return " ".join(f"{load:.2f}" for load in os.getloadavg())


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _timed(argv: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    done = subprocess.run(argv, env=env, capture_output=True, check=False)  # noqa: S603
    elapsed = time.perf_counter() - started
    if done.returncode not in (0,):
        raise RuntimeError(f"{argv[:4]} exited {done.returncode}: {done.stderr[-400:]!r}")
    return elapsed


def _with_imports(argv: list[str], imports: str) -> list[str]:
    """A `python -c CODE ...` command line with `imports` run before CODE."""
    return [*argv[:2], f"{imports}\n{argv[2]}", *argv[3:]]


def _measure(
    name: str,
    ours: Callable[[], list[str]],
    floor: Callable[[], list[str]],
    runs: int,
    env: dict[str, str],
) -> None:
    """Median of each side over `runs` interleaved rounds, and the TARGET lines."""
    target = TARGETS[name]
    sides = {"till": ours, "floor": floor}
    design = DESIGN_IMPORTS.get(name)
    if design is not None:
        sides["design"] = lambda: _with_imports(floor(), design)
    for command in sides.values():
        _timed(command(), env)  # warm the bytecode caches
    times: dict[str, list[float]] = {side: [] for side in sides}
    for _ in range(runs):
        for side, command in sides.items():
            times[side].append(_timed(command(), env))
    mid = {side: median(samples) for side, samples in times.items()}
    line = f"  {name:14} till {ms(mid['till']):>12}  floor {ms(mid['floor']):>12}"
    if design is not None:
        line += f"  floor + design imports {ms(mid['design']):>12}"
    print(line)
    ratio = mid["till"] / mid["floor"]
    print(target_line(f"cli {name}", f"{ratio:.2f}x", f"<= {target}x", ratio <= target))
    if design is None:
        return
    used = mid["design"] / mid["floor"]
    verdict = "no till built as DESIGN.md says can meet it" if used > target else "within it"
    print(f"   the floor plus `{design}` alone is {used:.2f}x the floor: {verdict}")
    beyond = mid["till"] / mid["design"]
    print(
        target_line(
            f"cli {name} beyond the design's imports",
            f"{beyond:.2f}x",
            f"<= {target}x",
            beyond <= target,
        )
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args(argv)
    py = sys.executable
    with tempfile.TemporaryDirectory(prefix="till-cli-start-") as tmp:
        home = Path(tmp)
        port = _free_port()
        base = f"http://127.0.0.1:{port}"
        journal = home / "journal.sqlite3"
        config = home / "till.toml"
        config.write_text(
            '[till]\nstore_id = "S1"\nterminal_id = "T1"\n'
            f'[flash]\nbase_url = "{base}"\naccount_number = "SANDBOX01"\n'
            f'[journal]\npath = "{journal}"\n[printer]\nkind = "none"\n'
        )
        env = {
            **os.environ,
            "PYTHONPYCACHEPREFIX": str(home / "pycache"),
            "XDG_STATE_HOME": str(home / "state"),
            "XDG_DATA_HOME": str(home / "data"),
            "TILL_FLASH__API_KEY": "sandbox-key",
        }
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        till = [py, "-m", "till", "--config", str(config)]
        sandbox = subprocess.Popen(  # noqa: S603
            [py, "-m", "till", "sandbox", "--port", str(port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            deadline = time.monotonic() + 120
            while True:
                with socket.socket() as s:
                    if s.connect_ex(("127.0.0.1", port)) == 0:
                        break
                if time.monotonic() > deadline:
                    raise RuntimeError("the sandbox did not start")
                time.sleep(0.05)
            out = subprocess.run(  # noqa: S603 - one sale, to have a reference to show
                [*till, "sell", "1voucher", "--amount", "50", "--json"],
                env=env,
                capture_output=True,
                text=True,
                check=True,
            )
            reference = out.stdout.split('"reference": "', 1)[1].split('"', 1)[0]
            floor_db = str(home / "floor.sqlite3")
            refs = iter(range(10**6))
            pairs: dict[str, tuple[Callable[[], list[str]], Callable[[], list[str]]]] = {
                "help": (lambda: [*till, "--help"], lambda: [py, "-c", "pass"]),
                "journal show": (
                    lambda: [*till, "journal", "show", reference],
                    lambda: [py, "-c", "import sqlite3, tomllib"],
                ),
                "sell": (
                    lambda: [*till, "sell", "1voucher", "--amount", "50", "--json"],
                    lambda: [
                        py,
                        "-c",
                        _FLOOR_SALE,
                        floor_db,
                        base,
                        f"F{next(refs)}",
                        "sandbox-key",
                    ],
                ),
            }
            header(f"cli start-up, {args.runs} interleaved runs per side")
            print(f"   load average before: {_load()}")
            for name, (ours, floor) in pairs.items():
                _measure(name, ours, floor, args.runs, env)
            print(f"   load average after: {_load()}")
        finally:
            sandbox.terminate()
            sandbox.wait(timeout=60)
    return 0


if __name__ == "__main__":
    sys.exit(main())
