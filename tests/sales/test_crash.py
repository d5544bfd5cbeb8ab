"""SIGKILL a till mid-sale and restart it on the same journal: exactly one sale, same PIN.

The sandbox runs over a real socket in this process; the till runs in a child process that
kills itself before the send, after Flash committed but before settling, or after settling.
"""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from till.flash import FlashClient
from till.journal import Journal
from till.sales import SaleEngine
from till.sandbox import DEFAULT_ACCOUNT, DEFAULT_API_KEY, Sandbox, running_sandbox

CHILD = Path(__file__).with_name("crash_child.py")


@pytest.mark.parametrize("point", ["journaled", "answered", "settled"])
async def test_sigkill_then_restart_settles_exactly_once(tmp_path: Path, point: str) -> None:
    journal_path = tmp_path / "journal.sqlite3"
    sandbox = Sandbox(seed=21)
    with running_sandbox(sandbox) as base_url:
        child = await asyncio.to_thread(
            subprocess.run,
            [sys.executable, str(CHILD), str(journal_path), base_url, point],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert child.returncode == -signal.SIGKILL, child.stdout + child.stderr
        reference = child.stdout.split()[0]
        at_flash_before = len(sandbox.sales_for(reference))
        assert at_flash_before == (0 if point == "journaled" else 1)

        with Journal.open(journal_path) as journal:
            left = journal.get(reference)
            assert left is not None
            assert left.state == ("approved" if point == "settled" else "pending")
            async with FlashClient(
                base_url=base_url, api_key=DEFAULT_API_KEY, account_number=DEFAULT_ACCOUNT
            ) as client:
                restarted = SaleEngine(journal, client, store_id="S1", terminal_id="T1")
                assert restarted.open_count == (0 if point == "settled" else 1)
                await restarted.resolve()
            entry = journal.get(reference)
            assert entry is not None and entry.state == "approved"
            assert journal.count_open() == 0
            assert entry.response is not None
            journal_pin = entry.response["voucher"]["pin"]

    sales = sandbox.sales_for(reference)
    assert len(sales) == 1
    assert sales[0].pin == journal_pin
