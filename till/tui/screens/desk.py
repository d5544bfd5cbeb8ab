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
from typing import TYPE_CHECKING, Any, cast

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widget import Widget
from textual.widgets import Static

from till.slips import slip_for
from till.tui.host import DeskHost
from till.tui.messages import SlipPrinted
from till.tui.screens.base import EntryLine, FieldError
from till.tui.screens.journal import RESULT_LIMIT, Query, SearchScreen, parse_query, result_row
from till.tui.signin import SignInScreen
from till.tui.widgets import StatusBar
from till.words import kind_label
from till.words.desk import SEALED_NOTE, format_desk_entry, not_found
from till.words.hq import DESK_OFFLINE, sentence
from till.words.void import reversal_in

if TYPE_CHECKING:
    from till.central.desk import DeskEntry
    from till.journal import Entry

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
        app = cast(DeskHost, self.app)
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


class DeskScreen(SearchScreen):
    """Find any till's sale in the store, read it, preview its next copy, reprint it here."""

    title_text = "SERVICE DESK  -  every till of the store"
    ids = "desk"
    search_hint = SEARCH_HINT
    search_prompt = SEARCH_PROMPT
    details_prompt = DETAILS_PROMPT

    def __init__(self) -> None:
        super().__init__()
        self.found: DeskEntry | None = None
        #: Searches and look-ups finished (tests wait on it; a new one replaces an older one).
        self.answers = 0

    @property
    def desk(self) -> DeskHost:
        return cast(DeskHost, self.app)

    def compose(self) -> ComposeResult:
        yield from _with_desk_bar(super().compose())

    def on_mount(self) -> None:
        """Open on the store's latest sales (which also says at once if head office answers)."""
        self._enter("search")
        self.search("")

    def row(self, entry: Entry) -> str:
        return result_row(entry, terminal=True)

    def opened(self) -> Entry | None:
        return self.found.entry if self.found is not None else None

    def clear_opened(self) -> None:
        self.found = None

    def open_result(self, entry: Entry) -> None:
        self.open(entry.reference)

    # -- search ----------------------------------------------------------------------------

    def search(self, text: str) -> None:
        """Ask head office (in a thread) for what `text` describes; FieldError if unclear."""
        query = parse_desk_query(text)
        self.query_one(EntryLine).value = ""
        self.note(f"Asking head office for {', '.join(query.said) or 'the latest sales'}...")
        self.run_worker(self._search(text, query), group="desk", exclusive=True)

    async def _search(self, text: str, query: Query) -> None:
        criteria: dict[str, Any] = dict(query.criteria)
        try:
            rows = await self.desk.ask(lambda desk: desk.search(**criteria, limit=RESULT_LIMIT))
        except DeskProblem as exc:
            self._failed(exc)
            return
        self.show_results(text, query.said, [row.entry for row in rows])
        self.answers += 1
        if self.step == "search":
            self.query_one("#results").display = bool(self.results)

    def _failed(self, problem: DeskProblem) -> None:
        self.note("")
        self.show_error(problem.message)
        self.answers += 1

    # -- details ---------------------------------------------------------------------------

    def open(self, reference: str) -> None:
        """Show one sale whole, with the slip its next copy would print."""
        self.note(f"Asking head office for {reference}...")
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
            self.note("")
            return
        if self.step != "details":
            self.clear_error()
            self._enter("details")
        self._show(found)
        if said:
            self.note(said)

    def _show(self, found: DeskEntry) -> None:
        """Every field, then the slip as the next copy here would come out."""
        self.found = found
        entry = found.entry
        fields = format_desk_entry(
            entry,
            found.related,
            found.reprints,
            unsealed=found.unsealed,
            uploaded_at=found.uploaded_at,
        )
        copy = next_copy(found)
        slip = SEALED_NOTE
        if found.unsealed:
            reversal = reversal_in(found.related)
            slip = self.desk.preview(
                slip_for(entry, self.desk.header, copy=copy, reversal=reversal)
            )
        summary = (
            f"{kind_label(entry.kind)} {entry.reference} on till {found.terminal_id}: "
            f"{entry.state.upper()}, printed {entry.print_count}x, reprinted "
            f"{len(found.reprints)}x."
        )
        self.show_opened(entry, fields, copy, slip, summary)

    # -- reprint ---------------------------------------------------------------------------

    def action_reprint(self) -> None:
        """Reprint the open (or highlighted) sale on this desk's printer as COPY n."""
        entry = self.to_reprint()
        if entry is None:
            return
        refusal = self.desk.cannot_reprint(entry)
        if refusal:
            self.show_error(refusal)
            return
        self.clear_error()
        self.note(f"Reprinting {entry.reference}...")
        self.desk.reprint(self, entry.reference)

    def on_slip_printed(self, message: SlipPrinted) -> None:
        text = self.desk.printed_text(message)
        if message.printed:
            self.clear_error()
            self.note(text)
        else:
            self.show_error(text)
        if self.found is not None and self.found.entry.reference == message.reference:
            said = text if message.printed else ""  # a failure stays on the error line
            self.run_worker(self._open(message.reference, said), group="desk", exclusive=True)


__all__ = [
    "DeskBar",
    "DeskProblem",
    "DeskScreen",
    "DeskSignInScreen",
    "next_copy",
    "parse_desk_query",
]
