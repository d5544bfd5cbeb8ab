"""One 1Voucher sale in a process of its own, so a test can read that process's peak memory.

Usage: python -m tests.flash.hostile_child BASE_URL API_KEY JOURNAL_PATH
Prints one JSON line: the outcome, the journal state, and the peak resident set (VmHWM, KiB).
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

from till.flash import FlashClient
from till.journal import Journal
from till.sales import SaleEngine


def peak_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise RuntimeError("no VmHWM in /proc/self/status")


async def sell(url: str, key: str, journal_path: str) -> dict[str, object]:
    with Journal.open(journal_path) as journal:
        # A 10 s deadline (5 + 5): a dripped answer is cut off there however slowly it comes.
        async with FlashClient(
            base_url=url, api_key=key, account_number="SANDBOX01", connect_timeout=5, read_timeout=5
        ) as client:
            engine = SaleEngine(journal, client, store_id="S1", terminal_id="T1")
            outcome = await engine.sell_1voucher(5000)
            entry = journal.get(outcome.reference)
    assert entry is not None
    return {
        "status": outcome.status,
        "message": outcome.message,
        "state": entry.state,
        "stored_response": entry.response is not None,
        "peak_kib": peak_kib(),
    }


if __name__ == "__main__":
    print(json.dumps(asyncio.run(sell(*sys.argv[1:4]))))
