"""X and Z reports: pure functions from journal entries and shifts to totals a manager reads.

An X report is a running total and changes nothing; a Z report closes the day, is numbered, and
is stored unchangeable. Both count only live sales (training never counts), show in-doubt sales
on their own line, and reconcile each shift's expected cash with what was counted.
"""

from __future__ import annotations

import csv
import io
import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from receipts import Cut, Document, Row, Rule, Text, Title, render_text
from till.clock import MINUTES_ZONE, format_local
from till.journal import Entry
from till.money import format_rands

#: Sales the customer pays for in cash at the till.
CASH_IN = frozenset(
    {
        "1voucher.purchase",
        "gift-voucher.purchase",
        "eezi-voucher.purchase",
        "cellular.pinless.purchase",
        "cash-out-pin.purchase",
        "prepaid-utilities.purchase",
    }
)
#: Voids (Flash's reversals) of sales the customer paid for: the cash goes back to them.
REVERSALS = frozenset({"1voucher.reverse", "cash-out-pin.reverse", "eezi-voucher.reverse"})
#: Cash the till pays out: a redeemed 1Voucher, a cancelled Cash Out PIN, a voided sale.
CASH_OUT = frozenset({"1voucher.redeem", "cash-out-pin.cancel"}) | REVERSALS
QUERIES = frozenset({"prepaid-utilities.lookup", "cash-out-pin.lookup"})

KIND_NAMES: dict[str, str] = {
    "1voucher.purchase": "1Voucher sales",
    "1voucher.disburse": "1Voucher disbursements",
    "1voucher.redeem": "1Voucher redemptions",
    "1voucher.refund": "1Voucher refunds",
    "gift-voucher.purchase": "Gift vouchers",
    "eezi-voucher.purchase": "Eezi vouchers",
    "cellular.pinless.purchase": "Airtime",
    "cash-out-pin.purchase": "Cash Out PINs",
    "cash-out-pin.cancel": "Cash Out cancels",
    "prepaid-utilities.purchase": "Electricity/water",
    "1voucher.reverse": "1Voucher voids",
    "cash-out-pin.reverse": "Cash Out PIN voids",
    "eezi-voucher.reverse": "Eezi voucher voids",
}


@dataclass(frozen=True)
class Shift:
    id: int
    cashier: str
    opened_at: int
    opening_float: int
    closed_at: int | None = None
    counted_cash: int | None = None
    closed_by: str | None = None


@dataclass(frozen=True)
class KindLine:
    kind: str
    state: str
    count: int
    amount: int


@dataclass(frozen=True)
class CashierLine:
    cashier: str
    sales: int
    sales_amount: int
    paid_out: int
    refunds: int
    in_doubt: int
    #: Voids approved (Flash's reversals): their cash is in `paid_out`.
    voids: int = 0


@dataclass(frozen=True)
class ShiftCash:
    shift_id: int
    cashier: str
    opening_float: int
    cash_in: int
    cash_out: int
    in_doubt_cash: int
    counted: int | None

    @property
    def expected(self) -> int:
        """Float, plus cash taken (in-doubt sales too: the customer paid), less cash paid out."""
        return self.opening_float + self.cash_in + self.in_doubt_cash - self.cash_out

    @property
    def difference(self) -> int | None:
        return None if self.counted is None else self.counted - self.expected


@dataclass(frozen=True)
class Report:
    kind: Literal["X", "Z"]
    period_start: int
    period_end: int
    created_at: int
    lines: tuple[KindLine, ...]
    cashiers: tuple[CashierLine, ...]
    shifts: tuple[ShiftCash, ...]
    in_doubt_count: int
    in_doubt_amount: int
    refund_count: int
    refund_amount: int
    reprints: int
    number: int | None = None
    created_by: str | None = None
    override_by: str | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)
    #: Sales made before this period, open at the last Z (it was overridden), that Flash has
    #: answered since: by kind and the state they settled in, so their money is reported once.
    carried: tuple[KindLine, ...] = ()
    #: Live references still open at `period_end` (this period's and carried ones): the next
    #: report after a Z carries them.
    open_at_close: tuple[str, ...] = ()
    #: Voids approved (Flash's reversals), and the cash they gave back (in each shift's paid out).
    void_count: int = 0
    void_amount: int = 0

    def to_json(self) -> str:
        return json.dumps(asdict(self), separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> Report:
        data: dict[str, Any] = json.loads(text)
        data["lines"] = tuple(KindLine(**line) for line in data["lines"])
        data["cashiers"] = tuple(CashierLine(**line) for line in data["cashiers"])
        data["shifts"] = tuple(ShiftCash(**line) for line in data["shifts"])
        data["notes"] = tuple(data.get("notes", ()))
        data["carried"] = tuple(KindLine(**line) for line in data.get("carried", ()))
        data["open_at_close"] = tuple(data.get("open_at_close", ()))
        return cls(**data)


def _settled_amount(entry: Entry) -> int:
    return entry.amount or 0


def _live(entries: Iterable[Entry]) -> list[Entry]:
    return [e for e in entries if not e.training and e.kind not in QUERIES]


def _state_at(entry: Entry, period_end: int) -> str:
    """An entry as it stood at `period_end`: one settled later is still in doubt there."""
    late = entry.settled_at is not None and entry.settled_at >= period_end
    return "in_doubt" if entry.is_open or late else entry.state


def _counts() -> defaultdict[tuple[str, str], list[int]]:
    """(kind, state) -> [count, amount]."""
    return defaultdict(lambda: [0, 0])


def _kind_lines(counts: dict[tuple[str, str], list[int]]) -> tuple[KindLine, ...]:
    return tuple(
        KindLine(k, state, count, amount) for (k, state), (count, amount) in sorted(counts.items())
    )


@dataclass
class _Tally:
    """The period's live entries counted: by kind and state, by cashier, and the totals."""

    by_kind: defaultdict[tuple[str, str], list[int]] = field(default_factory=_counts)
    #: cashier -> [sales, sales amount, paid out, refunds, in doubt, voids] (`CashierLine`).
    cashiers: defaultdict[str, list[int]] = field(
        default_factory=lambda: defaultdict(lambda: [0, 0, 0, 0, 0, 0])
    )
    in_doubt: list[int] = field(default_factory=lambda: [0, 0])
    refunds: list[int] = field(default_factory=lambda: [0, 0])
    voids: list[int] = field(default_factory=lambda: [0, 0])
    reprints: int = 0
    #: Live references still open at the period's end: the next report after a Z carries them.
    still_open: list[str] = field(default_factory=list)

    def add(self, entry: Entry, state: str) -> None:
        amount = _settled_amount(entry)
        line = self.by_kind[(entry.kind, state)]
        line[0] += 1
        line[1] += amount
        self.reprints += entry.reprint_count
        person = self.cashiers[entry.cashier or "-"]
        if state == "in_doubt":
            self.in_doubt[0] += 1
            self.in_doubt[1] += amount
            person[4] += 1
            self.still_open.append(entry.reference)
        elif state == "approved":
            self._add_approved(entry, amount, person)

    def _add_approved(self, entry: Entry, amount: int, person: list[int]) -> None:
        if entry.kind in CASH_IN:
            person[0] += 1
            person[1] += amount
        elif entry.kind in CASH_OUT:
            person[2] += amount
        if entry.kind == "1voucher.refund":
            self.refunds[0] += 1
            self.refunds[1] += amount
            person[3] += 1
        elif entry.kind in REVERSALS:
            self.voids[0] += 1
            self.voids[1] += amount
            person[5] += 1


def _shift_cash(shift: Shift, live: list[Entry], *, period_end: int, now: int) -> ShiftCash:
    """One shift's cash, over the whole shift: its cashier's live entries while it was open."""
    end = shift.closed_at if shift.closed_at is not None else now
    mine = [
        (e, _state_at(e, period_end))
        for e in live
        if e.cashier == shift.cashier and shift.opened_at <= e.created_at < end
    ]

    def cash(state: str, kinds: frozenset[str]) -> int:
        return sum(_settled_amount(e) for e, st in mine if st == state and e.kind in kinds)

    return ShiftCash(
        shift_id=shift.id,
        cashier=shift.cashier,
        opening_float=shift.opening_float,
        cash_in=cash("approved", CASH_IN),
        cash_out=cash("approved", CASH_OUT),
        in_doubt_cash=cash("in_doubt", CASH_IN),
        counted=shift.counted_cash,
    )


def _settled_since(
    carried: Iterable[Entry], period_end: int, still_open: list[str]
) -> dict[tuple[str, str], list[int]]:
    """Earlier sales open at the last Z that have settled since, by kind and state; the ones
    still open are added to `still_open`, to be carried on to the next report."""
    settled = _counts()
    for entry in _live(carried):
        state = _state_at(entry, period_end)
        if state == "in_doubt":
            still_open.append(entry.reference)
        else:
            line = settled[(entry.kind, state)]
            line[0] += 1
            line[1] += _settled_amount(entry)
    return settled


def build_report(
    entries: Iterable[Entry],
    shifts: Iterable[Shift],
    *,
    kind: Literal["X", "Z"],
    period_start: int,
    period_end: int,
    now: int,
    number: int | None = None,
    created_by: str | None = None,
    override_by: str | None = None,
    shift_entries: Iterable[Entry] | None = None,
    carried: Iterable[Entry] = (),
) -> Report:
    """Totals by kind and state, per cashier, per shift's cash; training entries never count.

    Every entry is taken as it stood at `period_end` (one settled later is still in doubt
    here), so a report is the same whenever it is computed and nothing is counted twice.
    A shift's cash is reckoned over the whole shift, from `shift_entries` (default: `entries`),
    because its drawer is counted once, at its close, whatever Z reports fell inside it.
    `carried` are earlier sales, open at the last Z, that have settled since.
    """
    live = _live(entries)
    shift_live = live if shift_entries is None else _live(shift_entries)
    tally = _Tally()
    for entry in live:
        tally.add(entry, _state_at(entry, period_end))
    cash = [_shift_cash(shift, shift_live, period_end=period_end, now=now) for shift in shifts]
    settled = _settled_since(carried, period_end, tally.still_open)
    return Report(
        kind=kind,
        number=number,
        period_start=period_start,
        period_end=period_end,
        created_at=now,
        lines=_kind_lines(tally.by_kind),
        cashiers=tuple(
            CashierLine(name, *values) for name, values in sorted(tally.cashiers.items())
        ),
        shifts=tuple(cash),
        in_doubt_count=tally.in_doubt[0],
        in_doubt_amount=tally.in_doubt[1],
        refund_count=tally.refunds[0],
        refund_amount=tally.refunds[1],
        void_count=tally.voids[0],
        void_amount=tally.voids[1],
        reprints=tally.reprints,
        created_by=created_by,
        override_by=override_by,
        carried=_kind_lines(settled),
        open_at_close=tuple(tally.still_open),
    )


def _when(ms: int) -> str:
    """A report's times in the till's zone, named: '2026-11-29 16:31 SAST'."""
    return format_local(ms, fmt=MINUTES_ZONE)


def report_document(
    report: Report, *, store_name: str, terminal_id: str, copy: int = 0
) -> Document:
    """The report as it prints on the receipt printer (and shows on screen)."""
    title = "X REPORT (running totals)" if report.kind == "X" else f"Z REPORT No {report.number}"
    blocks: list[Any] = []
    if copy:
        blocks.append(Text(f"COPY {copy}", "center", bold=True))
    blocks += [
        Title(store_name),
        Text(title, "center", bold=True),
        Row("Till", terminal_id),
        Row("From", _when(report.period_start) if report.period_start else "the first sale"),
        Row("To", _when(report.period_end)),
        Row("Printed", _when(report.created_at)),
    ]
    if report.created_by:
        blocks.append(Row("By", report.created_by))
    if report.override_by:
        blocks.append(Row("Open entries overridden by", report.override_by))
    blocks += [Rule(), Text("BY PRODUCT", bold=True), *_kind_rows(report.lines)]
    if not report.lines:
        blocks.append(Text("No transactions."))
    if report.carried:
        blocks += [Rule(), Text("SETTLED SINCE THE LAST Z", bold=True), Text("(sold before it)")]
        blocks += _kind_rows(report.carried)
    blocks += [
        Rule(),
        Row(f"IN DOUBT x{report.in_doubt_count}", format_rands(report.in_doubt_amount), bold=True),
        Row(f"Refunds x{report.refund_count}", format_rands(report.refund_amount)),
        Row(f"Voids x{report.void_count}", format_rands(report.void_amount)),
        Row("Reprints", str(report.reprints)),
        Rule(),
        Text("BY CASHIER", bold=True),
    ]
    for person in report.cashiers:  # the name on its own line: its figures fit 32 columns
        blocks += [
            Text(person.cashier),
            Row(f"Sales x{person.sales}", format_rands(person.sales_amount)),
        ]
        if person.paid_out:
            blocks.append(Row("Paid out", format_rands(person.paid_out)))
        if person.refunds or person.in_doubt:
            blocks.append(Row("Refunds / in doubt", f"{person.refunds} / {person.in_doubt}"))
        if person.voids:
            blocks.append(Row("Voids", str(person.voids)))
    blocks += [Rule(), Text("CASH", bold=True)]
    for shift in report.shifts:
        blocks += [
            Text(f"Shift {shift.shift_id} ({shift.cashier})"),
            Row("Float", format_rands(shift.opening_float)),
            Row("Cash in", format_rands(shift.cash_in)),
            Row("In doubt (taken)", format_rands(shift.in_doubt_cash)),
            Row("Paid out", format_rands(-shift.cash_out)),
            Row("Expected", format_rands(shift.expected), bold=True),
            Row("Counted", "not closed" if shift.counted is None else format_rands(shift.counted)),
        ]
        if shift.difference is not None:
            blocks.append(Row("Difference", format_rands(shift.difference), bold=True))
    if not report.shifts:
        blocks.append(Text("No shifts."))
    if copy:
        blocks.append(Text(f"COPY {copy}", "center", bold=True))
    blocks.append(Cut())
    return Document(tuple(blocks))


def _kind_rows(lines: Iterable[KindLine]) -> list[Any]:
    """Each product's name on its own line, then one row per state: `approved x12  R 1 234.56`
    fits one line of the narrowest printer (32 columns), where `1Voucher disbursements
    approved x12` and its amount broke over three."""
    blocks: list[Any] = []
    shown = None
    for line in lines:
        if line.kind != shown:
            blocks.append(Text(KIND_NAMES.get(line.kind, line.kind)))
            shown = line.kind
        state = line.state.replace("_", " ")
        blocks.append(Row(f"{state} x{line.count}", format_rands(line.amount)))
    return blocks


def report_text(report: Report, *, store_name: str, terminal_id: str, width: int = 42) -> str:
    return render_text(
        report_document(report, store_name=store_name, terminal_id=terminal_id), width
    )


def report_csv(report: Report) -> str:
    """One row per figure, so a spreadsheet can sum it; amounts in cents and rands."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["report", "number", "section", "item", "state", "count", "cents", "rands"])
    ident = [report.kind, "" if report.number is None else str(report.number)]

    def row(section: str, item: str, state: str, count: int | str, cents: int | None) -> None:
        rands = "" if cents is None else f"{cents / 100:.2f}"
        writer.writerow(
            [*ident, section, item, state, count, "" if cents is None else cents, rands]
        )

    for line in report.lines:
        row("product", line.kind, line.state, line.count, line.amount)
    for line in report.carried:
        row("settled since last Z", line.kind, line.state, line.count, line.amount)
    row("total", "in doubt", "in_doubt", report.in_doubt_count, report.in_doubt_amount)
    row("total", "refunds", "approved", report.refund_count, report.refund_amount)
    row("total", "voids", "approved", report.void_count, report.void_amount)
    row("total", "reprints", "", report.reprints, None)
    for person in report.cashiers:
        row("cashier", person.cashier, "sales", person.sales, person.sales_amount)
        row("cashier", person.cashier, "paid_out", "", person.paid_out)
    for shift in report.shifts:
        name = f"shift {shift.shift_id} {shift.cashier}"
        row("cash", name, "float", "", shift.opening_float)
        row("cash", name, "expected", "", shift.expected)
        row("cash", name, "counted", "", shift.counted)
        row("cash", name, "difference", "", shift.difference)
    return out.getvalue()
