"""In doubt: every sale Flash has not confirmed yet, "retry now", and the customer's slip.

The resolver keeps retrying in the background; this screen is where a cashier sees what is still
open (how old, how many tries, the last error), settles it now, and prints the customer a slip
that proves payment without a PIN, so nobody sells the same thing twice while waiting.
"""

from __future__ import annotations

import asyncio

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from till.journal import Entry
from till.sales import ResolveReport, SaleEngine
from till.tui.messages import SlipPrinted
from till.tui.printing import print_slip, slip_message
from till.tui.screens.base import EntryLine, FieldError, TillScreen
from till.words import (
    format_entry,
    in_doubt_advice,
    in_doubt_summary,
    kind_label,
    rands_or_dash,
)

#: How often the ages on screen move on, in seconds.
REFRESH_SECONDS = 5.0
#: What a training sale cleared by the trainer is settled with (declined: nothing was sold).
TRAINING_CLEARED = "cleared by the trainer: training only, nothing was sold"


class Retried(Message):
    """ "Retry now" finished: what settled (None and an error if it could not run)."""

    def __init__(self, report: ResolveReport | None, error: str | None = None) -> None:
        super().__init__()
        self.report = report
        self.error = error


def age_text(ms: int) -> str:
    """Compact age for a list row: 45s, 12m, 3h05, 2d."""
    seconds = max(0, ms // 1000)
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m"
    if seconds < 86400:
        return f"{seconds // 3600}h{seconds % 3600 // 60:02d}"
    return f"{seconds // 86400}d"


def open_row(entry: Entry, now: int) -> Text:
    """Two lines per open sale: what and how old, then why it is still open."""
    flag = "  FLAGGED" if entry.flagged_at else ""
    first = (
        f"{entry.reference:<20} {kind_label(entry.kind)[:20]:<20} "
        f"{rands_or_dash(entry.amount):>11} {age_text(now - entry.created_at):>6} "
        f"x{entry.attempts}"
    )
    second = f"   last error: {entry.last_error or 'no answer yet'}"
    if len(second) > 74:
        second = second[:73] + "…"
    text = Text(first + flag + "\n")
    text.append(second, style="dim")
    if flag:
        text.stylize("bold", len(first), len(first) + len(flag))
    return text


def report_text(report: ResolveReport, left: int) -> str:
    """What one "retry now" settled, by reference."""
    parts = [
        f"Retried {report.attempted}: {len(report.approved)} approved, "
        f"{len(report.declined)} declined, {len(report.still_in_doubt)} still in doubt."
    ]
    if report.approved:
        approved = ", ".join(report.approved)
        parts.append(f"APPROVED (hand over the PIN or token; F7 reprints): {approved}")
    if report.declined:
        parts.append("DECLINED (nothing sold, refund the customer): " + ", ".join(report.declined))
    if report.flagged:
        parts.append(f"{report.flagged} open for over a day: flagged for the support desk.")
    if not left and report.attempted:
        parts.append("Nothing is left open.")
    return "\n".join(parts)


class InDoubtScreen(TillScreen):
    title_text = "IN DOUBT  -  sales Flash has not confirmed yet"
    BINDINGS = [
        Binding("ctrl+r", "retry", "Retry"),
        Binding("f9", "print_slip", "Slip"),
        Binding("ctrl+t", "clear_training", "Clear training"),
        Binding("escape", "back", "Back", show=False),
        Binding("down", "move(1)", "Next", show=False),
        Binding("up", "move(-1)", "Previous", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.entries: list[Entry] = []
        self.retrying = False
        self.details: str | None = None

    def compose_body(self) -> ComposeResult:
        yield Static("", id="open-summary")
        open_list = OptionList(id="open-list")
        open_list.can_focus = False
        yield open_list
        yield EntryLine(id="entry")
        yield Static("", id="open-report")
        yield Static("", id="open-details", classes="hint")

    async def on_mount(self) -> None:
        entry = self.query_one(EntryLine)
        entry.prompt("Up/Down pick a sale, Enter = its details (or type/scan a reference)")
        entry.focus()
        self.watch(self.app, "open_count", self._count_changed, init=False)
        self.set_interval(REFRESH_SECONDS, self.refresh_list)
        self.refresh_list()
        await self.reads_done()  # the list is there before the screen settles

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Clearing in-doubt sales is for a training till only; both keys only when any are open."""
        if action == "clear_training":
            return self.till.training and bool(self.entries)
        if action == "print_slip":  # a slip is for a sale in doubt: none, no key
            return bool(self.entries)
        return True

    async def on_screen_resume(self) -> None:
        self.refresh_list()
        self.query_one(EntryLine).focus()
        await self.reads_done()

    def _count_changed(self, count: int) -> None:
        self.refresh_list()

    def refresh_list(self) -> None:
        """Re-read the journal (in a thread), keeping the highlight on the same sale when it is
        still open."""
        self.read_later(self._reload)

    async def _reload(self) -> None:
        reads = self.till.reads

        def read() -> tuple[list[Entry], list[Entry]]:
            return reads.open_entries(), reads.unprinted(limit=5)

        self._show_list(*await asyncio.to_thread(read))

    def _show_list(self, entries: list[Entry], unprinted: list[Entry]) -> None:
        open_list = self.query_one("#open-list", OptionList)
        current = self.highlighted_entry()
        now = self.till.now()
        self.entries = entries
        open_list.clear_options()
        open_list.add_options(
            Option(open_row(entry, now), id=entry.reference) for entry in self.entries
        )
        open_list.display = bool(self.entries)
        references = [entry.reference for entry in self.entries]
        if self.entries:
            keep = current.reference if current is not None else None
            open_list.highlighted = references.index(keep) if keep in references else 0
        count = len(self.entries)
        self.refresh_bindings()
        summary = (
            f"{in_doubt_summary([entry.kind for entry in self.entries])}  "
            "Ctrl+R retries now, F9 prints the customer's slip."
            if count
            else "Nothing is in doubt: every sale has Flash's answer."
        )
        if count and self.till.training:
            summary += "\nTraining: Ctrl+T clears these training sales (nothing was sold)."
        if unprinted:  # approved, but the customer may never have had the PIN on paper
            owed = ", ".join(entry.reference for entry in unprinted)
            summary += f"\nNOT PRINTED (reprint from F7, Ctrl+R): {owed}"
        self.query_one("#open-summary", Static).update(summary)
        if self.details is not None and self.details not in references:
            self._show_details(None)

    def highlighted_entry(self) -> Entry | None:
        index = self.query_one("#open-list", OptionList).highlighted
        if index is None or not 0 <= index < len(self.entries):
            return None
        return self.entries[index]

    def action_move(self, delta: int) -> None:
        if self.entries:
            open_list = self.query_one("#open-list", OptionList)
            current = open_list.highlighted or 0
            open_list.highlighted = max(0, min(len(self.entries) - 1, current + delta))
            if self.details is not None:
                self._show_details(self.highlighted_entry())

    def submit(self, text: str) -> None:
        """Enter: a typed reference picks that sale; an empty line opens the highlighted one."""
        entry_line = self.query_one(EntryLine)
        text = text.strip().upper()
        try:
            if text:
                references = [entry.reference.upper() for entry in self.entries]
                if text not in references:
                    raise FieldError(f"{text} is not in doubt: look it up on the journal (F7).")
                self.query_one("#open-list", OptionList).highlighted = references.index(text)
            entry = self.highlighted_entry()
            if entry is None:
                raise FieldError("Nothing is in doubt.")
        except FieldError as exc:
            self.show_error(exc.message)
            return
        entry_line.value = ""
        self.clear_error()
        self._show_details(entry)

    def _show_details(self, entry: Entry | None) -> None:
        self.details = entry.reference if entry is not None else None
        fresh = self.till.reads.get(entry.reference) if entry is not None else None
        details = f"{in_doubt_advice(fresh.kind)}\n\n{format_entry(fresh)}" if fresh else ""
        self.query_one("#open-details", Static).update(details)

    def action_back(self) -> None:
        self.clear_error()
        self.query_one(EntryLine).value = ""
        self._show_details(None)

    def action_clear_training(self) -> None:
        """Training only: settle this training journal's open sales as declined, so the next
        lesson starts clean. An entry not marked training (a live sale) is never touched."""
        from till.sales import InputError

        app = self.till
        if not app.training or not app.ready:
            self.show_error("Only a training till clears its in-doubt sales: live ones stay.")
            return
        try:
            cleared = app.engine.clear_training(TRAINING_CLEARED)
        except InputError as exc:
            self.show_error(exc.message)
            return
        app.open_count = app.engine.open_count
        self.clear_error()
        self.refresh_list()
        what = ", ".join(cleared) if cleared else "nothing"
        self.query_one("#open-report", Static).update(
            f"Training: cleared {len(cleared)} in-doubt sale(s) ({what}); nothing was sold."
        )

    def action_retry(self) -> None:
        """Resend every open sale now, with its own reference: Flash answers each only once."""
        if self.retrying:
            self.show_error("Already retrying: wait for Flash's answers.")
            return
        self.retrying = True
        self.clear_error()
        self.query_one("#open-report", Static).update("Retrying every open sale now...")

        async def call(engine: SaleEngine) -> None:
            try:
                report = await engine.resolve(all_open=True)
            except Exception as exc:  # the journal keeps every entry: report, retry later
                self.post_message(Retried(None, f"Retry failed: {exc}. Try again."))
            else:
                self.post_message(Retried(report))

        self.till.run_engine(call)

    async def on_retried(self, message: Retried) -> None:
        self.retrying = False
        self.refresh_list()
        await self.reads_done()  # what is left open counts in the report
        if message.report is None:
            self.query_one("#open-report", Static).update("")
            self.show_error(message.error or "Retry failed.")
            return
        self.query_one("#open-report", Static).update(
            report_text(message.report, len(self.entries))
        )

    def action_print_slip(self) -> None:
        entry = self.highlighted_entry()
        if entry is None:
            self.show_error("Nothing is in doubt: there is no slip to print.")
            return
        self.clear_error()
        print_slip(self, entry.reference, in_doubt=True)

    def on_slip_printed(self, message: SlipPrinted) -> None:
        text = slip_message(message, in_doubt=True)
        if message.printed:
            self.query_one("#open-report", Static).update(text)
        else:
            self.show_error(text)
