"""A till process that sells one 1Voucher and SIGKILLs itself at a chosen moment.

Run by test_crash.py: `python crash_child.py JOURNAL BASE_URL POINT` where POINT is `journaled`
(before the send), `answered` (Flash committed and answered, not yet settled) or `settled`.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys

from till.flash import FlashClient
from till.journal import Entry, Journal
from till.sales import EngineHooks, SaleEngine
from till.sandbox import DEFAULT_ACCOUNT, DEFAULT_API_KEY


def die(entry: Entry) -> None:
    print(entry.reference, flush=True)
    os.kill(os.getpid(), signal.SIGKILL)


async def main(journal_path: str, base_url: str, point: str) -> None:
    hooks = EngineHooks(**{point: die})
    with Journal.open(journal_path) as journal:
        async with FlashClient(
            base_url=base_url, api_key=DEFAULT_API_KEY, account_number=DEFAULT_ACCOUNT
        ) as client:
            engine = SaleEngine(journal, client, store_id="S1", terminal_id="T1", hooks=hooks)
            await engine.sell_1voucher(5000)
    print("survived", flush=True)


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:4]))
