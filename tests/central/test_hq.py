"""Head office's report over the fleet of `test_desk`: totals equal to the tills' journals, the
sales in doubt, the reprints per sale and the silent tills; and its CSV."""

from __future__ import annotations

import csv
import stat
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.central.test_desk import HOUR, Fleet, build_fleet
from tests.pg import CentralDb
from till.central.fleet import FleetReport
from till.central.hq import CSV_HEADER, fleet_report, write_csv
from till.clock import now_ms
from till.journal import Journal
from till.sandbox import Sandbox

DAY = 24 * HOUR


@pytest.fixture
async def fleet(central_db: CentralDb, tmp_path: Path, sandbox: Sandbox) -> AsyncIterator[Fleet]:
    yield await build_fleet(central_db, tmp_path, sandbox)


def report(fleet: Fleet, store: str | None = None, **kwargs: int) -> FleetReport:
    """The report of the last day, read with head office's login."""
    now = now_ms()
    with fleet.connect(None) as conn:
        return fleet_report(conn, since_ms=now - DAY, until_ms=now + HOUR, store=store, **kwargs)


def journal_totals(fleet: Fleet) -> dict[tuple[str, str, str, str], tuple[int, int]]:
    """(store, till, kind, state) -> (count, amount) from the journals themselves."""
    counts: Counter[tuple[str, str, str, str]] = Counter()
    amounts: Counter[tuple[str, str, str, str]] = Counter()
    for path in fleet.journals.values():
        with Journal.open(path) as journal:
            for entry in journal.search(limit=10_000):
                if entry.training:
                    continue
                key = (entry.store_id, entry.terminal_id, entry.kind, entry.state)
                counts[key] += 1
                amounts[key] += entry.amount or 0
    return {key: (counts[key], amounts[key]) for key in counts}


def test_totals_match_the_journals_and_training_never_counts(fleet: Fleet) -> None:
    found = report(fleet)
    totals = {
        (t.store_id, t.terminal_id, t.kind, t.state): (t.count, t.amount) for t in found.totals
    }
    assert totals == journal_totals(fleet)
    assert all(t.amount != 99_900 for t in found.totals)  # the training sale on A/T1
    assert found.store_totals() == {"A": (4, 5000 + 1200 + 10_000 + 7500), "B": (1, 2000)}


def test_one_store_and_a_period(fleet: Fleet) -> None:
    assert {t.store_id for t in report(fleet, "B").totals} == {"B"}
    with fleet.connect(None) as conn:
        empty = fleet_report(conn, since_ms=0, until_ms=fleet.started)
    assert empty.totals == () and empty.reprints == ()
    # A store's own login reads only its own store, whatever it asks for.
    now = now_ms()
    with fleet.connect("A") as conn:
        own = fleet_report(conn, since_ms=now - DAY, until_ms=now + HOUR)
    assert {t.store_id for t in own.totals} == {"A"}


def test_sales_in_doubt_longer_than_n_minutes(fleet: Fleet) -> None:
    """The in-doubt sale was made about an hour ago (the tills' clock)."""
    doubt = fleet.entry("a1_doubt")
    (listed,) = report(fleet, stale_minutes=30).in_doubt
    assert (listed.store_id, listed.terminal_id, listed.reference) == ("A", "T1", doubt.reference)
    assert (listed.kind, listed.state, listed.amount) == ("1voucher.purchase", "in_doubt", 7700)
    assert listed.created_at == doubt.created_at and 55 <= listed.age_minutes <= 24 * 60
    assert report(fleet, stale_minutes=24 * 60).in_doubt == ()


def test_reprints_per_sale_most_first(fleet: Fleet) -> None:
    desk = fleet.desk("A")
    voucher, till_reprinted = fleet.reference("a1_voucher"), fleet.reference("a2_voucher")
    for _ in range(3):
        desk.reprint(voucher, desk_terminal="DESK", cashier=None, approved_by=None, now_ms=now_ms())
    desk.reprint(till_reprinted, desk_terminal="DESK", cashier=None, approved_by=None,
                 now_ms=now_ms())  # fmt: skip
    found = report(fleet).reprints
    assert [(r.reference, r.copies) for r in found] == [(voucher, 3), (till_reprinted, 2)]
    assert (found[0].store_id, found[0].terminal_id, found[0].amount) == ("A", "T1", 5000)
    assert report(fleet, top=1).reprints[0].reference == voucher


def test_tills_not_heard_from(fleet: Fleet) -> None:
    assert report(fleet, silent_minutes=30).silent == ()
    later = now_ms() + 45 * 60_000
    with fleet.connect(None) as conn:
        found = fleet_report(
            conn, since_ms=0, until_ms=later, silent_minutes=30, now_ms=later
        ).silent
    assert {(s.store_id, s.terminal_id) for s in found} == {("A", "T1"), ("A", "T2"), ("B", "T1")}
    assert all(44 <= s.minutes <= 46 + 60 and s.backlog == 0 for s in found)


def test_csv_is_one_private_table(fleet: Fleet, tmp_path: Path) -> None:
    fleet.desk("A").reprint(fleet.reference("a1_voucher"), desk_terminal="DESK", cashier=None,
                            approved_by=None, now_ms=now_ms())  # fmt: skip
    found = report(fleet, stale_minutes=30)
    path = tmp_path / "hq.csv"
    path.write_text("old")
    path.chmod(0o644)
    lines = write_csv(found, path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    with path.open(newline="") as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == list(CSV_HEADER) and len(rows) == lines
    sections = Counter(row["section"] for row in rows)
    assert sections == {"total": len(found.totals), "in_doubt": 1, "reprints": 2}  # + T2 own
    total = sum(
        int(r["amount_cents"]) for r in rows if r["section"] == "total" and r["state"] == "approved"
    )
    assert total == 5000 + 1200 + 10_000 + 7500 + 2000
    (doubt,) = (r for r in rows if r["section"] == "in_doubt")
    assert doubt["reference"] == fleet.reference("a1_doubt") and doubt["time_utc"].endswith("Z")
    assert fleet.pin("a1_voucher") not in path.read_text()
