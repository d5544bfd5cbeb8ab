"""Every till's journal at head office, exactly: a set check of the upload under fire.

Why: head office and the service desk trust the central ledger only if it is the union of the
tills' journals, every entry in its latest state and every reprint once, whatever happened on
the way. This runs several tills (each a `bench.chaos` driver in a child process, SIGKILLed and
restarted, selling against a faulty sandbox and printing now and then) while each till's
uploader (`till sync --follow`, a child process) is SIGKILLed at random, PostgreSQL is crashed
and restarted, and the network to it is cut for a while (a proxy in between drops every
connection and refuses new ones). Then everything heals (faults off, journals resolved, the
database back, one last `till sync`) and central is compared with the journals:

  lost        a journal entry (not training) central does not have
  stale       central holds an older version of an entry than the journal's latest
  duplicated  a reference central holds more than once, or one no journal has
  mismatch    same version, different content (state, counts, the sealed request or answer)
  reprints    journal reprints missing centrally / present more than once
  marks       head office's high-water marks not at the journal's latest

Each till's journal is also checked against what Flash committed (`bench.chaos.compare`).

    python -m bench.central_chaos --transactions 2000 [--tills 3] [--seed S]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import random
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg

from bench.chaos import ChaosReport, QuietFaults, compare, fault_plan, heal, run_drivers
from tests.central.pgserver import PgServer, throwaway_database
from till.central.schema import init_central, store_login
from till.central.seal import SealKey, generate_key_file, unseal_record
from till.journal import Journal
from till.journal.outbox import Outbox

REPO = Path(__file__).resolve().parents[1]
#: (store, terminal) of each till, in order; two stores so row-level security is in play.
TILL_IDS = (("S1", "T1"), ("S2", "T1"), ("S1", "T2"), ("S2", "T2"), ("S1", "T3"), ("S2", "T3"))
START_FLOAT = 1_000_000_000


# -- the network cut ---------------------------------------------------------------------------


class NetCut:
    """A TCP proxy to PostgreSQL that can drop every connection and refuse new ones for a while."""

    def __init__(self, upstream_port: int) -> None:
        self.upstream = ("127.0.0.1", upstream_port)
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._listener.getsockname()[1]
        self._cut_until = 0.0
        self._lock = threading.Lock()
        self._open: set[socket.socket] = set()
        self._closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def cut(self, seconds: float) -> None:
        """Drop every connection now; refuse new ones for `seconds`."""
        with self._lock:
            self._cut_until = time.monotonic() + seconds
            doomed, self._open = self._open, set()
        for sock in doomed:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def close(self) -> None:
        self._closed = True
        self.cut(0)
        self._listener.close()

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            if time.monotonic() < self._cut_until:
                client.close()
                continue
            try:
                server = socket.create_connection(self.upstream, timeout=5)
                server.settimeout(None)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._open |= {client, server}
            for a, b in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)


# -- the report --------------------------------------------------------------------------------


@dataclass
class UploadReport:
    """What one run found; `ok` only when central is exactly the union of the journals."""

    tills: int
    transactions: int
    journal_entries: int = 0
    training_entries: int = 0
    central_entries: int = 0
    journal_reprints: int = 0
    central_reprints: int = 0
    lost: int = 0
    stale: int = 0
    duplicated: int = 0
    mismatch: int = 0
    reprints_lost: int = 0
    reprints_duplicated: int = 0
    marks_behind: int = 0
    uploader_starts: int = 0
    uploader_kills: int = 0
    pg_crashes: int = 0
    cuts: int = 0
    flash_faults: dict[str, int] = field(default_factory=dict)
    flash: list[ChaosReport] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    elapsed: float = 0.0

    @property
    def flash_ok(self) -> bool:
        return all(report.ok for report in self.flash)

    @property
    def ok(self) -> bool:
        return (
            self.flash_ok
            and self.journal_entries > 0
            and self.lost == 0
            and self.stale == 0
            and self.duplicated == 0
            and self.mismatch == 0
            and self.reprints_lost == 0
            and self.reprints_duplicated == 0
            and self.marks_behind == 0
        )

    def lines(self) -> list[str]:
        """One `name: value` per line; never a PIN, token or password."""
        kills = sum(r.kills for r in self.flash)
        faults = ", ".join(f"{k}={v}" for k, v in sorted(self.flash_faults.items())) or "none"
        out = [
            f"tills: {self.tills}",
            f"transactions per till: {self.transactions}",
            f"journal_entries: {self.journal_entries} (training, never uploaded: "
            f"{self.training_entries})",
            f"central_entries: {self.central_entries}",
            f"journal_reprints: {self.journal_reprints}",
            f"central_reprints: {self.central_reprints}",
            f"till kills: {kills}; Flash faults: {sum(self.flash_faults.values())} ({faults})",
            f"uploader starts: {self.uploader_starts}, kills: {self.uploader_kills}",
            f"postgres crashes: {self.pg_crashes}, network cuts: {self.cuts}",
            f"lost: {self.lost}",
            f"stale: {self.stale}",
            f"duplicated: {self.duplicated}",
            f"mismatch: {self.mismatch}",
            f"reprints_lost: {self.reprints_lost}",
            f"reprints_duplicated: {self.reprints_duplicated}",
            f"marks_behind: {self.marks_behind}",
            "flash exactly-once per till: " + ("OK" if self.flash_ok else "FAIL"),
            f"elapsed: {self.elapsed:.1f} s",
        ]
        out += [f"problem: {p}" for p in self.problems[:20]]
        for report in self.flash:
            if not report.ok:
                out += [f"flash: {line}" for line in report.lines() if "problem" in line][:5]
        out.append("result: " + ("OK" if self.ok else "FAIL"))
        return out


# -- the tills and their uploaders -------------------------------------------------------------


@dataclass
class Till:
    store: str
    terminal: str
    journal: Path
    config: Path


def _write_config(
    directory: Path,
    store: str,
    terminal: str,
    port: int,
    dbname: str,
    password: str,
    key: Path,
    *,
    variant: str = "",
) -> Till:
    """A till's config: its journal, and head office at `port` as its store's login."""
    password_file = directory / f"{store}-{terminal}.password"
    password_file.write_text(password + "\n", encoding="utf-8")
    password_file.chmod(0o600)
    journal = directory / f"{store}-{terminal}.sqlite3"
    config = directory / f"{store}-{terminal}{variant}.toml"
    config.write_text(
        f'[till]\nstore_id = "{store}"\nterminal_id = "{terminal}"\n'
        f'[journal]\npath = "{journal}"\n'
        '[printer]\nkind = "none"\n'
        f"[central]\n"
        f'dsn = "host=127.0.0.1 port={port} dbname={dbname} user={store_login(store)}'
        ' connect_timeout=3"\n'
        f'password_file = "{password_file}"\n'
        f'key_file = "{key}"\n'
        "batch_size = 40\n"
        "interval = 0.1\n",
        encoding="utf-8",
    )
    return Till(store, terminal, journal, config)


def _sync_command(till: Till, *, follow: bool) -> list[str]:
    command = [sys.executable, "-m", "till", "--config", str(till.config), "sync"]
    return [*command, "--follow"] if follow else command


def _environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TILL_", "PG"))}
    env["TILL_FLASH__API_KEY"] = "chaos-not-used"  # sync never talks to Flash
    env["TILL_FLASH__ACCOUNT_NUMBER"] = "CHAOS"
    return env


def _uploader_loop(
    till: Till,
    report: UploadReport,
    stop: threading.Event,
    rng: random.Random,
    kill_range: tuple[float, float],
    log: Path,
) -> None:
    """`till sync --follow` for one till, SIGKILLed at random moments and started again."""
    while not stop.is_set():
        if not till.journal.exists():  # the driver has not made it yet
            stop.wait(0.05)
            continue
        report.uploader_starts += 1
        with log.open("ab") as sink:
            proc = subprocess.Popen(  # noqa: S603 - our own interpreter and module, fixed args
                _sync_command(till, follow=True),
                cwd=REPO,
                env=_environment(),
                stdout=sink,
                stderr=sink,
                stdin=subprocess.DEVNULL,
            )
        try:
            if stop.wait(rng.uniform(*kill_range)):
                break
            proc.send_signal(signal.SIGKILL)
            report.uploader_kills += 1
        finally:
            if proc.poll() is None:
                proc.kill()
            proc.wait()


def _database_chaos(
    server: PgServer,
    proxy: NetCut,
    report: UploadReport,
    stop: threading.Event,
    rng: random.Random,
    every: tuple[float, float],
) -> None:
    """A crash and restart of PostgreSQL, then a cut network, in turn, until told to stop."""
    while not stop.wait(rng.uniform(*every)):
        if report.cuts > report.pg_crashes:
            report.pg_crashes += 1
            server.restart("immediate")
        else:
            report.cuts += 1
            proxy.cut(rng.uniform(0.5, 2.0))


# -- the check ---------------------------------------------------------------------------------


def _central_rows(admin_dsn: str) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    with psycopg.connect(admin_dsn) as conn:
        entries = conn.execute(
            "SELECT reference, version, state, print_count, reprint_count, attempts, "
            "response_code, store_id, terminal_id, epoch, sealed FROM till.entries"
        ).fetchall()
        reprints = conn.execute(
            "SELECT store_id, terminal_id, epoch, origin_id, reference, copy FROM till.reprints "
            "WHERE origin = 'till'"
        ).fetchall()
    return entries, reprints


def compare_central(report: UploadReport, tills: list[Till], admin_dsn: str, key: SealKey) -> None:
    """Central against the union of the journals (see the module docstring for each count)."""
    central_entries, central_reprints = _central_rows(admin_dsn)
    report.central_entries = len(central_entries)
    report.central_reprints = len(central_reprints)
    counts = Counter(row[0] for row in central_entries)
    central = {row[0]: row for row in central_entries}
    expected: set[str] = set()
    reprint_keys: Counter[tuple[Any, ...]] = Counter(row[:4] for row in central_reprints)
    with psycopg.connect(admin_dsn) as conn:
        marks = {
            (row[0], row[1], row[2]): row[3:]
            for row in conn.execute(
                "SELECT store_id, terminal_id, epoch, entries_hwm, reprints_hwm, z_hwm "
                "FROM till.tills"
            ).fetchall()
        }
    for till in tills:
        with Outbox.open(till.journal) as outbox:
            epoch = outbox.epoch()
            latest = outbox.latest()
            if marks.get((till.store, till.terminal, epoch)) != (
                latest.entries,
                latest.reprints,
                latest.z_reports,
            ):
                report.marks_behind += 1
                report.problems.append(f"marks of {till.store}/{till.terminal} not at latest")
            for change in outbox.entries_after(0, 10**9):
                entry = change.entry
                report.journal_entries += 1
                if entry.training:
                    report.training_entries += 1
                    continue
                expected.add(entry.reference)
                row = central.get(entry.reference)
                if row is None:
                    report.lost += 1
                    report.problems.append(f"lost: {entry.reference}")
                    continue
                version = int(row[1])
                if version < change.change_no:
                    report.stale += 1
                    report.problems.append(f"stale: {entry.reference} v{version}")
                    continue
                sealed = unseal_record(key, entry.reference, row[10])
                same = (
                    version == change.change_no
                    and row[2:7]
                    == (
                        entry.state,
                        entry.print_count,
                        entry.reprint_count,
                        entry.attempts,
                        entry.response_code,
                    )
                    and row[7:10] == (till.store, till.terminal, epoch)
                    and sealed.request == entry.request
                    and sealed.response_json == entry.response_json
                )
                if not same:
                    report.mismatch += 1
                    report.problems.append(f"mismatch: {entry.reference}")
            for reprint in outbox.reprints_after(0, 10**9):
                report.journal_reprints += 1
                found = reprint_keys.pop((till.store, till.terminal, epoch, reprint.id), 0)
                if found == 0:
                    report.reprints_lost += 1
                    report.problems.append(f"reprint lost: {reprint.reference} copy {reprint.copy}")
                elif found > 1:
                    report.reprints_duplicated += found - 1
    report.reprints_duplicated += sum(reprint_keys.values())  # central reprints no journal has
    extra = [ref for ref in central if ref not in expected]
    report.duplicated = sum(n - 1 for n in counts.values()) + len(extra)
    report.problems += [f"not in any journal: {ref}" for ref in extra[:5]]


# -- the run -----------------------------------------------------------------------------------


def run_central_chaos(
    transactions: int,
    *,
    tills: int = 3,
    seed: int = 1,
    kill_every: tuple[float, float] = (0.3, 2.0),
    uploader_kill_every: tuple[float, float] = (0.3, 2.5),
    database_chaos_every: tuple[float, float] = (1.0, 4.0),
    fault_rate: float = 0.2,
    max_seconds: float = 3600.0,
) -> UploadReport:
    """The whole check: tills, uploaders and the database under fire; heal; compare."""

    if not 1 <= tills <= len(TILL_IDS):
        raise ValueError(f"tills must be 1..{len(TILL_IDS)}")
    quiet = QuietFaults()
    uvicorn_log = logging.getLogger("uvicorn.error")
    uvicorn_log.addFilter(quiet)
    try:
        return _run(
            transactions,
            tills,
            seed,
            kill_every,
            uploader_kill_every,
            database_chaos_every,
            fault_rate,
            max_seconds,
        )
    finally:
        uvicorn_log.removeFilter(quiet)


def _run(
    transactions: int,
    tills: int,
    seed: int,
    kill_every: tuple[float, float],
    uploader_kill_every: tuple[float, float],
    database_chaos_every: tuple[float, float],
    fault_rate: float,
    max_seconds: float,
) -> UploadReport:
    from till.sandbox import Sandbox, running_sandbox

    started = time.monotonic()
    report = UploadReport(tills=tills, transactions=transactions)
    rng = random.Random(seed)
    with tempfile.TemporaryDirectory(prefix="till-central-chaos-") as name:
        scratch = Path(name)
        dbname = "chaos"
        with throwaway_database(dbname) as server:
            passwords = {store: secrets.token_urlsafe(12) for store, _ in TILL_IDS[:tills]}
            with psycopg.connect(server.admin_dsn(dbname=dbname)) as conn:
                init_central(conn, stores=sorted(passwords.items()))
            key_path = scratch / "store.key"
            key = generate_key_file(key_path)
            proxy = NetCut(server.port)
            members = [
                _write_config(
                    scratch, store, terminal, proxy.port, dbname, passwords[store], key_path
                )
                for store, terminal in TILL_IDS[:tills]
            ]
            sandbox = Sandbox(seed=seed, float_cents=START_FLOAT)
            sandbox.faults.plan = fault_plan(fault_rate, seed)
            stop = threading.Event()
            with running_sandbox(sandbox) as base_url:
                flash = [ChaosReport(transactions=transactions) for _ in members]
                drivers = [
                    threading.Thread(
                        target=run_drivers,
                        args=(
                            flash[i],
                            till.journal,
                            base_url,
                            seed + i,
                            *kill_every,
                            started + max_seconds,
                            scratch / f"driver-{i}.log",
                            (till.store, till.terminal, "prints"),
                        ),
                    )
                    for i, till in enumerate(members)
                ]
                helpers = [
                    threading.Thread(
                        target=_uploader_loop,
                        args=(
                            till,
                            report,
                            stop,
                            random.Random(rng.random()),
                            uploader_kill_every,
                            scratch / f"sync-{i}.log",
                        ),
                    )
                    for i, till in enumerate(members)
                ]
                helpers.append(
                    threading.Thread(
                        target=_database_chaos,
                        args=(server, proxy, report, stop, random.Random(rng.random()),
                              database_chaos_every),
                    )
                )  # fmt: skip
                for thread in (*drivers, *helpers):
                    thread.start()
                for thread in drivers:
                    thread.join()
                stop.set()
                for thread in helpers:
                    thread.join()
                # Heal: Flash without faults, every journal resolved, the database back.
                report.flash_faults = dict(Counter(kind for _, kind in sandbox.faults.fired))
                sandbox.faults.clear()
                for i, till in enumerate(members):
                    asyncio.run(
                        heal(
                            till.journal,
                            base_url,
                            120.0,
                            flash[i],
                            store_id=till.store,
                            terminal_id=till.terminal,
                        )
                    )
                ledger = list(sandbox.ledger)
            proxy.close()
            server.start()
            for i, till in enumerate(members):
                prefix = f"{till.store}-{till.terminal}-"
                mine = [row for row in ledger if row.reference.startswith(prefix)]
                with Journal.open(till.journal) as journal:
                    compare(flash[i], journal, mine, -sum(row.float_delta for row in mine))
                direct = _write_config(
                    scratch,
                    till.store,
                    till.terminal,
                    server.port,
                    dbname,
                    passwords[till.store],
                    key_path,
                    variant="-direct",
                )
                _final_sync(direct, report)
            report.flash = flash
            compare_central(report, members, server.admin_dsn(dbname=dbname), key)
    report.elapsed = time.monotonic() - started
    return report


def _final_sync(till: Till, report: UploadReport) -> None:
    """One `till sync` (until caught up) straight to the database, no proxy in the way."""
    result = subprocess.run(  # noqa: S603 - our own interpreter and module, fixed args
        _sync_command(till, follow=False),
        cwd=REPO,
        env=_environment(),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if result.returncode != 0:
        report.problems.append(
            f"final sync of {till.store}/{till.terminal} exited {result.returncode}: "
            + " | ".join((result.stdout + result.stderr).strip().splitlines()[-3:])
        )


def main(argv: list[str] | None = None) -> int:
    summary = (__doc__ or "").split("\n")[0]
    parser = argparse.ArgumentParser(prog="python -m bench.central_chaos", description=summary)
    parser.add_argument("--transactions", type=int, default=2000, help="per till")
    parser.add_argument("--tills", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--fault-rate", type=float, default=0.2)
    args = parser.parse_args(argv)
    report = run_central_chaos(
        args.transactions, tills=args.tills, seed=args.seed, fault_rate=args.fault_rate
    )
    for line in report.lines():
        print(line)
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
