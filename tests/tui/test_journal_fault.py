"""A journal that fails under the screens: they stop selling and say so, never a traceback."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from textual.widgets import Static

from tests.tui.harness import till_app, wait_for, write_settings
from till.journal import Journal, JournalFault, JournalUnavailable, SchemaTooNew
from till.journal.reader import JournalReader
from till.tui.app import TillApp
from till.tui.screens.sell import SellScreen


def delete_journal(path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def journal_exists(path: Path) -> bool:
    return Path(path).exists()


def make_too_new(path: Path) -> None:
    Journal.open(path).close()
    with sqlite3.connect(path) as conn:  # a journal written by a newer till
        conn.execute("PRAGMA user_version = 999")


async def test_a_journal_deleted_under_the_screens_stops_selling_loudly(tmp_path: Path) -> None:
    async with till_app(tmp_path) as till, till.app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: till.app.catalog)
        delete_journal(till.journal.path)
        await pilot.press(*"1vou", "enter", *"50", "enter", "enter")
        screen = till.app.screen
        assert isinstance(screen, SellScreen)
        await wait_for(
            pilot, lambda: "STOP SELLING" in str(screen.query_one("#error", Static).render())
        )
        error = str(screen.query_one("#error", Static).render())
        assert "deleted, moved or replaced" in error
        assert till.sandbox.ledger == []  # nothing was sent to Flash
        assert not journal_exists(till.journal.path)  # and no fresh journal was made


async def test_a_journal_the_screens_cannot_open_ends_them_with_the_fault(tmp_path: Path) -> None:
    app = TillApp(write_settings(tmp_path), catalog_path=tmp_path / "catalog.json")
    make_too_new(app.first.journal_path)  # the training journal, as the settings say
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: app.journal_fault is not None)
    assert isinstance(app.journal_fault, SchemaTooNew)
    assert isinstance(app.journal_fault, JournalFault)


async def test_a_twin_the_screens_cannot_open_ends_them_as_the_journal_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The read-only twin the lists read through opens with the journal, under the same
    handler: failing, it ends the screens with its fault rather than leave every sale waiting."""

    def refused(journal: Journal) -> JournalReader:
        raise JournalUnavailable(journal.path, "the test refuses its twin")

    monkeypatch.setattr(Journal, "reader", refused)
    app = TillApp(write_settings(tmp_path), catalog_path=tmp_path / "catalog.json")
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: app.journal_fault is not None)
    assert isinstance(app.journal_fault, JournalUnavailable)
    assert "the test refuses its twin" in str(app.journal_fault)
