"""The service desk: the Journal screen's search, details, preview and reprint, across every till
of the store, read from head office's central ledger.

The keys are the Journal screen's: one entry line takes the search (its words, plus `till T2`),
Up/Down and Enter open a result, Escape goes back, Ctrl+R reprints on the desk's own printer as
COPY n, the number head office allocates (so two desks never both print COPY 2). Every query
runs in a thread, so a slow or unreachable database never freezes the keys; the top bar says
whether head office answered.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.widget import Widget
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from till.slips import slip_for
from till.tui.screens.base import EntryLine, FieldError, TillScreen
from till.tui.screens.journal import RESULT_LIMIT, ROW_WIDTH, Query, parse_query
from till.tui.signin import SignInScreen
from till.tui.widgets import StatusBar
from till.words import in_doubt_advice, kind_label, local_time, rands_or_dash
from till.words.desk import SEALED_NOTE, format_desk_entry, not_found
from till.words.hq import DESK_OFFLINE, sentence

if TYPE_CHECKING:
    from till.central.desk import DeskEntry
    from till.journal import Entry
    from till.tui.desk import DeskApp

SEARCH_HINT = (
    "Search every till of the store: ref S1-T2-ABCD-3 | date 2026-11-24 | amount 50 | "
    "mobile 0821234567 | meter 04040404040 | serial 123... | till T2, or several at once "
    "(till T2 amount 50). Bare text is guessed as on the Journal screen. Empty = the latest "
    "sales of the store."
)
SEARCH_PROMPT = "Search: ref, date, amount, mobile, meter, serial, till; Enter"
DETAILS_PROMPT = "Ctrl+R reprint here  PgUp/PgDn  Escape = results"
#: The search words that name a till (the journal's own words cover the rest).
TILL_WORDS = frozenset({"till", "terminal"})
#: The journal screen's criteria, as the central desk's search names them.
_DESK_CRITERIA = {
    "reference": "reference",
    "since": "since_ms",
    "until": "until_ms",
    "amount": "amount",
    "mobile_number": "mobile",
    "meter_number": "meter",
    "serial_number": "serial",
}


def parse_desk_query(text: str) -> Query:
    """The Journal screen's search words plus `till T2`, as `Desk.search` keywords."""
    words = text.split()
    terminal: str | None = None
    rest: list[str] = []
    i = 0
    while i < len(words):
        if words[i].lower().rstrip(":") in TILL_WORDS:
            if i + 1 >= len(words):
                raise FieldError(f"Type which till after {words[i]!r}, e.g. {words[i]} T2.")
            terminal = words[i + 1]
            i += 2
        else:
            rest.append(words[i])
            i += 1
    journal = parse_query(" ".join(rest))
    query = Query({_DESK_CRITERIA[name]: value for name, value in journal.criteria.items()})
    query.said = list(journal.said)
    if terminal is not None:
        query.criteria["terminal"] = terminal
        query.said.append(f"till {terminal}")
    return query


def desk_row(entry: Entry) -> str:
    """One result in ROW_WIDTH columns: when, which till, reference, what, state, amount."""
    state = entry.state.replace("_", " ").upper()
    when = local_time(entry.created_at)[5:16]
    head = f"{when} {entry.terminal_id:<4} {entry.reference:<14} "
    tail = f" {state:<8} {rands_or_dash(entry.amount):>11}"
    room = max(0, ROW_WIDTH - len(head) - len(tail))
    kind = kind_label(entry.kind)
    if len(kind) > room:
        kind = kind[: max(0, room - 1)] + "…" if room else ""
    return f"{head}{kind:<{room}}{tail}"[:ROW_WIDTH]


def next_copy(found: DeskEntry) -> int:
    """The copy number a reprint here would be given now: one more than any copy head office
    knows of (the tills' and the desks'), as `Desk.reprint` allocates it."""
    return 1 + max([found.entry.reprint_count, *(r.copy for r in found.reprints)])


class DeskProblem(Exception):
    """Head office could not answer (or refused): `message` says what and what to do, never
    a password."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class DeskBar(Vertical):
    """The desk's top bar: the store, the desk and who is at it, and whether head office
    answered the last question."""

    def compose(self) -> ComposeResult:
        app: DeskApp = self.app  # type: ignore[assignment]
        with Horizontal(classes="status-line"):
            yield Static(app.identity_text, classes="identity")
            yield Static(app.link, classes="badge")

    def on_mount(self) -> None:
        self.watch(self.app, "link", self._show_link)

    def _show_link(self, link: str) -> None:
        badge = self.query_one(".badge", Static)
        badge.update(link)
        badge.set_class(link == DESK_OFFLINE, "alert")


def _with_desk_bar(widgets: Iterable[Widget]) -> ComposeResult:
    for widget in widgets:
        yield DeskBar() if isinstance(widget, StatusBar) else widget


class DeskSignInScreen(SignInScreen):
    """The till's sign-in and lock screen, under the desk's top bar."""

    def compose(self) -> ComposeResult:
        yield from _with_desk_bar(super().compose())


class DeskPrinted(Message):
    """A reprint the desk app ran finished: `copy` is recorded centrally whenever it is set,
    printed or not (the record is the audit trail)."""

    def __init__(
        self, reference: str, printed: bool, copy: int = 0, error: str | None = None
    ) -> None:
        super().__init__()
        self.reference = reference
        self.printed = printed
        self.copy = copy
        self.error = error


class DeskScreen(TillScreen):
    """Find any till's sale in the store, read it, preview its next copy, reprint it here."""

    title_text = "SERVICE DESK  -  every till of the store"
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
        self.step = "search"
        self.results: list[Entry] = []
        self.found: DeskEntry | None = None
        self.searched = ""
        #: Searches and look-ups finished (tests wait on it; a new one replaces an older one).
        self.answers = 0

    @property
    def desk(self) -> DeskApp:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        yield from _with_desk_bar(super().compose())

    def compose_body(self) -> ComposeResult:
        yield EntryLine(id="entry")
        yield Static(SEARCH_HINT, id="desk-hint", classes="hint")
        yield Static("", id="desk-note")
        results = OptionList(id="results")
        results.can_focus = False
        yield results
        yield Static("", id="desk-receipt")
        yield Static("", id="desk-details")

    def on_mount(self) -> None:
        """Open on the store's latest sales (which also says at once if head office answers)."""
        self._enter("search")
        self.search("")

    def on_screen_resume(self) -> None:
        self.query_one(EntryLine).focus()

    def _note(self, text: str) -> None:
        self.query_one("#desk-note", Static).update(text)

    def _enter(self, step: str) -> None:
        self.step = step
        self.refresh_bindings()
        line = self.query_one(EntryLine)
        line.value = ""
        self.query_one("#desk-hint").display = step == "search"
        self.query_one("#results").display = step == "search" and bool(self.results)
        self.query_one("#desk-details").display = step == "details"
        self.query_one("#desk-receipt").display = step == "details"
        line.prompt(SEARCH_PROMPT if step == "search" else DETAILS_PROMPT)
        line.focus()

    def _submit(self, text: str) -> None:
        """Enter: search for what was typed, or open the highlighted result."""
        if self.step == "details":
            if not text:
                return
            self.found = None
            self._enter("search")
        highlighted = self.query_one("#results", OptionList).highlighted
        if not text and self.results and highlighted is not None and self.searched:
            self.open(self.results[highlighted].reference)
            return
        self.search(text)

    # -- search ----------------------------------------------------------------------------

    def search(self, text: str) -> None:
        """Ask head office (in a thread) for what `text` describes; FieldError if unclear."""
        query = parse_desk_query(text)
        self.query_one(EntryLine).value = ""
        self._note(f"Asking head office for {', '.join(query.said) or 'the latest sales'}...")
        self.run_worker(self._search(text, query), group="desk", exclusive=True)

    async def _search(self, text: str, query: Query) -> None:
        criteria: dict[str, Any] = dict(query.criteria)
        try:
            rows = await self.desk.ask(lambda desk: desk.search(**criteria, limit=RESULT_LIMIT))
        except DeskProblem as exc:
            self._failed(exc)
            return
        self.results = [row.entry for row in rows]
        self.searched = text or "latest"
        results = self.query_one("#results", OptionList)
        results.clear_options()
        results.add_options(Option(desk_row(e), id=e.reference) for e in self.results)
        if self.results:
            results.highlighted = 0
        what = ", ".join(query.said) or "the latest sales"
        found = len(self.results)
        note = f"{found}{'+' if found == RESULT_LIMIT else ''} found for {what}."
        if self.results:
            note += "  Up/Down, Enter opens."
        self._note(note)
        self.answers += 1
        if self.step == "search":
            self.query_one("#results").display = bool(self.results)

    def _failed(self, problem: DeskProblem) -> None:
        self._note("")
        self.show_error(problem.message)
        self.answers += 1

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

    # -- details ---------------------------------------------------------------------------

    def open(self, reference: str) -> None:
        """Show one sale whole, with the slip its next copy would print."""
        self._note(f"Asking head office for {reference}...")
        self.run_worker(self._open(reference), group="desk", exclusive=True)

    async def _open(self, reference: str, said: str = "") -> None:
        """Look `reference` up and show it; `said` (what a reprint did) stays under it."""
        try:
            found = await self.desk.ask(lambda desk: desk.get(reference))
        except DeskProblem as exc:
            self._failed(exc)
            return
        self.answers += 1
        if found is None:
            self.show_error(sentence(not_found(reference)))
            self._note("")
            return
        if self.step != "details":
            self.clear_error()
            self._enter("details")
        self._show(found)
        if said:
            self._note(said)

    def _show(self, found: DeskEntry) -> None:
        """Every field, then the slip as the next copy here would come out."""
        self.found = found
        entry = found.entry
        self.query_one("#desk-details", Static).update(
            format_desk_entry(
                entry,
                found.related,
                found.reprints,
                unsealed=found.unsealed,
                uploaded_at=found.uploaded_at,
            )
        )
        copy = next_copy(found)
        receipt = self.query_one("#desk-receipt", Static)
        receipt.border_title = f"Next print: COPY {copy}"
        if found.unsealed:
            document = slip_for(entry, self.desk.header, copy=copy)
            receipt.update(self.desk.preview(document))
        else:
            receipt.update(SEALED_NOTE)
        note = (
            f"{kind_label(entry.kind)} {entry.reference} on till {found.terminal_id}: "
            f"{entry.state.upper()}, printed {entry.print_count}x, reprinted "
            f"{len(found.reprints)}x."
        )
        if entry.is_open:  # what the customer is told meanwhile, in this kind's own words
            note += "\n" + in_doubt_advice(entry.kind)
        self._note(note)

    def action_back(self) -> None:
        self.clear_error()
        if self.step == "details":
            self.found = None
            self._enter("search")
            self._note(f"{len(self.results)} found.  Up/Down, Enter opens." if self.results else "")
        else:
            self.query_one(EntryLine).value = ""

    # -- reprint ---------------------------------------------------------------------------

    def _chosen(self) -> Entry | None:
        if self.step == "details":
            return self.found.entry if self.found is not None else None
        highlighted = self.query_one("#results", OptionList).highlighted
        if self.results and highlighted is not None:
            return self.results[highlighted]
        return None

    def action_reprint(self) -> None:
        """Reprint the open (or highlighted) sale on this desk's printer as COPY n."""
        entry = self._chosen()
        if entry is None:
            self.show_error("Search for a sale first, then Ctrl+R reprints it.")
            return
        refusal = self.desk.cannot_reprint(entry)
        if refusal:
            self.show_error(refusal)
            return
        self.clear_error()
        self._note(f"Reprinting {entry.reference}...")
        self.desk.reprint(self, entry.reference)

    def on_desk_printed(self, message: DeskPrinted) -> None:
        text = self.desk.printed_text(message)
        if message.printed:
            self.clear_error()
            self._note(text)
        else:
            self.show_error(text)
        if self.found is not None and self.found.entry.reference == message.reference:
            said = text if message.printed else ""  # a failure stays on the error line
            self.run_worker(self._open(message.reference, said), group="desk", exclusive=True)


__all__ = [
    "DeskBar",
    "DeskPrinted",
    "DeskProblem",
    "DeskScreen",
    "DeskSignInScreen",
    "desk_row",
    "next_copy",
    "parse_desk_query",
]
