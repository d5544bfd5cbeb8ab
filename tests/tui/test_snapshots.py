"""What the cashier sees at 80x24, screen by screen, compared with reviewed SVG snapshots.

Each test runs the real `TillApp` (built from settings, as `till demo` builds it) with its engine
opened on a seeded in-process sandbox and a journal whose epoch is fixed, so every PIN, serial and
reference on screen is the same on every run. Review a changed screen with
`pytest tests/tui/test_snapshots.py --snapshot-update` and look at the SVGs under `__snapshots__/`.
"""

from __future__ import annotations

import time
import types
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

import pytest
from textual.pilot import Pilot
from textual.widgets import Input

import till.journal.journal as journal_module
import till.sandbox.state as sandbox_state
import till.tui.app as app_module
from receipts import PreviewPrinter
from tests.tui.harness import sandbox_engine, wait_for, write_settings
from till.config import Settings
from till.runtime import journal_path
from till.sales import Backoff, SaleEngine
from till.sandbox import Fault, Sandbox
from till.tui.app import TillApp

SIZE = (80, 24)
HOUR_MS = 3_600_000
SANDBOX_NOW = datetime(2026, 3, 2, 9, 30, tzinfo=sandbox_state.SAST)
SANDBOX_NOW_MS = int(SANDBOX_NOW.timestamp() * 1000)


class SnapCompare(Protocol):
    def __call__(
        self,
        app: TillApp,
        press: Iterable[str] = (),
        terminal_size: tuple[int, int] = SIZE,
        run_before: Callable[[Pilot[None]], Awaitable[None] | None] | None = None,
    ) -> bool: ...


class Steered:
    """The app under test and the sandbox behind it (so a test can inject a fault)."""

    def __init__(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        self.sandbox = Sandbox(seed=7)
        self.settings = write_settings(tmp_path)
        sandbox = self.sandbox

        @asynccontextmanager
        async def open_engine(settings: Settings, **_: Any) -> AsyncIterator[SaleEngine]:
            # the same wiring as till.runtime.open_engine, on the seeded sandbox in process;
            # the resolver waits an hour before resending, so an in-doubt sale stays in doubt
            async with sandbox_engine(
                settings,
                sandbox,
                PreviewPrinter(),
                journal_file=journal_path(settings),
                backoff=Backoff(base_ms=HOUR_MS, cap_ms=HOUR_MS, jitter=0.0),
                clock=lambda: SANDBOX_NOW_MS,  # the times in journal rows stay put
            ) as engine:
                yield engine

        # a fixed journal epoch (references on screen are S1-T1-AAAA-n on every run) and a fixed
        # sandbox clock (voucher expiry dates are "now" plus three years)
        monkeypatch.setattr(sandbox_state, "_now", lambda: SANDBOX_NOW)
        fixed = types.SimpleNamespace(choice=lambda alphabet: alphabet[0])
        monkeypatch.setattr(journal_module, "secrets", fixed)
        monkeypatch.setattr(app_module, "open_engine", open_engine)
        self.app = TillApp(self.settings)


@pytest.fixture
def till(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Steered]:
    # the machine's zone for the screens' times, whatever machine runs the snapshots
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield Steered(tmp_path, monkeypatch)
    monkeypatch.undo()
    time.tzset()


async def settle(pilot: Pilot[None]) -> None:
    """A steady cursor (it blinks every half second) and nothing left to lay out."""
    for entry in pilot.app.screen.query(Input):
        entry.cursor_blink = False
    await pilot.wait_for_scheduled_animations()
    await pilot.pause()


def step_of(app: TillApp) -> object:
    return getattr(app.screen, "step", None)


def opened(app: TillApp, mode: str) -> bool:
    """The screen of `mode` is showing, mounted, with its entry line focused."""
    focused = app.focused
    return app.current_mode == mode and focused is not None and focused.screen is app.screen


def ready(app: TillApp) -> bool:
    return bool(app.catalog) and step_of(app) == "product"


async def start(pilot: Pilot[None]) -> None:
    await wait_for(pilot, lambda: ready(pilot.app))  # type: ignore[arg-type]


def sell_to(step: str, *keys: str) -> Callable[[Pilot[None]], Awaitable[None]]:
    async def run_before(pilot: Pilot[None]) -> None:
        await start(pilot)
        await pilot.press(*keys)
        await wait_for(pilot, lambda: step_of(pilot.app) == step)  # type: ignore[arg-type]
        await settle(pilot)

    return run_before


SALE = ("1", "v", "o", "u", "enter", "5", "0", "enter")


def test_sell_at_rest_lists_the_products(till: Steered, snap_compare: SnapCompare) -> None:
    async def run_before(pilot: Pilot[None]) -> None:
        await start(pilot)
        await settle(pilot)

    assert snap_compare(till.app, run_before=run_before)


def test_sell_confirm_step(till: Steered, snap_compare: SnapCompare) -> None:
    assert snap_compare(till.app, run_before=sell_to("confirm", *SALE))


def test_sell_approved_shows_the_pin_big(till: Steered, snap_compare: SnapCompare) -> None:
    assert snap_compare(till.app, run_before=sell_to("outcome", *SALE, "enter"))


def test_sell_in_doubt_says_do_not_sell_again(till: Steered, snap_compare: SnapCompare) -> None:
    till.sandbox.faults.inject(Fault("drop"))
    assert snap_compare(till.app, run_before=sell_to("outcome", *SALE, "enter"))


@pytest.mark.parametrize(
    ("key", "mode"),
    [
        ("f3", "redeem"),
        ("f4", "refund"),
        ("f5", "vend"),
        ("f6", "cashout"),
        ("f7", "journal"),
        ("f8", "in_doubt"),
        ("f10", "disburse"),
    ],
)
def test_every_other_screen_at_rest(
    till: Steered, snap_compare: SnapCompare, key: str, mode: str
) -> None:
    async def run_before(pilot: Pilot[None]) -> None:
        await start(pilot)
        app: TillApp = pilot.app  # type: ignore[assignment]
        await pilot.press(key)
        await wait_for(pilot, lambda: opened(app, mode), f"the {mode} screen")
        await settle(pilot)

    assert snap_compare(till.app, run_before=run_before)


def test_key_change_vend_shows_reference_and_units_at_80x24(
    till: Steered, snap_compare: SnapCompare
) -> None:
    keys = ("f5", *"04141414141", "enter", *"100", "enter")

    async def run_before(pilot: Pilot[None]) -> None:
        await start(pilot)
        await pilot.press(*keys)
        await wait_for(pilot, lambda: step_of(pilot.app) == "confirm")  # type: ignore[arg-type]
        await pilot.press("enter")
        await wait_for(pilot, lambda: step_of(pilot.app) == "outcome")  # type: ignore[arg-type]
        await settle(pilot)

    assert snap_compare(till.app, run_before=run_before)


def test_cash_out_cancel_answer_has_no_pin(till: Steered, snap_compare: SnapCompare) -> None:
    async def run_before(pilot: Pilot[None]) -> None:
        await start(pilot)
        app: TillApp = pilot.app  # type: ignore[assignment]
        await app.engine.sell_cash_out_pin(300, 15000)
        await pilot.press("f6", "2", "enter", "enter")
        await wait_for(pilot, lambda: step_of(app) == "confirm")
        await pilot.press("enter")
        await wait_for(pilot, lambda: step_of(app) == "outcome")
        await settle(pilot)

    assert snap_compare(till.app, run_before=run_before)


def test_journal_results_one_line_each(till: Steered, snap_compare: SnapCompare) -> None:
    async def run_before(pilot: Pilot[None]) -> None:
        await start(pilot)
        app: TillApp = pilot.app  # type: ignore[assignment]
        await app.engine.sell_1voucher(400_000)
        await app.engine.vend_utility("04040404040", 2000)
        await app.engine.redeem_1voucher("5000500050005000")
        await pilot.press("f7")
        await wait_for(pilot, lambda: opened(app, "journal"), "the journal")
        await pilot.press("enter")
        await wait_for(pilot, lambda: bool(getattr(app.screen, "results", None)))
        await settle(pilot)

    assert snap_compare(till.app, run_before=run_before)


def test_refund_list_one_line_each(till: Steered, snap_compare: SnapCompare) -> None:
    async def run_before(pilot: Pilot[None]) -> None:
        await start(pilot)
        app: TillApp = pilot.app  # type: ignore[assignment]
        await app.engine.redeem_1voucher("5000500050005000", 20_000)
        await app.engine.redeem_1voucher("1212121212121212")
        await pilot.press("f4")
        await wait_for(pilot, lambda: opened(app, "refund"), "the refund screen")
        await settle(pilot)

    assert snap_compare(till.app, run_before=run_before)


def test_quit_with_a_sale_in_doubt_asks_first(till: Steered, snap_compare: SnapCompare) -> None:
    till.sandbox.faults.inject(Fault("drop"))

    async def run_before(pilot: Pilot[None]) -> None:
        await start(pilot)
        app: TillApp = pilot.app  # type: ignore[assignment]
        await app.engine.sell_1voucher(5000)
        await pilot.press("ctrl+q")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "QuitScreen")
        await settle(pilot)

    assert snap_compare(till.app, run_before=run_before)
