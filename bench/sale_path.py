"""Sale path: one approved 1Voucher through `SaleEngine.sell_1voucher` against its floor.

The floor is what any durable till must pay for a sale: a bare httpx POST of the same body to
the same sandbox (same AsyncClient settings, keep-alive) plus two `synchronous=FULL` WAL commits
in the same directory. A second floor, the design floor, also does what DESIGN.md and issue 12
require of any till: the body built and serialised by the typed request model, the answer read
by the typed response model, and, with the receipt, a third durable commit that counts the print
once the printer has taken it. Engine and floors alternate, in random order per round, so the
noise of this small machine lands on all of them. Target (issue 12): engine/floor <= 1.10x on
the median; the same target is printed against the design floor.

    python -m bench.sale_path [--iterations 1000] [--warmup 50] [--profile] [--no-receipt]
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
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from bench._common import header, median, ms, percentile, target_line
from receipts import PreviewPrinter
from till.flash import FlashClient
from till.flash.client import API_PREFIX
from till.flash.models import OneVoucherPurchaseRequest, VoucherResponse
from till.journal import Journal
from till.sales import EngineHooks, SaleEngine
from till.sales.printing import SlipPrinter
from till.sandbox import DEFAULT_ACCOUNT, DEFAULT_API_KEY, Sandbox, running_sandbox
from till.slips import SlipHeader

TARGET_RATIO = 1.10
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
    """The bare minimum: commit the request, POST it, commit the answer. With `design`, also the
    typed models for both bodies and, with `prints`, the durable count of a printed receipt."""

    def __init__(
        self, directory: Path, base_url: str, *, design: bool = False, prints: bool = False
    ) -> None:
        self.design = design
        self.prints = prints
        self.tag = "DSGN" if design else "FLOR"
        self.db = sqlite3.connect(directory / f"{self.tag.lower()}.db", isolation_level=None)
        self.db.execute("PRAGMA journal_mode = WAL")
        self.db.execute("PRAGMA synchronous = FULL")
        self.db.execute(
            "CREATE TABLE t (id INTEGER PRIMARY KEY, reference TEXT UNIQUE, request BLOB, "
            "response TEXT, printed INTEGER NOT NULL DEFAULT 0)"
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
        reference = f"S1-T1-{self.tag}-{self.seq}"
        t0 = time.perf_counter()
        if self.design:
            body = OneVoucherPurchaseRequest(
                reference=reference,
                account_number=DEFAULT_ACCOUNT,
                amount=AMOUNT,
                store_id="S1",
                terminal_id="T1",
            ).to_wire()
        else:
            body = (
                f'{{"reference":"{reference}","accountNumber":"{DEFAULT_ACCOUNT}",'
                f'"amount":{AMOUNT},"storeId":"S1","terminalId":"T1"}}'
            ).encode()
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
        if self.design:
            VoucherResponse.model_validate_json(response.content)
        self.db.execute("BEGIN IMMEDIATE")
        self.db.execute("UPDATE t SET response = ? WHERE reference = ?", (response.text, reference))
        self.db.execute("COMMIT")
        t3 = time.perf_counter()
        self._note("commit 1", t1 - t0)
        self._note("POST", t2 - t1)
        self._note("commit 2", t3 - t2)
        if self.prints:
            self.db.execute("BEGIN IMMEDIATE")
            self.db.execute("UPDATE t SET printed = printed + 1 WHERE reference = ?", (reference,))
            self.db.execute("COMMIT")
            self._note("commit 3 (printed)", time.perf_counter() - t3)

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
        floors = {
            "floor": Floor(directory, url),
            "design floor": Floor(directory, url, design=True, prints=receipt),
        }
        token = await client.token()
        for floor in floors.values():
            floor.token = token

        cpu: dict[str, list[float]] = {"engine": [], "floor": [], "design floor": []}

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

        def floor_sale(name: str) -> Callable[[], Awaitable[float]]:
            async def sale() -> float:
                cpu_start = time.thread_time()
                start = time.perf_counter()
                await floors[name].sale()
                end = time.perf_counter()
                cpu[name].append(time.thread_time() - cpu_start)
                return end - start

            return sale

        sides = {"engine": engine_sale, **{name: floor_sale(name) for name in floors}}
        for _ in range(warmup):
            for sale in sides.values():
                await sale()
        phases.samples.clear()
        for floor in floors.values():
            floor.samples.clear()
        for samples in cpu.values():
            samples.clear()
        gc.collect()

        times: dict[str, list[float]] = {name: [] for name in sides}
        order = list(sides)
        for _ in range(iterations):
            rng.shuffle(order)
            for name in order:
                times[name].append(await sides[name]())

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

        for floor in floors.values():
            await floor.aclose()
        await client.aclose()
        journal.close()
        _check(sandbox)

    header("sale path: approved 1Voucher through SaleEngine vs bare POST + 2 FULL commits")
    print(f"   {iterations} rounds after {warmup} warm-up rounds, sides in random order per round")
    print(f"   receipt: {'built, rendered and its print recorded' if receipt else 'none'}")
    print(f"   {'':28} {'median':>12} {'p99':>12} {'CPU':>12}")
    for name, samples in times.items():
        figures = (median(samples), percentile(samples, 99), median(cpu[name]))
        print(f"   {name:28}" + "".join(f" {ms(figure):>12}" for figure in figures))
    print("   (CPU: the main thread's per sale, median; the sandbox thread's is not in these)")
    print("   engine phases (median):")
    for name, samples in phases.samples.items():
        print(f"     {name:26} {ms(median(samples)):>12}")
    for floor_name, floor in floors.items():
        print(f"   {floor_name} phases (median):")
        for name, samples in floor.samples.items():
            print(f"     {name:26} {ms(median(samples)):>12}")
    mine = median(times["engine"])
    ratio = mine / median(times["floor"])
    ratio_p99 = percentile(times["engine"], 99) / percentile(times["floor"], 99)
    print(f"   ratio engine/floor: median {ratio:.3f}x, p99 {ratio_p99:.3f}x")
    ok = ratio <= TARGET_RATIO
    print(target_line("sale path median ratio", f"{ratio:.3f}x", f"<= {TARGET_RATIO}x", ok))
    design = median(times["design floor"])
    print(
        f"   the design floor is {design / median(times['floor']):.3f}x the floor: what the typed"
        " models" + (" and the durable print count" if receipt else "") + " cost on their own"
    )
    beyond = mine / design
    print(
        target_line(
            "sale path beyond the design floor",
            f"{beyond:.3f}x",
            f"<= {TARGET_RATIO}x",
            beyond <= TARGET_RATIO,
        )
    )
    if profile_text:
        print("   cProfile of the engine side only (sandbox thread not profiled):")
        print(profile_text)
    return ok


def _check(sandbox: Sandbox) -> None:
    """Each engine sale reached the sandbox exactly once: a fast wrong answer is no answer."""
    floor_tags = ("S1-T1-FLOR", "S1-T1-DSGN")
    engine_refs = [e.reference for e in sandbox.ledger if not e.reference.startswith(floor_tags)]
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
