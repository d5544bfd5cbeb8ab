"""Shifts and X/Z reports: who sold what, and whether the cash drawer agrees."""

from till.reports.book import ReportBook, ReportError
from till.reports.report import (
    CashierLine,
    KindLine,
    Report,
    Shift,
    ShiftCash,
    build_report,
    report_csv,
    report_document,
    report_text,
)

__all__ = [
    "CashierLine",
    "KindLine",
    "Report",
    "ReportBook",
    "ReportError",
    "Shift",
    "ShiftCash",
    "build_report",
    "report_csv",
    "report_document",
    "report_text",
]
