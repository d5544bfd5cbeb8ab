"""Printing a slip from any screen: in a worker the app owns, answered with a message."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from textual.screen import Screen

from till.tui.messages import SlipPrinted

if TYPE_CHECKING:
    from till.sales import SaleEngine
    from till.tui.host import TillHost

#: The reason the supervisor reads before a reprint, at the till and at the service desk.
REPRINT_REASON = "a supervisor must approve a reprint"


def print_slip(screen: Screen[None], reference: str, *, in_doubt: bool) -> None:
    """Print the customer's in-doubt slip, or reprint a receipt, in a worker the app owns.

    The screen only hears back through `SlipPrinted`, so leaving it never cancels a print job.
    """
    from till.journal import JournalError

    app = cast("TillHost", screen.app)

    async def call(engine: SaleEngine) -> None:
        if engine.slips is None:
            screen.post_message(SlipPrinted(reference, False, error="no printer is configured"))
            return
        # A reprint needs a supervisor when staff is on (asked here, in the app's worker).
        approver = None
        if not in_doubt:
            approver = await app.ask_approval(REPRINT_REASON)
            if approver is None:
                screen.post_message(SlipPrinted(reference, False, error="not approved"))
                return
        try:
            if in_doubt:
                outcome = await engine.slips.print_in_doubt(reference)
            else:
                outcome = await engine.slips.reprint(
                    reference, cashier=app.cashier, approved_by=approver or None
                )
        except JournalError as exc:
            screen.post_message(SlipPrinted(reference, False, error=str(exc)))
        except Exception as exc:  # the journal is untouched by a failed print: say so, go on
            screen.post_message(SlipPrinted(reference, False, error=f"unexpected error: {exc}"))
        else:
            screen.post_message(
                SlipPrinted(reference, outcome.printed, outcome.copy, outcome.error)
            )

    app.run_engine(call)


def slip_message(message: SlipPrinted, *, in_doubt: bool) -> str:
    """What the cashier reads after a print job: which slip, or why there is none."""
    if not message.printed:
        return f"Slip NOT printed for {message.reference}: {message.error or 'printer error'}."
    if in_doubt:
        return f"Printed the customer's NOT YET CONFIRMED slip for {message.reference}."
    if message.copy:
        return f"Printed COPY {message.copy} of {message.reference}."
    return f"Printed the receipt for {message.reference} (it had never printed)."
