"""`till reprint` and `till slip`: the service desk's paper, without talking to Flash."""

from __future__ import annotations

import argparse
import asyncio

from receipts import Document, render_text
from till.commands.base import EXIT_OK, EXIT_USAGE, fail, reference, user_id
from till.config import Settings, load_settings
from till.journal import Journal
from till.runtime import journal_path, open_receipt_printer, slip_header


def show_preview(settings: Settings, document: Document | None) -> None:
    """With the preview printer, the receipt is shown where the command runs."""
    if document is not None and settings.printer.kind == "preview":
        print(render_text(document, settings.printer.columns or 42))


async def _print(
    settings: Settings, reference: str, *, in_doubt: bool, approver: str | None = None
) -> int:
    from till.clock import now_ms
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
    if not result.printed:
        return fail(f"not printed: {result.error}")
    what = f"COPY {result.copy}" if result.copy else "receipt"
    print(f"printed {what} for {reference} on {printer.name}")
    return EXIT_OK


def cmd_reprint(args: argparse.Namespace) -> int:
    settings = load_settings(args.config, need_flash=False)
    approver = None
    if settings.staff.enabled:  # a reprint puts a PIN on paper again: never the cashier alone
        from till.commands.sales import verified_approver

        if not getattr(args, "approver", None):
            return fail("a supervisor must approve a reprint: add --approver ID", EXIT_USAGE)
        approver = verified_approver(settings, args)
    return asyncio.run(_print(settings, args.reference, in_doubt=False, approver=approver))


def cmd_slip(args: argparse.Namespace) -> int:
    settings = load_settings(args.config, need_flash=False)
    return asyncio.run(_print(settings, args.reference, in_doubt=True))


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    reprint = sub.add_parser(
        "reprint", help="print a sale's receipt again (marked COPY n once one has printed)"
    )
    reprint.add_argument("reference", type=reference)
    reprint.add_argument(
        "--approver",
        type=user_id,
        metavar="ID",
        help="the supervisor approving it (needed when [staff] is on)",
    )
    reprint.add_argument("--pin-stdin", action="store_true", help="read the PIN from stdin")
    reprint.set_defaults(func=cmd_reprint)
    slip = sub.add_parser(
        "slip", help="print the customer's 'not yet confirmed' slip for an in-doubt sale"
    )
    slip.add_argument("reference", type=reference)
    slip.set_defaults(func=cmd_slip)
