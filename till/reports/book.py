"""Shifts and Z reports, kept in the till's journal file beside the sales they account for."""

from __future__ import annotations

import dataclasses
import json
import sqlite3

from till.journal import Entry, Journal
from till.reports.report import Report, Shift, build_report

_SHIFT_COLUMNS = "id, cashier, opened_at, opening_float, closed_at, counted_cash, closed_by"


class ReportError(Exception):
    """A shift or report action that cannot be done; the message says why and what to do."""


class ReportBook:
    """Opens and closes shifts, and makes X and Z reports from one till's journal."""

    def __init__(self, journal: Journal) -> None:
        self.journal = journal

    # -- shifts --------------------------------------------------------------------------------

    def _shifts(self, where: str, params: tuple[object, ...] = ()) -> list[Shift]:
        rows = self.journal.read(
            f"SELECT {_SHIFT_COLUMNS} FROM shifts WHERE {where} ORDER BY id",
            params,
        )
        return [Shift(*row) for row in rows]

    def open_shift(self, cashier: str, opening_float: int, *, now: int) -> Shift:
        if opening_float < 0:
            raise ReportError("the opening float cannot be negative")
        try:
            with self.journal.transaction() as conn:
                conn.execute(
                    "INSERT INTO shifts (cashier, opened_at, opening_float) VALUES (?, ?, ?)",
                    (cashier, now, opening_float),
                )
        except sqlite3.IntegrityError:
            raise ReportError(f"{cashier} already has an open shift: close it first") from None
        shift = self.current_shift(cashier)
        assert shift is not None
        return shift

    def current_shift(self, cashier: str) -> Shift | None:
        found = self._shifts("cashier = ? AND closed_at IS NULL", (cashier,))
        return found[0] if found else None

    def close_shift(self, cashier: str, counted_cash: int, *, closed_by: str, now: int) -> Shift:
        if counted_cash < 0:
            raise ReportError("counted cash cannot be negative")
        shift = self.current_shift(cashier)
        if shift is None:
            raise ReportError(f"{cashier} has no open shift")
        with self.journal.transaction() as conn:
            conn.execute(
                "UPDATE shifts SET closed_at = ?, counted_cash = ?, closed_by = ? WHERE id = ?",
                (now, counted_cash, closed_by, shift.id),
            )
        return self._shifts("id = ?", (shift.id,))[0]

    def shifts_in(self, start: int, end: int) -> list[Shift]:
        """Shifts that were open at any time in [start, end): one closed in the very millisecond
        of the last Z belongs to that Z alone."""
        return self._shifts("opened_at < ? AND (closed_at IS NULL OR closed_at > ?)", (end, start))

    # -- reports -------------------------------------------------------------------------------

    def last_z(self) -> tuple[int, int] | None:
        """(number, period end) of the latest Z report, if any."""
        rows = self.journal.read(
            "SELECT number, period_end FROM z_reports ORDER BY number DESC LIMIT 1"
        )
        return (int(rows[0][0]), int(rows[0][1])) if rows else None

    def _period_start(self) -> int:
        last = self.last_z()
        return last[1] if last else 0

    def _report(self, kind: str, *, now: int, **extra: object) -> Report:
        # Periods are half-open, [start, now): the next Z starts at this one's end, so an entry
        # written in the very millisecond of a Z is counted once (on the next), never twice.
        start = self._period_start()
        entries = self.journal.search(since=start, until=now, limit=10**9)
        shifts = self.shifts_in(start, now)
        # A shift that began before this period is reckoned from its own start.
        opened = min((shift.opened_at for shift in shifts), default=start)
        shift_entries = (
            entries
            if opened >= start
            else self.journal.search(since=opened, until=now, limit=10**9)
        )
        return build_report(
            entries,
            shifts,
            kind=kind,  # type: ignore[arg-type]
            period_start=start,
            period_end=now,
            now=now,
            shift_entries=shift_entries,
            carried=self._carried(),
            **extra,  # type: ignore[arg-type]
        )

    def _carried(self) -> list[Entry]:
        """The entries the last Z closed with open (an override), as they stand now."""
        rows = self.journal.read(
            "SELECT body, period_end FROM z_reports ORDER BY number DESC LIMIT 1"
        )
        if not rows:
            return []
        body, closed_at = json.loads(rows[0][0]), int(rows[0][1])
        if "open_at_close" not in body:  # a Z stored before the till kept that list
            return self.journal.open_at(closed_at) if body.get("override_by") else []
        references = body["open_at_close"]
        return [entry for ref in references if (entry := self.journal.get(ref)) is not None]

    def x_report(self, *, now: int) -> Report:
        """Running totals since the last Z: changes nothing."""
        return self._report("X", now=now)

    def z_report(self, *, now: int, created_by: str, override_by: str | None = None) -> Report:
        """Close the day: the next number, stored unchangeable.

        Refused while sales are pending or in doubt (the day's money is not known), unless a
        manager overrides; the override is recorded on the report.
        """
        open_live = [e for e in self.journal.open_entries() if not e.training]
        if open_live and override_by is None:
            raise ReportError(
                f"{len(open_live)} transaction(s) are still in doubt: settle them (retry) or "
                "have a manager override"
            )
        last = self.last_z()
        number = (last[0] if last else 0) + 1
        report = self._report(
            "Z", now=now, number=number, created_by=created_by, override_by=override_by
        )
        if report.open_at_close:
            report = dataclasses.replace(
                report, notes=(f"{len(report.open_at_close)} open at close",)
            )
        with self.journal.transaction() as conn:
            conn.execute(
                "INSERT INTO z_reports (number, created_at, period_start, period_end, created_by, "
                "override_by, body) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    number,
                    now,
                    report.period_start,
                    report.period_end,
                    created_by,
                    override_by,
                    report.to_json(),
                ),
            )
        return report

    def z(self, number: int) -> tuple[Report, int]:
        """A stored Z report exactly as it was made, and how many times it has printed."""
        rows = self.journal.read(
            "SELECT body, print_count FROM z_reports WHERE number = ?", (number,)
        )
        if not rows:
            raise ReportError(f"there is no Z report number {number}")
        return Report.from_json(rows[0][0]), int(rows[0][1])

    def count_z_print(self, number: int) -> int:
        """Record a (re)print; returns the new print count (copies are numbered from it)."""
        with self.journal.transaction() as conn:
            conn.execute(
                "UPDATE z_reports SET print_count = print_count + 1 WHERE number = ?", (number,)
            )
        return self.z(number)[1]
