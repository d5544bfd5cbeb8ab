"""`till reverse REF --reason TEXT`: void a sale from the command line, against a sandbox on a real
socket and a real journal, through `till.cli.main`."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.test_cli_sales import Till, reference_in, write_config
from till.clock import now_ms
from till.sandbox import Sandbox, running_sandbox
from till.staff import UserStore

SUPERVISOR_PIN = "13572468"
CASHIER_PIN = "11112222"


def _till(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], extra: str = "", **sandbox: object
) -> Iterator[Till]:
    sb = Sandbox(seed=7, **sandbox)  # type: ignore[arg-type]
    with running_sandbox(sb) as base_url:
        config, journal = write_config(tmp_path, base_url, extra)
        yield Till(sb, config, journal, capsys)


@pytest.fixture
def tills(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Iterator[Till]:
    monkeypatch.setenv("TILL_FLASH__API_KEY", "sandbox-key")
    yield from _till(tmp_path, capsys)


def test_reverse_voids_a_sale_and_the_journal_shows_both_ways(tills: Till) -> None:
    status, out, err = tills.run("sell", "1voucher", "--amount", "50")
    assert status == 0, err
    sale = reference_in(out)

    status, out, err = tills.run("reverse", sale, "--reason", "wrong amount keyed")
    assert status == 0, err
    assert out.startswith("APPROVED  1Voucher void")
    void = reference_in(out)
    assert re.search(rf"^\s+voids sale\s+{sale}$", out, re.MULTILINE)
    assert re.search(r"^\s+reason\s+wrong amount keyed$", out, re.MULTILINE)
    assert f"Sale {sale} is voided: give the customer R 50.00 back." in out
    assert [e.reference for e in tills.related(sale)] == [void]
    assert tills.entry(void).related_reference == sale
    (row,) = [r for r in tills.sb.ledger if r.kind == "1voucher/reverse"]
    assert (row.reference, row.original_reference) == (void, sale)

    status, out, _ = tills.run("journal", "show", sale)  # the sale lists its void
    assert status == 0
    assert f"REVERSED: voided by {void}" in out
    assert "Linked to this entry:" in out and void in out.split("Linked to this entry:")[1]

    status, _, err = tills.run("reverse", sale, "--reason", "again")  # refused, nothing sent
    assert status == 2 and "already voided" in err and "nothing was sent" in err
    assert len([r for r in tills.sb.ledger if r.kind == "1voucher/reverse"]) == 1


def test_reverse_json_and_a_refusal_by_flash(tills: Till) -> None:
    status, out, _ = tills.run("sell", "1voucher", "--amount", "100")
    sale = reference_in(out)
    pin = str(tills.entry(sale).response["voucher"]["pin"])  # type: ignore[index]
    status, _, _ = tills.run("redeem", "--pin", "-", "--amount", "25", stdin=pin + "\n")
    assert status == 0

    status, out, _ = tills.run("reverse", sale, "--reason", "customer changed mind", "--json")
    assert status == 1
    answer = json.loads(out)
    assert (answer["status"], answer["code"], answer["kind"]) == (
        "declined",
        2412,
        "1voucher.reverse",
    )
    assert "give the customer no money back" in answer["message"]
    assert tills.entry(sale).state == "approved"

    status, out, _ = tills.run("reverse", sale, "--reason", "customer changed mind")
    assert status == 1
    assert out.startswith("DECLINED  1Voucher void")
    assert f"Sale {sale} stands: give the customer no money back." in out
    assert "(code 2412)" in out


@pytest.mark.parametrize(
    ("reason", "words"),
    [("", "Type why the sale is being voided"), ("x" * 44, "Keep the reason to 43")],
)
def test_a_reason_is_required_and_short(tills: Till, reason: str, words: str) -> None:
    status, out, _ = tills.run("sell", "1voucher", "--amount", "50")
    sale = reference_in(out)
    status, _, err = tills.run("reverse", sale, "--reason", reason)
    assert status == 2 and f"--reason: {words}" in err and "nothing was sent" in err
    assert tills.related(sale) == []


def test_a_gift_voucher_cannot_be_voided(tills: Till) -> None:
    status, out, _ = tills.run("sell", "gift", "--product", "200", "--amount", "100")
    sale = reference_in(out)
    status, _, err = tills.run("reverse", sale, "--reason", "wrong product")
    assert status == 2 and "cannot be voided: only 1Voucher, Cash Out PIN and Eezi voucher" in err
    assert tills.related(sale) == []


def test_a_till_on_the_april_2023_document_is_told_which_setting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("TILL_FLASH__API_KEY", "sandbox-key")
    for made in _till(tmp_path, capsys, 'api_revision = "2023-04"\n', revision="2023-04"):
        status, out, err = made.run("sell", "1voucher", "--amount", "50")
        assert status == 0, err
        sale = reference_in(out)
        status, _, err = made.run("reverse", sale, "--reason", "wrong amount")
        assert status == 2 and 'set [flash] api_revision = "2025-05"' in err
        assert not [r for r in made.sb.ledger if r.kind == "1voucher/reverse"]


def test_with_staff_on_a_supervisor_approves(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("TILL_FLASH__API_KEY", "sandbox-key")
    with UserStore(tmp_path / "users.sqlite3") as users:
        users.add("S7", "Sipho", "supervisor", SUPERVISOR_PIN, now=now_ms())
        users.add("C1", "Thandi", "cashier", CASHIER_PIN, now=now_ms())
    for made in _till(tmp_path, capsys, "[staff]\nenabled = true\n"):
        status, out, err = made.run(
            "sell", "1voucher", "--amount", "50", "--cashier", "C1", stdin=f"{CASHIER_PIN}\n"
        )
        assert status == 0, err
        sale = reference_in(out)
        status, _, err = made.run(
            "reverse", sale, "--reason", "wrong amount", "--cashier", "C1",
            stdin=f"{CASHIER_PIN}\n",
        )  # fmt: skip
        assert status == 2 and "supervisor must approve a void" in err and "--approver" in err
        assert made.related(sale) == []
        status, out, err = made.run(
            "reverse", sale, "--reason", "wrong amount", "--cashier", "C1", "--approver", "S7",
            "--pin-stdin", stdin=f"{CASHIER_PIN}\n{SUPERVISOR_PIN}\n",
        )  # fmt: skip
        assert status == 0, out + err
        void = made.entry(reference_in(out))
        assert (void.cashier, void.approved_by, void.related_reference) == ("C1", "S7", sale)
