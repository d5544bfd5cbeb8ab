"""Drain: after an outage, how fast the resolver settles a backlog of in-doubt sales, exactly once.

1,000 1Voucher sales are made while the sandbox answers 503 (so each is journaled and in doubt);
then the sandbox comes back and `engine.resolve(all_open=True)` runs, pass after pass, until
nothing is open. Target: all settled within 5 s, and the sandbox's ledger holds exactly one sale
per reference. Baseline: 1,000 sequential fresh sales through the same engine in the same run.

    python -m bench.drain [--sales 1000] [--concurrency 8]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx

from bench._common import header, target_line
from bench.sandbox_throughput import server_process
from till.flash import FlashClient
from till.journal import Journal
from till.sales import SaleEngine
from till.sandbox import DEFAULT_ACCOUNT, DEFAULT_API_KEY, Fault, Sandbox, running_sandbox

TARGET_SECONDS = 5.0
AMOUNT = 5000
PATH = "1voucher/purchase"


class Flash:
    """The sandbox's controls, in this process (`thread`) or over its admin API (`process`)."""

    def __init__(self, url: str, sandbox: Sandbox | None) -> None:
        self.url = url
        self.sandbox = sandbox

    def outage(self, times: int) -> None:
        if self.sandbox is not None:
            self.sandbox.faults.inject(Fault("error_503", path=PATH, times=times))
        else:
            fault = {"kind": "error_503", "path": PATH, "times": times}
            httpx.post(f"{self.url}/_sandbox/faults", json={"inject": [fault]}).raise_for_status()

    def back(self) -> None:
        if self.sandbox is not None:
            self.sandbox.faults.clear()
        else:
            httpx.post(f"{self.url}/_sandbox/faults", json={"clear": True}).raise_for_status()

    def sales(self) -> Counter[str]:
        """How many times each reference was sold, from the sandbox's ledger."""
        if self.sandbox is not None:
            return Counter(e.reference for e in self.sandbox.ledger)
        ledger = httpx.get(f"{self.url}/_sandbox/ledger", timeout=60).json()
        return Counter(e["reference"] for e in ledger)


@contextlib.contextmanager
def flash(mode: str, seed: int, tmp: str) -> Iterator[Flash]:
    if mode == "thread":
        sandbox = Sandbox(seed=seed, float_cents=10**12)
        with running_sandbox(sandbox) as url:
            yield Flash(url, sandbox)
    else:
        with server_process("sandbox", tmp) as port:
            yield Flash(f"http://127.0.0.1:{port}", None)


async def run(sales: int, concurrency: int, seed: int, mode: str) -> bool:
    with (
        tempfile.TemporaryDirectory(prefix="bench-drain-") as tmp,
        flash(mode, seed, tmp) as sandbox,
    ):
        url = sandbox.url
        journal = Journal.open(Path(tmp) / "journal.db")
        client = FlashClient(base_url=url, api_key=DEFAULT_API_KEY, account_number=DEFAULT_ACCOUNT)
        engine = SaleEngine(
            journal,
            client,
            store_id="S1",
            terminal_id="T1",
            resolver_concurrency=concurrency,
        )
        for _ in range(20):  # warm up the connection, token and code paths
            await engine.sell_1voucher(AMOUNT)

        # Baseline: the same number of sales, one after another, with Flash up.
        started = time.perf_counter()
        for _ in range(sales):
            outcome = await engine.sell_1voucher(AMOUNT)
            if outcome.status != "approved":
                raise RuntimeError(f"baseline sale not approved: {outcome.message}")
        baseline = time.perf_counter() - started

        # The outage: every purchase answers 503 before committing anything.
        sandbox.outage(sales)
        backlog: list[str] = []
        for _ in range(sales):
            outcome = await engine.sell_1voucher(AMOUNT)
            if outcome.status != "in_doubt":
                raise RuntimeError(f"outage sale was {outcome.status}, not in doubt")
            backlog.append(outcome.reference)
        if journal.count_open() != sales:
            raise RuntimeError(f"{journal.count_open()} open entries, expected {sales}")

        # Flash comes back.
        sandbox.back()
        passes = 0
        started = time.perf_counter()
        while journal.count_open():
            report = await engine.resolve(all_open=True)
            passes += 1
            if passes > 50:
                raise RuntimeError(f"still {journal.count_open()} open after 50 passes: {report}")
        drain = time.perf_counter() - started

        if sandbox.sandbox is not None:  # the sandbox's own per-reference check
            counts = Counter({ref: len(sandbox.sandbox.sales_for(ref)) for ref in backlog})
        else:
            counts = sandbox.sales()
        sold = sum(1 for ref in backlog if counts[ref] >= 1)
        duplicates = sum(1 for ref in backlog if counts[ref] > 1)
        missing = sum(1 for ref in backlog if counts[ref] == 0)
        approved = sum(1 for ref in backlog if (e := journal.get(ref)) and e.state == "approved")
        await client.aclose()
        journal.close()

    header("drain: settle an in-doubt backlog once Flash is back")
    print(f"   {sales} in-doubt 1Voucher sales (HTTP 503 during the outage); sandbox in a {mode}")
    print(f"   resolver concurrency {concurrency}, {passes} pass(es) of resolve(all_open=True)")
    print(
        f"   drain {drain:.3f} s ({sales / drain:.0f} settled/s); "
        f"baseline {sales} fresh sales {baseline:.3f} s ({sales / baseline:.0f}/s)"
    )
    print(f"   approved {approved}/{sales}; backlog references sold at the sandbox {sold}")
    print(f"   references sold twice: {duplicates}; never sold: {missing}")
    print(f"   ratio drain/baseline: {drain / baseline:.3f}x")
    ok_time = drain <= TARGET_SECONDS
    ok_dupes = duplicates == 0 and missing == 0 and approved == sales
    print(target_line("drain time", f"{drain:.3f} s", f"<= {TARGET_SECONDS} s", ok_time))
    print(target_line("drain duplicates", f"{duplicates} twice, {missing} never", "0", ok_dupes))
    return ok_time and ok_dupes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sales", type=int, default=1000, help="in-doubt backlog size")
    parser.add_argument("--concurrency", type=int, default=8, help="resolver_concurrency")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--server",
        choices=("thread", "process"),
        default="thread",
        help="sandbox in a thread of this process (running_sandbox) or in its own process",
    )
    args = parser.parse_args()
    asyncio.run(run(args.sales, args.concurrency, args.seed, args.server))


if __name__ == "__main__":
    main()
