"""Journal scale: lookups, the start-up recovery scan and bytes per entry at 1,000,000 entries.

A till keeps its journal for years; the service desk must still find a sale at once and a till
must still start at once. Rows are made from real engine sales against the in-process sandbox
(each kind's exact request bytes and stored response), with fresh references, PINs, serials,
mobile and meter numbers; a few are left open. Building the file is setup, not measured.

Measured through the Journal API: `get` by reference, `search(mobile_number=)` and
`search(meter_number=)` (p99 < 5 ms each), the start-up scan `Journal.open` + `open_entries()` +
`count_open()` (< 20 ms), and file bytes per entry (< 1.5 KB). Baseline: a bare `SELECT` of the
same columns by primary key on the same file, interleaved with the lookups.

Integrity checks, against a bare `sqlite3.connect` + `PRAGMA user_version` of the same file in
the same run: the header check alone, `Journal.open` (header, schema and the pages a new entry
is written to: every open), `Journal.open(check="full")` (adds `PRAGMA quick_check`: every page,
what a command that sells pays) warm, and cold after the file is evicted from the page cache,
and `PRAGMA integrity_check` (also cross-checks every index; not used by the till) warm.

    python -m bench.journal_scale [--entries 1000000] [--lookups 2000] [--path FILE]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import sqlite3
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench._common import header, median, ms, percentile, target_line
from till.flash import FlashClient
from till.journal import Check, Entry, Journal, storage
from till.journal.entry import COLUMNS
from till.sales import SaleEngine
from till.sandbox import DEFAULT_ACCOUNT, DEFAULT_API_KEY, Sandbox

TARGET_LOOKUP_P99 = 0.005
TARGET_STARTUP = 0.020
TARGET_BYTES = 1536
BATCH = 50_000
WARMUP = 100
#: Three years of trading, in milliseconds.
SPAN_MS = 3 * 365 * 24 * 3600 * 1000
START_MS = 1_700_000_000_000


@dataclass
class Template:
    """One kind of entry as the engine really wrote it, with its variable parts marked."""

    kind: str
    weight: float
    request: str
    response: str | None
    amount: int
    product_code: int | None
    has_mobile: bool
    has_meter: bool
    has_serial: bool


async def real_entries() -> list[tuple[Entry, float]]:
    """One real sale of each kind, through the engine, against the in-process sandbox."""
    sandbox = Sandbox(seed=7)
    with tempfile.TemporaryDirectory(prefix="bench-tpl-") as tmp:
        journal = Journal.open(Path(tmp) / "tpl.db")
        client = FlashClient(
            base_url="http://sandbox",
            api_key=DEFAULT_API_KEY,
            account_number=DEFAULT_ACCOUNT,
            transport=sandbox.transport(),
        )
        engine = SaleEngine(journal, client, store_id="S1", terminal_id="T1")
        sales: list[tuple[Any, float]] = [
            (engine.sell_1voucher(5000), 0.30),
            (engine.sell_airtime(400, "0821234567", 2000), 0.25),
            (engine.vend_utility("04040404040", 10000), 0.18),
            (engine.vend_utility("07070707070", 5000), 0.02),
            (engine.sell_gift_voucher(200, 10000), 0.05),
            (engine.sell_cash_out_pin(300, 20000), 0.05),
            (engine.redeem_1voucher("1111111111111111", 5000, mobile_number="0827654321"), 0.10),
            (engine.lookup_meter("04040404040", 5000), 0.05),
        ]
        entries = []
        for coroutine, weight in sales:
            outcome = await coroutine
            if outcome.status != "approved":
                raise RuntimeError(f"template sale {outcome.entry.kind} was {outcome.status}")
            entries.append((outcome.entry, weight))
        await client.aclose()
        journal.close()
    return entries


def mark(text: str, entry: Entry) -> str:
    """Replace each variable value in a request or response text by a marker."""
    response = entry.response or {}
    voucher = response.get("voucher") or {}
    pairs = [
        (entry.reference, "\x01REF\x01"),
        (str(voucher.get("pin", "")), "\x01PIN\x01"),
        (str(voucher.get("serialNumber", "")), "\x01SERIAL\x01"),
        (f'"transactionId":"{response.get("transactionId", "")}"', '"transactionId":"\x01TX\x01"'),
        (entry.mobile_number or "", "\x01MOBILE\x01"),
        (entry.meter_number or "", "\x01METER\x01"),
    ]
    for token in response.get("tokens") or []:
        pairs.append((str(token.get("token", "")), "\x01TOKEN\x01"))
    for value, marker in pairs:
        if value and value != '"transactionId":""':
            text = text.replace(value, marker)
    return text


def templates() -> list[Template]:
    result = []
    for entry, weight in asyncio.run(real_entries()):
        response = json.dumps(entry.response, separators=(",", ":")) if entry.response else None
        result.append(
            Template(
                kind=entry.kind,
                weight=weight,
                request=mark(entry.request.decode(), entry),
                response=mark(response, entry) if response else None,
                amount=entry.amount or 0,
                product_code=entry.product_code,
                has_mobile=entry.mobile_number is not None,
                has_meter=entry.meter_number is not None,
                has_serial=entry.serial_number is not None,
            )
        )
    return result


def _fill(text: str, values: dict[str, str]) -> str:
    for marker, value in values.items():
        text = text.replace(marker, value)
    return text


def rows(n: int, epoch: str, open_fraction: float, seed: int) -> Iterator[tuple[Any, ...]]:
    """Realistic journal rows: regular customers come back, a few entries are still open."""
    rng = random.Random(seed)
    kinds = templates()
    weights = [t.weight for t in kinds]
    regular_mobiles = [f"278{rng.randrange(10**7, 10**8)}" for _ in range(5_000)]
    regular_meters = [f"0{rng.randrange(10**9, 10**10)}" for _ in range(1_000)]
    serial = 300_000_000_000
    for i in range(1, n + 1):
        t = rng.choices(kinds, weights)[0]
        reference = f"S1-T1-{epoch}-{i}"
        created = START_MS + i * SPAN_MS // n
        mobile = (
            (
                rng.choice(regular_mobiles)
                if rng.random() < 0.8
                else f"278{rng.randrange(10**7, 10**8)}"
            )
            if t.has_mobile
            else None
        )
        meter = (
            (
                rng.choice(regular_meters)
                if rng.random() < 0.8
                else f"0{rng.randrange(10**9, 10**10)}"
            )
            if t.has_meter
            else None
        )
        roll = rng.random()
        values = {
            "\x01REF\x01": reference,
            "\x01MOBILE\x01": mobile or "",
            "\x01METER\x01": meter or "",
        }
        request = _fill(t.request, values).encode()
        serial_number = None
        if roll < open_fraction:
            state, response, code, error, settled = "in_doubt", None, None, "HTTP 503", None
            attempts, next_at = 3, created + 60_000
        elif roll < open_fraction + 0.02:
            state, response, code, error = "declined", None, 2204, "Amount out of range"
            settled, attempts, next_at = created + 900, 1, None
        else:
            serial += 1
            values["\x01PIN\x01"] = str(rng.randrange(10**15, 10**16))
            values["\x01SERIAL\x01"] = str(serial)
            values["\x01TX\x01"] = str(1_000_000 + i)
            values["\x01TOKEN\x01"] = str(rng.randrange(10**19, 10**20))
            response = _fill(t.response, values) if t.response else None
            state, code, error = "approved", 0, None
            settled, attempts, next_at = created + rng.randrange(400, 3000), 1, None
            serial_number = str(serial) if t.has_serial else None
        yield (
            reference,
            t.kind,
            state,
            request,
            response,
            code,
            attempts,
            error,
            t.amount,
            t.product_code,
            "S1",
            "T1",
            f"C{rng.randrange(1, 40):02d}",
            mobile,
            meter,
            serial_number,
            created,
            settled,
            1 if state == "approved" else 0,
            settled if state == "approved" else None,
            next_at,
            0 if t.kind.endswith("lookup") else 1,
        )


def build(path: Path, n: int, open_fraction: float, seed: int) -> float:
    """Create the journal with the till's own schema, then bulk-insert (setup: not measured)."""
    started = time.perf_counter()
    Journal.open(path).close()  # the real schema, migrations and sequence row
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = OFF")  # setup only; the measured opens use the Journal
    epoch = conn.execute("SELECT epoch FROM sequence WHERE id = 1").fetchone()[0]
    sql = (
        "INSERT INTO entries (reference, kind, state, request, response, response_code, "
        "attempts, last_error, amount, product_code, store_id, terminal_id, cashier, "
        "mobile_number, meter_number, serial_number, created_at, settled_at, print_count, "
        "last_printed_at, next_attempt_at, retryable) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
    )
    batch: list[tuple[Any, ...]] = []
    for row in rows(n, epoch, open_fraction, seed):
        batch.append(row)
        if len(batch) == BATCH:
            conn.execute("BEGIN")
            conn.executemany(sql, batch)
            conn.execute("COMMIT")
            batch.clear()
    if batch:
        conn.execute("BEGIN")
        conn.executemany(sql, batch)
        conn.execute("COMMIT")
    conn.execute("UPDATE sequence SET next = ? WHERE id = 1", (n + 1,))
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return time.perf_counter() - started


def file_bytes(path: Path) -> int:
    total = 0
    for suffix in ("", "-wal", "-shm"):
        candidate = Path(str(path) + suffix)
        if candidate.exists():
            total += candidate.stat().st_size
    return total


def evict(path: Path) -> None:
    """Drop the file's clean pages from the page cache (no root needed) for a cold open."""
    for suffix in ("", "-wal"):
        candidate = Path(str(path) + suffix)
        if candidate.exists():
            fd = os.open(candidate, os.O_RDONLY)
            try:
                os.fsync(fd)
                os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
            finally:
                os.close(fd)


def warm_cache(path: Path) -> None:
    """Read the whole file once so every run starts from the same, warm, page cache."""
    with open(path, "rb") as f:
        while f.read(1 << 22):
            pass


def startup(path: Path) -> tuple[float, int]:
    """What a till does at start: open the journal, find what is still open, count it."""
    started = time.perf_counter()
    journal = Journal.open(path)
    entries = journal.open_entries()
    count = journal.count_open()
    elapsed = time.perf_counter() - started
    journal.close()
    if count != len(entries):
        raise RuntimeError("count_open disagrees with open_entries")
    return elapsed, count


def _bare_open(path: Path) -> float:
    started = time.perf_counter()
    conn = sqlite3.connect(f"file:{path}?mode=rw", uri=True, isolation_level=None)
    conn.execute("PRAGMA user_version").fetchone()
    conn.close()
    return time.perf_counter() - started


def _timed_open(path: Path, check: Check) -> float:
    started = time.perf_counter()
    Journal.open(path, check=check).close()
    return time.perf_counter() - started


def _timed_header(path: Path) -> float:
    started = time.perf_counter()
    storage.check_header(path)
    return time.perf_counter() - started


def _timed_integrity(path: Path) -> float:
    conn = sqlite3.connect(f"file:{path}?mode=rw", uri=True, isolation_level=None)
    started = time.perf_counter()
    result = conn.execute("PRAGMA integrity_check").fetchone()[0]
    elapsed = time.perf_counter() - started
    conn.close()
    if result != "ok":
        raise RuntimeError(f"integrity_check: {result}")
    return elapsed


def checks(path: Path, args: argparse.Namespace) -> bool:
    """What each integrity check costs on this journal, as ratios to a bare open."""
    warm_cache(path)
    runs = max(1, args.check_runs)
    samples: dict[str, list[float]] = {"bare": [], "header": [], "fast": [], "full": []}
    for _ in range(args.startups):  # the cheap ones interleaved, many times
        samples["bare"].append(_bare_open(path))
        samples["header"].append(_timed_header(path))
        samples["fast"].append(_timed_open(path, "fast"))
    for _ in range(runs):
        samples["full"].append(_timed_open(path, "full"))
    integrity = _timed_integrity(path)
    evict(path)
    cold_full = _timed_open(path, "full")
    evict(path)
    cold_fast = _timed_open(path, "fast")
    base = median(samples["bare"])
    rows = [
        ("bare connect + user_version", base),
        ("header check (every open)", median(samples["header"])),
        ("Journal.open, fast (every open)", median(samples["fast"])),
        (f"Journal.open, full: quick_check ({runs} runs)", median(samples["full"])),
        ("PRAGMA integrity_check (1 run)", integrity),
        ("Journal.open, fast, cold cache", cold_fast),
        ("Journal.open, full, cold cache", cold_full),
    ]
    print(f"   integrity checks ({args.startups} runs of the cheap ones, warm unless said):")
    print(f"   {'':44} {'median':>12} {'ratio':>10}")
    for label, seconds in rows:
        print(f"   {label:44} {ms(seconds):>12} {seconds / base:9.1f}x")
    fast = median(samples["fast"])
    good = fast < TARGET_STARTUP
    print(target_line("Journal.open fast check (warm median)", ms(fast), "< 20 ms", good))
    return good


def run(args: argparse.Namespace) -> bool:
    with tempfile.TemporaryDirectory(prefix="bench-journal-", dir=args.tmpdir) as tmp:
        path = Path(args.path) if args.path else Path(tmp) / "journal.db"
        built = None
        if not path.exists():
            print(f"   building {args.entries:,} entries in {path} ...", flush=True)
            built = build(path, args.entries, args.open_fraction, args.seed)
        return measure(path, args, built)


def measure(path: Path, args: argparse.Namespace, built: float | None) -> bool:
    rng = random.Random(args.seed + 1)
    size = file_bytes(path)
    bare = sqlite3.connect(path, isolation_level=None)
    entries = int(bare.execute("SELECT COUNT(*) FROM entries").fetchone()[0])
    max_id = int(bare.execute("SELECT MAX(id) FROM entries").fetchone()[0])
    avg_req, avg_resp = bare.execute(
        "SELECT AVG(LENGTH(request)), AVG(LENGTH(response)) FROM entries"
    ).fetchone()

    # Warm: the file in the page cache, as on a till that has been running. Cold comes last.
    warm_cache(path)
    open_count = startup(path)[1]
    warm = [startup(path)[0] for _ in range(args.startups)]

    # Lookup keys: a random entry's reference, and the mobile / meter of a random entry that has
    # one (so regular customers, with many sales, are looked up as often as they come in).
    n = args.lookups + WARMUP  # the first WARMUP of each are not measured
    ids = [rng.randrange(1, max_id + 1) for _ in range(n)]

    def pick(column: str) -> list[str]:
        found: list[str] = []
        while len(found) < n:
            row = bare.execute(
                f"SELECT {column} FROM entries WHERE id = ?",  # noqa: S608 - constant column
                (rng.randrange(1, max_id + 1),),
            ).fetchone()
            if row and row[0]:
                found.append(row[0])
        return found

    references = [
        bare.execute("SELECT reference FROM entries WHERE id = ?", (i,)).fetchone()[0] for i in ids
    ]
    mobiles = pick("mobile_number")
    meters = pick("meter_number")

    journal = Journal.open(path)
    pk_sql = f"SELECT {COLUMNS} FROM entries WHERE id = ?"  # noqa: S608 - constant columns
    times: dict[str, list[float]] = {"pk": [], "get": [], "mobile": [], "meter": []}
    found: dict[str, list[int]] = {"mobile": [], "meter": []}
    clock = time.perf_counter
    for i in range(n):
        t0 = clock()
        bare.execute(pk_sql, (ids[i],)).fetchone()
        t1 = clock()
        entry = journal.get(references[i])
        t2 = clock()
        by_mobile = journal.search(mobile_number=mobiles[i])
        t3 = clock()
        by_meter = journal.search(meter_number=meters[i])
        t4 = clock()
        if entry is None:
            raise RuntimeError(f"{references[i]} not found")
        for key, value in (("pk", t1 - t0), ("get", t2 - t1), ("mobile", t3 - t2)):
            times[key].append(value)
        times["meter"].append(t4 - t3)
        found["mobile"].append(len(by_mobile))
        found["meter"].append(len(by_meter))
    journal.close()
    bare.close()
    for samples in times.values():
        del samples[:WARMUP]
    for counts in found.values():
        del counts[:WARMUP]
    evict(path)
    cold = startup(path)[0]

    header(f"journal scale: {entries:,} entries, {open_count} open")
    if built is not None:
        print(f"   built in {built:.1f} s (setup, not measured)")
    print(f"   average request {avg_req:.0f} B, stored response {avg_resp:.0f} B")
    per_entry = size / entries
    print(f"   file {size / 2**20:.1f} MiB = {per_entry:.0f} B per entry")
    print(
        f"   start-up (open + open_entries + count_open): cold {ms(cold)}, "
        f"warm median {ms(median(warm))}, warm max {ms(max(warm))} ({args.startups} runs)"
    )
    print(f"   {args.lookups} lookups of each, interleaved, after {WARMUP} unmeasured:")
    print(f"   {'':34} {'p50':>10} {'p99':>10} {'ratio p50':>10} {'rows':>6}")
    base = median(times["pk"])
    labels = {
        "pk": "bare SELECT by primary key",
        "get": "journal.get(reference)",
        "mobile": "journal.search(mobile_number=)",
        "meter": "journal.search(meter_number=)",
    }
    for key, label in labels.items():
        rows_note = f"{sum(found[key]) / len(found[key]):6.1f}" if key in found else f"{1:6.1f}"
        print(
            f"   {label:34} {ms(median(times[key])):>10} {ms(percentile(times[key], 99)):>10}"
            f" {median(times[key]) / base:9.1f}x {rows_note}"
        )
    ok = True
    for key in ("get", "mobile", "meter"):
        p99 = percentile(times[key], 99)
        good = p99 < TARGET_LOOKUP_P99
        ok &= good
        print(target_line(f"lookup {key} p99", ms(p99), "< 5 ms", good))
    good = median(warm) < TARGET_STARTUP
    ok &= good
    print(target_line("start-up scan (warm median)", ms(median(warm)), "< 20 ms", good))
    good = per_entry < TARGET_BYTES
    ok &= good
    print(target_line("bytes per entry", f"{per_entry:.0f} B", "< 1536 B", good))
    ok &= checks(path, args)
    return ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--lookups", type=int, default=2000, help="lookups of each kind")
    parser.add_argument("--startups", type=int, default=20, help="warm start-up scans")
    parser.add_argument(
        "--check-runs", type=int, default=3, help="warm Journal.open(check='full') runs"
    )
    parser.add_argument("--open-fraction", type=float, default=0.001, help="share left open")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--path", help="reuse (or build and keep) the journal at this path")
    parser.add_argument("--tmpdir", help="where to build a throw-away journal (default: TMPDIR)")
    args = parser.parse_args()
    run(args)


if __name__ == "__main__":
    main()
