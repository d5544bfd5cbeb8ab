"""X and Z reports against a journal of known sales, made through the engine and the sandbox."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from receipts import render_text
from tests.support import make_engine
from till.flash import FlashClient
from till.journal import Journal, NewEntry
from till.reports import (
    CashierLine,
    KindLine,
    Report,
    ReportBook,
    ReportError,
    ShiftCash,
    report_csv,
    report_document,
    report_text,
)
from till.sales import SaleEngine
from till.sandbox import Fault, Sandbox

T0 = 1_800_000_000_000


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> int:
        return self.now

    def tick(self, ms: int = 1_000) -> int:
        self.now += ms
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


def pin_of(response: dict[str, Any] | None) -> str:
    assert response is not None
    return str(response["voucher"]["pin"])


@dataclass
class Day:
    book: ReportBook
    journal: Journal
    clock: Clock
    c1: SaleEngine
    c2: SaleEngine
    in_doubt: str


@pytest.fixture
async def day(journal: Journal, client: FlashClient, sandbox: Sandbox, clock: Clock) -> Day:
    """Two cashiers' shifts with every kind of line a report has."""
    book = ReportBook(journal)
    book.open_shift("c1", 50_000, now=clock())
    book.open_shift("c2", 20_000, now=clock())
    c1 = make_engine(journal, client, clock=clock, cashier="c1")
    c2 = make_engine(journal, client, clock=clock, cashier="c2")
    training = make_engine(journal, client, clock=clock, cashier="c1", training=True)

    clock.tick()
    voucher = await c1.sell_1voucher(10_000)
    clock.tick()
    airtime = await c1.sell_airtime(400, "082 123 4567", 2_900)
    clock.tick()
    gift = await c2.sell_gift_voucher(200, 5_000)
    clock.tick()
    declined = await c2.redeem_1voucher("2401240124012401", 0)
    clock.tick()
    redeemed = await c2.redeem_1voucher(pin_of(voucher.response), 4_000)
    clock.tick()
    refund = await c2.refund_1voucher(redeemed.reference, 1_000)
    clock.tick()
    lookup = await c1.lookup_meter("04040404040", 5_000)  # a query: never on a report
    clock.tick()
    sandbox.faults.inject(Fault("error_503", times=1))
    doubtful = await c1.sell_1voucher(7_500)
    clock.tick()
    practice = await training.sell_1voucher(99_900)
    assert [
        o.status for o in (voucher, airtime, gift, declined, redeemed, refund, lookup, practice)
    ] == ["approved"] * 3 + ["declined"] + ["approved"] * 4
    assert doubtful.status == "in_doubt"
    # the receipt, then one reprint (a copy)
    journal.record_print(voucher.reference, now=clock.tick())
    journal.record_print(voucher.reference, now=clock.tick(), copy=True)
    journal.record_print(practice.reference, now=clock.tick(), copy=True)  # training: never
    book.close_shift("c2", 20_500, closed_by="c2", now=clock.tick())
    clock.tick(60_000)
    return Day(book, journal, clock, c1, c2, doubtful.reference)


EXPECTED_LINES = (
    KindLine("1voucher.purchase", "approved", 1, 10_000),
    KindLine("1voucher.purchase", "in_doubt", 1, 7_500),
    KindLine("1voucher.redeem", "approved", 1, 4_000),
    KindLine("1voucher.redeem", "declined", 1, 0),
    KindLine("1voucher.refund", "approved", 1, 1_000),
    KindLine("cellular.pinless.purchase", "approved", 1, 2_900),
    KindLine("gift-voucher.purchase", "approved", 1, 5_000),
)


def test_x_report_totals(day: Day) -> None:
    report = day.book.x_report(now=day.clock())
    assert report.kind == "X" and report.number is None
    assert report.period_start == 0 and report.period_end == day.clock()
    assert report.lines == EXPECTED_LINES
    assert report.cashiers == (
        CashierLine("c1", sales=2, sales_amount=12_900, paid_out=0, refunds=0, in_doubt=1),
        CashierLine("c2", sales=1, sales_amount=5_000, paid_out=4_000, refunds=1, in_doubt=0),
    )
    assert (report.in_doubt_count, report.in_doubt_amount) == (1, 7_500)
    assert (report.refund_count, report.refund_amount) == (1, 1_000)
    assert report.reprints == 1
    c1, c2 = report.shifts
    assert c1 == ShiftCash(c1.shift_id, "c1", 50_000, 12_900, 0, 7_500, None)
    assert c1.expected == 50_000 + 12_900 + 7_500 and c1.difference is None
    assert c2 == ShiftCash(c2.shift_id, "c2", 20_000, 5_000, 4_000, 0, 20_500)
    assert c2.expected == 21_000 and c2.difference == -500


def test_training_never_counts(day: Day) -> None:
    report = day.book.x_report(now=day.clock())
    training = [e for e in day.journal.search(limit=100) if e.training]
    assert len(training) == 1 and training[0].reprint_count == 1
    assert all(line.amount != 99_900 for line in report.lines)
    assert sum(line.count for line in report.lines) == 7


def test_x_changes_nothing(day: Day) -> None:
    first = day.book.x_report(now=day.clock())
    second = day.book.x_report(now=day.clock())
    assert first == second
    assert day.journal.read("SELECT COUNT(*) FROM z_reports") == [(0,)]
    assert day.book.last_z() is None
    assert day.book.current_shift("c1") is not None  # shifts untouched too


def test_z_refused_while_in_doubt_then_allowed_with_override(day: Day) -> None:
    with pytest.raises(ReportError, match="1 transaction\\(s\\) are still in doubt"):
        day.book.z_report(now=day.clock(), created_by="sup")
    assert day.book.last_z() is None
    z = day.book.z_report(now=day.clock(), created_by="sup", override_by="boss")
    assert z.number == 1 and z.override_by == "boss" and z.created_by == "sup"
    assert z.notes == ("1 open at close",)
    assert z.lines == EXPECTED_LINES and z.in_doubt_count == 1
    assert day.journal.read("SELECT number, created_by, override_by FROM z_reports") == [
        (1, "sup", "boss")
    ]
    text = report_text(z, store_name="Shop", terminal_id="T1")
    assert "Open entries overridden by" in text and "boss" in text


async def test_z_allowed_once_in_doubt_is_settled(day: Day) -> None:
    resolved = await day.c1.resolve(all_open=True)
    assert resolved.approved == [day.in_doubt]
    z = day.book.z_report(now=day.clock.tick(), created_by="sup")
    assert z.override_by is None and z.notes == ()
    assert z.in_doubt_count == 0
    assert KindLine("1voucher.purchase", "approved", 2, 17_500) in z.lines
    assert z.shifts[0].cash_in == 12_900 + 7_500 and z.shifts[0].in_doubt_cash == 0


async def test_z_numbering_and_periods_chain(
    journal: Journal, client: FlashClient, clock: Clock
) -> None:
    book = ReportBook(journal)
    engine = make_engine(journal, client, clock=clock, cashier="c1")
    await engine.sell_1voucher(1_000)
    z1 = book.z_report(now=clock.tick(), created_by="sup")
    clock.tick()
    await engine.sell_1voucher(2_000)
    await engine.sell_1voucher(3_000)
    z2 = book.z_report(now=clock.tick(), created_by="sup")
    z3 = book.z_report(now=clock.tick(), created_by="boss")
    assert [z.number for z in (z1, z2, z3)] == [1, 2, 3]
    assert z1.period_start == 0
    assert z2.period_start == z1.period_end and z3.period_start == z2.period_end
    assert z1.lines == (KindLine("1voucher.purchase", "approved", 1, 1_000),)
    assert z2.lines == (KindLine("1voucher.purchase", "approved", 2, 5_000),)
    assert z3.lines == ()
    assert book.last_z() == (3, z3.period_end)
    assert book.x_report(now=clock.tick()).period_start == z3.period_end


async def test_an_entry_in_the_zs_millisecond_counts_once(
    journal: Journal, client: FlashClient, clock: Clock
) -> None:
    book = ReportBook(journal)
    engine = make_engine(journal, client, clock=clock, cashier="c1")
    await engine.sell_1voucher(1_000)  # created at exactly the Z's instant
    z1 = book.z_report(now=clock(), created_by="sup")
    z2 = book.z_report(now=clock.tick(), created_by="sup")
    counted = sum(line.count for z in (z1, z2) for line in z.lines)
    assert counted == 1


def test_stored_z_cannot_change_and_reads_back_identical(day: Day, tmp_path: Path) -> None:
    z = day.book.z_report(now=day.clock(), created_by="sup", override_by="boss")
    conn = sqlite3.connect(day.journal.path)
    try:
        for sql in (
            "UPDATE z_reports SET body = '{}' WHERE number = 1",
            "UPDATE z_reports SET created_by = 'someone' WHERE number = 1",
            "UPDATE z_reports SET period_end = 0",
            "UPDATE z_reports SET override_by = NULL",
        ):
            with pytest.raises(sqlite3.DatabaseError, match="cannot be changed"):
                conn.execute(sql)
        with pytest.raises(sqlite3.DatabaseError, match="cannot be deleted"):
            conn.execute("DELETE FROM z_reports")
    finally:
        conn.close()
    day.clock.tick()
    day.book.open_shift("c2", 1_000, now=day.clock.tick())  # life goes on
    stored, printed = day.book.z(1)
    assert stored == z and printed == 0
    assert day.book.count_z_print(1) == 1 and day.book.count_z_print(1) == 2
    assert day.book.z(1) == (z, 2)
    copy = render_text(report_document(z, store_name="Shop", terminal_id="T1", copy=2), 42)
    assert copy.count("COPY 2") == 2
    with pytest.raises(ReportError, match="no Z report number 9"):
        day.book.z(9)


def test_report_csv_parses_and_sums(day: Day) -> None:
    report = day.book.x_report(now=day.clock())
    rows = list(csv.DictReader(io.StringIO(report_csv(report))))
    assert rows[0].keys() == {
        "report",
        "number",
        "section",
        "item",
        "state",
        "count",
        "cents",
        "rands",
    }
    assert {row["report"] for row in rows} == {"X"}
    products = [row for row in rows if row["section"] == "product"]
    assert len(products) == len(EXPECTED_LINES)
    assert sum(int(row["cents"]) for row in products) == sum(x.amount for x in EXPECTED_LINES)
    assert sum(int(row["count"]) for row in products) == 7
    approved_in = sum(
        int(row["cents"])
        for row in products
        if row["state"] == "approved" and row["item"].endswith(".purchase")
    )
    sales = [row for row in rows if row["section"] == "cashier" and row["state"] == "sales"]
    assert sum(int(row["cents"]) for row in sales) == approved_in == 17_900
    for row in rows:
        if row["cents"]:
            assert f"{int(row['cents']) / 100:.2f}" == row["rands"]
    cash = {(row["item"], row["state"]): row["cents"] for row in rows if row["section"] == "cash"}
    c2 = next(name for name, _ in cash if name.endswith(" c2"))
    assert cash[(c2, "expected")] == "21000" and cash[(c2, "difference")] == "-500"
    c1 = next(name for name, _ in cash if name.endswith(" c1"))
    assert cash[(c1, "counted")] == "" and cash[(c1, "difference")] == ""
    (doubt,) = [row for row in rows if row["item"] == "in doubt"]
    assert (doubt["count"], doubt["cents"]) == ("1", "7500")


def _check_width(report: Report) -> None:
    for name in ("Shop", "A Very Long Store Name That Goes On And On (Pty) Ltd"):
        text = report_text(report, store_name=name, terminal_id="TERMINAL-000042")
        assert text.strip()
        for line in text.splitlines():
            assert len(line) <= 42, line


def test_report_text_fits_42_columns(day: Day) -> None:
    x = day.book.x_report(now=day.clock())
    _check_width(x)
    text = report_text(x, store_name="Shop", terminal_id="T1")
    assert "IN DOUBT x1" in text and "R 75.00" in text and "Difference" in text
    assert "X REPORT" in text
    z = day.book.z_report(now=day.clock(), created_by="supervisor01", override_by="manager01")
    _check_width(z)
    assert "Z REPORT No 1" in report_text(z, store_name="Shop", terminal_id="T1")


def test_an_empty_day(journal: Journal, clock: Clock) -> None:
    book = ReportBook(journal)
    x = book.x_report(now=clock())
    assert x.lines == () and x.cashiers == () and x.shifts == () and x.reprints == 0
    _check_width(x)
    assert "No transactions." in report_text(x, store_name="S", terminal_id="T")


def test_shifts(journal: Journal, clock: Clock) -> None:
    book = ReportBook(journal)
    opened = book.open_shift("c1", 10_000, now=clock())
    with pytest.raises(ReportError, match="already has an open shift"):
        book.open_shift("c1", 10_000, now=clock.tick())
    with pytest.raises(ReportError, match="negative"):
        book.open_shift("c2", -1, now=clock.tick())
    with pytest.raises(ReportError, match="no open shift"):
        book.close_shift("c2", 0, closed_by="c2", now=clock.tick())
    closed = book.close_shift("c1", 9_000, closed_by="sup", now=clock.tick())
    assert closed.id == opened.id and closed.counted_cash == 9_000 and closed.closed_by == "sup"
    assert book.current_shift("c1") is None
    assert book.open_shift("c1", 5_000, now=clock.tick()).id != opened.id


async def test_a_shift_across_a_z_is_reckoned_over_the_whole_shift(
    journal: Journal, client: FlashClient, clock: Clock
) -> None:
    """A drawer is counted once, at the shift's close: a Z inside the shift must not make the
    cash sold before it vanish from what the drawer should hold (a false shortage)."""
    book = ReportBook(journal)
    book.open_shift("c1", 50_000, now=clock())
    engine = make_engine(journal, client, clock=clock, cashier="c1")
    clock.tick()
    await engine.sell_1voucher(10_000)
    z1 = book.z_report(now=clock.tick(), created_by="sup")
    (open_shift,) = z1.shifts
    assert open_shift.expected == 60_000 and open_shift.counted is None
    clock.tick()
    await engine.sell_1voucher(5_000)
    book.close_shift("c1", 65_000, closed_by="sup", now=clock.tick())
    z2 = book.z_report(now=clock.tick(), created_by="sup")
    assert z2.lines == (KindLine("1voucher.purchase", "approved", 1, 5_000),)  # its period only
    (closed,) = z2.shifts
    assert (closed.cash_in, closed.expected, closed.difference) == (15_000, 65_000, 0)


async def test_sales_open_at_an_overridden_z_are_reported_once_they_settle(
    journal: Journal, client: FlashClient, sandbox: Sandbox, clock: Clock
) -> None:
    book = ReportBook(journal)
    engine = make_engine(journal, client, clock=clock, cashier="c1")
    sandbox.faults.inject(Fault("error_503", times=1))
    doubtful = await engine.sell_1voucher(7_500)
    assert doubtful.status == "in_doubt"
    z1 = book.z_report(now=clock.tick(), created_by="sup", override_by="boss")
    assert z1.open_at_close == (doubtful.reference,) and z1.carried == ()
    assert KindLine("1voucher.purchase", "in_doubt", 1, 7_500) in z1.lines
    assert book.x_report(now=clock.tick()).carried == ()  # still open: nothing to carry yet
    clock.tick()
    assert (await engine.resolve(all_open=True)).approved == [doubtful.reference]
    settled = (KindLine("1voucher.purchase", "approved", 1, 7_500),)
    x = book.x_report(now=clock.tick())
    assert x.lines == () and x.carried == settled
    z2 = book.z_report(now=clock.tick(), created_by="sup")  # nothing open: no override needed
    assert z2.carried == settled and z2.open_at_close == ()
    assert book.z(2)[0] == z2  # stored with it
    text = report_text(z2, store_name="Shop", terminal_id="T1")
    assert "SETTLED SINCE THE LAST Z" in text and "R 75.00" in text
    rows = list(csv.reader(io.StringIO(report_csv(z2))))
    assert [
        "Z",
        "2",
        "settled since last Z",
        "1voucher.purchase",
        "approved",
        "1",
        "7500",
        "75.00",
    ] in rows
    z3 = book.z_report(now=clock.tick(), created_by="sup")
    assert z3.carried == ()  # reported once


async def test_a_sale_settled_in_the_zs_millisecond_counts_once(
    journal: Journal, client: FlashClient, sandbox: Sandbox, clock: Clock
) -> None:
    """Each report takes entries as they stood at its end: an answer that lands in the very
    millisecond of the Z (or while it is being made) is the next report's, never both."""
    book = ReportBook(journal)
    engine = make_engine(journal, client, clock=clock, cashier="c1")
    sandbox.faults.inject(Fault("error_503", times=1))
    doubtful = await engine.sell_1voucher(7_500)
    clock.tick()
    assert (await engine.resolve(all_open=True)).approved == [doubtful.reference]
    z1 = book.z_report(now=clock(), created_by="sup")  # settled_at == the Z's instant
    assert KindLine("1voucher.purchase", "in_doubt", 1, 7_500) in z1.lines
    assert z1.open_at_close == (doubtful.reference,) and z1.notes == ("1 open at close",)
    z2 = book.z_report(now=clock.tick(), created_by="sup")
    assert z2.lines == () and z2.carried == (KindLine("1voucher.purchase", "approved", 1, 7_500),)
    approved = [line for z in (z1, z2) for line in z.lines + z.carried if line.state == "approved"]
    assert len(approved) == 1


def test_a_z_stored_before_the_open_list_existed_still_carries_its_open_sales(
    journal: Journal, clock: Clock
) -> None:
    """A Z from before this version, closed over an open sale with an override: the next report
    finds what was open at its close from the journal itself."""
    sale = journal.add(
        NewEntry(
            kind="1voucher.purchase",
            build_request=lambda ref: b"{}",
            store_id="S1",
            terminal_id="T1",
            amount=2_000,
        ),
        now=clock(),
    )
    closed_at = clock.tick()
    old_body = json.dumps(  # the fields a Z had before, and nothing else
        {
            "kind": "Z", "period_start": 0, "period_end": closed_at, "created_at": closed_at,
            "lines": [], "cashiers": [], "shifts": [], "in_doubt_count": 1,
            "in_doubt_amount": 2000, "refund_count": 0, "refund_amount": 0, "reprints": 0,
            "number": 1, "created_by": "sup", "override_by": "boss",
            "notes": ["1 open at close"],
        }
    )  # fmt: skip
    with journal.transaction() as conn:
        conn.execute(
            "INSERT INTO z_reports (number, created_at, period_start, period_end, created_by, "
            "override_by, body) VALUES (1, ?, 0, ?, 'sup', 'boss', ?)",
            (closed_at, closed_at, old_body),
        )
    book = ReportBook(journal)
    assert book.x_report(now=clock.tick()).carried == ()  # still open
    journal.settle(sale.reference, "approved", now=clock.tick(), response='{"amount": 2000}')
    x = book.x_report(now=clock.tick())
    assert x.carried == (KindLine("1voucher.purchase", "approved", 1, 2_000),)


def test_a_z_stored_before_carried_lines_existed_reads_back() -> None:
    body = (
        '{"kind":"Z","period_start":0,"period_end":5,"created_at":5,"lines":[],"cashiers":[],'
        '"shifts":[],"in_doubt_count":0,"in_doubt_amount":0,"refund_count":0,"refund_amount":0,'
        '"reprints":0,"number":1,"created_by":"sup","override_by":null,"notes":[]}'
    )
    report = Report.from_json(body)
    assert report.carried == () and report.open_at_close == () and report.number == 1


def test_a_shift_closed_in_the_zs_millisecond_is_on_that_z_alone(
    journal: Journal, clock: Clock
) -> None:
    book = ReportBook(journal)
    book.open_shift("c1", 10_000, now=clock())
    book.close_shift("c1", 10_000, closed_by="c1", now=clock.tick())
    z1 = book.z_report(now=clock(), created_by="sup")
    z2 = book.z_report(now=clock.tick(), created_by="sup")
    assert [s.cashier for s in z1.shifts] == ["c1"] and z2.shifts == ()


async def test_voids_have_their_own_line_and_give_the_cash_back(
    journal: Journal, client: FlashClient, sandbox: Sandbox, clock: Clock
) -> None:
    """A void (Flash's reversal) is paid out like a cancel: the customer gets the sale's money
    back. Its own product line, a "Voids" total, the cashier's count; a declined one moves none."""
    book = ReportBook(journal)
    book.open_shift("c1", 10_000, now=clock())
    c1 = make_engine(journal, client, clock=clock, cashier="c1")
    clock.tick()
    sold = await c1.sell_1voucher(5_000)
    clock.tick()
    cash_out = await c1.sell_cash_out_pin(300, 20_000)
    clock.tick()
    void = await c1.reverse_sale(sold.reference, reason="wrong amount")
    clock.tick()
    redeemed = await c1.sell_1voucher(8_000)
    clock.tick()
    assert (await c1.redeem_1voucher(pin_of(redeemed.response), 8_000)).status == "approved"
    clock.tick()
    refused = await c1.reverse_sale(redeemed.reference, reason="too late")
    clock.tick()
    void_cash_out = await c1.reverse_sale(cash_out.reference, reason="customer changed mind")
    assert (void.status, refused.status, void_cash_out.status) == (
        "approved", "declined", "approved",
    )  # fmt: skip
    book.close_shift("c1", 18_000, closed_by="c1", now=clock.tick())

    report = book.x_report(now=clock.tick())
    lines = {(line.kind, line.state): (line.count, line.amount) for line in report.lines}
    assert lines[("1voucher.reverse", "approved")] == (1, 5_000)
    assert lines[("1voucher.reverse", "declined")] == (1, 8_000)
    assert lines[("cash-out-pin.reverse", "approved")] == (1, 20_000)
    assert (report.void_count, report.void_amount) == (2, 25_000)
    (person,) = report.cashiers
    assert (person.sales, person.sales_amount, person.voids) == (3, 33_000, 2)
    assert person.paid_out == 8_000 + 25_000  # the redemption and the two voids
    (shift,) = report.shifts
    assert (shift.cash_in, shift.cash_out) == (33_000, 33_000)
    assert shift.expected == 10_000 and shift.difference == 8_000

    text = report_text(report, store_name="Corner Shop", terminal_id="T1", width=32)
    assert "1Voucher voids" in text and "Cash Out PIN voids" in text
    assert "Voids x2" in text and "R 250.00" in text
    rows = list(csv.reader(io.StringIO(report_csv(report))))
    assert ["X", "", "total", "voids", "approved", "2", "25000", "250.00"] in rows
    # a Z keeps them, and reads back the same
    z = book.z_report(now=clock.tick(), created_by="sup")
    assert (z.void_count, z.void_amount) == (2, 25_000)
    assert Report.from_json(z.to_json()) == z
