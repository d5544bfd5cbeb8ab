"""Receipts in the sale flow: printed after the journal holds the answer, never lost to a fault."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from receipts import PreviewPrinter, open_printer
from till.cli import main
from till.clock import now_ms
from till.commands.base import EXIT_PRINTER_FAULT
from till.flash import FlashClient
from till.journal import Journal, NewEntry
from till.sales import SaleEngine
from till.sales.printing import SlipPrinter
from till.sandbox import Fault, Sandbox
from till.slips import SlipHeader

HEADER = SlipHeader(store_name="Corner Shop", address_lines=("12 Vilakazi St",), terminal_id="T1")


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def engine_with(journal: Journal, client: FlashClient, printer: object) -> SaleEngine:
    engine = SaleEngine(journal, client, store_id="S1", terminal_id="T1")
    engine.slips = SlipPrinter(journal, printer, HEADER, clock=now_ms)  # type: ignore[arg-type]
    return engine


@pytest.mark.parametrize("broken", ["network", "file"])
async def test_a_failing_printer_leaves_the_sale_approved_and_reprintable(
    journal: Journal, client: FlashClient, sandbox: Sandbox, tmp_path: Path, broken: str
) -> None:
    if broken == "network":
        printer = open_printer("network", host="127.0.0.1", port=closed_port(), timeout=1)
    else:
        printer = open_printer("file", device=str(tmp_path / "no-such-dir" / "lp0"))
    engine = engine_with(journal, client, printer)
    outcome = await engine.sell_1voucher(5000)
    assert outcome.status == "approved" and outcome.print_error
    entry = journal.get(outcome.reference)
    assert entry is not None and entry.state == "approved"
    assert entry.print_count == 0 and entry.print_error
    assert [e.reference for e in journal.unprinted()] == [outcome.reference]
    pin = sandbox.sales_for(outcome.reference)[0].pin
    assert pin is not None and entry.response is not None
    assert entry.response["voucher"]["pin"] == pin  # the PIN is safe in the journal

    preview = PreviewPrinter(columns=42)
    desk = SlipPrinter(journal, preview, HEADER, clock=now_ms)
    first = await desk.reprint(outcome.reference)  # the customer never had paper: the original
    assert first.printed and first.copy == 0
    assert "COPY" not in preview.printed[-1]
    assert " ".join(pin[i : i + 4] for i in range(0, 16, 4)) in preview.printed[-1]
    again = await desk.reprint(outcome.reference)
    assert again.copy == 1 and preview.printed[-1].count("COPY 1") == 2
    entry = journal.get(outcome.reference)
    assert entry is not None and entry.print_count == 2 and entry.reprint_count == 1
    assert journal.unprinted() == []


async def test_receipt_prints_only_after_the_journal_holds_the_pin(
    journal: Journal, client: FlashClient
) -> None:
    seen: list[tuple[int, bool]] = []

    class Watching(PreviewPrinter):
        def print(self, document: object) -> None:
            (entry,) = journal.search(kind="1voucher.purchase")
            seen.append(
                (entry.print_count, entry.state == "approved" and entry.response is not None)
            )
            super().print(document)  # type: ignore[arg-type]

    engine = engine_with(journal, client, Watching())
    outcome = await engine.sell_1voucher(5000)
    assert seen == [(0, True)]
    assert outcome.entry.print_count == 1 and outcome.receipt is not None


async def test_a_sale_settled_later_prints_when_it_settles(
    journal: Journal, client: FlashClient, sandbox: Sandbox
) -> None:
    preview = PreviewPrinter()
    engine = engine_with(journal, client, preview)
    sandbox.faults.inject(Fault("drop"))
    outcome = await engine.sell_1voucher(5000)
    assert outcome.status == "in_doubt" and preview.printed == []
    slip = await engine.slips.print_in_doubt(outcome.reference)  # type: ignore[union-attr]
    assert slip.printed and "NOT YET CONFIRMED" in preview.printed[-1]
    assert "Do not pay again" in preview.printed[-1]
    await engine.resolve(all_open=True)
    pin = sandbox.sales_for(outcome.reference)[0].pin
    assert pin is not None and pin[:4] + " " + pin[4:8] in preview.printed[-1]
    assert journal.get(outcome.reference).print_count == 1  # type: ignore[union-attr]


async def test_full_redemption_journals_the_value_redeemed(
    journal: Journal, client: FlashClient
) -> None:
    engine = SaleEngine(journal, client, store_id="S1", terminal_id="T1")
    outcome = await engine.redeem_1voucher("1111111111111111")  # R100 training voucher
    assert outcome.status == "approved"
    assert journal.get(outcome.reference).amount == 10_000  # type: ignore[union-attr]
    assert [e.reference for e in journal.search(amount=10_000)] == [outcome.reference]


async def test_a_lookup_left_pending_by_a_crash_is_closed(
    journal: Journal, client: FlashClient
) -> None:
    journal.add(
        NewEntry(
            kind="prepaid-utilities.lookup",
            build_request=lambda ref: b"{}",
            store_id="S1",
            terminal_id="T1",
            retryable=False,
        ),
        now=1,
    )
    engine = SaleEngine(journal, client, store_id="S1", terminal_id="T1")
    assert engine.open_count == 1
    await engine.resolve()
    assert journal.count_open() == 0 and engine.open_count == 0
    (entry,) = journal.search()
    assert entry.state == "declined" and "interrupted" in (entry.last_error or "")


def test_reprint_command_marks_copies(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "till.toml"
    config.write_text(
        '[till]\nstore_id = "S1"\nterminal_id = "T1"\nstore_name = "Corner Shop"\n'
        f'[journal]\npath = "{tmp_path / "j.sqlite3"}"\n[training]\nenabled = true\n'
    )
    assert main(["--config", str(config), "sell", "1voucher", "--amount", "20"]) == 0
    sold = capsys.readouterr().out
    reference = next(line.split()[-1] for line in sold.splitlines() if "reference" in line)
    assert "COPY" not in sold and "Corner Shop" in sold
    assert main(["--config", str(config), "reprint", reference]) == 0
    copy = capsys.readouterr().out
    assert copy.count("  COPY 1\n") == 2 and "TRAINING" in copy
    assert f"printed COPY 1 for {reference}" in copy
    assert main(["--config", str(config), "reprint", "NOPE-1"]) == 1
    assert "no journal entry" in capsys.readouterr().err


async def test_an_unexpected_printer_error_leaves_the_sale_approved(
    journal: Journal, client: FlashClient
) -> None:
    class Broken(PreviewPrinter):
        def print(self, document: object) -> None:
            raise RuntimeError("driver crashed")

    engine = engine_with(journal, client, Broken())
    outcome = await engine.sell_1voucher(5000)
    assert outcome.status == "approved" and "not printed" in (outcome.print_error or "")
    assert journal.get(outcome.reference).state == "approved"  # type: ignore[union-attr]
    assert [e.reference for e in journal.unprinted()] == [outcome.reference]


async def test_the_cashier_is_told_what_is_wrong_with_the_printer_and_what_to_do(
    journal: Journal, client: FlashClient
) -> None:
    from tests.receipts.standin_printer import StandinPrinter
    from till.tui.widgets import outcome_details

    with StandinPrinter(paper="out") as standin:  # it answers: minutes, never "no answer"
        printer = open_printer("network", host="127.0.0.1", port=standin.port, timeout=300)
        outcome = await engine_with(journal, client, printer).sell_1voucher(5000)
    assert outcome.status == "approved"
    shown = " ".join(outcome_details(outcome).split())
    assert f"Receipt NOT printed: paper out on network 127.0.0.1:{standin.port}" in shown
    assert "load a new roll, then F7 / Ctrl+R" in shown


def test_a_reprint_the_printer_refused_is_not_a_copy(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.receipts.standin_printer import StandinPrinter

    base = (
        '[till]\nstore_id = "S1"\nterminal_id = "T1"\nstore_name = "Corner Shop"\n'
        f'[journal]\npath = "{tmp_path / "j.sqlite3"}"\n[training]\nenabled = true\n'
    )
    preview = tmp_path / "preview.toml"
    preview.write_text(base)
    assert main(["--config", str(preview), "sell", "1voucher", "--amount", "20"]) == 0
    sold = capsys.readouterr().out
    reference = next(line.split()[-1] for line in sold.splitlines() if "reference" in line)

    def on(standin: StandinPrinter) -> str:
        config = tmp_path / f"network-{standin.port}.toml"
        config.write_text(
            base + f'[printer]\nkind = "network"\nhost = "127.0.0.1"\nport = {standin.port}\n'
            "timeout = 30\n"  # it answers: the most [printer] allows, never "no answer"
        )
        return str(config)

    with StandinPrinter(cover_open=True) as standin:
        assert main(["--config", on(standin), "reprint", reference]) == EXIT_PRINTER_FAULT
        assert b"COPY" not in standin.data
    err = capsys.readouterr().err
    assert "not printed: cover open on network 127.0.0.1:" in err and "close the printer" in err
    with Journal.open(tmp_path / "j-training.sqlite3", create=False) as j:
        entry = j.get(reference)
    assert entry is not None and entry.print_count == 1 and entry.reprint_count == 0

    with StandinPrinter(paper="low") as standin:  # near its end: prints, with a warning
        assert main(["--config", on(standin), "reprint", reference]) == 0
        assert b"COPY 1" in standin.data and reference.encode() in standin.data
    out, err = capsys.readouterr()
    assert f"printed COPY 1 for {reference}" in out
    assert "warning: paper low - change the roll soon" in err
