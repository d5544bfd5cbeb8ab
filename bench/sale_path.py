"""Sale path: one approved 1Voucher through `SaleEngine.sell_1voucher` against its floor.

The floor is what any durable till must pay for a sale: a bare httpx POST of the same body to
the same sandbox (same AsyncClient settings, keep-alive) plus two `synchronous=FULL` WAL commits
in the same directory. Engine and floor iterations alternate, in random order per pair, so the
noise of this small machine lands on both. Target: engine/floor <= 1.15x on the median.

    python -m bench.sale_path [--iterations 1000] [--warmup 50] [--profile]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import gc
import io
import pstats
import random
import sqlite3
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from bench._common import header, median, ms, percentile, target_line
from receipts import PreviewPrinter
from till.flash import FlashClient
from till.flash.client import API_PREFIX
from till.journal import Journal
from till.sales import EngineHooks, SaleEngine
from till.sales.printing import SlipPrinter
from till.sandbox import DEFAULT_ACCOUNT, DEFAULT_API_KEY, Sandbox, running_sandbox
from till.slips import SlipHeader

TARGET_RATIO = 1.15
AMOUNT = 5000


@dataclass
class Phases:
    """Per-sale timestamps from the engine's hooks: where inside a sale the time goes."""

    marks: dict[str, float] = field(default_factory=dict)
    samples: dict[str, list[float]] = field(default_factory=dict)

    def mark(self, name: str) -> None:
        self.marks[name] = time.perf_counter()

    def record(self, start: float, end: float) -> None:
        m = self.marks
        spans = {
            "validate + journal.add": m["journaled"] - start,
            "HTTP + classify + parse": m["answered"] - m["journaled"],
            "dump + journal.settle": m["settled"] - m["answered"],
            "count_open + outcome": end - m["settled"],
        }
        for name, value in spans.items():
            self.samples.setdefault(name, []).append(value)
        self.marks.clear()


class Floor:
    """The bare minimum: commit the request, POST it, commit the answer."""

    def __init__(self, directory: Path, base_url: str) -> None:
        self.db = sqlite3.connect(directory / "floor.db", isolation_level=None)
        self.db.execute("PRAGMA journal_mode = WAL")
        self.db.execute("PRAGMA synchronous = FULL")
        self.db.execute(
            "CREATE TABLE t (id INTEGER PRIMARY KEY, reference TEXT UNIQUE, request BLOB, "
            "response TEXT)"
        )
        # The same settings FlashClient gives its AsyncClient.
        self.http = httpx.AsyncClient(
            base_url=base_url,
            timeout=httpx.Timeout(connect=5.0, read=30.0, write=30.0, pool=5.0),
            verify=True,
            headers={"Accept": "application/json"},
            follow_redirects=False,
        )
        self.token = ""
        self.seq = 0
        self.samples: dict[str, list[float]] = {}

    def _note(self, name: str, value: float) -> None:
        self.samples.setdefault(name, []).append(value)

    async def sale(self) -> None:
        self.seq += 1
        reference = f"S1-T1-FLOR-{self.seq}"
        body = (
            f'{{"reference":"{reference}","accountNumber":"{DEFAULT_ACCOUNT}",'
            f'"amount":{AMOUNT},"storeId":"S1","terminalId":"T1"}}'
        ).encode()
        t0 = time.perf_counter()
        self.db.execute("BEGIN IMMEDIATE")
        self.db.execute("INSERT INTO t (reference, request) VALUES (?, ?)", (reference, body))
        self.db.execute("COMMIT")
        t1 = time.perf_counter()
        response = await self.http.post(
            API_PREFIX + "/1voucher/purchase",
            content=body,
            headers={"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"},
        )
        t2 = time.perf_counter()
        if response.status_code != 200 or b'"responseCode":0' not in response.content:
            raise RuntimeError(f"floor sale failed: HTTP {response.status_code}")
        self.db.execute("BEGIN IMMEDIATE")
        self.db.execute("UPDATE t SET response = ? WHERE reference = ?", (response.text, reference))
        self.db.execute("COMMIT")
        t3 = time.perf_counter()
        self._note("commit 1", t1 - t0)
        self._note("POST", t2 - t1)
        self._note("commit 2", t3 - t2)

    async def aclose(self) -> None:
        await self.http.aclose()
        self.db.close()


async def run(iterations: int, warmup: int, profile: bool, seed: int, receipt: bool = True) -> bool:
    rng = random.Random(seed)
    sandbox = Sandbox(seed=seed, float_cents=10**12)
    phases = Phases()
    hooks = EngineHooks(
        journaled=lambda e: phases.mark("journaled"),
        answered=lambda e: phases.mark("answered"),
        settled=lambda e: phases.mark("settled"),
    )
    with tempfile.TemporaryDirectory(prefix="bench-sale-") as tmp, running_sandbox(sandbox) as url:
        directory = Path(tmp)
        journal = Journal.open(directory / "journal.db")
        client = FlashClient(base_url=url, api_key=DEFAULT_API_KEY, account_number=DEFAULT_ACCOUNT)
        engine = SaleEngine(journal, client, store_id="S1", terminal_id="T1", hooks=hooks)
        if receipt:  # build the slip, render it, and record the print, as a till does
            engine.slips = SlipPrinter(
                journal,
                PreviewPrinter(columns=42),
                SlipHeader(store_name="Bench Store", terminal_id="T1"),
                clock=engine.clock,
            )
        floor = Floor(directory, url)
        floor.token = await client.token()

        cpu: dict[str, list[float]] = {"engine": [], "floor": []}

        async def engine_sale() -> float:
            cpu_start = time.thread_time()
            start = time.perf_counter()
            outcome = await engine.sell_1voucher(AMOUNT)
            end = time.perf_counter()
            cpu["engine"].append(time.thread_time() - cpu_start)
            if outcome.status != "approved":
                raise RuntimeError(f"engine sale not approved: {outcome.message}")
            phases.record(start, end)
            return end - start

        async def floor_sale() -> float:
            cpu_start = time.thread_time()
            start = time.perf_counter()
            await floor.sale()
            end = time.perf_counter()
            cpu["floor"].append(time.thread_time() - cpu_start)
            return end - start

        for _ in range(warmup):
            await engine_sale()
            await floor_sale()
        phases.samples.clear()
        floor.samples.clear()
        for samples in cpu.values():
            samples.clear()
        gc.collect()

        engine_times: list[float] = []
        floor_times: list[float] = []
        for _ in range(iterations):
            if rng.random() < 0.5:
                engine_times.append(await engine_sale())
                floor_times.append(await floor_sale())
            else:
                floor_times.append(await floor_sale())
                engine_times.append(await engine_sale())

        profile_text = ""
        if profile:
            profiler = cProfile.Profile()
            profiler.enable()
            for _ in range(iterations):
                await engine.sell_1voucher(AMOUNT)
            profiler.disable()
            out = io.StringIO()
            stats = pstats.Stats(profiler, stream=out).strip_dirs().sort_stats("tottime")
            stats.print_stats(25)
            profile_text = out.getvalue()

        await floor.aclose()
        await client.aclose()
        journal.close()
        _check(sandbox)

    header("sale path: approved 1Voucher through SaleEngine vs bare POST + 2 FULL commits")
    print(f"   {iterations} pairs after {warmup} warm-up pairs, interleaved in random order")
    print(f"   {'':28} {'median':>12} {'p99':>12}")
    for name, samples in (("engine sell_1voucher", engine_times), ("floor", floor_times)):
        print(f"   {name:28} {ms(median(samples)):>12} {ms(percentile(samples, 99)):>12}")
    print(
        f"   main-thread CPU per sale (median): engine {ms(median(cpu['engine']))}, "
        f"floor {ms(median(cpu['floor']))} (the sandbox thread's CPU is not in these)"
    )
    print("   engine phases (median):")
    for name, samples in phases.samples.items():
        print(f"     {name:26} {ms(median(samples)):>12}")
    print("   floor phases (median):")
    for name, samples in floor.samples.items():
        print(f"     {name:26} {ms(median(samples)):>12}")
    ratio = median(engine_times) / median(floor_times)
    ratio_p99 = percentile(engine_times, 99) / percentile(floor_times, 99)
    print(f"   ratio engine/floor: median {ratio:.3f}x, p99 {ratio_p99:.3f}x")
    ok = ratio <= TARGET_RATIO
    print(target_line("sale path median ratio", f"{ratio:.3f}x", f"<= {TARGET_RATIO}x", ok))
    if profile_text:
        print("   cProfile of the engine side only (sandbox thread not profiled):")
        print(profile_text)
    return ok


def _check(sandbox: Sandbox) -> None:
    """Each engine sale reached the sandbox exactly once: a fast wrong answer is no answer."""
    engine_refs = [e.reference for e in sandbox.ledger if not e.reference.startswith("S1-T1-FLOR")]
    if len(engine_refs) != len(set(engine_refs)):
        raise RuntimeError("an engine reference was sold twice")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=1000, help="measured pairs")
    parser.add_argument("--warmup", type=int, default=50, help="warm-up pairs, not measured")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--profile", action="store_true", help="then cProfile as many engine sales")
    parser.add_argument(
        "--no-receipt",
        action="store_true",
        help="leave out building, rendering and recording the slip (the sale alone)",
    )
    args = parser.parse_args()
    asyncio.run(run(args.iterations, args.warmup, args.profile, args.seed, not args.no_receipt))


if __name__ == "__main__":
    main()
