"""The till's start-up in the background, after the first frame: however it ends, nothing the
cashier started meanwhile is left waiting for it."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from tests.tui.harness import sell_a_cash_out_pin, till_app
from till.tui.app import TillApp


async def test_a_start_up_that_fails_midway_never_leaves_a_sale_waiting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(app: TillApp) -> None:
        raise RuntimeError("the test breaks the start-up here")

    monkeypatch.setattr(TillApp, "_use_catalog", broken)  # after the engine is up
    async with till_app(tmp_path) as till, till.app.run_test(size=(80, 24)) as pilot:
        assert (await sell_a_cash_out_pin(pilot)).status == "approved"
    logged = [r for r in caplog.records if "did not start fully" in r.getMessage()]
    assert logged and all(r.exc_info and r.levelno == logging.ERROR for r in logged)
