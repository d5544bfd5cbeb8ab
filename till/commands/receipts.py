"""`till reprint`, `till slip` and `till printer test`: the service desk's paper and the store
manager's printer check, without talking to Flash."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from till.commands.approval import reprint_options
from till.commands.base import (
    EXIT_OK,
    EXIT_PRINTER_FAULT,
    EXIT_USAGE,
    fail,
    reference,
)

if TYPE_CHECKING:
    from receipts import Document
    from till.commands.base import Subparsers
    from till.config.settings import Settings


def show_preview(settings: Settings, document: Document | None) -> None:
    """With the preview printer, the receipt is shown where the command runs."""
    from till.runtime import receipt_preview

    if document is not None and settings.printer.kind == "preview":
        print(receipt_preview(settings, document))


async def _print(
    settings: Settings, reference: str, *, in_doubt: bool, approver: str | None = None
) -> int:
    from till.clock import now_ms
    from till.journal import Journal
    from till.runtime import journal_path, open_receipt_printer, slip_header
    from till.sales.printing import SlipPrinter

    printer = open_receipt_printer(settings)
    if printer is None:
        return fail('no printer is configured ([printer] kind = "none")')
    with Journal.open(journal_path(settings), create=False) as journal:
        entry = journal.get(reference)
        if entry is None:
            return fail(f"no journal entry with reference {reference}")
        slips = SlipPrinter(journal, printer, slip_header(settings), clock=now_ms)
        if in_doubt:
            if not entry.is_open:
                return fail(f"{reference} is {entry.state}, not in doubt: use `till reprint`")
            result = await slips.print_in_doubt(reference)
        else:
            result = await slips.reprint(reference, approved_by=approver)
    show_preview(settings, result.document)
    if not result.printed:  # the printer's fault, as `till printer test` reports one
        return fail(f"not printed: {result.error}", EXIT_PRINTER_FAULT)
    what = f"COPY {result.copy}" if result.copy else "receipt"
    print(f"printed {what} for {reference} on {printer.name}")
    if result.warning:
        print(f"till: warning: {result.warning}", file=sys.stderr)
    return EXIT_OK


# -- till printer test ----------------------------------------------------------------------

#: What the test page prints as a PIN and its barcode: 16 digits, as a 1Voucher PIN is.
TEST_PIN = "1234567890123456"


def profile_width(profile: str | None, columns: int) -> str:
    """The profile's printable width: columns, and dots where the profile knows them."""
    from receipts.escpos import DEFAULT_PROFILE, escpos_modules

    name = profile or DEFAULT_PROFILE
    _, capabilities = escpos_modules()
    media = capabilities.get_profile(name).profile_data.get("media") or {}
    width = media.get("width") or {}
    dots, mm = width.get("pixels"), width.get("mm")
    if isinstance(dots, int) and dots > 0:
        return f"{columns} columns, {dots} dots" + (f" ({mm} mm)" if mm else "")
    return f"{columns} columns, {columns * 12} dots (assumed: 12 a column)"


def ruler(columns: int) -> list[str]:
    """Two lines exactly `columns` wide: a mark every 5 and 10, and the column numbers."""
    marks = "".join(
        "|" if i % 10 == 0 else ":" if i % 5 == 0 else "." for i in range(1, 1 + columns)
    )
    digits = "".join(str(i % 10) for i in range(1, 1 + columns))
    return [marks, digits]


def printer_test_page(printer_name: str, width: str, columns: int, status_line: str) -> Document:
    from receipts import Barcode, BigCode, Cut, Document, QRCode, Row, Rule, Text, Title
    from till.digits import group_digits

    return Document.of(
        Title("PRINTER TEST"),
        Text(printer_name, "center"),
        Rule("="),
        Row("Width", width),
        *(Text(line) for line in ruler(columns)),
        Rule(),
        Row("Status", status_line),
        Rule(),
        BigCode(group_digits(TEST_PIN), caption="A PIN prints like this"),
        Barcode(TEST_PIN),
        Text("A QR code:", "center"),
        QRCode(f"till printer test {TEST_PIN}"),
        Rule("="),
        Text("If every line above is whole, the printer is set up.", "center"),
        Cut(),
    )


def cmd_printer_test(args: argparse.Namespace) -> int:
    """Print a test page, and say what the printer reported and whether the page printed."""
    from receipts import PrintError
    from till.config.settings import load_settings
    from till.runtime import open_receipt_printer

    settings = load_settings(args.config, need_flash=False)
    try:
        printer = open_receipt_printer(settings)
    except PrintError as exc:
        return fail(f"printer: {exc}", EXIT_USAGE)
    if printer is None:
        return fail('no printer is configured ([printer] kind = "none")', EXIT_USAGE)
    width = profile_width(settings.printer.profile, printer.columns)
    status = printer.status()
    if status.online is None and status.problem is None:
        status_line = f"not reported ({status.detail})"
    else:
        status_line = status.detail
    rows: list[tuple[str, str]] = [
        ("printer", printer.name),
        ("profile", f"{settings.printer.profile}: {width}"),
        ("status", status_line),
    ]
    if status.problem:
        rows.append(("problem", status.problem))
    elif status.warning:
        rows.append(("warning", status.warning))
    document = printer_test_page(printer.name, width, printer.columns, status_line)
    sent = False
    fault = status.problem
    if fault:
        rows.append(("test page", "NOT sent"))
    else:
        try:
            warning = printer.print(document)
        except PrintError as exc:
            fault = str(exc)
            rows.append(("test page", "NOT printed"))
        else:
            sent = True
            show_preview(settings, document)
            reported = status.online is not None
            rows.append(("test page", "printed" if reported else "sent (check the paper)"))
            if warning and not status.warning:
                rows.append(("warning", warning))
    # A connection that cannot report (file, cups) is healthy as far as anyone can tell.
    healthy = sent and (status.healthy or (status.online is None and status.problem is None))
    rows.append(("result", "OK" if healthy else "PRINTER FAULT"))
    width_of = max(len(label) for label, _ in rows)
    for label, value in rows:
        print(f"  {label.ljust(width_of)}  {value}")
    if not healthy:
        return fail(f"printer test: {fault or 'the page did not print'}", EXIT_PRINTER_FAULT)
    return EXIT_OK


def cmd_reprint(args: argparse.Namespace) -> int:
    import asyncio

    from till.config.settings import load_settings

    settings = load_settings(args.config, need_flash=False)
    approver = None
    if settings.staff.enabled:  # a reprint puts a PIN on paper again: never the cashier alone
        from till.commands.approval import verified_approver

        if not getattr(args, "approver", None):
            return fail("a supervisor must approve a reprint: add --approver ID", EXIT_USAGE)
        approver = verified_approver(settings, args)
    return asyncio.run(_print(settings, args.reference, in_doubt=False, approver=approver))


def cmd_slip(args: argparse.Namespace) -> int:
    import asyncio

    from till.config.settings import load_settings

    settings = load_settings(args.config, need_flash=False)
    return asyncio.run(_print(settings, args.reference, in_doubt=True))


def add_parsers(sub: Subparsers) -> None:
    reprint = sub.add_parser(
        "reprint",
        help="print a sale's receipt again (marked COPY n once one has printed)",
        parents=[reprint_options()],
    )
    reprint.add_argument("reference", type=reference)
    reprint.set_defaults(func=cmd_reprint)
    slip = sub.add_parser(
        "slip", help="print the customer's 'not yet confirmed' slip for an in-doubt sale"
    )
    slip.add_argument("reference", type=reference)
    slip.set_defaults(func=cmd_slip)
    printer = sub.add_parser("printer", help="check the receipt printer")
    printer_sub = printer.add_subparsers(dest="printer_command", metavar="COMMAND", required=True)
    test = printer_sub.add_parser(
        "test",
        help="print a test page (width, ruler, PIN, barcode, QR, status) and say what was found",
    )
    test.set_defaults(func=cmd_printer_test)
