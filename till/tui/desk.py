"""`till desk`: the service desk's app, one screen over head office's ledger for the whole store.

A small app of its own rather than a mode of the till's: the desk sells nothing, so it has no
Flash client, no engine and no journal, only the central ledger (`till.central.desk.Desk`), the
store's key (to read a sale's PINs back onto paper), its own printer and, with `[staff]`, the
till's sign-in, lock and supervisor approval, with the same screens. Every question to head
office runs in a thread; a reprint runs in a worker the app owns: the supervisor first, then
the copy is recorded centrally, then it prints (the record is the audit trail of a PIN put on
paper again, so a failed print still says which copy it was).
"""

from __future__ import annotations

import asyncio
import logging
import sys
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from textual.binding import Binding
from textual.reactive import reactive
from textual.screen import Screen

from till.clock import now_ms
from till.runtime import receipt_preview, slip_header
from till.tui.messages import SlipPrinted
from till.tui.printing import REPRINT_REASON
from till.tui.screens.desk import DeskProblem, DeskScreen, DeskSignInScreen
from till.tui.staffing import StaffedApp
from till.words.desk import NO_KEY, reprint_not_printed, reprint_printed
from till.words.hq import DESK_OFFLINE, DESK_ONLINE, HQ_STARTING, sentence

if TYPE_CHECKING:
    from receipts import Document, ReceiptPrinter
    from till.central.desk import Desk
    from till.config import Settings
    from till.journal import Entry
    from till.slips import SlipHeader
    from till.staff import UserStore
    from till.tui.host import DeskHost

log = logging.getLogger("till.tui")

T = TypeVar("T")


class DeskApp(StaffedApp):
    """The service desk of one store: finds any till's sale centrally and reprints it here."""

    CSS_PATH = ["till.tcss", "desk.tcss"]
    TITLE = "till desk"
    ENABLE_COMMAND_PALETTE = False
    BINDINGS = [Binding("ctrl+q", "quit", "Quit", show=False)]

    #: Whether head office answered the last question (the top bar's badge).
    link: reactive[str] = reactive(HQ_STARTING)

    def __init__(
        self,
        settings: Settings,
        desk: Desk,
        printer: ReceiptPrinter | None,
        *,
        users: UserStore | None = None,
        header: SlipHeader | None = None,
        idle_lock_seconds: float | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        """`desk` is this store's view of the ledger (with the store key to reprint); `users`
        the till's users file when `[staff]` is on; `monotonic` the idle lock's clock."""
        super().__init__()
        self.settings = settings
        self.desk = desk
        self.printer = printer
        self.header = header or slip_header(settings)
        self.training = False  # the desk sells nothing; the ledger holds no training sale
        self.init_staff(
            enabled=settings.staff.enabled,
            users=users,
            idle_lock_seconds=idle_lock_seconds,
            configured_idle=float(settings.staff.idle_lock_seconds),
            monotonic=monotonic,
        )
        self.printing = False

    @property
    def identity_text(self) -> str:
        till = self.settings.till
        who = f"{till.store_name or till.store_id}  desk {till.terminal_id}"
        user = self.user
        if user is None:
            return who
        return f"{who}  clerk {user.name} ({user.id})"

    def get_default_screen(self) -> Screen[None]:
        return DeskScreen()

    def signin_screen(self, locked_by: str | None) -> Screen[None]:
        return DeskSignInScreen(locked_by=locked_by)

    async def on_mount(self) -> None:
        await self.sign_in_first()

    # -- head office -------------------------------------------------------------------------

    async def ask(self, call: Callable[[Desk], T]) -> T:
        """`call(desk)` in a thread; DeskProblem (what went wrong, what to do) if head office
        could not answer or refused. The top bar says which."""
        import psycopg

        from till.central.connect import CentralUnavailable
        from till.central.desk import DeskError
        from till.central.seal import SealError
        from till.central.upload import safe_error
        from till.words.desk import answer_unreadable, unreachable

        try:
            result = await asyncio.to_thread(call, self.desk)
        except CentralUnavailable as exc:  # no connection (or a [central] that cannot make one)
            self.link = DESK_OFFLINE
            raise DeskProblem(sentence(str(exc))) from None
        except psycopg.OperationalError as exc:  # the connection broke on the way
            self.link = DESK_OFFLINE
            raise DeskProblem(sentence(unreachable(safe_error(exc)))) from None
        except psycopg.Error as exc:  # it answered, and refused
            self.link = DESK_ONLINE
            raise DeskProblem(
                sentence(f"head office's database refused: {safe_error(exc)}")
            ) from None
        except (DeskError, SealError) as exc:
            self.link = DESK_ONLINE
            raise DeskProblem(sentence(str(exc))) from None
        except Exception as exc:  # a bug reading the answer: said, logged, and the desk goes on
            log.error("desk call failed unexpectedly (%s)", type(exc).__name__, exc_info=exc)
            raise DeskProblem(sentence(answer_unreadable(type(exc).__name__))) from None
        self.link = DESK_ONLINE
        return result

    def preview(self, document: Document) -> str:
        """The slip as the desk's printer prints it."""
        return receipt_preview(self.settings, document)

    def cannot_reprint(self, entry: Entry) -> str | None:
        """Why this sale cannot be reprinted here (None: it can)."""
        if self.desk.key is None:
            return sentence(NO_KEY)
        if self.printer is None:
            return "This desk has no printer ([printer] kind is none): nothing can be reprinted."
        if entry.is_open:
            return (
                f"Flash has not confirmed {entry.reference} yet: till {entry.terminal_id} is "
                "still trying it; its in-doubt slip prints there (F9)."
            )
        return None

    def reprint(self, screen: Screen[None], reference: str) -> None:
        """Reprint `reference` here as COPY n, in a worker the app owns (so the approval modal
        and the print outlive anything the screen does); the screen hears `SlipPrinted`."""
        if self.printing:
            screen.post_message(
                SlipPrinted(reference, False, error="a reprint is already printing")
            )
            return
        self.printing = True
        self.run_worker(self._reprint(screen, reference), group="reprint", exit_on_error=False)

    async def _reprint(self, screen: Screen[None], reference: str) -> None:
        try:
            approver = await self.ask_approval(REPRINT_REASON)
            if approver is None:
                screen.post_message(SlipPrinted(reference, False, error="not approved"))
                return
            try:
                entry, copy, reversal = await self.ask(
                    lambda desk: self._record(desk, reference, approver or None)
                )
            except DeskProblem as exc:
                screen.post_message(SlipPrinted(reference, False, error=exc.message))
                return
            error = await self._print_copy(entry, copy, reversal)
            screen.post_message(SlipPrinted(reference, error is None, copy, error))
        finally:
            self.printing = False

    def _record(
        self, desk: Desk, reference: str, approver: str | None
    ) -> tuple[Entry, int, Entry | None]:
        """The sale as the till journaled it (PINs included), the copy head office allocated
        for this reprint, recorded before anything prints, and the sale's void if it has one."""
        from till.central.desk import DeskError
        from till.words.desk import not_found
        from till.words.void import reversal_in

        found = desk.get(reference)
        if found is None:
            raise DeskError(not_found(reference))
        if not found.unsealed:
            raise DeskError(NO_KEY)
        refusal = self.cannot_reprint(found.entry)
        if refusal:
            raise DeskError(refusal.rstrip("."))
        copy = desk.reprint(
            reference,
            desk_terminal=self.settings.till.terminal_id,
            cashier=self.cashier,
            approved_by=approver,
            now_ms=now_ms(),
        )
        return found.entry, copy, reversal_in(found.related)

    async def _print_copy(self, entry: Entry, copy: int, reversal: Entry | None) -> str | None:
        """Print COPY `copy` of `entry` on the desk's printer (marked REVERSED if `reversal`, its
        void, was approved): None, or why it did not."""
        from receipts import PrintError
        from till.slips import slip_for

        printer = self.printer
        if printer is None:
            return "no printer is configured"
        document = slip_for(entry, self.header, copy=copy, reversal=reversal)
        try:
            if printer.blocking:  # a device: the screen keeps answering meanwhile
                await asyncio.to_thread(printer.print, document)
            else:
                printer.print(document)
        except PrintError as exc:
            return str(exc)
        return None

    def printed_text(self, message: SlipPrinted) -> str:
        """What the clerk reads after a reprint: which copy printed, or why not."""
        name = self.printer.name if self.printer is not None else "no printer"
        if message.printed:
            text = reprint_printed(message.copy, message.reference, name)
        elif message.copy:
            text = reprint_not_printed(message.copy, message.error or "printer error")
        else:
            text = f"not reprinted: {message.error or 'printer error'}"
        return sentence(text)


class DeskSetupError(Exception):
    """The desk cannot start on this config (exit 2); the message says what to change."""


def open_desk(settings: Settings) -> Desk:
    """This store's desk over `[central]`, a connection per question (the desk asks a few a
    minute, so a pool would hold connections open for nothing), with the store key if set."""
    from till.central.connect import connect
    from till.central.desk import Desk
    from till.central.seal import SealKey
    from till.words.desk import NO_CENTRAL

    central = settings.central
    if central is None:
        raise DeskSetupError(NO_CENTRAL)
    key = SealKey.load(central.key_file.expanduser()) if central.key_file is not None else None
    return Desk(lambda: connect(central, autocommit=True), store_id=settings.till.store_id, key=key)


def run_desk(settings: Settings) -> int:
    """`till desk`: the screens until Ctrl+Q; 2 when the config cannot run a desk."""
    from till import logfile
    from till.central.seal import KeyFileError
    from till.runtime import open_receipt_printer, open_users

    try:
        desk = open_desk(settings)
    except (DeskSetupError, KeyFileError) as exc:
        print(f"till desk: {exc}", file=sys.stderr)
        return 2
    problem = logfile.open_log(settings)
    if problem:
        print(f"till desk: no log file: {problem}", file=sys.stderr)
    users = open_users(settings) if settings.staff.enabled else None
    try:
        app = DeskApp(settings, desk, open_receipt_printer(settings), users=users)
        app.run()
    finally:
        if users is not None:
            users.close()
    return app.return_code or 0


if TYPE_CHECKING:

    def _as_host(app: DeskApp) -> DeskHost:
        """mypy checks here that the app is what its screens take it for (`DeskHost`)."""
        return app


__all__ = ["REPRINT_REASON", "DeskApp", "DeskProblem", "open_desk", "run_desk"]
