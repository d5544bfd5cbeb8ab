"""X/Z reports fit the printer's columns: every figure on one line of the narrowest roll (32
columns), and the paper's lines are the screen's lines at the same width."""

from __future__ import annotations

import pytest

from receipts import Row, render_bytes, render_text
from receipts.layout import row
from till.reports import CashierLine, KindLine, Report, ShiftCash, report_document
from till.reports.report import KIND_NAMES

T0 = 1_800_000_000_000
LINES = tuple(
    KindLine(kind, state, 1234, 123_456_789)
    for kind in sorted(KIND_NAMES)
    for state in ("approved", "declined", "in_doubt")
)
REPORT = Report(
    kind="Z",
    period_start=T0,
    period_end=T0 + 3_600_000,
    created_at=T0 + 3_600_000,
    lines=LINES,
    cashiers=(CashierLine("supervisor01", 1234, 123_456_789, 1_234_567, 12, 3, voids=1234),),
    shifts=(ShiftCash(7, "supervisor01", 50_000, 1_234_567, 40_000, 1_234_567, 1_200_000),),
    in_doubt_count=3,
    in_doubt_amount=7_500,
    refund_count=1,
    refund_amount=1_000,
    reprints=2,
    number=12,
    created_by="supervisor01",
    override_by="manager01",
    carried=LINES[:3],
    void_count=1234,
    void_amount=123_456_789,
)
DOCUMENT = report_document(REPORT, store_name="Spaza Corner Cafe", terminal_id="T1", copy=1)


@pytest.mark.parametrize("width", [32, 42, 48])
def test_every_figure_is_one_line(width: int) -> None:
    """`1Voucher disbursements approved x1234` and its amount broke over three lines at 32
    columns (and two at 42): the product now heads its own rows."""
    rows = [block for block in DOCUMENT.blocks if isinstance(block, Row)]
    assert len(rows) > len(LINES)
    for block in rows:
        if block.label == "Open entries overridden by":  # a name, not a figure
            continue
        assert len(row(block.label, block.value, width)) == 1, (width, block)
    text = render_text(DOCUMENT, width)
    assert all(len(line) <= width for line in text.splitlines())
    assert "1Voucher disbursements\napproved x1234" in text
    assert "Cash Out PIN voids\napproved x1234" in text and "Voids x1234" in text


@pytest.mark.parametrize(
    ("profile", "width"), [("POS-5890", 32), ("default", 42), ("TM-T20II", 48)]
)
def test_paper_says_what_the_screen_says(profile: str, width: int) -> None:
    data = render_bytes(DOCUMENT, profile)
    for line in render_text(DOCUMENT, width).splitlines():
        if line.strip() and not line.startswith("- "):  # the cut line is the screen's only
            assert line.strip().encode() + b"\n" in data, line
