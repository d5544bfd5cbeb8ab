"""With [staff] on, one-shot commands need a supervisor for refunds, large sales, reprints."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest

from till.cli import main
from till.clock import now_ms
from till.journal import Journal
from till.staff import UserStore

SUPERVISOR_PIN = "13572468"
CASHIER_PIN = "11112222"


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "till.toml"
    path.write_text(
        '[till]\nstore_id = "S1"\nterminal_id = "T1"\n'
        f'[journal]\npath = "{tmp_path / "j.sqlite3"}"\n'
        '[training]\nenabled = true\n[printer]\nkind = "preview"\n'
        "[staff]\nenabled = true\napproval_above = 500\n"
    )
    with UserStore(tmp_path / "users.sqlite3") as users:
        users.add("S7", "Sipho", "supervisor", SUPERVISOR_PIN, now=now_ms())
        users.add("C1", "Thandi", "cashier", CASHIER_PIN, now=now_ms())
    return path


def till(
    config: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
    *args: str, pins: str = "",
) -> tuple[int, str, str]:  # fmt: skip
    capsys.readouterr()
    monkeypatch.setattr(sys, "stdin", io.StringIO(pins))
    status = main(["--config", str(config), *args])
    out = capsys.readouterr()
    return status, out.out, out.err


def sale(
    config: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
    *args: str, approver_pin: str | None = None, cashier: str = "C1",
    cashier_pin: str = CASHIER_PIN,
) -> tuple[int, str, str]:  # fmt: skip
    """A transaction command as cashier C1 signs in for it: their PIN first, then any approver's."""
    pins = cashier_pin + "\n" + (approver_pin + "\n" if approver_pin else "")
    return till(config, capsys, monkeypatch, *args, "--cashier", cashier, pins=pins)


def reference_in(out: str) -> str:
    return next(line.split()[-1] for line in out.splitlines() if "reference" in line)


def journal_of(config: Path) -> Journal:
    return Journal.open(config.parent / "j-training.sqlite3")


def test_refund_needs_an_approver_and_records_them(
    config: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    status, out, _ = till(config, capsys, monkeypatch, "redeem", "--cashier", "C1",
                          pins=f"1111111111111111\n{CASHIER_PIN}\n")  # fmt: skip
    assert status == 0
    redemption = reference_in(out)

    status, _, err = sale(config, capsys, monkeypatch, "refund", "--redemption", redemption,
                          "--amount", "10")  # fmt: skip
    assert status == 2 and "--approver" in err and "nothing was sent" in err
    with journal_of(config) as journal:
        assert journal.related(redemption) == []

    status, _, err = sale(config, capsys, monkeypatch, "refund", "--redemption", redemption,
                          "--amount", "10", "--approver", "S7",
                          approver_pin="99999999")  # fmt: skip
    assert status == 1 and "wrong PIN" in err
    status, _, err = sale(config, capsys, monkeypatch, "refund", "--redemption", redemption,
                          "--amount", "10", "--approver", "C1",
                          approver_pin=CASHIER_PIN)  # fmt: skip
    assert status == 1 and "supervisor" in err

    status, out, _ = sale(config, capsys, monkeypatch, "refund", "--redemption", redemption,
                          "--amount", "10", "--approver", "S7",
                          approver_pin=SUPERVISOR_PIN)  # fmt: skip
    assert status == 0, out
    with journal_of(config) as journal:
        (refund,) = journal.related(redemption)
        assert refund.state == "approved" and refund.approved_by == "S7"


def test_a_sale_above_the_limit_needs_an_approver(
    config: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    status, _, err = sale(config, capsys, monkeypatch, "sell", "1voucher", "--amount", "600")
    assert status == 2 and "large" in err
    status, out, _ = sale(config, capsys, monkeypatch, "sell", "1voucher", "--amount", "400")
    assert status == 0  # under the limit: the cashier alone
    status, out, _ = sale(config, capsys, monkeypatch, "sell", "1voucher", "--amount", "600",
                          "--approver", "S7", approver_pin=SUPERVISOR_PIN)  # fmt: skip
    assert status == 0
    with journal_of(config) as journal:
        assert journal.get(reference_in(out)).approved_by == "S7"  # type: ignore[union-attr]


def test_reprint_needs_an_approver(
    config: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    status, out, _ = sale(config, capsys, monkeypatch, "sell", "1voucher", "--amount", "20")
    reference = reference_in(out)
    status, _, err = till(config, capsys, monkeypatch, "reprint", reference)
    assert status == 2 and "supervisor" in err
    status, out, _ = till(config, capsys, monkeypatch, "reprint", reference, "--approver", "S7",
                          pins=SUPERVISOR_PIN + "\n")  # fmt: skip
    assert status == 0 and "COPY 1" in out
    with journal_of(config) as journal:
        (reprint,) = journal.reprints(reference)
    assert (reprint.copy, reprint.approved_by) == (1, "S7")
    status, out, _ = till(config, capsys, monkeypatch, "journal", "show", reference)
    assert status == 0 and "approved by S7" in out


def test_with_staff_on_every_transaction_records_a_signed_in_cashier(
    config: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    status, _, err = till(config, capsys, monkeypatch, "sell", "1voucher", "--amount", "20")
    assert status == 2 and "--cashier ID" in err
    status, _, err = sale(config, capsys, monkeypatch, "sell", "1voucher", "--amount", "20",
                          cashier_pin="00000000")  # fmt: skip
    assert status == 1 and "wrong PIN" in err
    with journal_of(config) as journal:
        assert journal.search() == []  # refused before anything was journaled or sent
    status, out, _ = sale(config, capsys, monkeypatch, "sell", "1voucher", "--amount", "20")
    assert status == 0
    with journal_of(config) as journal:
        assert journal.get(reference_in(out)).cashier == "C1"  # type: ignore[union-attr]


def test_a_supervisor_selling_cannot_approve_their_own_sale(
    config: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    status, _, err = sale(config, capsys, monkeypatch, "sell", "1voucher", "--amount", "600",
                          "--approver", "S7", cashier="S7", cashier_pin=SUPERVISOR_PIN,
                          approver_pin=SUPERVISOR_PIN)  # fmt: skip
    assert status == 2 and "not the cashier themself" in err
    with journal_of(config) as journal:
        assert journal.search() == []


def test_a_sale_the_product_list_refuses_asks_nobody_for_a_pin(
    config: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Over the product's range (and over the approval limit): refused before the cashier's or
    a supervisor's PIN is read (stdin stays unread) and before the journal is opened."""
    pins = f"{CASHIER_PIN}\n{SUPERVISOR_PIN}\n"
    status, out, err = till(config, capsys, monkeypatch, "sell", "1voucher", "--amount", "6000",
                            "--cashier", "C1", "--approver", "S7", pins=pins)  # fmt: skip
    assert status == 2 and out == ""
    assert err.splitlines() == [
        "till: --amount: the largest amount is R 5 000.00 for 1Voucher (nothing was sent)"
    ]
    assert sys.stdin.read() == pins  # no PIN was asked for
    assert not (config.parent / "j-training.sqlite3").exists()


def test_redeem_reads_the_voucher_pin_before_the_cashiers(
    config: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    pins = f"1212121212121212\n{CASHIER_PIN}\n"  # the customer's 1Voucher PIN comes first
    status, out, err = till(config, capsys, monkeypatch, "redeem", "--amount", "20",
                            "--cashier", "C1", pins=pins)  # fmt: skip
    assert status == 0, err
    with journal_of(config) as journal:
        entry = journal.get(reference_in(out))
    assert entry is not None and entry.cashier == "C1" and entry.amount == 2000
