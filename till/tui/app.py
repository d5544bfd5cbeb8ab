"""The till app: one engine for the app's lifetime, screens as modes, I/O in app-owned workers.

Screens never await the network themselves: they ask the app to `transact`, the app runs the
engine call in a worker it owns (so closing a screen cannot orphan a sale) and posts the outcome
back to the screen that asked. One transaction at a time: a second submit is refused. What the
screens read (entries, lists, the product list) they read through `reads` (`till.sales.reads`),
never from the journal or the Flash client themselves; the slow lists in a thread.

Staff (when `[staff] enabled`):

- Sign-in and lock (`till.tui.staffing`, as at the service desk). The app starts on
  `SignInScreen`; a cashier's id and PIN sets `engine.cashier`, so every journal entry records
  who made it, and the status bar shows them. Ctrl+L, or `idle_lock_seconds` without a key,
  pushes the same screen over whatever is showing (nothing underneath can be read or switched
  to); the cashier's PIN, or a supervisor's, pops it again, and another cashier signing in
  takes over the till. Workers keep running.
- Approvals: a screen's engine call has the shape `Call = (engine, approved_by) -> Outcome` and
  passes `approved_by` to the engine method. `transact` runs it with None first; if the engine
  raises `ApprovalRequired` (nothing is journaled or sent then), the app, still in its own
  worker, pushes `ApprovalScreen` and awaits it, then runs the same call again with the
  supervisor's id, which the engine records on the entry. Escape on the modal posts
  `TransactionRefused(..., field="approval")` and the screen says it was not approved. Screens
  do nothing else for approvals.
- Work that is not an engine transaction but needs a supervisor (a reprint) awaits
  `ask_approval(reason)` from an app-owned worker (`run_engine`) before doing it; it returns the
  approver's id, or None when not approved (and at once the "" when staff is off).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import importlib
import logging
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING

from textual.binding import Binding
from textual.reactive import reactive
from textual.screen import Screen

from till import logfile
from till.clock import now_ms
from till.config.paths import catalog_file
from till.config.quick import FirstFrame, PendingSettings
from till.config.sources import ConfigError
from till.runtime import open_engine, open_users
from till.tui.catalog import SaleItem, load_catalog, sale_items, save_catalog
from till.tui.confirm import QuitScreen
from till.tui.messages import NOT_APPROVED, Call, TransactionDone, TransactionRefused
from till.tui.staffing import StaffedApp

if TYPE_CHECKING:  # loaded in the background once the Sell screen is up
    from till.config import Settings
    from till.journal import Journal, JournalFault
    from till.sales import SaleEngine
    from till.sales.reads import SaleReads
    from till.staff import Role, User, UserStore
    from till.tui.host import TillHost
    from till.tui.hq import HqLink

log = logging.getLogger("till.tui")

#: Default keys per screen; `[keys]` in the config can remap them.
DEFAULT_KEYS: dict[str, str] = {
    "sell": "f2",
    "redeem": "f3",
    "refund": "f4",
    "vend": "f5",
    "cashout": "f6",
    "journal": "f7",
    "in_doubt": "f8",
    "disburse": "f10",
}
#: Each screen's name in the key bar: one word each, so every key fits 80 columns beside a
#: screen's own keys (F9 Slip, ^p Receipt, ^r Reprint).
SCREEN_TITLES: dict[str, str] = {
    "sell": "Sell",
    "redeem": "Redeem",
    "refund": "Refund",
    "vend": "Vend",
    "cashout": "CashOut",
    "journal": "Journal",
    "in_doubt": "Doubt",
    "disburse": "PayOut",
}


def _screens() -> dict[str, Callable[[], Screen[None]]]:
    from till.tui.screens import SCREENS

    return SCREENS


def _import_engine(printer_kind: str) -> None:
    for module in ("till.flash", "till.sales", "till.slips", "receipts", "till.staff"):
        importlib.import_module(module)
    if printer_kind not in ("none", "preview"):  # python-escpos takes ~0.3 s to import
        from receipts.escpos import escpos_modules

        escpos_modules()


class TillApp(StaffedApp):
    """One till: sells through its engine, shows every answer, keeps trying what is in doubt."""

    CSS_PATH = "till.tcss"
    TITLE = "till"
    ENABLE_COMMAND_PALETTE = False

    #: The Sell screen is the app's first screen, not a mode switched to after start-up, which
    #: would style and lay out the whole app a second time before the cashier can type.
    DEFAULT_MODE = "sell"

    open_count: reactive[int] = reactive(0)
    catalog: reactive[tuple[SaleItem, ...]] = reactive(())
    busy: reactive[bool] = reactive(False)

    def __init__(
        self,
        settings: Settings | PendingSettings,
        *,
        engine: SaleEngine | None = None,
        catalog_path: Path | None = None,
        users: UserStore | None = None,
        idle_lock_seconds: float | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        """`settings` may still be pending: the screens paint from their first frame and the
        whole config is validated in the background before anything is sold. `users` and
        `idle_lock_seconds` override the settings' (tests use a short idle); `monotonic` is the
        clock the idle lock reads, in seconds (tests pass a fake one and move it on)."""
        super().__init__()
        if isinstance(settings, PendingSettings):
            self.first = settings.first
            self._settings: Settings | None = None
            self._load_settings: Callable[[], Settings] | None = settings.load
        else:
            self.first = FirstFrame.of(settings)
            self._settings = settings
            self._load_settings = None
        #: Why the config was refused after the first frame (the app then exits with status 2).
        self.config_error: str | None = None
        #: The journal could not be opened: the command line says so, with its exit status.
        self.journal_fault: JournalFault | None = None
        #: Set once the config is validated (or refused) and, with staff, the users file opened.
        self._prepared = asyncio.Event()
        self.training = self.first.training
        self._engine: SaleEngine | None = engine
        self._journal: Journal | None = engine.journal if engine is not None else None
        self._own_journal = False
        self._reads: SaleReads | None = None
        self._engine_started = asyncio.Event()
        self.start_error: str | None = None
        self._stack = contextlib.AsyncExitStack()
        self._stop = asyncio.Event()
        self.catalog_path = catalog_path or catalog_file(self.first.journal_path)
        keys = {**DEFAULT_KEYS, **self.first.keys}
        self._sell_factory = _screens()["sell"]
        for mode, factory in _screens().items():
            if mode != "sell":
                self.add_mode(mode, factory)
            self.bind(keys[mode], f"switch_mode('{mode}')", description=SCREEN_TITLES[mode])
        self.bind("ctrl+q", "quit", description="Quit", show=False)
        self.keys = keys
        self.init_staff(
            enabled=self.first.staff_enabled,
            users=users,
            idle_lock_seconds=idle_lock_seconds,
            configured_idle=self.first.idle_lock_seconds,
            monotonic=monotonic,
            cashier=engine.cashier if engine is not None else None,
        )
        self._own_users = False
        #: The uploader to head office, with `[central]` (see `till.tui.hq`).
        self.hq: HqLink | None = None

    @property
    def settings(self) -> Settings:
        """The validated settings: there before the engine starts, maybe not at the first frame."""
        assert self._settings is not None, "the settings are still being validated"
        return self._settings

    @property
    def engine(self) -> SaleEngine:
        """The sale engine; screens reach it only through `transact`/`run_engine` or after
        `ready`, because it starts in the background while the Sell screen is already up."""
        assert self._engine is not None, "the engine is still starting"
        return self._engine

    @property
    def ready(self) -> bool:
        return self._engine is not None

    @property
    def reads(self) -> SaleReads:
        """The screens' one way to read the journal and the product list: there from the first
        frame (the journal and its read-only twin open then), given the engine once it has
        started. Built on first use, as it loads the engine's modules: nothing here touches
        the file, so it cannot fail for the journal's sake."""
        if self._reads is None:
            from till.sales.reads import SaleReads

            assert self._journal is not None, "the journal opens when the app mounts"
            self._reads = SaleReads(self._journal, self._engine)
        return self._reads

    @staticmethod
    def now() -> int:
        """Unix milliseconds, the journal's clock."""
        return now_ms()

    @property
    def identity_text(self) -> str:
        first = self.first
        who = f"{first.store_name or first.store_id}  till {first.terminal_id}"
        if self.hq is not None:  # before the cashier: the top bar is 80 columns
            who += f"  {self.hq.label}"
        cashier = self.cashier
        if not cashier:
            return who
        user = self.user
        name = f"{user.name} ({cashier})" if user is not None and user.id == cashier else cashier
        return f"{who}  cashier {name}"

    def get_default_screen(self) -> Screen[None]:
        """The Sell screen (see DEFAULT_MODE); its mode is added once it is up."""
        return self._sell_factory()

    async def on_mount(self) -> None:
        """Show the Sell screen first; the Flash client and engine start in the background."""
        from till.journal import JournalFault

        try:
            self._open_journal()
        except JournalFault as exc:  # said on the terminal, with its exit status
            self.journal_fault = exc
            self.call_after_refresh(self.exit, None, 1)  # once the Sell screen is up
            return
        self.catalog = tuple(load_catalog(self.catalog_path))
        self.add_mode("sell", self._sell_factory)
        await self.sign_in_first()
        # After the first frame: the cashier sees the Sell screen while the rest loads.
        self.call_after_refresh(self.run_worker, self._start(), name="start", exit_on_error=False)

    def _open_journal(self) -> None:
        """The journal (unless the engine the app was given brought its own) and its read-only
        twin, which the screens' lists read through: a JournalFault opening either ends the
        app before anything is sold, with the fault said on the terminal."""
        if self._journal is None:
            from till.journal import Journal

            self._journal = Journal.open(self.first.journal_path)
            self._own_journal = True
        self._journal.reader()

    async def _start(self) -> None:
        """Start everything the first frame did not need. However it ends, a PIN typed and a
        transaction asked for meanwhile stop waiting for it."""
        try:
            await self._start_up()
        except Exception as exc:  # a bug: logged and said, and the till goes on as far as it can
            log.error("the till did not start fully (%s)", type(exc).__name__, exc_info=exc)
            if self._engine is None:  # nothing can be sold: every transaction then says why
                self.start_error = self.start_error or f"The till could not start: {exc}"
                self.notify(self.start_error, severity="error", timeout=60)
            else:
                self.notify(f"Part of the till did not start: {exc}", severity="warning")
        finally:
            self._prepared.set()
            self._engine_started.set()

    async def _start_up(self) -> None:
        # The settings are validated, and the Flash client, models, engine and sandbox imported,
        # in threads so the screen keeps answering keys meanwhile.
        try:
            settings = await self._validated_settings()
        except Exception as exc:  # nothing can be sold on a config that is not valid
            self.config_error = str(exc) if isinstance(exc, ConfigError) else f"config: {exc}"
            self.start_error = f"The till could not start: {self.config_error}"
            self.exit(return_code=2)
            return
        # The log file (logging.handlers, its directory) opens here, off the first frame.
        log_problem = await asyncio.to_thread(logfile.open_log, settings)
        if log_problem:
            self.notify(f"No log file: {log_problem}", severity="warning", timeout=30)
        try:
            if self.staff_enabled and self._users is None:
                self._users = await asyncio.to_thread(open_users, settings)
                self._own_users = True
        except Exception as exc:
            self.start_error = f"The users file could not be opened: {exc}"
        finally:
            self._prepared.set()
        try:
            await asyncio.to_thread(_import_engine, settings.printer.kind)
            if self._engine is None:
                self._engine = await self._stack.enter_async_context(
                    open_engine(settings, loopback=True, journal=self._journal)
                )
        except Exception as exc:  # shown to the cashier; every transaction then says so
            self.start_error = self.start_error or f"The till could not start: {exc}"
            self.notify(self.start_error, severity="error", timeout=60)
            return
        engine = self._engine
        engine.cashier = self.cashier
        self.reads.engine = engine
        self._use_catalog()
        self.open_count = engine.open_count
        engine.on_open_count(self._open_count_changed)
        self._engine_started.set()
        self.run_worker(engine.run_resolver(self._stop), name="resolver", exit_on_error=False)
        self.run_worker(self._load_catalog(), name="catalog", exit_on_error=False)
        if settings.central is not None:  # head office: a thread of its own, never waited on
            from till.tui.hq import start_hq

            assert self._journal is not None
            self.hq = await start_hq(
                settings, self._journal.path, self._refresh_identity, self._warn
            )
            self._refresh_identity()
        from till.tui.screens import SCREEN_MODULES

        for module in SCREEN_MODULES:  # the other screens open without a pause later
            await asyncio.to_thread(importlib.import_module, module)

    async def _validated_settings(self) -> Settings:
        """The whole config, validated: ConfigError if it is wrong, or if it does not say what
        the first frame showed (then nothing has been sold on it)."""
        if self._settings is not None:
            return self._settings
        assert self._load_settings is not None
        settings = await asyncio.to_thread(self._load_settings)
        differ = self.first.differences(FirstFrame.of(settings))
        if differ:  # the file was read once: only a fault in the quick read can do this
            raise ConfigError(
                f"internal error: the quick read of the configuration disagrees with its "
                f"validation on {', '.join(differ)}; nothing was sold. Please report this."
            )
        self._settings = settings
        return settings

    async def action_switch_mode(self, mode: str) -> None:
        """The other screens read settings the first frame does not have: a key pressed while
        the config is still being validated (a fraction of a second) opens its screen after."""
        if self._settings is None:
            self.run_worker(self._switch_once_validated(mode), group="switch", exclusive=True)
            return
        await super().action_switch_mode(mode)

    async def _switch_once_validated(self, mode: str) -> None:
        await self._prepared.wait()
        if self.config_error is None:
            self.switch_mode(mode)

    async def _engine_ready(self) -> SaleEngine | None:
        await self._engine_started.wait()
        return self._engine

    async def on_unmount(self) -> None:
        self._stop.set()
        if self.hq is not None:
            await self.hq.stop()
        await self._stack.aclose()
        if self._own_journal and self._journal is not None:
            self._journal.close()
        if self._own_users and self._users is not None:
            self._users.close()

    # -- staff: sign-in, lock, approvals (till.tui.staffing) ------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """While locked (or before sign-in) no screen can be switched to; no lock if no staff."""
        if action == "switch_mode":
            if parameters and parameters[0] == self.current_mode:
                return False  # the key bar leaves out the screen you are on: 80 columns are few
            return not self.locked
        return super().check_action(action, parameters)

    async def action_quit(self) -> None:
        """Ctrl+Q: at once when nothing is open; with sales in doubt, ask first (they stay in the
        journal, and the till tries them again when it next starts)."""
        count = self._journal.count_open() if self._journal is not None else 0
        if not count or isinstance(self.screen, QuitScreen):
            self.exit()
            return
        self.push_screen(QuitScreen(count), self._quit_answered)

    def _quit_answered(self, quit_now: bool | None) -> None:
        if quit_now:
            self.exit()

    async def verify_user(self, user_id: str, pin: str, *, role: Role = "cashier") -> User:
        """The user if the PIN is right (a StaffError if not); a PIN typed while the till is
        still starting waits for the users file."""
        await self._prepared.wait()
        return await super().verify_user(user_id, pin, role=role)

    def signed_in(self, user: User) -> None:
        """`user` is now the cashier: every journal entry from here on records them."""
        if self._engine is not None:
            self._engine.cashier = user.id
        super().signed_in(user)

    def _warn(self, text: str) -> None:
        self.notify(text, severity="warning", timeout=30)

    def _open_count_changed(self, count: int) -> None:
        self.open_count = count

    async def _load_catalog(self) -> None:
        from till.flash import FlashError

        try:
            products = await self.reads.list_products()
        except FlashError as exc:
            if not self.catalog:
                self.notify(f"Product list unavailable: {exc}", severity="warning")
            return
        self.catalog = tuple(sale_items(products))
        self._use_catalog()
        with contextlib.suppress(OSError):
            save_catalog(self.catalog_path, self.catalog)

    def _use_catalog(self) -> None:
        """The engine checks amounts against the product list, and slips name products as it
        does: the same list the screens show."""
        if self._engine is None or not self.catalog:
            return
        self._engine.products = self.catalog
        slips = self._engine.slips
        if slips is not None:
            names = {**slips.header.products, **{item.code: item.name for item in self.catalog}}
            slips.header = dataclasses.replace(slips.header, products=names)

    def transact(self, screen: Screen[None], call: Call) -> bool:
        """Run one engine call for `screen`; False (and nothing runs) while another is busy.

        `call(engine, approved_by)` runs with None; on ApprovalRequired the app asks a supervisor
        and runs it again with their id (see the module docstring)."""
        if self.busy:
            return False
        self.busy = True
        self.run_worker(self._transact(screen, call), group="transaction", exit_on_error=False)
        return True

    async def _transact(self, screen: Screen[None], call: Call) -> None:
        from till.journal import JournalFault
        from till.sales import InputError
        from till.staff import ApprovalRequired

        approved_by: str | None = None
        try:
            engine = await self._engine_ready()
            if engine is None:
                screen.post_message(TransactionRefused(self.start_error or "The till is not ready"))
                return
            while True:
                try:
                    outcome = await call(engine, approved_by)
                    break
                except ApprovalRequired as exc:  # nothing was journaled or sent
                    waiting = getattr(screen, "awaiting_approval", None)
                    if waiting is not None:  # the screen must not say "sending" meanwhile
                        waiting(True)
                    approved_by = await self.ask_approval(exc.reason) or None
                    if approved_by is not None and waiting is not None:
                        waiting(False)
                    if approved_by is None:
                        message = f"Not approved: {exc.reason}"
                        screen.post_message(TransactionRefused(message, NOT_APPROVED))
                        return
        except InputError as exc:
            screen.post_message(TransactionRefused(exc.message, exc.field))
        except JournalFault as exc:  # the file itself: nothing more can be recorded or sold
            log.error("journal fault: %s", exc)
            self.notify(str(exc), title="STOP SELLING", severity="error", timeout=3600)
            screen.post_message(TransactionRefused(f"STOP SELLING: {exc}"))
        except Exception as exc:  # the engine journals first, so a crash here loses nothing
            log.error("transaction failed unexpectedly (%s)", type(exc).__name__, exc_info=exc)
            screen.post_message(TransactionRefused(f"Unexpected error: {exc}. Check F7/F8."))
        else:
            screen.post_message(TransactionDone(outcome))
        finally:
            self.busy = False

    def run_engine(self, call: Callable[[SaleEngine], Awaitable[object]]) -> None:
        """Background engine work a screen does not wait on (retry now, printing slips)."""

        async def when_ready() -> None:
            engine = await self._engine_ready()
            if engine is not None:
                await call(engine)

        self.run_worker(when_ready(), group="engine", exit_on_error=False)


if TYPE_CHECKING:

    def _as_host(app: TillApp) -> TillHost:
        """mypy checks here that the app is what its screens take it for (`TillHost`)."""
        return app


__all__ = ["DEFAULT_KEYS", "Binding", "TillApp"]
