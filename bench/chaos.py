"""Exactly-once under fire: a Jepsen-style set check of the till against a faulty Flash.

Why: the till's promise is that no sale is lost, none is made twice and every rand is accounted
for, whatever the network or the power does. This runs a till (a child process, the "driver") on
a real SQLite journal against the sandbox over a real socket with random faults, SIGKILLs the
driver at random moments and restarts it on the same journal, then heals (faults off, resolver
until nothing is open) and compares what Flash committed (the sandbox ledger) with what the till
believes (the journal):

  lost        a committed state change the journal does not hold as approved with its PIN/token
  duplicated  a reference committed more than once
  unresolved  journal entries still pending / in doubt after healing
  phantom     the journal says approved, Flash committed nothing under that reference
  money       float moved != -(ledger deltas) or != what the journal's approvals imply

    python -m bench.chaos --transactions 10000 [--seed S] [--kill-every-min 0.3]
        [--kill-every-max 2.0] [--fault-rate 0.2]

The driver is this module too: ``python -m bench.chaos --driver JOURNAL BASE_URL N SEED``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import random
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from till.flash import FlashClient
from till.journal import Entry, Journal
from till.sales import Backoff, EngineHooks, InputError, SaleEngine

if TYPE_CHECKING:
    from till.sandbox import FaultPlan, LedgerEntry, Sandbox

REPO = Path(__file__).resolve().parents[1]
STORE_ID = "S1"
TERMINAL_ID = "T1"
#: The driver gives up on an answer after this long; delay faults sleep longer than it.
DRIVER_READ_TIMEOUT = 0.5
DRIVER_CONNECT_TIMEOUT = 1.0
#: Big enough that no run of 10,000 small sales hits "insufficient float" (2003).
START_FLOAT = 1_000_000_000
#: Share of the fault rate per kind; scaled so the shares add up to --fault-rate.
FAULT_MIX: dict[str, float] = {
    "delay": 0.15,
    "error_500": 0.10,
    "error_503": 0.10,
    "drop": 0.15,
    "code": 0.25,
    "malformed": 0.15,
    "expire_token": 0.10,
}
FAULT_CODES = [2210, 2220, 2001, 2373]
#: Transaction kinds the driver draws from, with weights.
STEP_WEIGHTS: dict[str, int] = {
    "1voucher": 18,
    "redeem": 14,
    "refund": 10,
    "gift": 10,
    "airtime": 14,
    "vend": 12,
    "cash_out": 12,
    "cancel": 10,
    "reverse": 10,
}
MIN_REFUND = 500  # the 1Voucher minimum: a smaller refund would be declined (2204)

# Journal kinds (till.flash endpoint names) and the sandbox ledger kinds they must match.
K_PURCHASE = "1voucher.purchase"
K_REDEEM = "1voucher.redeem"
K_REFUND = "1voucher.refund"
K_GIFT = "gift-voucher.purchase"
K_CASH_OUT = "cash-out-pin.purchase"
K_CANCEL = "cash-out-pin.cancel"
K_AIRTIME = "cellular.pinless.purchase"
K_VEND = "prepaid-utilities.purchase"
K_REVERSE = "1voucher.reverse"
K_CASH_OUT_REVERSE = "cash-out-pin.reverse"
LEDGER_KIND = {
    K_PURCHASE: "1voucher/purchase",
    K_REDEEM: "1voucher/redeem",
    K_REFUND: "1voucher/refund",
    K_GIFT: "gift-vouchers/purchase",
    K_CASH_OUT: "cash-out-pin/purchase",
    K_CANCEL: "cash-out-pin/cancel",
    K_AIRTIME: "cellular/pinless/purchase",
    K_VEND: "prepaid-utilities/purchase",
    K_REVERSE: "1voucher/reverse",
    K_CASH_OUT_REVERSE: "cash-out-pin/reverse",
}
#: Voids (Flash's reversals): each gives its sale's amount back to the float.
REVERSE_KINDS = frozenset({K_REVERSE, K_CASH_OUT_REVERSE})
#: Kinds whose approval carries the PIN of a voucher Flash issued.
PIN_KINDS = frozenset({K_PURCHASE, K_REFUND, K_GIFT, K_CASH_OUT})
#: Kinds that take money out of the float (the amount asked for).
DEBIT_KINDS = frozenset({K_PURCHASE, K_REFUND, K_GIFT, K_CASH_OUT, K_AIRTIME, K_VEND})


# -- the report ------------------------------------------------------------------------------


@dataclass
class ChaosReport:
    """What one chaos run found; `ok` only when every exactly-once count is zero."""

    transactions: int
    journal_entries: int = 0
    drivers: int = 0
    kills: int = 0
    driver_failures: list[str] = field(default_factory=list)
    faults: dict[str, int] = field(default_factory=dict)
    fault_codes: dict[int, int] = field(default_factory=dict)
    approved: dict[str, int] = field(default_factory=dict)
    declined: int = 0
    ledger_entries: int = 0
    lost: int = 0
    duplicated: int = 0
    unresolved: int = 0
    phantom: int = 0
    money_mismatch_cents: int = 0
    float_moved_cents: int = 0
    ledger_moved_cents: int = 0
    journal_moved_cents: int = 0
    heal_passes: int = 0
    heal_elapsed: float = 0.0
    elapsed: float = 0.0
    problems: list[str] = field(default_factory=list)

    @property
    def faults_fired(self) -> int:
        return sum(self.faults.values())

    @property
    def ok(self) -> bool:
        return (
            not self.driver_failures
            and self.journal_entries >= self.transactions
            and self.lost == 0
            and self.duplicated == 0
            and self.unresolved == 0
            and self.phantom == 0
            and self.money_mismatch_cents == 0
        )

    def lines(self) -> list[str]:
        """One `name: value` per line, greppable; no PIN or token ever appears here."""
        faults = ", ".join(f"{k}={v}" for k, v in sorted(self.faults.items())) or "none"
        codes = ", ".join(f"{k}={v}" for k, v in sorted(self.fault_codes.items())) or "none"
        approved = ", ".join(f"{k}={v}" for k, v in sorted(self.approved.items())) or "none"
        out = [
            f"transactions: {self.transactions}",
            f"journal_entries: {self.journal_entries}",
            f"approved: {sum(self.approved.values())} ({approved})",
            f"declined: {self.declined}",
            f"ledger_entries: {self.ledger_entries}",
            f"drivers: {self.drivers}",
            f"kills: {self.kills}",
            f"faults: {self.faults_fired} ({faults})",
            f"fault_codes: {codes}",
            f"lost: {self.lost}",
            f"duplicated: {self.duplicated}",
            f"unresolved: {self.unresolved}",
            f"phantom: {self.phantom}",
            f"money_mismatch_cents: {self.money_mismatch_cents}",
            f"float_moved_cents: {self.float_moved_cents} (ledger {self.ledger_moved_cents}, "
            f"journal {self.journal_moved_cents})",
            f"driver_failures: {len(self.driver_failures)}",
            f"heal: {self.heal_passes} passes in {self.heal_elapsed:.1f} s",
            f"elapsed: {self.elapsed:.1f} s",
        ]
        out += [f"problem: {p}" for p in self.problems[:20]]
        out += [f"driver_failure: {f}" for f in self.driver_failures[:5]]
        out.append("result: " + ("OK" if self.ok else "FAIL"))
        return out


# -- the driver (child process) --------------------------------------------------------------


def _all_entries(journal: Journal) -> list[Entry]:
    """Every entry, oldest first (the journal's search is newest first)."""
    return list(reversed(journal.search(limit=10**9)))


def _pin_of(entry: Entry) -> str | None:
    voucher = (entry.response or {}).get("voucher") or {}
    pin = voucher.get("pin")
    return str(pin) if pin else None


class Candidates:
    """What the driver may redeem, refund, cancel or void, kept in step with the journal.

    Rebuilt from the journal on every start (the last driver was killed mid-way), then updated
    from the engine's hooks, so a sale the background resolver settles becomes a candidate too.
    A 1Voucher is either redeemed or voided, never both (Flash refuses to void a redeemed one,
    and a voided one cannot be redeemed); a Cash Out PIN is either cancelled or voided.
    """

    def __init__(self, journal: Journal) -> None:
        self.journal = journal
        self.count = 0
        self.used_pins: set[str] = set()
        self.cancelled: set[str] = set()  # Cash Out purchases with a cancel or void journaled
        self.voided: set[str] = set()  # sales with a void journaled
        self.unredeemed: dict[str, tuple[str, int]] = {}  # purchase ref -> (pin, amount)
        self.redemptions: dict[str, None] = {}  # approved redemption refs, oldest first
        self.cash_outs: dict[str, None] = {}  # approved, never-cancelled Cash Out purchases
        #: Approved sales nothing has touched yet (1Voucher: PIN never redeemed; Cash Out: never
        #: cancelled), oldest first: what a void may take.
        self.voidable: dict[str, None] = {}
        entries = _all_entries(journal)
        for entry in entries:
            self.journaled(entry)
        for entry in entries:
            if entry.state == "approved":
                self.settled(entry)

    def journaled(self, entry: Entry) -> None:
        self.count += 1
        if entry.kind == K_REDEEM:
            self.used_pins.add(str(json.loads(entry.request)["pin"]))
        elif entry.kind in (K_CANCEL, K_CASH_OUT_REVERSE) and entry.related_reference:
            self.cancelled.add(entry.related_reference)
            self.cash_outs.pop(entry.related_reference, None)
        if entry.kind in REVERSE_KINDS and entry.related_reference:
            self.voided.add(entry.related_reference)
            self.unredeemed.pop(entry.related_reference, None)
        if entry.related_reference:  # a cancel or a void: the sale is touched
            self.voidable.pop(entry.related_reference, None)

    def settled(self, entry: Entry) -> None:
        if entry.state != "approved":
            return
        if entry.kind == K_PURCHASE:
            pin = _pin_of(entry)
            if not pin or pin in self.used_pins or entry.reference in self.voided:
                return
            if (entry.amount or 0) >= 2 * MIN_REFUND:
                self.unredeemed[entry.reference] = (pin, entry.amount or 0)
            self.voidable[entry.reference] = None
        elif entry.kind == K_REDEEM:
            self.redemptions[entry.reference] = None
        elif entry.kind == K_CASH_OUT and entry.reference not in self.cancelled:
            self.cash_outs[entry.reference] = None
            self.voidable[entry.reference] = None

    def take_voucher(self) -> tuple[str, int] | None:
        while self.unredeemed:
            ref = next(iter(self.unredeemed))
            pin, amount = self.unredeemed.pop(ref)
            self.voidable.pop(ref, None)  # about to be redeemed: never voided
            if pin not in self.used_pins:
                return pin, amount
        return None

    def take_voidable(self) -> str | None:
        """An approved 1Voucher or Cash Out sale to void: never redeemed, cancelled or voided."""
        while self.voidable:
            ref = next(iter(self.voidable))
            del self.voidable[ref]
            self.unredeemed.pop(ref, None)  # about to be voided: never redeemed
            self.cash_outs.pop(ref, None)  # nor cancelled
            if ref not in self.voided and ref not in self.cancelled:
                return ref
        return None

    def refundable(self) -> tuple[str, int] | None:
        """A redemption with at least MIN_REFUND left, reckoned exactly as the engine does."""
        while self.redemptions:
            ref = next(iter(self.redemptions))
            redemption = self.journal.get(ref)
            assert redemption is not None
            redeemed = int((redemption.response or {}).get("amount") or redemption.amount or 0)
            already = sum(
                e.amount or 0
                for e in self.journal.related(ref)
                if e.kind == K_REFUND and e.state != "declined"
            )
            left = redeemed - already
            if left >= MIN_REFUND:
                return ref, left
            del self.redemptions[ref]
        return None

    def take_cash_out(self) -> str | None:
        while self.cash_outs:
            ref = next(iter(self.cash_outs))
            del self.cash_outs[ref]
            self.voidable.pop(ref, None)  # about to be cancelled: never voided
            if ref not in self.cancelled:
                return ref
        return None


async def _step(engine: SaleEngine, cands: Candidates, rng: random.Random) -> None:
    """One transaction of a kind drawn from the seeded RNG; outcomes other than errors are fine."""
    kind = rng.choices(list(STEP_WEIGHTS), weights=list(STEP_WEIGHTS.values()))[0]
    if kind == "redeem":
        voucher = cands.take_voucher()
        if voucher is not None:
            pin, amount = voucher
            await engine.redeem_1voucher(pin, rng.randint(MIN_REFUND, amount - MIN_REFUND))
            return
        kind = "1voucher"
    if kind == "refund":
        found = cands.refundable()
        if found is not None:
            ref, left = found
            await engine.refund_1voucher(ref, rng.randint(MIN_REFUND, min(left, 20_000)))
            return
        kind = "1voucher"
    if kind == "cancel":
        purchase = cands.take_cash_out()
        if purchase is not None:
            await engine.cancel_cash_out_pin(purchase)
            return
        kind = "cash_out"
    if kind == "reverse":
        sale = cands.take_voidable()
        if sale is not None:
            await engine.reverse_sale(sale, reason="chaos: void")
            return
        kind = "1voucher"
    if kind == "1voucher":
        await engine.sell_1voucher(rng.randint(10, 100) * 100)
    elif kind == "gift":
        await engine.sell_gift_voucher(200, rng.randint(50, 200) * 100)
    elif kind == "airtime":
        await engine.sell_airtime(400, "27821234567", rng.randint(5, 50) * 100)
    elif kind == "vend":
        await engine.vend_utility("04040404040", rng.randint(10, 200) * 100)
    elif kind == "cash_out":
        await engine.sell_cash_out_pin(300, rng.randint(20, 500) * 100)
    else:  # pragma: no cover - the weights table and this ladder must agree
        raise AssertionError(kind)


async def drive(
    journal_path: str,
    base_url: str,
    transactions: int,
    seed: int,
    *,
    store_id: str = STORE_ID,
    terminal_id: str = TERMINAL_ID,
    prints: bool = False,
) -> int:
    """A till that just started: settle leftovers, then sell until the journal holds N entries.

    Prints `ready <entries>` once the journal is open (the parent times its kill from there).
    Runs the background resolver like a real till, so resends race new sales as they would.
    `prints` also records receipts and reprints now and then (journal changes that are not
    sales, for the upload's set check).
    """
    from till.sandbox import DEFAULT_ACCOUNT, DEFAULT_API_KEY

    with Journal.open(journal_path) as journal:
        cands = Candidates(journal)
        print(f"ready {cands.count}", flush=True)
        async with FlashClient(
            base_url=base_url,
            api_key=DEFAULT_API_KEY,
            account_number=DEFAULT_ACCOUNT,
            connect_timeout=DRIVER_CONNECT_TIMEOUT,
            read_timeout=DRIVER_READ_TIMEOUT,
        ) as client:
            hooks = EngineHooks(journaled=cands.journaled, settled=cands.settled)
            engine = SaleEngine(
                journal,
                client,
                store_id=store_id,
                terminal_id=terminal_id,
                hooks=hooks,
                backoff=Backoff(base_ms=200, cap_ms=5_000),
            )
            await engine.resolve()
            rng = random.Random(f"{seed}:{cands.count}")
            stop = asyncio.Event()
            resolver = asyncio.create_task(engine.run_resolver(stop))
            try:
                while cands.count < transactions:
                    await _step(engine, cands, rng)
                    if prints:
                        _print_some(journal, rng)
            except InputError as exc:
                print(f"driver bug: engine refused input: {exc.message}", file=sys.stderr)
                return 3
            finally:
                stop.set()
                engine.wake()
                await resolver
    print(f"done {cands.count}", flush=True)
    return 0


def _print_some(journal: Journal, rng: random.Random) -> None:
    """Now and then print the newest approved receipt, sometimes as a reprint (COPY n)."""
    if rng.random() > 0.4:
        return
    for entry in journal.search(state="approved", limit=1):
        if entry.retryable:
            journal.record_print(
                entry.reference, now=int(time.time() * 1000), copy=rng.random() < 0.3
            )


# -- the parent: sandbox, kills, heal, check -------------------------------------------------


def fault_plan(rate: float, seed: int) -> FaultPlan:
    from till.sandbox import FaultPlan

    total = sum(FAULT_MIX.values())
    rates = {kind: rate * share / total for kind, share in FAULT_MIX.items()}
    return FaultPlan(
        rates=rates,
        delay_seconds=DRIVER_READ_TIMEOUT + 0.3,
        codes=list(FAULT_CODES),
        seed=seed,
    )


def _count_codes(sandbox: Sandbox) -> Counter[int]:
    """Wrap the fault controller's pick to count which response codes the `code` faults sent."""
    codes: Counter[int] = Counter()
    controller = sandbox.faults
    pick = controller.pick

    def counting_pick(path: str) -> Any:
        fault = pick(path)
        if fault is not None and fault.kind == "code":
            codes[fault.code] += 1
        return fault

    controller.pick = counting_pick  # type: ignore[method-assign]
    return codes


class QuietFaults(logging.Filter):
    """Drop uvicorn's traceback for a connection a fault or a kill cut: that is the fault working.

    A `drop` fault raises in the app to kill the connection, and a SIGKILLed driver leaves a
    request body half read; uvicorn logs each as an ASGI error. Anything else still shows.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        return type(exc).__name__ not in ("DropConnection", "ClientDisconnect")


def run_drivers(
    report: ChaosReport,
    journal_path: Path,
    base_url: str,
    seed: int,
    kill_min: float,
    kill_max: float,
    deadline: float,
    log_path: Path,
    till: tuple[str, str, str] | None = None,
) -> None:
    """Start, kill at random and restart the driver until one finishes N on its own.

    `till` is (store, terminal, "prints" or "") for a driver that is not the default till."""
    rng = random.Random(seed)
    stalled = 0
    last_count = -1
    while True:
        if time.monotonic() > deadline:
            report.driver_failures.append("gave up: run deadline passed")
            return
        report.drivers += 1
        with log_path.open("ab") as log:
            proc = subprocess.Popen(  # noqa: S603 - our own interpreter and module, fixed args
                [
                    sys.executable,
                    "-m",
                    "bench.chaos",
                    "--driver",
                    str(journal_path),
                    base_url,
                    str(report.transactions),
                    str(seed),
                    *(till or ()),
                ],
                cwd=REPO,
                stdout=subprocess.PIPE,
                stderr=log,
                text=True,
            )
        assert proc.stdout is not None
        ready = proc.stdout.readline().split()
        if ready[:1] == ["ready"]:
            count = int(ready[1])
            stalled = stalled + 1 if count == last_count else 0
            last_count = count
            if stalled > 50:
                proc.kill()
                proc.wait()
                report.driver_failures.append(f"no progress in 50 drivers at {count} entries")
                return
            try:
                proc.wait(timeout=rng.uniform(kill_min, kill_max))
            except subprocess.TimeoutExpired:
                proc.send_signal(signal.SIGKILL)
                proc.wait()
        else:
            proc.wait()
        proc.stdout.close()
        if proc.returncode == -signal.SIGKILL:
            report.kills += 1
            continue
        if proc.returncode == 0:
            return
        tail = log_path.read_text(errors="replace").strip().splitlines()[-3:]
        report.driver_failures.append(f"driver exited {proc.returncode}: {' | '.join(tail)}")
        return


async def heal(
    journal_path: Path,
    base_url: str,
    limit: float,
    report: ChaosReport,
    *,
    store_id: str = STORE_ID,
    terminal_id: str = TERMINAL_ID,
) -> None:
    """Faults are off: resolve every open entry, pass after pass, until none is left."""
    from till.sandbox import DEFAULT_ACCOUNT, DEFAULT_API_KEY

    started = time.monotonic()
    with Journal.open(journal_path) as journal:
        async with FlashClient(
            base_url=base_url,
            api_key=DEFAULT_API_KEY,
            account_number=DEFAULT_ACCOUNT,
            read_timeout=10.0,
        ) as client:
            engine = SaleEngine(journal, client, store_id=store_id, terminal_id=terminal_id)
            while journal.count_open() and time.monotonic() - started < limit:
                report.heal_passes += 1
                await engine.resolve(all_open=True)
                if journal.count_open():
                    await asyncio.sleep(0.2)
    report.heal_elapsed = time.monotonic() - started


def _tokens_of(entry: Entry) -> list[str]:
    return [str(t.get("token")) for t in (entry.response or {}).get("tokens") or []]


def compare(
    report: ChaosReport, journal: Journal, ledger: list[LedgerEntry], float_moved: int
) -> None:
    """The set check: ledger (what Flash did) against journal (what the till believes)."""
    entries = {e.reference: e for e in _all_entries(journal)}
    report.journal_entries = len(entries)
    report.unresolved = sum(1 for e in entries.values() if e.is_open)
    report.declined = sum(1 for e in entries.values() if e.state == "declined")
    report.approved = dict(Counter(e.kind for e in entries.values() if e.state == "approved"))

    by_ref: dict[str, list[LedgerEntry]] = {}
    for row in ledger:
        by_ref.setdefault(row.reference, []).append(row)
    report.duplicated = sum(len(rows) - 1 for rows in by_ref.values())
    for ref, rows in by_ref.items():
        if len(rows) > 1:
            report.problems.append(f"duplicated: {ref} committed {len(rows)} times")

    for ref, rows in by_ref.items():
        row = rows[0]
        entry = entries.get(ref)
        why = None
        if entry is None:
            why = "not in the journal"
        elif entry.state != "approved":
            why = f"journal holds it {entry.state}"
        elif LEDGER_KIND.get(entry.kind) != row.kind:
            why = f"journal kind {entry.kind}, Flash kind {row.kind}"
        elif entry.kind in PIN_KINDS and _pin_of(entry) != row.pin:
            why = "journal PIN differs from the PIN Flash issued"
        elif entry.kind == K_REDEEM and _pin_of(entry) != row.pin:
            why = "journal change-voucher PIN differs from Flash's"
        elif entry.kind == K_VEND and _tokens_of(entry) != list(row.tokens):
            why = "journal tokens differ from the tokens Flash issued"
        elif entry.kind in REVERSE_KINDS and row.original_reference != entry.related_reference:
            why = (
                f"journal voids {entry.related_reference}, Flash reversed {row.original_reference}"
            )
        if why is not None:
            report.lost += 1
            report.problems.append(f"lost: {ref} ({row.kind}): {why}")

    for ref, entry in entries.items():
        if entry.state == "approved" and entry.kind in LEDGER_KIND and ref not in by_ref:
            report.phantom += 1
            report.problems.append(f"phantom: {ref} ({entry.kind}) approved, Flash has nothing")
        if entry.state == "approved" and entry.kind not in LEDGER_KIND:
            report.problems.append(f"unexpected approved kind {entry.kind} ({ref})")
            report.phantom += 1

    journal_moved = 0
    for entry in entries.values():
        if entry.state != "approved":
            continue
        if entry.kind in DEBIT_KINDS:
            journal_moved += entry.amount or 0
        elif entry.kind == K_REDEEM:
            journal_moved -= int((entry.response or {}).get("amount") or 0)
        elif entry.kind == K_CANCEL or entry.kind in REVERSE_KINDS:  # the sale's amount back
            purchase = entries.get(entry.related_reference or "")
            journal_moved -= (purchase.amount or 0) if purchase is not None else 0
    ledger_moved = -sum(row.float_delta for row in ledger)
    report.float_moved_cents = float_moved
    report.ledger_moved_cents = ledger_moved
    report.journal_moved_cents = journal_moved
    report.money_mismatch_cents = abs(float_moved - ledger_moved) + abs(float_moved - journal_moved)
    if report.unresolved:
        report.problems.append(f"unresolved: {report.unresolved} entries still open after heal")


def run_chaos(
    transactions: int,
    *,
    seed: int = 1,
    kill_every_min: float = 0.3,
    kill_every_max: float = 2.0,
    fault_rate: float = 0.2,
    journal_path: Path | None = None,
    heal_timeout: float = 120.0,
    max_seconds: float = 3600.0,
) -> ChaosReport:
    """Run the whole check (sandbox, kill loop, heal, compare) and return what it found."""
    if journal_path is not None and journal_path.exists():
        raise ValueError(f"{journal_path} exists: the check needs a fresh journal")
    started = time.monotonic()
    report = ChaosReport(transactions=transactions)
    quiet = QuietFaults()
    uvicorn_log = logging.getLogger("uvicorn.error")
    uvicorn_log.addFilter(quiet)
    try:
        _run(
            report,
            seed,
            kill_every_min,
            kill_every_max,
            fault_rate,
            journal_path,
            heal_timeout,
            started + max_seconds,
        )
    finally:
        uvicorn_log.removeFilter(quiet)
    report.elapsed = time.monotonic() - started
    return report


def _run(
    report: ChaosReport,
    seed: int,
    kill_every_min: float,
    kill_every_max: float,
    fault_rate: float,
    journal_path: Path | None,
    heal_timeout: float,
    deadline: float,
) -> None:
    from till.sandbox import Sandbox, running_sandbox

    with tempfile.TemporaryDirectory(prefix="till-chaos-") as scratch:
        path = journal_path or Path(scratch) / "journal.sqlite3"
        sandbox = Sandbox(seed=seed, float_cents=START_FLOAT)
        codes = _count_codes(sandbox)
        sandbox.faults.plan = fault_plan(fault_rate, seed)
        start_float = sandbox.float_cents
        with running_sandbox(sandbox) as base_url:
            run_drivers(
                report,
                path,
                base_url,
                seed,
                kill_every_min,
                kill_every_max,
                deadline,
                path.with_name(path.name + ".driver.log"),
            )
            sandbox.faults.clear()
            report.faults = dict(Counter(kind for _, kind in sandbox.faults.fired))
            report.fault_codes = dict(codes)
            asyncio.run(heal(path, base_url, heal_timeout, report))
            ledger = list(sandbox.ledger)
            report.ledger_entries = len(ledger)
            with Journal.open(path) as journal:
                compare(report, journal, ledger, start_float - sandbox.float_cents)


def main(argv: list[str] | None = None) -> int:
    summary = (__doc__ or "").split("\n")[0]
    parser = argparse.ArgumentParser(prog="python -m bench.chaos", description=summary)
    parser.add_argument("--transactions", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--kill-every-min", type=float, default=0.3)
    parser.add_argument("--kill-every-max", type=float, default=2.0)
    parser.add_argument("--fault-rate", type=float, default=0.2)
    parser.add_argument("--journal", type=Path, default=None, help="keep the journal here")
    parser.add_argument(
        "--driver", nargs="+", metavar="ARG", help=argparse.SUPPRESS
    )  # JOURNAL BASE_URL N SEED [STORE TERMINAL prints]
    args = parser.parse_args(argv)
    if args.driver:
        journal, base_url, n, seed, *till = args.driver
        store, terminal, prints = till if till else (STORE_ID, TERMINAL_ID, "")
        return asyncio.run(
            drive(
                journal,
                base_url,
                int(n),
                int(seed),
                store_id=store,
                terminal_id=terminal,
                prints=prints == "prints",
            )
        )
    report = run_chaos(
        args.transactions,
        seed=args.seed,
        kill_every_min=args.kill_every_min,
        kill_every_max=args.kill_every_max,
        fault_rate=args.fault_rate,
        journal_path=args.journal,
    )
    for line in report.lines():
        print(line)
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
