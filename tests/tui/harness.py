"""Builds a TillApp on a real journal and an in-process sandbox the test can steer, and the one
way a screen test waits: for what the screen shows, never for a time."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from receipts import PreviewPrinter, PrintError
from tests.support import HANG_SECONDS, sandbox_client
from till.config import Settings, load_settings
from till.journal import Journal
from till.outcome import Outcome
from till.runtime import slip_header
from till.sales import Backoff, SaleEngine
from till.sales.printing import SlipPrinter
from till.sandbox import Sandbox
from till.tui.app import TillApp
from till.tui.screens.cashout import CashOutScreen


async def wait_for(
    pilot: Pilot[None],
    condition: Callable[[], object],
    what: str = "the screen",
    seconds: float = HANG_SECONDS,
) -> None:
    """Let the app work until `condition()` holds. The deadline only bounds a hang: a loaded
    machine may take seconds over what takes milliseconds on an idle one."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while not condition():
        if loop.time() > deadline:
            pytest.fail(f"waited {seconds:.0f} s for {what}")
        await pilot.pause()


class FakeClock:
    """A monotonic clock (seconds) for `TillApp(monotonic=...)` that moves only when the test
    says; `reads` counts how often the app has read it."""

    def __init__(self, start: float = 1_000.0) -> None:
        self.now = start
        self.reads = 0

    def __call__(self) -> float:
        self.reads += 1
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class Till:
    app: TillApp
    sandbox: Sandbox
    journal: Journal
    printer: PreviewPrinter
    settings: Settings

    def jam_printer(self) -> None:
        """From now on every receipt fails as a jammed printer does."""
        jam(self.printer)


def jam(printer: PreviewPrinter) -> None:
    """From now on every receipt `printer` is given fails as a jammed printer does."""

    def jammed(document: object) -> None:
        raise PrintError("printer: paper jam")

    printer.print = jammed  # type: ignore[method-assign]


def write_settings(tmp_path: Path, extra: str = "") -> Settings:
    path = tmp_path / "till.toml"
    path.write_text(
        '[till]\nstore_id = "S1"\nterminal_id = "T1"\nstore_name = "Corner Shop"\n'
        f'[journal]\npath = "{tmp_path / "journal.sqlite3"}"\n'
        '[training]\nenabled = true\n[printer]\nkind = "preview"\n' + extra
    )
    return load_settings(path)


def quick_retry() -> Backoff:
    """Retries from 50 ms (up to 200 ms): what is in doubt settles while the test waits."""
    return Backoff(base_ms=50, cap_ms=200)


@asynccontextmanager
async def sandbox_engine(
    settings: Settings,
    sandbox: Sandbox,
    printer: PreviewPrinter | None,
    *,
    journal_file: Path | None = None,
    **options: Any,
) -> AsyncIterator[SaleEngine]:
    """`settings`' till as an engine talking to `sandbox` in process and printing its slips on
    `printer` (None: no slips), journaling in `journal_file` (default: `[journal] path`), opened
    here. `options` are SaleEngine's; unless they say otherwise the ids are `[till]`'s and it is
    in training."""
    options = {
        "store_id": settings.till.store_id,
        "terminal_id": settings.till.terminal_id,
        "training": True,
        **options,
    }
    with Journal.open(journal_file or settings.journal.resolved_path()) as journal:
        async with sandbox_client(sandbox) as client:
            engine = SaleEngine(journal, client, **options)
            if printer is not None:
                slips = SlipPrinter(journal, printer, slip_header(settings), clock=engine.clock)
                engine.slips = slips
            yield engine


@asynccontextmanager
async def till_app(
    tmp_path: Path,
    sandbox: Sandbox | None = None,
    *,
    store_id: str = "S1",
    terminal_id: str = "T1",
) -> AsyncIterator[Till]:
    """An app whose engine talks to `sandbox` in process and prints to a PreviewPrinter."""
    settings = write_settings(tmp_path)
    sb = sandbox or Sandbox(seed=99)
    printer = PreviewPrinter()
    ids = {"store_id": store_id, "terminal_id": terminal_id}
    async with sandbox_engine(settings, sb, printer, backoff=quick_retry(), **ids) as engine:
        app = TillApp(settings, engine=engine, catalog_path=tmp_path / "catalog.json")
        yield Till(app, sb, engine.journal, printer, settings)


async def sell_a_cash_out_pin(pilot: Pilot[Any]) -> Outcome:
    """F6 and an R150 Cash Out PIN by keys (it needs no product list): whether the till still
    sells after whatever the test broke. The outcome, once the screen shows one."""
    await pilot.press("f6")
    for text in ("1", "150", ""):
        await pilot.press(*text, "enter")
    screen = pilot.app.screen
    assert isinstance(screen, CashOutScreen)
    await wait_for(pilot, lambda: screen.step == "outcome", "the outcome, not 'Sending...'")
    assert screen.outcome is not None
    return screen.outcome
