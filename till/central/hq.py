"""Head office's report over the central ledger: the fleet's takings by store, till, kind and
state; the sales in doubt a support desk works through; the sales reprinted most (a fraud
signal); and the tills head office has not heard from.

Training sales never reach the ledger (the uploader skips them), so they never count here.
Read-only, and never needs the store keys: nothing here shows a PIN or a token.
"""

from __future__ import annotations

import csv
import os
import stat
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from till.central.desk import OPEN_STATES_SQL, from_ms, to_ms
from till.central.fleet import Doubt, FleetReport, Reprinted, Silent, Total

if TYPE_CHECKING:
    import psycopg

__all__ = ["CSV_HEADER", "csv_rows", "fleet_report", "write_csv"]

#: How many of the most-reprinted sales the report lists.
TOP_REPRINTS = 20
#: The most in-doubt sales the report lists (oldest first): a support desk's day, not a dump.
MAX_DOUBTS = 1000


def _where(store: str | None, clauses: list[str], params: list[Any]) -> str:
    if store is not None:
        clauses.append("store_id = %s")
        params.append(store)
    return " AND ".join(clauses) or "true"


def _minutes(now_ms: int, then_ms: int) -> int:
    return max(0, (now_ms - then_ms) // 60_000)


def fleet_report(
    conn: psycopg.Connection[Any],
    *,
    since_ms: int,
    until_ms: int,
    store: str | None = None,
    stale_minutes: int = 30,
    silent_minutes: int = 30,
    now_ms: int | None = None,
    top: int = TOP_REPRINTS,
) -> FleetReport:
    """The report for [since_ms, until_ms), every store or one. The doubt and silence lists
    are as of `now_ms` (the database's clock when None), whatever the period."""
    if now_ms is None:
        found = conn.execute("SELECT now()").fetchone()
        now_ms = to_ms(found[0] if found else None) or 0
    period: list[Any] = [from_ms(since_ms), from_ms(until_ms)]
    where = _where(store, ["created_at >= %s", "created_at < %s"], period)
    totals = conn.execute(
        "SELECT store_id, terminal_id, kind, state, count(*), coalesce(sum(amount), 0) "  # noqa: S608
        f"FROM till.entries WHERE {where} GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4".encode(),
        period,
    ).fetchall()

    stale: list[Any] = [from_ms(now_ms - stale_minutes * 60_000)]
    where = _where(store, [OPEN_STATES_SQL, "created_at < %s"], stale)
    doubts = conn.execute(
        "SELECT store_id, terminal_id, reference, kind, state, amount, created_at "  # noqa: S608
        f"FROM till.entries WHERE {where} ORDER BY created_at LIMIT {MAX_DOUBTS}".encode(),
        stale,
    ).fetchall()

    printed: list[Any] = [from_ms(since_ms), from_ms(until_ms)]
    where = _where(store, ["printed_at >= %s", "printed_at < %s"], printed)
    reprinted = conn.execute(
        "WITH top AS (SELECT store_id, reference, count(*) AS copies, max(printed_at) AS last "  # noqa: S608
        f"FROM till.reprints WHERE {where} GROUP BY store_id, reference "
        "ORDER BY copies DESC, reference LIMIT %s) "
        "SELECT top.store_id, e.terminal_id, top.reference, e.kind, e.amount, top.copies, "
        "top.last FROM top LEFT JOIN LATERAL (SELECT terminal_id, kind, amount "
        "FROM till.entries WHERE reference = top.reference AND store_id = top.store_id "
        "LIMIT 1) e ON true ORDER BY top.copies DESC, top.reference".encode(),
        [*printed, top],
    ).fetchall()

    quiet: list[Any] = []
    where = _where(store, [], quiet)
    # A till whose journal was replaced has an old epoch's row that never moves again: a till
    # is as fresh as its newest row.
    silent = conn.execute(
        "SELECT store_id, terminal_id, max(last_seen), "  # noqa: S608
        "(array_agg(backlog ORDER BY last_seen DESC))[1] "
        f"FROM till.tills WHERE {where} GROUP BY store_id, terminal_id "
        "HAVING max(last_seen) < %s ORDER BY max(last_seen), store_id, terminal_id".encode(),
        [*quiet, from_ms(now_ms - silent_minutes * 60_000)],
    ).fetchall()

    return FleetReport(
        since_ms=since_ms,
        until_ms=until_ms,
        store=store,
        now_ms=now_ms,
        stale_minutes=stale_minutes,
        silent_minutes=silent_minutes,
        totals=tuple(Total(s, t, k, st, int(c), int(a)) for s, t, k, st, c, a in totals),
        in_doubt=tuple(
            Doubt(s, t, r, k, st, a, _ms(c), _minutes(now_ms, _ms(c)))
            for s, t, r, k, st, a, c in doubts
        ),
        reprints=tuple(
            Reprinted(s, t, r, k, a, int(n), _ms(last)) for s, t, r, k, a, n, last in reprinted
        ),
        silent=tuple(
            Silent(s, t, _ms(seen), _minutes(now_ms, _ms(seen)), int(b or 0))
            for s, t, seen, b in silent
        ),
    )


def _ms(moment: datetime) -> int:
    return to_ms(moment) or 0


# -- CSV -----------------------------------------------------------------------------------

#: One table for a spreadsheet: each line says which part of the report it belongs to.
CSV_HEADER = (
    "section",
    "store_id",
    "terminal_id",
    "kind",
    "state",
    "reference",
    "count",
    "amount_cents",
    "minutes",
    "time_utc",
)


def _utc(ms: int) -> str:
    return from_ms(ms).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _text(value: object) -> str:
    return "" if value is None else str(value)


def csv_rows(report: FleetReport) -> Iterator[list[str]]:
    for t in report.totals:
        yield ["total", t.store_id, t.terminal_id, t.kind, t.state, "", str(t.count),
               str(t.amount), "", ""]  # fmt: skip
    for d in report.in_doubt:
        yield ["in_doubt", d.store_id, d.terminal_id, d.kind, d.state, d.reference, "1",
               _text(d.amount), str(d.age_minutes), _utc(d.created_at)]  # fmt: skip
    for r in report.reprints:
        yield ["reprints", r.store_id, _text(r.terminal_id), _text(r.kind), "", r.reference,
               str(r.copies), _text(r.amount), "", _utc(r.last_printed_at)]  # fmt: skip
    for s in report.silent:
        yield ["silent", s.store_id, s.terminal_id, "", "", "", str(s.backlog), "",
               str(s.minutes), _utc(s.last_seen)]  # fmt: skip


def write_csv(report: FleetReport, path: Path | str) -> int:
    """Write the report as one CSV table (mode 0600: it names stores' sales); the lines
    written, header excluded."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    count = 0
    with open(fd, "w", newline="", encoding="utf-8") as out:  # closes fd whatever happens
        info = os.fstat(fd)
        if stat.S_ISREG(info.st_mode) and stat.S_IMODE(info.st_mode) & 0o077:
            os.fchmod(fd, 0o600)  # an older file, looser than this report should be
        writer = csv.writer(out)
        writer.writerow(CSV_HEADER)
        for row in csv_rows(report):
            writer.writerow(row)
            count += 1
    return count
