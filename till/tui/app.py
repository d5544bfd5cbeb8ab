"""The till app: one engine for the app's lifetime, screens as modes, I/O in app-owned workers.

Screens never await the network themselves: they ask the app to `transact`, the app runs the
engine call in a worker it owns (so closing a screen cannot orphan a sale) and posts the outcome
back to the screen that asked. One transaction at a time: a second submit is refused.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from pathlib import Path

from textual.app import App
from textual.binding import Binding
from textual.reactive import reactive
from textual.screen import Screen

from till.config import Settings
from till.flash import FlashError
from till.flash.models import Product
from till.runtime import journal_path, open_engine
from till.sales import InputError, Outcome, SaleEngine
from till.tui.catalog import SaleItem, load_catalog, sale_items, save_catalog
from till.tui.messages import TransactionDone, TransactionRefused

Call = Callable[[SaleEngine], Awaitable[Outcome]]

#: Default keys per screen; `[keys]` in the config can remap them.
DEFAULT_KEYS: dict[str, str] = {
    "sell": "f2",
    "redeem": "f3",
    "refund": "f4",
    "vend": "f5",
    "cashout": "f6",
    "journal": "f7",
    "in_doubt": "f8",
}
SCREEN_TITLES: dict[str, str] = {
    "sell": "Sell",
    "redeem": "Redeem",
    "refund": "Refund",
    "vend": "Prepaid",
    "cashout": "Cash Out",
    "journal": "Journal",
    "in_doubt": "In doubt",
}


def _screens() -> dict[str, Callable[[], Screen[None]]]:
    from till.tui.screens import SCREENS

    return SCREENS


class TillApp(App[None]):
    """One till: sells through its engine, shows every answer, keeps trying what is in doubt."""

    CSS_PATH = "till.tcss"
    TITLE = "till"
    ENABLE_COMMAND_PALETTE = False

    open_count: reactive[int] = reactive(0)
    catalog: reactive[tuple[SaleItem, ...]] = reactive(())
    busy: reactive[bool] = reactive(False)

    def __init__(
        self,
        settings: Settings,
        *,
        engine: SaleEngine | None = None,
        catalog_path: Path | None = None,
    ) -> None:
        super().__init__()
        self.settings = settings
        self.training = settings.training.enabled
        self._given_engine = engine
        self._engine: SaleEngine | None = engine
        self._stack = contextlib.AsyncExitStack()
        self._stop = asyncio.Event()
        self.catalog_path = catalog_path or journal_path(settings).with_name("catalog.json")
        keys = {**DEFAULT_KEYS, **settings.keys.model_dump(exclude_none=True)}
        for mode, factory in _screens().items():
            self.add_mode(mode, factory)
            self.bind(keys[mode], f"switch_mode('{mode}')", description=SCREEN_TITLES[mode])
        self.bind("ctrl+q", "quit", description="Quit", show=False)
        self.keys = keys

    @property
    def engine(self) -> SaleEngine:
        assert self._engine is not None, "the engine starts with the app"
        return self._engine

    @property
    def identity_text(self) -> str:
        till = self.settings.till
        who = f"{till.store_name or till.store_id}  till {till.terminal_id}"
        return who + (f"  cashier {self.engine.cashier}" if self.engine.cashier else "")

    async def on_mount(self) -> None:
        if self._engine is None:
            self._engine = await self._stack.enter_async_context(
                open_engine(self.settings, loopback=True)
            )
        self.open_count = self.engine.open_count
        self.engine.on_open_count(self._open_count_changed)
        self.catalog = tuple(sale_items(load_catalog(self.catalog_path)))
        self.run_worker(self.engine.run_resolver(self._stop), name="resolver", exit_on_error=False)
        self.run_worker(self._load_catalog(), name="catalog", exit_on_error=False)
        await self.switch_mode("sell")

    async def on_unmount(self) -> None:
        self._stop.set()
        await self._stack.aclose()

    def _open_count_changed(self, count: int) -> None:
        self.open_count = count

    async def _load_catalog(self) -> None:
        try:
            products: list[Product] = await self.engine.client.list_products()
        except FlashError as exc:
            if not self.catalog:
                self.notify(f"Product list unavailable: {exc}", severity="warning")
            return
        self.catalog = tuple(sale_items(products))
        with contextlib.suppress(OSError):
            save_catalog(self.catalog_path, products)

    def transact(self, screen: Screen[None], call: Call) -> bool:
        """Run one engine call for `screen`; False (and nothing runs) while another is busy."""
        if self.busy:
            return False
        self.busy = True
        self.run_worker(self._transact(screen, call), group="transaction", exit_on_error=False)
        return True

    async def _transact(self, screen: Screen[None], call: Call) -> None:
        try:
            outcome = await call(self.engine)
        except InputError as exc:
            screen.post_message(TransactionRefused(exc.message, exc.field))
        except Exception as exc:  # the engine journals first, so a crash here loses nothing
            screen.post_message(TransactionRefused(f"Unexpected error: {exc}. Check F7/F8."))
        else:
            screen.post_message(TransactionDone(outcome))
        finally:
            self.busy = False

    def run_engine(self, call: Callable[[SaleEngine], Awaitable[object]]) -> None:
        """Background engine work a screen does not wait on (retry now, printing slips)."""
        self.run_worker(call(self.engine), group="engine", exit_on_error=False)


__all__ = ["DEFAULT_KEYS", "Binding", "TillApp"]
