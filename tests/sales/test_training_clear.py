"""Clearing a training till's in-doubt entries: training entries only, and only on a training
engine; live entries and entries on the wire are never touched."""

from __future__ import annotations

from pathlib import Path

import pytest

from till.flash import FlashClient
from till.journal import Journal
from till.sales import InputError, SaleEngine
from till.sandbox import Fault, Sandbox


async def test_only_a_training_engine_clears_and_only_training_entries(
    tmp_path: Path, client: FlashClient, sandbox: Sandbox
) -> None:
    with Journal.open(tmp_path / "journal.sqlite3") as journal:
        live = SaleEngine(journal, client, store_id="S1", terminal_id="T1")
        trainer = SaleEngine(journal, client, store_id="S1", terminal_id="T1", training=True)
        sandbox.faults.inject(Fault("drop", times=2))
        sold_live = await live.sell_1voucher(5000)
        sold_training = await trainer.sell_1voucher(5000)
        assert sold_live.status == sold_training.status == "in_doubt"

        with pytest.raises(InputError):
            live.clear_training("cleared")
        assert journal.count_open() == 2

        assert trainer.clear_training("cleared by the trainer") == [sold_training.reference]
        cleared = journal.get(sold_training.reference)
        kept = journal.get(sold_live.reference)
        assert cleared is not None and cleared.state == "declined"
        assert cleared.last_error == "cleared by the trainer"
        assert kept is not None and kept.state == "in_doubt"
        assert trainer.open_count == 1
