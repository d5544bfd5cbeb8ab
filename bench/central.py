"""Central ledger (issue 13): upload throughput, settle-to-head-office lag, desk search at scale
and the uploader's memory, each against a floor or a twin measured in the same run.

  ingest  entries/s uploaded from 100 tills' journals by real `Uploader`s (worker processes,
          each driving its share of the tills' uploaders in turn, as 100 tills would run side
          by side), against one bare binary COPY of the very same rows (already redacted and
          sealed: dumped from central after a warm-up upload) into the same partitioned table,
          emptied before each side. Sides alternate, round by round. Target >= 0.5x. Also
          PostgreSQL's own CPU per entry on each side (the tills' CPU is not the server's).
  lag     writers settle 200 sales/s round-robin over 1,000 tills' journals through the
          Journal API (add, Flash's delay, settle, print); the tills' uploaders, woken by the
          journal's `PRAGMA data_version`, send them; a watcher reads head office's high-water
          marks (`till.tills`, moved in the same transaction as the rows) every few ms. A sale
          is visible when its till's mark passes the settle's change number; lag = the
          watcher's first sight of that minus the moment `settle` returned (one clock:
          CLOCK_MONOTONIC, shared by the processes). Target p99 < 2 s.
  search  `Desk.search` logged in as a store (row-level security in force) by reference,
          mobile, meter, serial and a store's day, over --entries rows generated inside
          PostgreSQL (a year, 100 stores x 10 tills, real request/response shapes); baseline
          a bare primary-key lookup on the same connection, interleaved. Target p99 < 20 ms.
  memory  peak RSS (VmHWM) of a child process whose uploader sends a 1,000,000-entry
          backlog, against the same with 10,000. Target: about equal (<= 1.2x).

    python -m bench.central [--part ingest|lag|search|memory|all] [options]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import functools
import heapq
import io
import multiprocessing as mp
import os
import pstats
import random
import resource
import secrets
import sqlite3
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from multiprocessing.connection import Connection as Pipe
from pathlib import Path
from typing import Any

import psycopg

from bench._common import header, median, percentile, target_line
from bench.journal_scale import mark, real_entries
from tests.central.pgserver import PgServer, throwaway_database
from till.central.schema import init_central, store_login
from till.central.seal import SealKey
from till.central.upload import Uploader
from till.journal import Journal, NewEntry

TARGET_INGEST = 0.5
TARGET_LAG_P99 = 2.0
TARGET_SEARCH_P99 = 0.020
TARGET_MEMORY = 1.2
DAY_MS = 86_400_000
#: The columns a bare COPY writes: every column of till.entries but uploaded_at (its default).
ENTRY_COLUMNS = (
    "reference, created_at, store_id, terminal_id, epoch, version, kind, state, amount, "
    "product_code, cashier, approved_by, mobile_number, meter_number, serial_number, "
    "related_reference, response_code, attempts, last_error, settled_at, print_count, "
    "reprint_count, last_printed_at, print_error, flagged_at, retryable, request, response, sealed"
)
SPAWN = mp.get_context("spawn")


# -- realistic sales -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Shape:
    """One kind of sale exactly as the engine journaled it, its variable parts as @@NAME@@."""

    kind: str
    weight: float
    request: str
    response: str
    amount: int
    product_code: int | None
    mobile: bool
    meter: bool
    serial: bool


def shapes() -> list[Shape]:
    """One real sale of each kind through the engine and the in-process sandbox."""
    found = []
    for entry, weight in asyncio.run(real_entries()):
        texts = []
        for text in (entry.request.decode(), entry.response_json or ""):
            text = mark(text, entry).replace("\x01", "@@")
            text = text.replace(f'"storeId":"{entry.store_id}"', '"storeId":"@@STORE@@"')
            texts.append(
                text.replace(f'"terminalId":"{entry.terminal_id}"', '"terminalId":"@@TILL@@"')
            )
        found.append(
            Shape(
                kind=entry.kind,
                weight=weight,
                request=texts[0],
                response=texts[1],
                amount=entry.amount or 0,
                product_code=entry.product_code,
                mobile=entry.mobile_number is not None,
                meter=entry.meter_number is not None,
                serial=entry.serial_number is not None,
            )
        )
    return found


def fill(text: str, values: dict[str, str]) -> str:
    for name, value in values.items():
        text = text.replace(f"@@{name}@@", value)
    return text


@dataclass
class Sale:
    """One sale before its reference exists: what it journals, once the reference is known."""

    shape: Shape
    declined: bool
    values: dict[str, str]
    mobile: str | None
    meter: str | None
    serial: str | None
    cashier: str

    @property
    def state(self) -> str:
        return "declined" if self.declined else "approved"

    @property
    def response_code(self) -> int:
        return 2204 if self.declined else 0

    @property
    def error(self) -> str | None:
        return "Amount out of range" if self.declined else None

    def request(self, reference: str) -> bytes:
        return fill(self.shape.request, self.values | {"REF": reference}).encode()

    def response(self, reference: str) -> str | None:
        if self.declined:
            return None
        return fill(self.shape.response, self.values | {"REF": reference})


class Sales:
    """Sales of one till: 80 % of airtime and vends go to the store's regular customers, about
    2 % are declined, and each approved one gets fresh PINs, tokens and serial numbers."""

    def __init__(self, kinds: Sequence[Shape], store: str, terminal: str, seed: int) -> None:
        self.kinds, self.store, self.terminal = list(kinds), store, terminal
        self.weights = [k.weight for k in kinds]
        self.rng = random.Random(seed)
        regulars = random.Random(store)  # the same regulars at every till of the store
        self.mobiles = [f"27{regulars.randrange(10**8, 10**9)}" for _ in range(500)]
        self.meters = [f"0{regulars.randrange(10**9, 10**10)}" for _ in range(100)]
        self.serial = 300_000_000_000 + seed * 10_000_000

    def _regular(self, regulars: list[str], prefix: str, digits: int) -> str:
        rng = self.rng
        if rng.random() < 0.8:
            return rng.choice(regulars)
        return f"{prefix}{rng.randrange(10 ** (digits - 1), 10**digits)}"

    def make(self, *, declined: float = 0.02) -> Sale:
        rng = self.rng
        shape = rng.choices(self.kinds, self.weights)[0]
        mobile = self._regular(self.mobiles, "27", 9) if shape.mobile else None
        meter = self._regular(self.meters, "0", 10) if shape.meter else None
        values = {"STORE": self.store, "TILL": self.terminal}
        values |= {"MOBILE": mobile or "", "METER": meter or ""}
        cashier = f"C{rng.randrange(1, 40):02d}"
        if rng.random() < declined:
            return Sale(shape, True, values, mobile, meter, None, cashier)
        self.serial += 1
        values |= {
            "PIN": str(rng.randrange(10**15, 10**16)),
            "SERIAL": str(self.serial),
            "TX": str(rng.randrange(10**6, 10**9)),
            "TOKEN": str(rng.randrange(10**19, 10**20)),
        }
        serial = str(self.serial) if shape.serial else None
        return Sale(shape, False, values, mobile, meter, serial, cashier)


_INSERT = (
    "INSERT INTO entries (reference, kind, state, request, response, response_code, attempts, "
    "last_error, amount, product_code, store_id, terminal_id, cashier, mobile_number, "
    "meter_number, serial_number, created_at, settled_at, print_count, last_printed_at, "
    "next_attempt_at, retryable, change_no) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


def build_journal(
    path: Path,
    kinds: Sequence[Shape],
    store: str,
    terminal: str,
    n: int,
    seed: int,
    start_ms: int,
    span_ms: int,
) -> None:
    """A till's journal with `n` entries: the real schema (`Journal.open`), then one executemany
    per 50,000 (setup, not measured). About 0.1 % are still in doubt, as after an outage."""
    Journal.open(path).close()
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA synchronous = OFF")  # setup only
        epoch = conn.execute("SELECT epoch FROM sequence WHERE id = 1").fetchone()[0]
        sales = Sales(kinds, store, terminal, seed)
        rows = []
        for i in range(1, n + 1):
            reference = f"{store}-{terminal}-{epoch}-{i}"
            sale = sales.make()
            created = start_ms + i * span_ms // n
            response: str | None
            error: str | None
            if sales.rng.random() < 0.001:
                state, response, code, error, settled = "in_doubt", None, None, "HTTP 503", None
                attempts, next_at = 3, created + 60_000
            else:
                state, code, error = sale.state, sale.response_code, sale.error
                response = sale.response(reference)
                settled, attempts, next_at = created + sales.rng.randrange(400, 3000), 1, None
            printed = state == "approved"
            rows.append(
                (
                    reference, sale.shape.kind, state, sale.request(reference), response, code,
                    attempts,
                    error, sale.shape.amount, sale.shape.product_code, store, terminal,
                    sale.cashier, sale.mobile, sale.meter, sale.serial if printed else None,
                    created, settled, int(printed), settled if printed else None, next_at,
                    0 if sale.shape.kind.endswith("lookup") else 1, i,
                )
            )  # fmt: skip
            if len(rows) == 50_000 or i == n:
                conn.execute("BEGIN")
                conn.executemany(_INSERT, rows)
                conn.execute("COMMIT")
                rows.clear()
        conn.execute("UPDATE sequence SET next = ? WHERE id = 1", (n + 1,))
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()


# -- the server --------------------------------------------------------------------------------


@dataclass
class Central:
    """A throwaway PostgreSQL (`tests.central.pgserver`) with the central schema and stores."""

    server: PgServer
    dbname: str
    passwords: dict[str, str]

    def admin(self) -> psycopg.Connection[Any]:
        return psycopg.connect(self.server.admin_dsn(self.dbname), autocommit=True)

    def store_dsn(self, store: str) -> str:
        """The store's own login over TCP (scram): never printed."""
        return self.server.dsn(
            user=store_login(store), password=self.passwords[store], dbname=self.dbname
        )


@contextlib.contextmanager
def running_central(stores: Sequence[str], *, months_back: int = 1) -> Iterator[Central]:
    with throwaway_database("bench") as server:
        central = Central(server, "bench", {s: secrets.token_urlsafe(12) for s in stores})
        with psycopg.connect(server.admin_dsn("bench")) as conn:
            init_central(conn, stores=list(central.passwords.items()), months_ahead=1)
        with central.admin() as conn:
            now = datetime.now(UTC)
            for back in range(months_back + 1):
                conn.execute("SELECT till.ensure_month(%s)", (now - timedelta(days=30 * back),))
        yield central


def store_names(count: int) -> list[str]:
    return [f"S{i:03d}" for i in range(1, count + 1)]


# -- ingest -------------------------------------------------------------------------------------


def _ingest_worker(
    pipe: Pipe, tills: list[tuple[str, str, str, str]], key: bytes, batch: int
) -> None:
    """Drive these tills' uploaders in turn, each until caught up, on each "go"."""
    seal_key = SealKey(key)
    uploaders = [
        Uploader(
            path,
            functools.partial(psycopg.connect, dsn),
            seal_key,
            store_id=store,
            terminal_id=terminal,
            batch_size=batch,
        )
        for path, store, terminal, dsn in tills
    ]
    try:
        while (command := pipe.recv()) != "stop":
            profile = cProfile.Profile() if command == "profile" else None
            sent = steps = 0
            cpu = time.process_time()
            started = time.perf_counter()
            if profile is not None:
                profile.enable()
            for up in uploaders:
                while True:
                    result = up.step()
                    sent, steps = sent + result.entries, steps + 1
                    if not result.backlog:
                        break
            if profile is not None:
                profile.disable()
            ended = time.perf_counter()
            report = ""
            if profile is not None:
                out = io.StringIO()
                pstats.Stats(profile, stream=out).sort_stats("tottime").print_stats(25)
                report = out.getvalue()
            pipe.send((sent, steps, started, ended, time.process_time() - cpu, report))
    finally:
        for up in uploaders:
            up.close()


class Workers:
    """Worker processes, each given its share of the tills; `run` times one pass of all."""

    def __init__(self, target: Callable[..., None], shares: list[list[Any]], *args: Any) -> None:
        self.pipes: list[Pipe] = []
        self.processes = []
        for share in shares:
            parent, child = SPAWN.Pipe()
            process = SPAWN.Process(target=target, args=(child, share, *args), daemon=True)
            process.start()
            self.pipes.append(parent)
            self.processes.append(process)

    def run(self, command: str = "go") -> tuple[float, list[Any]]:
        started = time.perf_counter()
        for pipe in self.pipes:
            pipe.send(command)
        results = [pipe.recv() for pipe in self.pipes]
        return time.perf_counter() - started, results

    def close(self) -> None:
        for pipe in self.pipes:
            with contextlib.suppress(OSError):
                pipe.send("stop")
        for process in self.processes:
            process.join(30)
            if process.is_alive():
                process.kill()


def _empty(conn: psycopg.Connection[Any]) -> None:
    conn.execute("TRUNCATE till.entries, till.tills")


def _count(conn: psycopg.Connection[Any]) -> int:
    row = conn.execute("SELECT count(*) FROM till.entries").fetchone()
    return int(row[0]) if row else 0


def _bare_copy(conn: psycopg.Connection[Any], chunks: Sequence[bytes]) -> float:
    started = time.perf_counter()
    statement = f"COPY till.entries ({ENTRY_COLUMNS}) FROM STDIN (FORMAT BINARY)"
    with conn.transaction(), conn.cursor() as cur, cur.copy(statement) as copy:
        for chunk in chunks:
            copy.write(chunk)
    return time.perf_counter() - started


def ingest(args: argparse.Namespace, kinds: Sequence[Shape]) -> bool:
    stores = store_names(args.tills // 10 or 1)
    tills = [(s, f"T{t:02d}") for s in stores for t in range(1, 11)][: args.tills]
    per_till = args.ingest_entries // len(tills)
    now = int(time.time() * 1000)
    with (
        tempfile.TemporaryDirectory(prefix="bench-central-") as tmp,
        running_central(stores) as central,
    ):
        print(f"   building {len(tills)} journals x {per_till:,} entries ...", flush=True)
        started = time.perf_counter()
        paths = []
        for i, (store, terminal) in enumerate(tills):
            path = Path(tmp) / f"{store}-{terminal}.db"
            build_journal(
                path, kinds, store, terminal, per_till, i + 1, now - 20 * DAY_MS, 20 * DAY_MS
            )
            paths.append(path)
        print(f"   built in {time.perf_counter() - started:.1f} s (setup)", flush=True)
        with contextlib.closing(sqlite3.connect(paths[0])) as one:
            row = one.execute(
                "SELECT AVG(LENGTH(request)), AVG(LENGTH(response)) FROM entries"
            ).fetchone()
        key = SealKey.generate()
        shares: list[list[tuple[str, str, str, str]]] = [[] for _ in range(args.workers)]
        for i, ((store, terminal), path) in enumerate(zip(tills, paths, strict=True)):
            shares[i % args.workers].append((str(path), store, terminal, central.store_dsn(store)))
        workers = Workers(_ingest_worker, shares, key.key, args.batch_size)
        try:
            with central.admin() as admin:
                _, results = workers.run()  # warm-up: connections, caches; not measured
                expected = sum(r[0] for r in results)
                if _count(admin) != expected:
                    raise RuntimeError(
                        f"central holds {_count(admin)} entries, uploaded {expected}"
                    )
                chunks: list[bytes] = []
                dump = f"COPY (SELECT {ENTRY_COLUMNS} FROM till.entries) TO STDOUT (FORMAT BINARY)"  # noqa: S608
                with admin.cursor().copy(dump) as copy:
                    chunks.extend(bytes(data) for data in copy)
                size = sum(map(len, chunks))
                print(
                    f"   {expected:,} live entries (request {row[0]:.0f} B, response "
                    f"{row[1]:.0f} B in the journal; {size / expected:.0f} B a row in COPY binary)",
                    flush=True,
                )
                copies: list[float] = []
                uploads: list[float] = []
                cpu: list[float] = []
                db_cpu: dict[str, list[float]] = {"copy": [], "upload": []}
                steps = 0
                for r in range(args.rounds):
                    for side in ("copy", "upload") if r % 2 == 0 else ("upload", "copy"):
                        _empty(admin)
                        admin.execute("CHECKPOINT")
                        before = server_cpu(central.server)
                        if side == "copy":
                            copies.append(_bare_copy(admin, chunks))
                        else:
                            elapsed, results = workers.run()
                            uploads.append(elapsed)
                            cpu.append(sum(r[4] for r in results))
                            steps = sum(r[1] for r in results)
                        db_cpu[side].append(server_cpu(central.server) - before)
                        if _count(admin) != expected:
                            raise RuntimeError(
                                f"{side}: central holds {_count(admin)}, expected {expected}"
                            )
                profile = ""
                if args.profile:
                    _empty(admin)
                    _, results = workers.run("profile")
                    profile = results[0][5]
        finally:
            workers.close()
    header(f"central ingest: {len(tills)} tills, {expected:,} entries, batch {args.batch_size}")
    print(
        f"   uploaders: {args.workers} worker processes, each driving {len(shares[0])} tills' "
        f"Uploader.step in turn until caught up ({steps:,} steps a round)"
    )
    print("   floor: one bare COPY ... FROM STDIN (FORMAT BINARY) of the same rows, as the admin")
    print(
        f"   {args.rounds} rounds, sides alternating, the table emptied (TRUNCATE) before each side"
    )
    for label, times in (("bare COPY", copies), ("uploaders", uploads)):
        rates = ", ".join(f"{expected / t:,.0f}" for t in times)
        print(f"   {label:10} {expected / median(times):10,.0f} entries/s median (rounds: {rates})")
    per_entry = median(cpu) / expected * 1e6
    print(f"   uploader CPU (client side, all workers): {per_entry:.1f} us per entry")
    db_copy, db_upload = (median(db_cpu[side]) / expected * 1e6 for side in ("copy", "upload"))
    print(
        f"   PostgreSQL's own CPU (every server process): bare COPY {db_copy:.1f} us per entry, "
        f"uploaders {db_upload:.1f} us ({db_copy / db_upload:.2f}x)"
    )
    ratio = median(copies) / median(uploads)
    if profile:
        print("   profile of one worker, one round:")
        print("\n".join("     " + line for line in profile.splitlines()[:45]))
    print(
        target_line(
            "central ingest vs bare COPY",
            f"{ratio:.2f}x",
            f">= {TARGET_INGEST}x",
            ratio >= TARGET_INGEST,
        )
    )
    return ratio >= TARGET_INGEST


# -- the database server's own CPU ----------------------------------------------------------------


def server_cpu(server: PgServer) -> float:
    """CPU seconds (user + system) used so far by every process of the PostgreSQL server: the
    postmaster and its children (backends, WAL writer, checkpointer, autovacuum)."""
    try:
        postmaster = int((server.data / "postmaster.pid").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return float("nan")
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue  # gone meanwhile
        pid, ppid = int(stat.parent.name), int(fields[1])
        if postmaster in (pid, ppid):
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / tick


# -- lag ----------------------------------------------------------------------------------------


class SharedConnection:
    """The connection a store's uploaders share in the benchmark (PostgreSQL here allows 200
    connections; 1,000 tills would each hold one); a new one once an uploader dropped it."""

    def __init__(self, dsn: str) -> None:
        self.dsn = dsn
        self.conn: psycopg.Connection[Any] | None = None

    def get(self) -> psycopg.Connection[Any]:
        if self.conn is None or self.conn.closed:
            self.conn = psycopg.connect(self.dsn)
        return self.conn


def _drive(
    stores: list[tuple[str, str, list[tuple[str, str]]]],
    key: SealKey,
    interval: float,
    poll: float,
    stop: threading.Event,
    counts: dict[str, int],
) -> None:
    """One thread: these stores' uploaders, stepped whenever `Uploader.due` says (a commit to
    the journal seen by data_version, a full batch, `interval`), looked at every `poll`."""
    uploaders = []
    for store, dsn, tills in stores:
        shared = SharedConnection(dsn)
        for path, terminal in tills:
            uploaders.append(
                Uploader(
                    path,
                    shared.get,
                    key,
                    store_id=store,
                    terminal_id=terminal,
                    interval=interval,
                    poll=poll,
                )
            )
    try:
        while not stop.is_set():
            stepped = False
            for up in uploaders:
                if up.due():
                    stepped = True
                    try:
                        result = up.step()
                    except Exception:
                        counts["errors"] += 1
                        continue
                    counts["steps"] += 1
                    counts["entries"] += result.entries
                    counts["empty"] += not result.changes
            if not stepped:
                stop.wait(poll)
    finally:
        for up in uploaders:
            up.close()


def _lag_worker(
    pipe: Pipe,
    stores: list[tuple[str, str, list[tuple[str, str]]]],
    key: bytes,
    interval: float,
    poll: float,
    threads: int,
) -> None:
    seal_key = SealKey(key)
    stop = threading.Event()
    counts = [{"steps": 0, "entries": 0, "empty": 0, "errors": 0} for _ in range(threads)]
    workers = [
        threading.Thread(
            target=_drive, args=(stores[i::threads], seal_key, interval, poll, stop, counts[i])
        )
        for i in range(threads)
    ]
    cpu = time.process_time()
    for worker in workers:
        worker.start()
    pipe.recv()
    stop.set()
    for worker in workers:
        worker.join(60)
    total = {name: sum(c[name] for c in counts) for name in counts[0]}
    pipe.send((total, time.process_time() - cpu))


def _writer(
    pipe: Pipe,
    tills: list[tuple[int, str, str, str]],
    kinds: list[Shape],
    rate: float,
    seconds: float,
    warmup: float,
    flash: float,
) -> None:
    """Sell `rate` sales a second round-robin over these tills (number, path, store, terminal)
    through the Journal API: add, Flash's delay, settle, print. Reports (till number, the
    settle's change number, when settle returned, measured?) for every sale, how late the
    schedule ran, and the CPU it took. Several writers share the tills: each commit waits for
    the disk (synchronous=FULL), which one process for 1,000 tills would queue up."""
    journals = [Journal.open(path) for _, path, _, _ in tills]
    sales = [Sales(kinds, store, terminal, n + 1) for n, _, store, terminal in tills]
    changes = [0] * len(tills)
    settles: list[tuple[int, int, float, bool]] = []
    waiting: list[tuple[float, int, int, str, Sale, bool]] = []  # (due, order, till, ref, ...)
    total = int(rate * (warmup + seconds))
    pipe.send("ready")
    start = pipe.recv()
    cpu = time.process_time()
    late = 0.0
    i = 0
    try:
        while i < total or waiting:
            next_sale = start + i / rate if i < total else float("inf")
            next_settle = waiting[0][0] if waiting else float("inf")
            due = min(next_sale, next_settle)
            now = time.monotonic()
            if due > now:
                time.sleep(due - now)
            else:
                late = max(late, now - due)
            ms = int(time.time() * 1000)
            if next_settle <= next_sale:
                _, _, till, reference, sale, measured = heapq.heappop(waiting)
                journal = journals[till]
                journal.settle(
                    reference,
                    "declined" if sale.declined else "approved",
                    now=ms,
                    response=sale.response(reference),
                    response_code=sale.response_code,
                    error=sale.error,
                    serial_number=sale.serial,
                )
                settled = time.monotonic()
                changes[till] += 1
                settles.append((tills[till][0], changes[till], settled, measured))
                if not sale.declined:
                    journal.record_print(reference, now=ms)
                    changes[till] += 1
            else:
                till = i % len(tills)
                sale = sales[till].make()
                store, terminal = tills[till][2:]
                entry = journals[till].add(
                    NewEntry(
                        kind=sale.shape.kind,
                        build_request=sale.request,
                        store_id=store,
                        terminal_id=terminal,
                        amount=sale.shape.amount,
                        product_code=sale.shape.product_code,
                        cashier=sale.cashier,
                        mobile_number=sale.mobile,
                        meter_number=sale.meter,
                    ),
                    now=ms,
                )
                changes[till] += 1
                measured = time.monotonic() >= start + warmup
                heapq.heappush(
                    waiting, (time.monotonic() + flash, i, till, entry.reference, sale, measured)
                )
                i += 1
        latest = [int(j.read("SELECT MAX(change_no) FROM entries")[0][0] or 0) for j in journals]
        if latest != changes:
            raise RuntimeError("the writer's change numbers disagree with the journals'")
    finally:
        for journal in journals:
            journal.close()
    pipe.send((settles, late, time.process_time() - cpu))


def lag(args: argparse.Namespace, kinds: list[Shape]) -> bool:
    stores = store_names(max(1, args.lag_tills // 10))
    tills = [(s, f"T{t:02d}") for s in stores for t in range(1, 11)][: args.lag_tills]
    index = {till: i for i, till in enumerate(tills)}
    with (
        tempfile.TemporaryDirectory(prefix="bench-central-") as tmp,
        running_central(stores) as central,
    ):
        print(f"   making {len(tills)} journals ...", flush=True)
        paths: list[str] = []
        for store, terminal in tills:
            made = Path(tmp) / f"{store}-{terminal}.db"
            Journal.open(made).close()
            paths.append(str(made))
        key = SealKey.generate()
        by_store: dict[str, list[tuple[str, str]]] = {}
        for (store, terminal), path in zip(tills, paths, strict=True):
            by_store.setdefault(store, []).append((path, terminal))
        plan = [(store, central.store_dsn(store), group) for store, group in by_store.items()]
        shares = [plan[i :: args.lag_workers] for i in range(args.lag_workers)]
        uploaders = Workers(
            _lag_worker, shares, key.key, args.lag_interval, args.poll, args.lag_threads
        )
        numbered = [(i, p, s, t) for i, (p, (s, t)) in enumerate(zip(paths, tills, strict=True))]
        writers: list[tuple[Pipe, Any]] = []
        for w in range(args.writers):
            pipe, child = SPAWN.Pipe()
            options = (args.lag_rate / args.writers, args.lag_seconds, args.lag_warmup)
            process = SPAWN.Process(
                target=_writer,
                args=(child, numbered[w :: args.writers], kinds, *options, args.flash_ms / 1000),
                daemon=True,
            )
            process.start()
            writers.append((pipe, process))
        seen: list[list[tuple[int, float]]] = [[] for _ in tills]
        marks = [0] * len(tills)
        polls: list[float] = []
        try:
            with central.admin() as admin:
                deadline = time.monotonic() + 300
                while _tills_known(admin) < len(tills):  # every uploader has stepped once
                    if time.monotonic() > deadline:
                        raise RuntimeError("the uploaders did not all start")
                    time.sleep(0.2)
                for pipe, _ in writers:
                    if pipe.recv() != "ready":
                        raise RuntimeError("a writer did not start")
                cpu_server = server_cpu(central.server)
                start = time.monotonic() + 0.5
                for pipe, _ in writers:
                    pipe.send(start)
                query = "SELECT store_id, terminal_id, entries_hwm FROM till.tills"
                finish = start + args.lag_warmup + args.lag_seconds
                results: dict[int, Any] = {}
                settles: list[tuple[int, int, float, bool]] = []
                while True:
                    asked = time.monotonic()
                    rows = admin.execute(query).fetchall()
                    now = time.monotonic()
                    polls.append(now - asked)
                    for store, terminal, hwm in rows:
                        i = index[(store, terminal)]
                        if hwm > marks[i]:
                            marks[i] = hwm
                            seen[i].append((hwm, now))
                    for w, (pipe, _) in enumerate(writers):
                        if w not in results and pipe.poll():
                            results[w] = pipe.recv()
                            settles += results[w][0]
                    done = len(results) == len(writers) and _all_seen(settles, marks)
                    if done or now > finish + 60:
                        break
                    time.sleep(max(0.0, args.watch_ms / 1000 - (time.monotonic() - asked)))
                elapsed = time.monotonic() - start
                cpu_server = server_cpu(central.server) - cpu_server
            for w, (pipe, _) in enumerate(writers):
                if w not in results:
                    results[w] = pipe.recv()
                    settles += results[w][0]
            _, worker_results = uploaders.run("stop-threads")
        finally:
            uploaders.close()
            for _, process in writers:
                process.join(30)
    late = max(r[1] for r in results.values())
    cpu_writer = sum(r[2] for r in results.values())
    window = [t for _, _, t, measured in settles if measured]
    achieved = len(window) / (max(window) - min(window)) if len(window) > 1 else 0.0
    lags = []
    missing = 0
    for till, change, settled, measured in settles:
        if not measured:
            continue
        visible = next((t for hwm, t in seen[till] if hwm >= change), None)
        if visible is None:
            missing += 1
        else:
            lags.append(visible - settled)
    counts = {name: sum(r[0][name] for r in worker_results) for name in worker_results[0][0]}
    cpu_workers = sum(r[1] for r in worker_results)
    header(
        f"central lag: {args.lag_rate:.0f} sales/s over {len(tills)} tills ({len(stores)} stores), "
        f"{args.lag_seconds:.0f} s measured after {args.lag_warmup:.0f} s"
    )
    print(
        f"   {args.writers} writers: Journal add, {args.flash_ms} ms for Flash, settle, print; "
        f"settled {achieved:.0f} sales/s in the measured window (schedule at most "
        f"{late * 1000:.0f} ms late)"
    )
    print(
        f"   uploaders: {args.lag_workers} processes x {args.lag_threads} threads, "
        f"Uploader.due every {args.poll * 1000:.0f} ms (data_version), interval "
        f"{args.lag_interval} s; a store's 10 tills share one connection"
    )
    print(
        f"   {counts['steps'] / elapsed:,.0f} steps/s ({counts['empty'] / elapsed:,.0f} found "
        f"nothing: the `interval` checks), {counts['entries']:,} entries sent, "
        f"{counts['errors']} failed steps"
    )
    print(
        f"   CPU over {elapsed:.0f} s: uploader processes {cpu_workers / elapsed:.2f} cores, "
        f"PostgreSQL {cpu_server / elapsed:.2f} cores, writers {cpu_writer / elapsed:.2f} cores; "
        f"load average {os.getloadavg()[0]:.2f}"
    )
    print(
        f"   watcher: till.tills read every {args.watch_ms} ms (each read took median "
        f"{median(polls) * 1000:.1f} ms); visible = the first read that shows the mark"
    )
    ok = bool(lags) and not missing
    if lags:
        p99 = percentile(lags, 99)
        print(
            f"   settle -> visible centrally, {len(lags):,} sales: p50 "
            f"{median(lags) * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms, max {max(lags) * 1000:.0f} ms;"
            f" never visible: {missing}"
        )
        ok = ok and p99 < TARGET_LAG_P99
        print(target_line("central lag p99", f"{p99 * 1000:.0f} ms", "< 2000 ms", ok))
    else:
        print(target_line("central lag p99", "no sales measured", "< 2000 ms", False))
    return ok


def _tills_known(conn: psycopg.Connection[Any]) -> int:
    row = conn.execute("SELECT count(*) FROM till.tills").fetchone()
    return int(row[0]) if row else 0


def _all_seen(settles: list[tuple[int, int, float, bool]], marks: list[int]) -> bool:
    return all(marks[till] >= change for till, change, _, _ in settles)


# -- search -------------------------------------------------------------------------------------


_GENERATE = """
INSERT INTO till.entries (reference, created_at, store_id, terminal_id, epoch, version, kind,
  state, amount, product_code, cashier, mobile_number, meter_number, serial_number,
  response_code, attempts, last_error, settled_at, print_count, last_printed_at, retryable,
  request, response, sealed)
SELECT ref, ts, store, till, 'BNCH', 2, k.kind, state, k.amount, k.product_code,
  'C' || lpad((1 + h3 %% 39)::text, 2, '0'), mobile, meter,
  CASE WHEN k.has_serial AND state = 'approved' THEN (300000000000 + g)::text END,
  CASE WHEN state = 'approved' THEN 0 ELSE 2204 END, 1,
  CASE WHEN state = 'declined' THEN 'Amount out of range' END,
  ts + interval '900 milliseconds', (state = 'approved')::int,
  CASE WHEN state = 'approved' THEN ts + interval '1 second' END,
  k.kind <> 'prepaid-utilities.lookup',
  replace(replace(replace(replace(replace(k.request, '@@REF@@', ref), '@@STORE@@', store),
    '@@TILL@@', till), '@@MOBILE@@', coalesce(mobile, '')),
    '@@METER@@', coalesce(meter, ''))::jsonb,
  CASE WHEN state = 'approved' THEN replace(replace(replace(replace(replace(replace(replace(
    k.response, '@@REF@@', ref), '@@STORE@@', store), '@@TILL@@', till),
    '@@MOBILE@@', coalesce(mobile, '')), '@@METER@@', coalesce(meter, '')),
    '@@SERIAL@@', (300000000000 + g)::text), '@@TX@@', g::text)::jsonb END,
  {sealed}
FROM (
  SELECT g, ref, ts, store, till, h3, kind_at,
    CASE WHEN h3 %% 50 = 0 THEN 'declined' ELSE 'approved' END AS state,
    CASE WHEN h4 %% 10 < 8 THEN '27' || (100000000 + store_no * 1000 + h5 %% 500)
         ELSE '27' || (100000000 + h5 %% 900000000) END AS mobile_any,
    CASE WHEN h4 %% 10 < 8 THEN '0' || (1000000000 + store_no * 1000 + h5 %% 100)
         ELSE '0' || (1000000000 + h5 %% 9000000000) END AS meter_any
  FROM (
    SELECT g, store_no, 'S' || lpad(store_no::text, 3, '0') AS store, till,
      'S' || lpad(store_no::text, 3, '0') || '-' || till || '-BNCH-' || g AS ref,
      timestamptz 'epoch' + (%(start)s + g * %(step)s) * interval '1 millisecond' AS ts,
      h3, h4, h5, kind_at
    FROM (
      SELECT g, 1 + abs(hashint8(g)) %% 100 AS store_no,
        'T' || lpad((1 + abs(hashint8(g + 1000000000000)) %% 10)::text, 2, '0') AS till,
        abs(hashint8(g + 2000000000000)) AS h3, abs(hashint8(g + 3000000000000)) AS h4,
        abs(hashint8(g + 4000000000000))::bigint * 7919 AS h5,
        (abs(hashint8(g + 5000000000000)) %% 10000) / 10000.0 AS kind_at
      FROM generate_series(%(first)s::bigint, %(last)s::bigint) AS g) AS a) AS b) AS c
  JOIN bench_kinds AS k ON c.kind_at >= k.lo AND c.kind_at < k.hi
  CROSS JOIN LATERAL (SELECT CASE WHEN k.has_mobile THEN c.mobile_any END AS mobile,
    CASE WHEN k.has_meter THEN c.meter_any END AS meter) AS m
"""


def _kinds_table(conn: psycopg.Connection[Any], kinds: Sequence[Shape]) -> None:
    """The real shapes, redacted as the uploader sends them (PINs and tokens null), with
    their markers left for the generator to fill; and how long each one's sealed copy is."""
    from till.central.seal import redact_json_text, seal_record

    conn.execute(
        "CREATE TABLE bench_kinds (lo float8, hi float8, kind text, amount bigint, "
        "product_code int, has_mobile bool, has_meter bool, has_serial bool, request text, "
        "response text, sealed_len int)"
    )
    total = sum(k.weight for k in kinds)
    lo = 0.0
    key = SealKey.generate()
    probe = {"REF": "S001-T01-BNCH-1234567", "PIN": "1234567890123456", "TOKEN": "1" * 20}
    for i, k in enumerate(kinds):
        hi = 1.0 if i == len(kinds) - 1 else lo + k.weight / total
        sealed = seal_record(key, "x", fill(k.request, probe).encode(), fill(k.response, probe))
        conn.execute(
            "INSERT INTO bench_kinds VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            (
                lo, hi, k.kind, k.amount, k.product_code, k.mobile, k.meter, k.serial,
                redact_json_text(k.request), redact_json_text(k.response), len(sealed),
            ),
        )  # fmt: skip
        lo = hi


def build_central(
    central: Central, kinds: Sequence[Shape], n: int, chunk: int = 1_000_000
) -> float:
    """`n` entries over the last 365 days, 100 stores x 10 tills, generated inside PostgreSQL
    (setup, not measured), then VACUUM ANALYZE as a running ledger's autovacuum would."""
    started = time.perf_counter()
    with central.admin() as conn:
        crypto = conn.execute(
            "SELECT count(*) FROM pg_available_extensions WHERE name = 'pgcrypto'"
        ).fetchone()
        if crypto and crypto[0]:
            conn.execute("CREATE EXTENSION IF NOT EXISTS pgcrypto")
            sealed = "gen_random_bytes(least(k.sealed_len, 1024))"
        else:  # random-looking (incompressible) bytes of about the right length
            sealed = "||".join(f"sha256(int8send(g * 64 + {i}))" for i in range(30))
        _kinds_table(conn, kinds)
        span = 365 * DAY_MS
        start = int(time.time() * 1000) - span
        statement = _GENERATE.replace("{sealed}", sealed)
        for first in range(1, n + 1, chunk):
            last = min(n, first + chunk - 1)
            with conn.transaction():
                conn.execute(
                    statement.encode(),
                    {"start": start, "step": span / n, "first": first, "last": last},
                )
            print(f"   {last:,} of {n:,} ({time.perf_counter() - started:.0f} s)", flush=True)
        conn.execute("VACUUM ANALYZE till.entries")
    return time.perf_counter() - started


class _SameShape:
    """`Desk.search`'s SQL shape, for a tree where till.central.desk is not there yet."""

    def __init__(self, conn: psycopg.Connection[Any], store: str) -> None:
        self.conn, self.store_id = conn, store

    def search(self, **criteria: Any) -> list[Any]:
        clauses, params = ["store_id = %s"], [self.store_id]
        names = {"reference": "reference", "mobile": "mobile_number", "meter": "meter_number"}
        names["serial"] = "serial_number"
        for name, column in names.items():
            if criteria.get(name) is not None:
                clauses.append(f"{column} = %s")
                params.append(criteria[name])
        for name, op in (("since_ms", ">="), ("until_ms", "<")):
            if criteria.get(name) is not None:
                clauses.append(f"created_at {op} timestamptz 'epoch' + %s * interval '1 ms'")
                params.append(criteria[name])
        query = (
            f"SELECT * FROM till.entries WHERE {' AND '.join(clauses)} "  # noqa: S608
            "ORDER BY created_at DESC LIMIT 50"
        )
        return self.conn.execute(query.encode(), params).fetchall()


def _desk(conn: psycopg.Connection[Any], store: str) -> tuple[Any, str]:
    try:
        from till.central.desk import Desk
    except ImportError:
        return _SameShape(conn, store), "the same SQL as Desk.search (till.central.desk missing)"
    return Desk(lambda: contextlib.nullcontext(conn), store_id=store, key=None), "Desk.search"


def search(args: argparse.Namespace, kinds: Sequence[Shape]) -> bool:
    stores = store_names(100)
    with running_central(stores, months_back=12) as central:
        print(f"   generating {args.entries:,} central entries inside PostgreSQL ...", flush=True)
        built = build_central(central, kinds, args.entries)
        rng = random.Random(args.seed)
        chosen = rng.sample(stores, 5)
        span_end = int(time.time() * 1000)
        span_start = span_end - 365 * DAY_MS
        keys: list[tuple[str, Any, str, str, str, str, int]] = []
        with central.admin() as admin:
            size = admin.execute(
                "SELECT pg_total_relation_size(inhrelid) FROM pg_inherits "
                "WHERE inhparent = 'till.entries'::regclass"
            ).fetchall()
            total_bytes = sum(r[0] for r in size)
            while len(keys) < args.lookups + 100:
                store = rng.choice(chosen)
                at = span_start + rng.randrange(365 * DAY_MS - DAY_MS)
                rows = admin.execute(
                    "SELECT reference, created_at, mobile_number, meter_number, serial_number "
                    "FROM till.entries WHERE store_id = %s "
                    "AND created_at >= timestamptz 'epoch' + %s * interval '1 ms' "
                    "ORDER BY created_at LIMIT 40",
                    (store, at),
                ).fetchall()
                found = [next((r[i] for r in rows if r[i]), None) for i in (2, 3, 4)]
                if rows and all(found):
                    day = at - at % DAY_MS
                    mobile, meter, serial = (str(value) for value in found)
                    keys.append((store, rows[0][1], rows[0][0], mobile, meter, serial, day))
        conns = {s: psycopg.connect(central.store_dsn(s), autocommit=True) for s in chosen}
        desks = {s: _desk(conns[s], s) for s in chosen}
        how = next(iter(desks.values()))[1]
        pk = (
            "SELECT reference, kind, state, request::text, response::text, amount, store_id, "
            "terminal_id, created_at FROM till.entries WHERE reference = %s AND created_at = %s"
        )
        times: dict[str, list[float]] = {n: [] for n in ("pk", "reference", "mobile", "meter")}
        times |= {"serial": [], "store day": []}
        found_rows: dict[str, list[int]] = {n: [] for n in times}
        clock = time.perf_counter
        for store, created, reference, mobile, meter, serial, day in keys:
            conn, desk = conns[store], desks[store][0]
            t0 = clock()
            rows = conn.execute(pk, (reference, created)).fetchall()
            times["pk"].append(clock() - t0)
            found_rows["pk"].append(len(rows))
            criteria: list[tuple[str, dict[str, Any]]] = [
                ("reference", {"reference": reference}),
                ("mobile", {"mobile": mobile}),
                ("meter", {"meter": meter}),
                ("serial", {"serial": serial}),
                ("store day", {"since_ms": day, "until_ms": day + DAY_MS}),
            ]
            for name, criterion in criteria:
                t0 = clock()
                rows = desk.search(**criterion)
                times[name].append(clock() - t0)
                found_rows[name].append(len(rows))
        for conn in conns.values():
            conn.close()
    for name in times:
        del times[name][:100]  # warm-up
        del found_rows[name][:100]
    header(f"central desk search: {args.entries:,} entries, 100 stores x 10 tills, 12 months")
    print(
        f"   built in {built:.0f} s (setup); table + indexes {total_bytes / 2**30:.2f} GiB; "
        f"logged in as 5 store logins (row-level security), {args.lookups} lookups of each, "
        f"interleaved, through {how}"
    )
    base = median(times["pk"])
    print(f"   {'':28} {'p50':>10} {'p99':>10} {'ratio p50':>10} {'rows':>6}")
    ok = True
    for name, samples in times.items():
        label = "bare PK lookup" if name == "pk" else f"by {name}"
        rows_mean = sum(found_rows[name]) / len(found_rows[name])
        p50, p99 = median(samples) * 1000, percentile(samples, 99) * 1000
        print(f"   {label:28} {p50:9.3f}ms {p99:9.3f}ms {p50 / base / 1000:9.1f}x {rows_mean:6.1f}")
    for name, samples in times.items():
        if name == "pk":
            continue
        p99 = percentile(samples, 99)
        good = p99 < TARGET_SEARCH_P99
        ok &= good
        print(target_line(f"desk search by {name} p99", f"{p99 * 1000:.2f} ms", "< 20 ms", good))
    return ok


# -- memory -------------------------------------------------------------------------------------


def peak_rss() -> int:
    """This process's peak resident set (bytes): VmHWM, the high-water mark of its own memory.
    (`ru_maxrss` is not used: Linux carries the parent's high-water mark over fork and exec,
    so a child spawned by a big parent would report the parent's figure.)"""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _memory_child(pipe: Pipe, path: str, dsn: str, key: bytes, batch: int) -> None:
    """Upload the whole backlog of one journal; report the peak RSS of this process."""
    up = Uploader(path, functools.partial(psycopg.connect, dsn), SealKey(key), store_id="S001",
                  terminal_id="T01", batch_size=batch)  # fmt: skip
    before = peak_rss()
    started = time.perf_counter()
    sent = 0
    with up:
        while True:
            result = up.step()
            sent += result.entries
            if not result.backlog:
                break
    pipe.send((sent, time.perf_counter() - started, before, peak_rss()))


def memory(args: argparse.Namespace, kinds: Sequence[Shape]) -> bool:
    results = {}
    with (
        tempfile.TemporaryDirectory(prefix="bench-central-") as tmp,
        running_central(["S001"]) as central,
    ):
        now = int(time.time() * 1000)
        for backlog in (args.memory_small, args.memory_backlog):
            path = Path(tmp) / f"backlog-{backlog}.db"
            print(f"   building a journal of {backlog:,} entries ...", flush=True)
            build_journal(path, kinds, "S001", "T01", backlog, 1, now - 20 * DAY_MS, 20 * DAY_MS)
            with central.admin() as admin:
                _empty(admin)
            parent, child = SPAWN.Pipe()
            key = SealKey.generate().key
            process = SPAWN.Process(
                target=_memory_child,
                args=(child, str(path), central.store_dsn("S001"), key, args.batch_size),
            )
            process.start()
            results[backlog] = parent.recv()
            process.join(60)
            path.unlink()
    header(f"central uploader memory: one till's backlog, batch {args.batch_size}")
    for backlog, (sent, elapsed, before, peak) in results.items():
        print(
            f"   backlog {backlog:>9,}: peak RSS {peak / 2**20:6.1f} MiB (after imports, before "
            f"the first step: {before / 2**20:.1f} MiB); sent {sent:,} in {elapsed:.1f} s "
            f"({sent / elapsed:,.0f}/s)"
        )
    small, large = results[args.memory_small][3], results[args.memory_backlog][3]
    ratio = large / small
    figure = f"{large / 2**20:.1f} MiB vs {small / 2**20:.1f} MiB ({ratio:.2f}x)"
    good = bool(ratio <= TARGET_MEMORY)
    print(
        target_line(
            f"uploader peak RSS, {args.memory_backlog:,} backlog vs {args.memory_small:,}",
            figure,
            f"<= {TARGET_MEMORY}x",
            good,
        )
    )
    return good


# -- main -----------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parts = ["ingest", "lag", "search", "memory", "all"]
    parser.add_argument("--part", choices=parts, default="all")
    parser.add_argument("--batch-size", type=int, default=500, help="the uploaders' batch_size")
    parser.add_argument("--seed", type=int, default=1)
    group = parser.add_argument_group("ingest")
    group.add_argument("--tills", type=int, default=100, help="tills (10 a store)")
    group.add_argument("--ingest-entries", type=int, default=100_000, help="entries in all")
    group.add_argument("--workers", type=int, default=2, help="uploader processes")
    group.add_argument("--rounds", type=int, default=3, help="rounds of each side")
    group.add_argument("--profile", action="store_true", help="cProfile one worker, one round")
    group = parser.add_argument_group("lag")
    group.add_argument("--lag-tills", type=int, default=1000)
    group.add_argument("--lag-rate", type=float, default=200.0, help="sales settled a second")
    group.add_argument("--lag-seconds", type=float, default=30.0, help="measured")
    group.add_argument("--lag-warmup", type=float, default=5.0, help="before measuring")
    group.add_argument("--flash-ms", type=int, default=300, help="from add to settle")
    group.add_argument("--lag-workers", type=int, default=2, help="uploader processes")
    group.add_argument("--lag-threads", type=int, default=4, help="threads a process")
    group.add_argument("--writers", type=int, default=4, help="processes selling")
    group.add_argument("--lag-interval", type=float, default=2.0, help="Uploader interval (s)")
    group.add_argument("--poll", type=float, default=0.05, help="Uploader poll (s)")
    group.add_argument("--watch-ms", type=int, default=10, help="the watcher's period")
    group = parser.add_argument_group("search")
    group.add_argument("--entries", type=int, default=1_000_000, help="central entries")
    group.add_argument("--lookups", type=int, default=1000, help="lookups of each kind")
    group = parser.add_argument_group("memory")
    group.add_argument("--memory-backlog", type=int, default=1_000_000)
    group.add_argument("--memory-small", type=int, default=10_000)
    args = parser.parse_args(argv)
    kinds = shapes()
    chosen = parts[:-1] if args.part == "all" else [args.part]
    runs: dict[str, Callable[[argparse.Namespace, list[Shape]], bool]] = {
        "ingest": ingest,
        "lag": lag,
        "search": search,
        "memory": memory,
    }
    for part in chosen:
        runs[part](args, kinds)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
