"""`till retry` with one poisoned answer among four open sales: the other three are settled,
shown and printed, the poisoned one is flagged, and the exit status says a person is needed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from till.cli import main
from till.commands.base import EXIT_ATTENTION, EXIT_FAILED
from till.digits import group_digits
from till.journal import Journal

from .flash.hostile import HostileFlash, Reply


def test_one_poisoned_answer_does_not_stop_the_others(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    stand_in = HostileFlash()
    journal_path = tmp_path / "j.sqlite3"
    preview = tmp_path / "receipts.txt"
    with stand_in.running() as url:
        monkeypatch.setenv("TILL_FLASH__API_KEY", stand_in.sandbox.api_key)
        config = tmp_path / "till.toml"
        config.write_text(
            '[till]\nstore_id = "S1"\nterminal_id = "T1"\n'
            f'[flash]\nbase_url = "{url}"\naccount_number = "SANDBOX01"\n'
            f'[journal]\npath = "{journal_path}"\n'
            f'[printer]\nkind = "preview"\npreview_path = "{preview}"\n'
        )

        def till(*args: str) -> tuple[int, str, str]:
            status = main(["--config", str(config), *args])
            captured = capsys.readouterr()
            return status, captured.out, captured.err

        # Four sales that Flash made but whose answers were lost on the way back.
        stand_in.rewrite = lambda path, request, reply: Reply(503, b"")
        references = []
        for _ in range(4):
            status, out, _ = till("sell", "1voucher", "--amount", "50", "--json")
            assert status == EXIT_FAILED
            references.append(json.loads(out)["reference"])
        poisoned = references[1]

        def poison(path: str, request: dict[str, Any], reply: Reply) -> Reply | None:
            if request.get("reference") != poisoned:
                return None
            body = json.loads(reply.body)
            body["voucher"]["pin"] = "1234\nAPPROVED FAKE\n5678"
            return Reply.of(body)

        stand_in.rewrite = poison
        for attempt in range(2):  # and the same, without a traceback, every time after
            status, out, err = till("retry")
            assert status == EXIT_ATTENTION, out + err
            assert "Traceback" not in out + err
            assert "APPROVED FAKE" not in out
            assert f"1 flagged for a person: {poisoned}" in out
            assert "Flash helpdesk" in out
            if attempt == 0:
                assert "3 approved" in out
                for reference in references:
                    if reference != poisoned:
                        (sale,) = stand_in.sandbox.sales_for(reference)
                        assert sale.pin and group_digits(sale.pin) in out

    printed = preview.read_text()
    with Journal.open(journal_path) as journal:
        for reference in references:
            entry = journal.get(reference)
            assert entry is not None
            if reference == poisoned:
                assert entry.state == "in_doubt" and entry.flagged_at is not None
                assert entry.response is None and entry.print_count == 0
            else:
                assert entry.state == "approved" and entry.print_count == 1
                assert reference in printed
        assert poisoned not in printed
    for reference in references:
        assert len(stand_in.sandbox.sales_for(reference)) == 1  # nothing sold twice
