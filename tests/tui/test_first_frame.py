"""The screens paint before the config is validated, and nothing is sold until it is.

`till` and `till demo` hand the app a `PendingSettings`: the Sell screen comes up from the quick
read while the config is validated in the background. These tests hold `load` back with an event
so they can look at the screen in between, then let it answer: good settings sell (through the
real engine and the sandbox on loopback), a bad config stops the till with status 2 and the
config error, having journaled and sent nothing.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from textual.pilot import Pilot
from textual.widgets import Static

from tests.support import HANG_SECONDS
from tests.tui.harness import wait_for, write_settings
from till.config import ConfigError, Settings
from till.config.paths import catalog_file
from till.config.quick import FirstFrame, PendingSettings
from till.journal import Journal
from till.tui.app import TillApp
from till.tui.catalog import ONE_VOUCHER, save_catalog
from till.tui.screens.sell import SellScreen


class HeldBack:
    """A `load` that waits for the test's word, then returns or raises what it was given."""

    def __init__(self, answer: Settings | ConfigError) -> None:
        self.answer = answer
        self.release = threading.Event()
        self.calls = 0

    def __call__(self) -> Settings:
        self.calls += 1
        assert self.release.wait(HANG_SECONDS), "the test never released the settings"
        if isinstance(self.answer, ConfigError):
            raise self.answer
        return self.answer

    @contextmanager
    def released_at_the_end(self) -> Iterator[None]:
        """Release it however the test ends: a failed test leaves no thread waiting."""
        try:
            yield
        finally:
            self.release.set()


def journal_entries(path: Path) -> int:
    with Journal.open(path) as journal:
        return len(journal.search())


def with_cached_catalog(first: FirstFrame) -> FirstFrame:
    """The catalog a till that has run before keeps beside its journal (training's own)."""
    save_catalog(catalog_file(first.journal_path), [ONE_VOUCHER])
    return first


async def type_a_sale(pilot: Pilot[None]) -> None:
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, SellScreen))
    await pilot.press(*"1vou", "enter", *"50", "enter", "enter")


async def test_the_sell_screen_paints_first_and_sells_once_validated(tmp_path: Path) -> None:
    settings = write_settings(tmp_path)
    first = with_cached_catalog(FirstFrame.of(settings))
    load = HeldBack(settings)
    app = TillApp(PendingSettings(first, load))
    waiting = 0
    engine_ready = app._engine_ready

    async def counted() -> object:  # where a transaction waits for the engine to be started
        nonlocal waiting
        waiting += 1
        return await engine_ready()

    app._engine_ready = counted  # type: ignore[method-assign,assignment]
    with load.released_at_the_end():
        async with app.run_test(size=(80, 24)) as pilot:
            await wait_for(pilot, lambda: load.calls == 1)
            screen = app.screen
            assert isinstance(screen, SellScreen)
            assert app.focused is not None and app.focused.id == "entry"
            identity = str(screen.query_one(".identity", Static).render())
            assert "Corner Shop" in identity and "till T1" in identity
            assert "TRAINING MODE" in str(screen.query_one(".training-banner", Static).render())
            # typed ahead while the config is still being validated: it waits, journals nothing
            await type_a_sale(pilot)
            await wait_for(pilot, lambda: screen.step == "sending")
            # the sale has got as far as it can before validation: waiting for the engine
            await wait_for(pilot, lambda: waiting == 1, "the sale to wait for the engine")
            assert journal_entries(first.journal_path) == 0 and not app.ready
            load.release.set()
            await wait_for(pilot, lambda: screen.step == "outcome")
            assert app.settings is settings and app.return_code is None
            assert "APPROVED" in str(screen.query_one("#outcome-status", Static).render())
    with Journal.open(first.journal_path) as journal:
        (entry,) = journal.search()
    assert entry.state == "approved" and entry.reference.startswith("S1-T1-")


async def test_another_screen_asked_for_before_validation_opens_after_it(
    tmp_path: Path,
) -> None:
    """F7 in the first fraction of a second: the Journal screen reads settings the first frame
    does not have, so it opens once they are validated, not before (and never on a bad one)."""
    settings = write_settings(tmp_path)
    load = HeldBack(settings)
    app = TillApp(PendingSettings(FirstFrame.of(settings), load))

    def deferred() -> bool:  # F7 is waiting for the validation, in the background
        return any(w.group == "switch" and not w.is_finished for w in app.workers)

    with load.released_at_the_end():
        async with app.run_test(size=(80, 24)) as pilot:
            await wait_for(pilot, lambda: load.calls == 1)
            await pilot.press("f7")
            await wait_for(pilot, deferred, "F7 to wait for the validation")
            assert isinstance(app.screen, SellScreen)
            load.release.set()
            await wait_for(pilot, lambda: type(app.screen).__name__ == "JournalScreen")
            await pilot.press(*"latest", "enter")  # it works: a search, on validated settings
            assert app.return_code is None


async def test_a_bad_config_stops_the_till_with_its_error_and_nothing_sold(
    tmp_path: Path,
) -> None:
    settings = write_settings(tmp_path)
    first = with_cached_catalog(FirstFrame.of(settings))
    error = ConfigError("config error in till.toml:\n  flash.api_key: is required")
    load = HeldBack(error)
    app = TillApp(PendingSettings(first, load))
    with load.released_at_the_end():
        async with app.run_test(size=(80, 24)) as pilot:
            await type_a_sale(pilot)
            await pilot.press("f7")  # waits for the config, which is refused: never opens
            load.release.set()
            await wait_for(pilot, lambda: app.return_code is not None)
            assert isinstance(app.screen, SellScreen)
    assert app.return_code == 2
    assert app.config_error == str(error)
    assert journal_entries(first.journal_path) == 0


async def test_a_config_that_no_longer_says_what_was_painted_stops_the_till(
    tmp_path: Path,
) -> None:
    settings = write_settings(tmp_path)
    (tmp_path / "other").mkdir()
    painted = FirstFrame.of(write_settings(tmp_path / "other", '[keys]\nsell = "f1"\n'))
    load = HeldBack(settings)
    load.release.set()
    app = TillApp(PendingSettings(painted, load))
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: app.return_code is not None)
    assert app.return_code == 2
    assert app.config_error is not None
    assert "disagrees with its validation on keys" in app.config_error
    assert journal_entries(painted.journal_path) == 0
