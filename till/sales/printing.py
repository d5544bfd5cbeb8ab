"""Printing a sale's receipt after the journal holds its answer, and never losing it to a fault.

The journal is written first (invariant 4): a PIN is durable before it is printed, a failed
print is recorded and leaves the sale approved, and the entry shows as unprinted until a print
succeeds. The first successful print of an entry is the original; every later one says COPY n,
and a sale voided since prints marked REVERSED.

A print succeeds only when the printer said so (DESIGN invariant 8): on a printer that can answer
(network, serial, USB) `receipts` asks its status before and after the job, and paper out, cover
open, offline or no answer is a failure whose text says what to do. A warning (paper low) still
counts as printed, and is logged and passed on in `PrintOutcome.warning`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass

from receipts import Document, DrawerKick, PrintError, ReceiptPrinter
from till.journal import Entry, Journal, JournalError
from till.slips import SlipHeader, in_doubt_slip, slip_for
from till.words.void import reversal_in

log = logging.getLogger("till.printing")


@dataclass(frozen=True)
class PrintOutcome:
    printed: bool
    entry: Entry
    document: Document
    copy: int = 0
    error: str | None = None
    #: Printed, but the printer wants attention soon (paper low).
    warning: str | None = None


def next_copy(entry: Entry) -> int:
    """The copy number the next print of this entry carries: 0 (the original) until one has
    printed, then 1, 2, ..."""
    return entry.reprint_count + 1 if entry.print_count else 0


class SlipPrinter:
    """Builds each entry's slip and sends it to the till's printer off the event loop."""

    def __init__(
        self,
        journal: Journal,
        printer: ReceiptPrinter | None,
        header: SlipHeader,
        *,
        clock: Callable[[], int],
        drawer_kick: bool = False,
    ) -> None:
        self.journal = journal
        self.printer = printer
        self.header = header
        self.clock = clock
        self.drawer_kick = drawer_kick

    async def _send(self, document: Document, what: str) -> tuple[str | None, str | None]:
        """Print `document` (`what`: "receipt for REF", so the log names the sale):
        (None, warning) once the printer took it, or (why it did not print, None)."""
        if self.printer is None:
            return "no printer is configured", None
        try:
            if self.printer.blocking:  # a device: keep the event loop (and the screen) moving
                warning = await asyncio.to_thread(self.printer.print, document)
            else:
                warning = self.printer.print(document)
        except PrintError as exc:
            log.warning("%s not printed: %s", what, exc)
            return str(exc), None
        log.info("%s printed on %s", what, self.printer.name)
        if warning:
            log.warning("%s printed on %s, but: %s", what, self.printer.name, warning)
        return None, warning or None

    async def print_entry(
        self,
        entry: Entry,
        *,
        kick_drawer: bool = False,
        cashier: str | None = None,
        approved_by: str | None = None,
    ) -> PrintOutcome:
        """Print the entry's receipt: the original if none has printed yet, else the next copy
        (recorded with `cashier` and `approved_by`)."""
        copy = next_copy(entry)
        reversal = reversal_in(self.journal.related(entry.reference))  # a voided sale: REVERSED
        document = slip_for(entry, self.header, copy=copy, reversal=reversal)
        if kick_drawer and self.drawer_kick:
            document = document + Document.of(DrawerKick())
        what = f"receipt for {entry.reference}" + (f" (COPY {copy})" if copy else "")
        error, warning = await self._send(document, what)
        if error is not None and self.printer is None:
            return PrintOutcome(False, entry, document, copy, error)
        updated = self.journal.record_print(
            entry.reference,
            now=self.clock(),
            error=error,
            copy=bool(copy),
            cashier=cashier,
            approved_by=approved_by,
        )
        return PrintOutcome(error is None, updated, document, copy, error, warning)

    async def reprint(
        self, reference: str, *, cashier: str | None = None, approved_by: str | None = None
    ) -> PrintOutcome:
        """The service desk's reprint: a numbered copy (or the original if it never printed),
        recorded with who asked for it and which supervisor approved it."""
        entry = self.journal.get(reference)
        if entry is None:
            raise JournalError(f"no journal entry with reference {reference!r}")
        return await self.print_entry(entry, cashier=cashier, approved_by=approved_by)

    async def print_in_doubt(self, reference: str) -> PrintOutcome:
        """The customer's slip for a sale not yet confirmed: no PIN, and what not to do again."""
        entry = self.journal.get(reference)
        if entry is None:
            raise JournalError(f"no journal entry with reference {reference!r}")
        if not entry.is_open:  # settled meanwhile: the customer is owed a receipt, not a promise
            raise JournalError(f"{reference} is already {entry.state}: reprint its receipt")
        document = in_doubt_slip(entry, self.header)
        error, warning = await self._send(document, f"in-doubt slip for {reference}")
        return PrintOutcome(error is None, entry, document, 0, error, warning)
