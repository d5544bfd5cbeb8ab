"""The transaction commands against a sandbox on a real socket, so state carries between them."""

from __future__ import annotations

import io
import json
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from till.cli import main
from till.digits import format_sts_token, group_digits
from till.journal import Entry, Journal
from till.sandbox import Fault, Sandbox, running_sandbox


@dataclass
class Till:
    """One till's config file over one running sandbox; `run` is `till --config ... ARGS`."""

    sb: Sandbox
    config: Path
    journal_path: Path
    capsys: pytest.CaptureFixture[str]

    def run(self, *args: str, stdin: str = "") -> tuple[int, str, str]:
        """`stdin` is what a script pipes in (a redeemed PIN is read from there, never argv)."""
        self.capsys.readouterr()
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(sys, "stdin", io.StringIO(stdin))
            status = main(["--config", str(self.config), *args])
        captured = self.capsys.readouterr()
        return status, captured.out, captured.err

    def json(self, *args: str, stdin: str = "") -> tuple[int, dict[str, object]]:
        status, out, _ = self.run(*args, "--json", stdin=stdin)
        return status, json.loads(out)

    def entries(self) -> list[Entry]:
        with Journal.open(self.journal_path) as journal:
            return journal.search(limit=10_000)

    def entry(self, reference: str) -> Entry:
        with Journal.open(self.journal_path) as journal:
            entry = journal.get(reference)
        assert entry is not None
        return entry

    def related(self, reference: str) -> list[Entry]:
        with Journal.open(self.journal_path) as journal:
            return journal.related(reference)


def write_config(tmp_path: Path, base_url: str, extra: str = "") -> tuple[Path, Path]:
    """`extra`: more `[flash]` keys, or whole sections, before `[journal]`."""
    journal = tmp_path / "j.sqlite3"
    config = tmp_path / "till.toml"
    config.write_text(
        '[till]\nstore_id = "S1"\nterminal_id = "T1"\n'
        f'[flash]\nbase_url = "{base_url}"\naccount_number = "SANDBOX01"\n{extra}'
        f'[journal]\npath = "{journal}"\n'
    )
    return config, journal


@pytest.fixture
def till(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Iterator[Till]:
    monkeypatch.setenv("TILL_FLASH__API_KEY", "sandbox-key")
    sb = Sandbox(seed=7)
    with running_sandbox(sb) as base_url:
        config, journal = write_config(tmp_path, base_url)
        yield Till(sb, config, journal, capsys)


def reference_in(out: str) -> str:
    match = re.search(r"^\s+reference\s+(\S+)$", out, re.MULTILINE)
    assert match, out
    return match.group(1)


def value_of(out: str, label: str) -> str:
    match = re.search(rf"^\s+{re.escape(label)}\s{{2,}}(.+)$", out, re.MULTILINE)
    assert match, f"no {label!r} line in:\n{out}"
    return match.group(1).strip()


# -- approvals --------------------------------------------------------------------------------


def test_sell_1voucher_shows_the_ledgers_pin_grouped(till: Till) -> None:
    status, out, err = till.run("sell", "1voucher", "--amount", "50")
    assert status == 0, err
    assert out.startswith("APPROVED")
    ref = reference_in(out)
    (sale,) = till.sb.sales_for(ref)
    assert sale.pin and value_of(out, "PIN") == group_digits(sale.pin)
    assert value_of(out, "amount") == "R 50.00"
    assert value_of(out, "serial") == sale.serial
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", value_of(out, "expires"))
    assert till.entry(ref).state == "approved"


def test_sell_gift_eezi_and_cash_out_show_their_pins(till: Till) -> None:
    status, out, _ = till.run("sell", "gift", "--product", "200", "--amount", "100")
    assert status == 0
    (gift,) = till.sb.sales_for(reference_in(out))
    assert gift.pin and value_of(out, "PIN") == group_digits(gift.pin)
    assert re.fullmatch(r"\d{13}", value_of(out, "barcode"))

    status, out, _ = till.run("sell", "eezi", "--product", "500", "--amount", "10")
    assert status == 0
    (eezi,) = till.sb.sales_for(reference_in(out))
    assert eezi.pin and len(eezi.pin) == 12
    assert value_of(out, "PIN") == group_digits(eezi.pin)

    status, out, _ = till.run("sell", "cashout", "--product", "300", "--amount", "200")
    assert status == 0
    (cash,) = till.sb.sales_for(reference_in(out))
    assert cash.pin and value_of(out, "PIN") == group_digits(cash.pin)
    assert value_of(out, "serial") == cash.serial
    assert value_of(out, "amount") == "R 200.00"


def test_sell_airtime_normalises_the_mobile_number(till: Till) -> None:
    status, out, _ = till.run(
        "sell", "airtime", "--product", "400", "--mobile", "0821234567", "--amount", "29"
    )
    assert status == 0
    assert value_of(out, "mobile") == "082 123 4567"  # as the customer knows it
    assert value_of(out, "network") == "Vodacom"
    (sale,) = till.sb.sales_for(reference_in(out))
    assert sale.amount == 2900
    assert till.entry(reference_in(out)).mobile_number == "27821234567"


def test_disburse_issues_a_voucher(till: Till) -> None:
    status, out, _ = till.run("disburse", "--amount", "50")
    assert status == 0
    (sale,) = till.sb.sales_for(reference_in(out))
    assert sale.pin and value_of(out, "PIN") == group_digits(sale.pin)


def test_redeem_full_value_without_amount(till: Till) -> None:
    status, out, _ = till.run("redeem", stdin="1111 1111 1111 1111\n")
    assert status == 0
    assert value_of(out, "amount") == "R 100.00"
    assert "change PIN" not in out and "CHANGE VOUCHER" not in out
    assert "no change" in out  # the receipt preview says so
    assert till.sb.voucher("1111111111111111").status == "Redeemed"  # type: ignore[union-attr]


def test_sell_redeem_part_then_refund_that_redemption(till: Till) -> None:
    _, out, _ = till.run("sell", "1voucher", "--amount", "50")
    (sale,) = till.sb.sales_for(reference_in(out))
    assert sale.pin

    status, out, _ = till.run("redeem", "--pin", "-", "--amount", "20", stdin=sale.pin + "\n")
    assert status == 0, out
    redemption = reference_in(out)
    assert value_of(out, "change voucher") == "R 30.00"
    change_pin = value_of(out, "change PIN")
    assert re.fullmatch(r"\d{4} \d{4} \d{4} \d{4}", change_pin)
    change = till.sb.voucher(change_pin.replace(" ", ""))
    assert change is not None and change.amount == 3000

    status, out, _ = till.run("refund", "--redemption", redemption, "--amount", "20")
    assert status == 0, out
    (refund,) = till.sb.sales_for(reference_in(out))
    assert refund.pin and value_of(out, "PIN") == group_digits(refund.pin)
    assert till.entry(reference_in(out)).related_reference == redemption

    # The redemption is used up now: the engine refuses before anything is sent.
    before = len(till.entries())
    status, _, err = till.run("refund", "--redemption", redemption, "--amount", "5")
    assert status == 2 and "exceed" in err
    assert len(till.entries()) == before


def test_partial_redemption_by_sms_names_the_number(till: Till) -> None:
    status, out, _ = till.run(
        "redeem", "--amount", "20", "--mobile", "082 123 4567", stdin="1212121212121212\n"
    )
    assert status == 0
    assert value_of(out, "change voucher") == "R 230.00"
    assert value_of(out, "change PIN") == "sent by SMS to 082 123 4567"


def test_cash_out_lookup_cancel_and_cancel_again(till: Till) -> None:
    _, out, _ = till.run("sell", "cashout", "--amount", "200")
    purchase = reference_in(out)
    serial = value_of(out, "serial")
    pin = value_of(out, "PIN")

    status, out, _ = till.run("cashout", "lookup", "--serial", serial, "--product", "300")
    assert status == 0 and value_of(out, "status") == "Active"

    status, out, _ = till.run("cashout", "cancel", "--purchase", purchase)
    assert status == 0, out
    assert value_of(out, "cancelled") == f"serial {serial}"
    assert till.sb.cash_out_pin(serial).status == "Cancelled"  # type: ignore[union-attr]
    assert pin not in out  # a cancelled PIN is worth nothing: don't show it

    status, out, err = till.run("cashout", "cancel", "--purchase", purchase)
    assert status == 2 and "already cancelled" in err  # refused by the till, nothing sent


def test_meter_lookup_shows_customer_limits_and_arrears(till: Till) -> None:
    status, out, _ = till.run("meter", "--meter", "04343434343", "--amount", "100")
    assert status == 0, out
    assert value_of(out, "customer") == "Johan van Wyk"
    assert value_of(out, "address") == "3 Kerk St, Brakpan"
    assert value_of(out, "utility") == "City Power Johannesburg"
    assert value_of(out, "minimum vend") == "R 10.00"
    assert value_of(out, "maximum vend") == "R 5 000.00"
    assert value_of(out, "arrears").startswith("R 150.00")
    assert till.sb.ledger == []  # a lookup commits nothing


def test_vend_numbers_tokens_key_change_first(till: Till) -> None:
    status, out, _ = till.run("vend", "--meter", "04141414141", "--amount", "100")
    assert status == 0, out
    (sale,) = till.sb.sales_for(reference_in(out))
    assert len(sale.tokens) == 3
    lines = [value_of(out, f"token {n} of 3") for n in (1, 2, 3)]
    for line, token in zip(lines, sale.tokens, strict=True):
        assert line.startswith(format_sts_token(token))
    assert "KEY CHANGE" in lines[0] and "KEY CHANGE" in lines[1]
    assert "KEY CHANGE" not in lines[2] and lines[2].endswith("kWh")
    assert value_of(out, "customer") == "Naledi Khumalo"
    assert value_of(out, "meter") == "04141414141"


def test_vend_fbe_needs_no_amount(till: Till) -> None:
    status, out, _ = till.run("vend", "--meter", "04242424242", "--fbe")
    assert status == 0, out
    assert value_of(out, "amount") == "R 0.00"
    assert "FREE BASIC 50 kWh" in value_of(out, "token 1 of 1")


def test_vend_arrears_recovery_is_shown(till: Till) -> None:
    status, out, _ = till.run("vend", "--meter", "04343434343", "--amount", "100")
    assert status == 0
    assert value_of(out, "arrears paid") == "R 25.00"
    assert value_of(out, "arrears left") == "R 125.00"


# -- declines, JSON, bad input ----------------------------------------------------------------


def test_decline_shows_flashs_message_and_journals_it(till: Till) -> None:
    status, out, _ = till.run("redeem", stdin="2401240124012401\n")
    assert status == 1
    assert out.startswith("DECLINED")
    assert "already been used" in value_of(out, "Flash says")
    assert "2401" in out
    entry = till.entry(reference_in(out))
    assert entry.state == "declined" and entry.response_code == 2401


def test_json_output_carries_reference_status_and_code(till: Till) -> None:
    status, data = till.json("sell", "1voucher", "--amount", "50")
    assert status == 0
    assert data["status"] == "approved" and data["code"] == 0 and data["amount"] == 5000
    reference = data["reference"]
    assert isinstance(reference, str) and till.sb.sales_for(reference)

    status, data = till.json("redeem", stdin="2405240524052405\n")
    assert status == 1
    assert data["status"] == "declined" and data["code"] == 2405


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["sell", "1voucher", "--amount", "5o"], "--amount"),
        (["sell", "1voucher", "--amount", "0"], "smallest amount is R 5.00"),
        (["sell", "cashout", "--amount", "600"], "largest amount is R 500.00 for Cash Out PIN"),
        (["sell", "1voucher", "--amount", "6000"], "largest amount is R 5 000.00 for 1Voucher"),
        (["sell", "gift", "--product", "400", "--amount", "100"], "not a gift voucher"),
        (["sell", "gift", "--product", "203", "--amount", "50"], "only amount is R 100.00"),
        (["disburse", "--amount", "4"], "smallest amount is R 5.00"),
        (["redeem", "--pin", "1111111111111111"], "never taken on the command line"),
        (["redeem", "--amount", "abc"], "--amount"),
        (
            ["sell", "airtime", "--product", "400", "--mobile", "12345", "--amount", "29"],
            "--mobile",
        ),
        (["vend", "--meter", "0404-0404", "--amount", "100"], "--meter"),
        (["vend", "--meter", "04242424242", "--fbe", "--amount", "10"], "FBE"),
        (["meter", "--meter", "04040404040", "--amount", "R1O"], "--amount"),
        (["refund", "--redemption", "S1-T1-NOPE-9", "--amount", "20"], "S1-T1-NOPE-9"),
        (["cashout", "cancel", "--purchase", "S1-T1-NOPE-9"], "not a Cash Out PIN sale"),
        (["sell", "gift", "--amount", "100"], "--product"),
    ],
)
def test_bad_input_is_refused_before_anything_is_journaled(
    till: Till, args: list[str], expected: str
) -> None:
    till.run("sell", "1voucher", "--amount", "50")  # the journal exists and has one entry
    status, out, err = till.run(*args)
    assert status == 2
    assert expected in err and "Traceback" not in err
    assert out == "" or "APPROVED" not in out
    assert len(till.entries()) == 1
    assert len(till.sb.ledger) == 1


def test_unknown_redemption_reference_is_bad_input(till: Till) -> None:
    _, out, _ = till.run("sell", "1voucher", "--amount", "50")
    sale = reference_in(out)
    status, _, err = till.run("refund", "--redemption", sale, "--amount", "20")
    assert status == 2 and "not a 1Voucher redemption" in err
    assert len(till.entries()) == 1


# -- in doubt, retry, not sent ----------------------------------------------------------------


def test_dropped_answer_is_in_doubt_then_retry_settles_it_once(till: Till) -> None:
    till.sb.faults.inject(Fault("drop"))
    status, out, _ = till.run("sell", "1voucher", "--amount", "50")
    assert status == 1
    assert out.startswith("IN DOUBT")
    assert "Do not sell again" in out and "till retry" in out
    ref = reference_in(out)
    assert till.entry(ref).state == "in_doubt"
    (committed,) = till.sb.sales_for(ref)  # the drop came after Flash committed the sale
    assert committed.pin and group_digits(committed.pin) not in out

    # Any next transaction warns that one is still open.
    status, _, err = till.run("meter", "--meter", "04040404040", "--amount", "100")
    assert status == 0
    assert "1 earlier transaction is still in doubt: run `till retry`" in err

    status, out, _ = till.run("retry")
    assert status == 0, out
    assert "1 approved" in out and "Nothing is left open" in out
    entry = till.entry(ref)
    assert entry.state == "approved"
    (sale,) = till.sb.sales_for(ref)
    assert entry.response is not None and entry.response["voucher"]["pin"] == sale.pin
    assert sale.pin and group_digits(sale.pin) in out  # the customer gets their PIN now

    status, out, _ = till.run("retry")
    assert status == 0 and "Retried 0" in out


def test_retry_that_gets_no_answer_again_exits_1(till: Till) -> None:
    till.sb.faults.inject(Fault("drop", times=2))
    status, data = till.json("sell", "1voucher", "--amount", "50")
    assert status == 1 and data["status"] == "in_doubt"

    status, report = till.json("retry")
    assert status == 1
    assert report["still_in_doubt"] == [data["reference"]] and report["open"] == 1

    status, report = till.json("retry")
    assert status == 0 and report["approved"] == [data["reference"]]
    assert len(till.sb.sales_for(str(data["reference"]))) == 1


def test_unreachable_flash_is_not_sent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("TILL_FLASH__API_KEY", "sandbox-key")
    config, journal = write_config(tmp_path, "http://127.0.0.1:9")
    status = main(["--config", str(config), "sell", "1voucher", "--amount", "50"])
    out = capsys.readouterr().out
    assert status == 1
    assert out.startswith("NOT SENT") and "safe to try again" in out
    with Journal.open(journal) as j:
        (entry,) = j.search()
        assert j.count_open() == 0
    assert entry.state == "declined" and entry.last_error and "not sent" in entry.last_error


def test_cash_out_lookup_never_shows_the_pin(till: Till) -> None:
    _, out, _ = till.run("sell", "cashout", "--amount", "200")
    serial = value_of(out, "serial")
    (sale,) = till.sb.sales_for(reference_in(out))
    assert sale.pin
    status, out, _ = till.run("cashout", "lookup", "--serial", serial)
    assert status == 0 and serial in out
    assert sale.pin not in out.replace(" ", "")


# -- a customer's 1Voucher PIN: asked for or piped in, never a word of the command line -------


class Terminal(io.StringIO):
    """Standard input as a person at a terminal has it."""

    def isatty(self) -> bool:
        return True


def test_a_pin_on_the_command_line_is_refused_and_never_echoed(till: Till) -> None:
    status, out, err = till.run("redeem", "--pin", "1111111111111111", "--amount", "20")
    assert status == 2 and out == ""
    assert len(err.splitlines()) == 1 and "never taken on the command line" in err
    assert "--pin -" in err and "1111" not in err
    assert not till.journal_path.exists() and till.sb.ledger == []


def test_redeem_asks_for_the_pin_without_echo_at_a_terminal(
    till: Till, monkeypatch: pytest.MonkeyPatch
) -> None:
    import getpass

    asked: list[str] = []

    def no_echo(prompt: str = "") -> str:
        asked.append(prompt)
        return "1111 1111 1111 1111"

    monkeypatch.setattr(getpass, "getpass", no_echo)
    monkeypatch.setattr(sys, "stdin", Terminal(""))
    till.capsys.readouterr()
    status = main(["--config", str(till.config), "redeem"])
    out = till.capsys.readouterr().out
    assert status == 0, out
    assert asked == ["Customer's 1Voucher PIN: "]
    assert till.sb.voucher("1111111111111111").status == "Redeemed"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("args", "stdin", "expected"),
    [
        (["redeem"], "", "no 1Voucher PIN on stdin"),
        (["redeem", "--pin", "-"], "\n", "PIN must be exactly 16 digits"),
        (["redeem"], "12345678123456789\n", "PIN must be exactly 16 digits"),
        (["redeem", "--pin", "-"], "1111-1111-1111-1111\n", "PIN must be exactly 16 digits"),
    ],
)
def test_a_bad_pin_on_stdin_is_refused_before_anything(
    till: Till, args: list[str], stdin: str, expected: str
) -> None:
    status, out, err = till.run(*args, stdin=stdin)
    assert status == 2 and out == "" and len(err.splitlines()) == 1
    assert err.startswith("till: --pin: ") and expected in err
    assert "12345678" not in err  # a typo is still the customer's whole PIN
    assert not till.journal_path.exists() and till.sb.ledger == []


# -- the product list: out-of-range amounts and wrong product codes never reach Flash ----------


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["sell", "1voucher", "--amount", "6000"], "largest amount is R 5 000.00 for 1Voucher"),
        (["sell", "gift", "--product", "400", "--amount", "100"], "is Vodacom Pinless Airtime"),
        (["sell", "gift", "--product", "999", "--amount", "100"], "(200, 201, 202, 203)"),
        (["sell", "eezi", "--product", "500", "--amount", "2000"], "largest amount is R 1 000"),
        (
            ["sell", "airtime", "--product", "200", "--mobile", "0821234567", "--amount", "29"],
            "product 200 is Takealot Gift Voucher, not pinless airtime",
        ),
        (["sell", "cashout", "--amount", "10"], "smallest amount is R 20.00 for Cash Out PIN"),
        (["disburse", "--amount", "6000"], "largest amount is R 5 000.00 for 1Voucher"),
    ],
)
def test_the_product_list_refuses_before_the_journal_is_opened(
    till: Till, args: list[str], expected: str
) -> None:
    arrived: list[str] = []
    till.sb.on_request = lambda path, body: arrived.append(path)
    status, out, err = till.run(*args)
    assert status == 2 and out == ""
    assert err.splitlines() == [err.strip()] and expected in err and "nothing was sent" in err
    assert not till.journal_path.exists()  # not even opened: nothing to journal
    assert arrived == [] and till.sb.ledger == []


def _saved_list(till: Till) -> Path:
    from till.config.paths import catalog_file

    return catalog_file(till.journal_path)


def test_a_command_fetches_the_product_list_once_and_keeps_it(till: Till) -> None:
    status, _, err = till.run("sell", "1voucher", "--amount", "50")
    assert status == 0, err
    saved = json.loads(_saved_list(till).read_text(encoding="utf-8"))
    assert {"kind": "1voucher", "code": 100, "name": "1Voucher", "minimum": 500,
            "maximum": 500_000, "allow_reversal": True} in saved  # fmt: skip


def test_the_saved_product_list_is_what_a_sale_is_checked_on(till: Till) -> None:
    """The list the screens (or an earlier command) saved decides, while it is under a day old;
    an older one is fetched again from Flash."""
    import os
    import time

    saved = _saved_list(till)
    small = {"kind": "1voucher", "code": 100, "name": "1Voucher", "minimum": 500, "maximum": 10_000}
    saved.write_text(json.dumps([small]), encoding="utf-8")
    status, _, err = till.run("sell", "1voucher", "--amount", "150")
    assert status == 2 and "largest amount is R 100.00 for 1Voucher" in err
    assert till.sb.ledger == []

    two_days_ago = time.time() - 2 * 86_400
    os.utime(saved, (two_days_ago, two_days_ago))
    status, _, err = till.run("sell", "1voucher", "--amount", "150")
    assert status == 0, err  # Flash's own list (R 5 000.00) was fetched, and kept
    assert '"maximum": 500000' in saved.read_text(encoding="utf-8")


def test_without_any_product_list_flash_judges_the_sale(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Flash cannot list its products (and none is saved): the sale is still made."""
    from till.flash import FlashClient, FlashInDoubt

    async def unlisted(self: FlashClient) -> None:
        raise FlashInDoubt("no answer", cause="timeout", endpoint="products")

    monkeypatch.setattr(FlashClient, "list_products", unlisted)
    monkeypatch.setenv("TILL_FLASH__API_KEY", "sandbox-key")
    sb = Sandbox(seed=7)
    with running_sandbox(sb) as base_url:
        config, _ = write_config(tmp_path, base_url)
        status = main(["--config", str(config), "sell", "1voucher", "--amount", "50"])
    assert status == 0, capsys.readouterr()
    assert len(sb.ledger) == 1


def test_a_json_decline_carries_the_body_flash_sent(till: Till) -> None:
    status, data = till.json("redeem", stdin="2405240524052405\n")
    assert status == 1 and data["status"] == "declined"
    response = data["response"]
    assert isinstance(response, dict) and response["responseCode"] == 2405
