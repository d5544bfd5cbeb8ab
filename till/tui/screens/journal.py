"""Journal: the service desk finds a sale, reads every field, previews its slip and reprints it,
and voids it.

One entry line takes the search (`ref`, `date`, `amount`, `mobile`, `meter`, `serial`, or bare
text that is guessed), results are a list the arrows move through, Enter opens one. Reprints run
in a worker the app owns and come back as COPY n, because the SlipPrinter numbers them.

F12 voids the sale open (Flash's reversal, `till.sales.reversal`): what cannot be voided is
refused at once, in words; otherwise the same entry line asks the reason, the app asks a
supervisor (as for a refund) and sends it through the engine in its worker, and Flash's answer
shows as every other answer does. Enter or Escape then goes back to the sale, marked REVERSED.
"""

from __future__ import annotations

import asyncio
import functools
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from till.clock import local_day_bounds
from till.journal import Entry
from till.money import format_rands, parse_rands
from till.outcome import Outcome
from till.runtime import receipt_preview, slip_header
from till.sales import InputError, SaleEngine, normalize_mobile
from till.sales.printing import next_copy
from till.sales.reversal import REASON_MAX, REVERSIBLE, clean_reason
from till.slips import SlipHeader, slip_for
from till.tui.messages import NOT_APPROVED, SlipPrinted, TransactionDone, TransactionRefused
from till.tui.printing import print_slip, slip_message
from till.tui.screens.base import EntryLine, FieldError, TillScreen
from till.tui.steps import SENDING_PROMPT
from till.tui.widgets import OutcomeView
from till.words import format_entry, in_doubt_advice, kind_label, local_time, rands_or_dash
from till.words.void import reversal_in

#: "search" and "details" are every search screen's; the rest are the Journal screen's void.
Step = Literal["search", "details", "reason", "sending", "outcome"]
SEARCH_HINT = (
    "Search: ref S1-T1-ABCD-3 | date 2026-11-24 | amount 50 | mobile 0821234567 | "
    "meter 04040404040 | serial 123...  Bare text is guessed: a reference (has '-'), a date, "
    "10 digits or 27+9 = mobile, 11/13 digits = meter, up to 6 digits or cents = amount, "
    "longer digits = serial. Empty = the latest sales."
)
KEYWORDS: dict[str, str] = {
    "ref": "reference",
    "reference": "reference",
    "date": "date",
    "day": "date",
    "amount": "amount",
    "mobile": "mobile",
    "cell": "mobile",
    "meter": "meter",
    "serial": "serial",
}
#: The entry line's titles: each fits the 80-column screen whole.
SEARCH_PROMPT = "Search: ref, date, amount, mobile, meter or serial, Enter"
DETAILS_PROMPT = "Ctrl+R reprint  F12 void  F9 slip  PgUp/PgDn  Esc = results"
REASON_PROMPT = f"Reason for the void, up to {REASON_MAX} characters, Enter  Esc = keep"
VOID_DONE_PROMPT = "Enter or Escape = back to the sale"
DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
RESULT_LIMIT = 200


@dataclass
class Query:
    """A parsed search: the journal's keyword arguments and how to say them back."""

    criteria: dict[str, Any] = field(default_factory=dict)
    said: list[str] = field(default_factory=list)


def _day(text: str) -> tuple[int, int]:
    """A calendar day in the till's zone as [since, until) in the journal's UTC milliseconds."""
    try:
        start = datetime.strptime(text, "%Y-%m-%d")
    except ValueError:
        raise FieldError(f"Type the date as YYYY-MM-DD, e.g. 2026-11-24 (not {text!r}).") from None
    return local_day_bounds(start.date())


def guess_field(value: str) -> str:
    """What bare text most likely is (see SEARCH_HINT)."""
    digits = value.replace(" ", "")
    if DATE.fullmatch(value):
        return "date"
    if "-" in value or any(ch.isalpha() for ch in value):
        return "reference"
    if re.fullmatch(r"\d+[.,]\d{1,2}", digits) or (digits.isdigit() and len(digits) <= 6):
        return "amount"
    if digits.isdigit() and (
        (len(digits) == 10 and digits.startswith("0"))
        or (len(digits) == 11 and digits.startswith("27"))
    ):
        return "mobile"
    if digits.isdigit() and len(digits) in (11, 13):
        return "meter"
    if digits.isdigit():
        return "serial"
    raise FieldError(f"Cannot tell what {value!r} is: start with ref, date, amount, mobile, ...")


def parse_query(text: str) -> Query:
    """`amount 50 date 2026-11-24` -> the journal's criteria; bare words are guessed."""
    query = Query()
    words = text.split()
    i = 0
    while i < len(words):
        word = words[i]
        name = KEYWORDS.get(word.lower().rstrip(":"))
        if name is not None:
            if i + 1 >= len(words):
                raise FieldError(f"Type what to look for after {word!r}, e.g. {word} 50.")
            value = words[i + 1]
            i += 2
        else:
            value = word
            i += 1
            name = guess_field(value)
        _add(query, name, value)
    return query


def _add(query: Query, name: str, value: str) -> None:
    if name == "reference":
        query.criteria["reference"] = value.upper()
        query.said.append(f"reference {value.upper()}")
    elif name == "date":
        query.criteria["since"], query.criteria["until"] = _day(value)
        query.said.append(f"date {value}")
    elif name == "amount":
        try:
            cents = parse_rands(value.replace(",", "."))
        except ValueError:
            raise FieldError(f"Type the amount in rands, e.g. amount 50 (not {value!r}).") from None
        query.criteria["amount"] = cents
        query.said.append(f"amount {format_rands(cents)}")
    elif name == "mobile":
        mobile = normalize_mobile(value)
        query.criteria["mobile_number"] = mobile
        query.said.append(f"mobile {mobile}")
    elif name == "meter":
        query.criteria["meter_number"] = value
        query.said.append(f"meter {value}")
    else:
        query.criteria["serial_number"] = value
        query.said.append(f"serial {value}")


#: A result row's width: the 80-column screen less the body's padding, the list's scrollbar and
#: its options' padding, so no row ever wraps onto a second line.
ROW_WIDTH = 72


def result_row(entry: Entry, *, terminal: bool = False) -> str:
    """One line per entry, in ROW_WIDTH columns: when (month-day hour:minute), which till (with
    `terminal`: the service desk's rows), reference, what, state, amount; the kind is shortened
    to fit a long reference."""
    state = entry.state.replace("_", " ").upper()
    when = local_time(entry.created_at)[5:16]
    amount = rands_or_dash(entry.amount)
    till = f"{entry.terminal_id:<4} " if terminal else ""
    head = f"{when} {till}{entry.reference:<14} "
    tail = f" {state:<8} {amount:>11}"
    room = max(0, ROW_WIDTH - len(head) - len(tail))
    kind = kind_label(entry.kind)
    if len(kind) > room:
        kind = kind[: max(0, room - 1)] + "…" if room else ""
    return f"{head}{kind:<{room}}{tail}"[:ROW_WIDTH]


class SearchScreen(TillScreen):
    """Find a sale and read it: one entry line takes the search, the results are a list the
    arrows move through, Enter opens one whole (its every field and its next print), Escape goes
    back, Ctrl+R reprints. The Journal screen over the till's journal; the service desk's over
    head office's ledger (`till.tui.screens.desk`)."""

    #: What the screen's own widgets' ids start with: `#{ids}-note`, `-hint`, ...
    ids = "search"
    search_hint = ""
    search_prompt = ""
    details_prompt = ""
    BINDINGS = [
        Binding("escape", "back", "Back", show=False),
        Binding("ctrl+r", "reprint", "Reprint"),
        Binding("pageup", "scroll(-1)", "Scroll up", show=False),
        Binding("pagedown", "scroll(1)", "Scroll down", show=False),
        Binding("down", "move(1)", "Next", show=False),
        Binding("up", "move(-1)", "Previous", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.step: Step = "search"
        self.results: list[Entry] = []
        self.searched = ""

    def compose_body(self) -> ComposeResult:
        yield EntryLine(id="entry")
        yield Static(self.search_hint, id=f"{self.ids}-hint", classes="hint")
        yield Static("", id=f"{self.ids}-note")
        results = OptionList(id="results")
        results.can_focus = False
        yield results
        yield Static("", id=f"{self.ids}-receipt", classes="search-receipt")
        yield Static("", id=f"{self.ids}-details", classes="search-details")

    def on_screen_resume(self) -> None:
        self.query_one(EntryLine).focus()

    def note(self, text: str) -> None:
        """The line under the search: what was found, what happened."""
        self.query_one(f"#{self.ids}-note", Static).update(text)

    def _enter(self, step: Step) -> None:
        self.step = step
        self.refresh_bindings()  # the key bar shows only what applies now
        entry_line = self.query_one(EntryLine)
        entry_line.value = ""
        self.query_one(f"#{self.ids}-hint").display = step == "search"
        self.query_one("#results").display = step == "search" and bool(self.results)
        self.query_one(f"#{self.ids}-details").display = step == "details"
        self.query_one(f"#{self.ids}-receipt").display = step == "details"
        entry_line.prompt(self.search_prompt if step == "search" else self.details_prompt)
        entry_line.focus()

    def _submit(self, text: str) -> None:
        """Enter: search for what was typed, or open the highlighted result."""
        if self.step == "details":
            if not text:
                return
            self._leave_details()
        highlighted = self.query_one("#results", OptionList).highlighted
        if not text and self.results and highlighted is not None and self.searched:
            self.open_result(self.results[highlighted])
            return
        self.search(text)

    def search(self, text: str) -> None:
        """Look for what `text` describes; FieldError if it is unclear."""
        raise NotImplementedError

    def open_result(self, entry: Entry) -> None:
        """Show `entry` whole (the "details" step)."""
        raise NotImplementedError

    def opened(self) -> Entry | None:
        """The entry the details show."""
        raise NotImplementedError

    def clear_opened(self) -> None:
        """Forget the entry the details showed."""
        raise NotImplementedError

    def _leave_details(self) -> None:
        self.clear_opened()
        self._enter("search")

    def show_results(self, text: str, said: list[str], results: list[Entry]) -> None:
        """The entries found for `text` (`said`: how to say what was asked) into the list."""
        self.results = results
        self.searched = text or "latest"
        results_list = self.query_one("#results", OptionList)
        results_list.clear_options()
        results_list.add_options(Option(self.row(e), id=e.reference) for e in results)
        if results:
            results_list.highlighted = 0
        what = ", ".join(said) or "the latest sales"
        found = len(results)
        note = f"{found}{'+' if found == RESULT_LIMIT else ''} found for {what}."
        if results:
            note += "  Up/Down, Enter opens."
        self.note(note)

    def row(self, entry: Entry) -> str:
        """A result's line in the list."""
        return result_row(entry)

    def action_move(self, delta: int) -> None:
        if self.step == "search" and self.results:
            results = self.query_one("#results", OptionList)
            current = results.highlighted or 0
            results.highlighted = max(0, min(len(self.results) - 1, current + delta))

    def action_scroll(self, pages: int) -> None:
        body = self.query_one(".body", VerticalScroll)
        if pages < 0:
            body.scroll_page_up()
        else:
            body.scroll_page_down()

    def action_back(self) -> None:
        self.clear_error()
        if self.step == "details":
            self._leave_details()
            self.note(f"{len(self.results)} found.  Up/Down, Enter opens." if self.results else "")
        else:
            self.query_one(EntryLine).value = ""

    def _chosen(self) -> Entry | None:
        """The entry a key is for: the one open, or the one highlighted in the results."""
        if self.step == "details":
            return self.opened()
        highlighted = self.query_one("#results", OptionList).highlighted
        if self.results and highlighted is not None:
            return self.results[highlighted]
        return None

    def to_reprint(self) -> Entry | None:
        """The entry Ctrl+R is for; None (and the error line says to search) if there is none."""
        entry = self._chosen()
        if entry is None:
            self.show_error("Search for a sale first, then Ctrl+R reprints it.")
        return entry

    def show_opened(self, entry: Entry, fields: str, copy: int, slip: str, summary: str) -> None:
        """The details step: every field, the slip the next print would be (COPY `copy`, or 0:
        the original), and `summary` on the note line, with what to do while `entry` is in doubt
        (in its kind's own words)."""
        self.query_one(f"#{self.ids}-details", Static).update(fields)
        receipt = self.query_one(f"#{self.ids}-receipt", Static)
        receipt.border_title = f"Next print: COPY {copy}" if copy else "Next print: the original"
        receipt.update(slip)
        if entry.is_open:
            summary += "\n" + in_doubt_advice(entry.kind)
        self.note(summary)


class JournalScreen(SearchScreen):
    title_text = "JOURNAL  -  find a sale, reprint its receipt"
    ids = "journal"
    search_hint = SEARCH_HINT
    search_prompt = SEARCH_PROMPT
    details_prompt = DETAILS_PROMPT
    #: F12 is named in the entry line's title and the note, not the key bar: with the screen
    #: keys and Ctrl+R there, 80 columns hold no other key (F9 shows only for an open entry).
    BINDINGS = [Binding("f9", "print_slip", "Slip"), Binding("f12", "void", "Void", show=False)]

    def __init__(self) -> None:
        super().__init__()
        self.entry: Entry | None = None
        #: The sale being voided, from F12 until its answer has been read.
        self.voiding: Entry | None = None

    def compose_body(self) -> ComposeResult:
        yield from super().compose_body()
        yield OutcomeView(id="outcome")

    def on_mount(self) -> None:
        self._enter("search")

    @property
    def header(self) -> SlipHeader:
        return self.till.reads.slip_header or slip_header(self.till.settings)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """F9 (the in-doubt slip) shows only for an open entry; Ctrl+R and F12 (void) work only
        while searching or reading an entry (F12 then says why a sale cannot be voided)."""
        entry = self.entry if self.step == "details" else None
        if action == "print_slip":
            return entry is not None and entry.is_open
        if action in ("void", "reprint"):
            return self.step in ("search", "details")
        return True

    def _enter(self, step: Step) -> None:
        """The void's steps stay over the sale they void: its fields while the reason is typed
        and sent, then Flash's answer in their place."""
        outcome = self.query_one("#outcome", OutcomeView)
        outcome.display = step == "outcome"
        if step in ("search", "details"):
            super()._enter(step)
            return
        super()._enter("details")
        self.step = step
        self.refresh_bindings()
        for part in ("details", "receipt"):
            self.query_one(f"#{self.ids}-{part}").display = step != "outcome"
        prompts = {"reason": REASON_PROMPT, "sending": SENDING_PROMPT, "outcome": VOID_DONE_PROMPT}
        self.query_one(EntryLine).prompt(prompts[step])

    def _submit(self, text: str) -> None:
        if self.step == "reason":
            self._send_void(text)
        elif self.step == "sending":
            raise FieldError("Still waiting for Flash's answer: do not void it again.")
        elif self.step == "outcome":
            self._back_to_sale()
        else:
            super()._submit(text)

    def action_back(self) -> None:
        if self.step == "sending":
            return  # it is on the wire: its answer will show here
        if self.step in ("reason", "outcome"):
            self.clear_error()
            self._back_to_sale()
            return
        super().action_back()

    def search(self, text: str) -> None:
        """Search the journal in a thread; the results show when it is done."""
        query = parse_query(text)
        self.read_later(functools.partial(self._search, text, query))

    async def _search(self, text: str, query: Query) -> None:
        read = functools.partial(self.till.reads.search, **query.criteria, limit=RESULT_LIMIT)
        results = await asyncio.to_thread(read)
        self.show_results(text, query.said, results)
        self._enter("search")

    def open_result(self, entry: Entry) -> None:
        self._enter("details")
        self._show(entry)

    def opened(self) -> Entry | None:
        return self.entry

    def clear_opened(self) -> None:
        self.entry = None

    def _show(self, entry: Entry) -> None:
        """Every field, then the slip as the next print would come out (REVERSED once voided)."""
        reads = self.till.reads
        fresh = reads.get(entry.reference) or entry
        self.entry = fresh
        related = reads.related(fresh.reference)
        reprints = reads.reprints(fresh.reference)
        copy = next_copy(fresh)
        void = reversal_in(related)
        slip = slip_for(fresh, self.header, copy=copy, reversal=void)
        preview = receipt_preview(self.till.settings, slip)
        summary = (
            f"{kind_label(fresh.kind)} {fresh.reference}: {fresh.state.upper()}, printed "
            f"{fresh.print_count}x, reprinted {fresh.reprint_count}x."
        )
        if fresh.state == "approved" and fresh.kind in REVERSIBLE and void is None:
            summary += "  F12 voids it."
        self.show_opened(fresh, format_entry(fresh, related, reprints), copy, preview, summary)
        self.refresh_bindings()

    # -- void ----------------------------------------------------------------------------------

    def action_void(self) -> None:
        """F12: void the sale open, if the till may; its reason next, then a supervisor."""
        entry = self.entry if self.step == "details" else None
        if entry is None:
            self.show_error("Open a sale first (Up/Down, Enter), then F12 voids it.")
            return
        try:
            sale = self.till.reads.reversible(entry.reference, products=self.till.catalog)
        except InputError as exc:
            self.show_error(f"{exc.message} Nothing was sent.")
            return
        self.clear_error()
        self.voiding = sale
        self._enter("reason")
        self.note(
            f"Void {kind_label(sale.kind)} {sale.reference}: {rands_or_dash(sale.amount)} back "
            "to the customer, the voucher or PIN dead. Type why; a supervisor approves."
        )

    def _send_void(self, text: str) -> None:
        sale = self.voiding
        assert sale is not None
        try:
            reason = clean_reason(text)
        except InputError as exc:
            raise FieldError(exc.message) from None
        reference = sale.reference

        async def void(engine: SaleEngine, approved_by: str | None) -> Outcome:
            return await engine.reverse_sale(reference, reason=reason, approved_by=approved_by)

        if not self.till.transact(self, void):
            raise FieldError("Another transaction is still with Flash: wait for its answer.")
        self.clear_error()
        self._enter("sending")

    def on_transaction_done(self, message: TransactionDone) -> None:
        self.query_one("#outcome", OutcomeView).show(message.outcome)
        self._enter("outcome")
        self.note(f"{kind_label(message.outcome.entry.kind)} {message.outcome.reference}.")

    def on_transaction_refused(self, message: TransactionRefused) -> None:
        """Refused before anything was sent: back to the reason (a bad one), else to the sale."""
        if message.field == "reason":
            self._enter("reason")
        else:
            self._back_to_sale()
        why = "Not voided" if message.field == NOT_APPROVED else "Refused"
        text = message.message if message.field == NOT_APPROVED else f"{why}: {message.message}"
        self.show_error(f"{text}. Nothing was sent.")

    def _back_to_sale(self) -> None:
        sale = self.voiding or self.entry
        self.voiding = None
        self._enter("details")
        if sale is not None:
            self._show(sale)

    # -- reprints and slips --------------------------------------------------------------------

    def action_reprint(self) -> None:
        """Reprint the open (or highlighted) entry; the printer marks it COPY n."""
        entry = self.to_reprint()
        if entry is None:
            return
        current = self.till.reads.get(entry.reference) or entry
        if current.is_open:
            self.show_error("Flash has not confirmed this sale: F9 prints the in-doubt slip.")
            return
        self.clear_error()
        self.note(f"Printing {current.reference}...")
        print_slip(self, current.reference, in_doubt=False)

    def action_print_slip(self) -> None:
        entry = self._chosen()
        current = self.till.reads.get(entry.reference) if entry else None
        if current is None or not current.is_open:
            self.show_error("F9 prints a slip only for a sale that is in doubt: Ctrl+R reprints.")
            return
        self.clear_error()
        print_slip(self, current.reference, in_doubt=True)

    def on_slip_printed(self, message: SlipPrinted) -> None:
        entry = self.till.reads.get(message.reference)
        in_doubt = entry is not None and entry.is_open
        text = slip_message(message, in_doubt=in_doubt)
        if self.step == "details" and self.entry and self.entry.reference == message.reference:
            self._show(self.entry)
        if message.printed:
            self.note(text)
        else:
            self.show_error(text)
        self.results = [
            (entry if entry is not None and e.reference == message.reference else e)
            for e in self.results
        ]
