"""What a cashier types: only ASCII digits are money, PINs or numbers; a mobile number is one
of the ways South Africans write one, never letters dropped; every number option is bounded.

The command-line cases run `till` in process, in training mode against the built-in sandbox,
with every HTTP request the till makes counted: a refusal is exit 2 and one line on stderr,
with nothing journaled and nothing sent.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from till.cli import main
from till.commands.base import EXIT_OK, EXIT_USAGE
from till.digits import ungroup
from till.journal import Journal
from till.money import parse_rands
from till.phone import normalize_mobile, parse_mobile
from till.sandbox import Sandbox

#: The same numbers in other scripts: str.isdigit(), int() and \d take them all.
FIFTY = {
    "Arabic-Indic": "٥٠",
    "Extended Arabic-Indic": "۵۰",
    "full-width": "５０",
    "Devanagari": "५०",
    "Bengali": "৫০",
    "Thai": "๕๐",
    "mathematical bold": "𝟓𝟎",
    "superscript": "⁵⁰",
}


# -- the parsers --------------------------------------------------------------------------------


@pytest.mark.parametrize("text", list(FIFTY.values()), ids=list(FIFTY))
def test_other_scripts_digits_are_not_money(text: str) -> None:
    if text.isdecimal():
        assert int(text) == 50  # what int() would have made of it
    with pytest.raises(ValueError, match="not an amount"):
        parse_rands(text)
    with pytest.raises(ValueError, match="not an amount"):
        parse_rands(f"R {text}.00")


@pytest.mark.parametrize(
    "text", ["50\u00a0", "\u200b50", "5\u20090", "50\x1c", "\u3000R50", "50\n", "R\u00a050"]
)
def test_only_ascii_spaces_around_an_amount(text: str) -> None:
    with pytest.raises(ValueError, match="not an amount"):
        parse_rands(text)


@pytest.mark.parametrize(
    ("typed", "flash"),
    [
        ("0821234567", "27821234567"),
        ("082 123 4567", "27821234567"),
        ("082-123-4567", "27821234567"),
        ("082 - 123 - 4567", "27821234567"),
        ("27821234567", "27821234567"),
        ("+27821234567", "27821234567"),
        ("+27 82 123 4567", "27821234567"),
        ("0027821234567", "27821234567"),
        ("0027 82 123 4567", "27821234567"),
        ("+27 (0)82 123 4567", "27821234567"),
        ("+27(0)821234567", "27821234567"),
        ("(0)82 123 4567", "27821234567"),
        (" 0831112222 ", "27831112222"),
    ],
)
def test_mobile_numbers_as_south_africans_write_them(typed: str, flash: str) -> None:
    assert parse_mobile(typed) == flash
    assert normalize_mobile(typed) == flash


@pytest.mark.parametrize(
    "typed",
    [
        "0821234567abc",  # letters are refused, never dropped
        "abc0821234567",
        "082l234567",  # a letter l for a 1
        "082 123 4567 ext 2",
        "٠٨٢١٢٣٤٥٦٧",  # Arabic-Indic digits
        "０８２１２３４５６７",  # full-width
        "082.123.4567",
        "082/123/4567",
        "+27 (0)(0)82 123 4567",  # a second pair of parentheses
        "(082) 123 4567",  # parentheses around more than the trunk 0
        "+27 (82) 123 4567",
        "082--123-4567",
        "-0821234567",
        "0821234567-",
        "++27821234567",
        "+270821234567",  # the trunk 0 after the country code, not in parentheses
        "082123456",  # too short
        "08212345678",  # too long
        "0021234567",  # no network starts with 0
        "+44 20 7946 0958",  # not South African
        "082\t123\t4567",
        "082\u00a0123\u00a04567",
        "082 123 4567\n",
        "",
    ],
)
def test_anything_else_is_not_a_mobile_number(typed: str) -> None:
    with pytest.raises(ValueError, match="not a South African cell number"):
        parse_mobile(typed)
    assert normalize_mobile(typed) != "27821234567"  # the request's check refuses what is left


def test_ungroup_takes_out_ascii_spaces_only() -> None:
    assert ungroup("1234 5678\t9012\r\n") == "123456789012"
    assert ungroup("1234\u00a05678") == "1234\u00a05678"  # kept, for the request to refuse
    assert ungroup("1234\x1c5678") == "1234\x1c5678"


def test_a_journal_limit_is_a_positive_whole_number(tmp_path: Path) -> None:
    with Journal.open(tmp_path / "j.sqlite3") as journal:
        for bad in (-5, 0, True, 10**30 + 0.5):
            with pytest.raises(ValueError, match="a limit is a whole number"):
                journal.search(limit=bad)  # type: ignore[arg-type]
        assert journal.search(limit=10**30) == []  # huge but whole: everything there is


# -- the commands ------------------------------------------------------------------------------


class Counting(httpx.AsyncBaseTransport):
    """The training sandbox's transport, recording every request the till makes."""

    def __init__(self, inner: httpx.AsyncBaseTransport, seen: list[str]) -> None:
        self.inner = inner
        self.seen = seen

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.seen.append(f"{request.method} {request.url.path}")
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


@dataclass
class Trainee:
    """A training till over the built-in sandbox; `run` is `till --config ... ARGS`."""

    config: Path
    journal_path: Path
    capsys: pytest.CaptureFixture[str]
    requests: list[str] = field(default_factory=list)

    def run(self, *args: str) -> tuple[int, str, str]:
        self.capsys.readouterr()
        status = main(["--config", str(self.config), *args])
        captured = self.capsys.readouterr()
        return status, captured.out, captured.err

    def state(self) -> tuple[str | None, int]:
        """The journal file's bytes (a digest) and its number of entries."""
        if not self.journal_path.exists():
            return None, 0
        digest = hashlib.sha256(self.journal_path.read_bytes()).hexdigest()
        with Journal.open(self.journal_path, create=False) as journal:
            return digest, len(journal.search(limit=10**6))

    def refuses(self, *args: str) -> str:
        """Run ARGS; assert exit 2, one line on stderr, nothing journaled or sent; the line."""
        before, sent = self.state(), len(self.requests)
        status, out, err = self.run(*args)
        assert status == EXIT_USAGE, (args, status, out, err)
        lines = err.splitlines()
        assert len(lines) == 1 and lines[0].startswith("till: "), (args, err)
        assert "Traceback" not in err and "APPROVED" not in out
        assert self.state() == before, args
        assert len(self.requests) == sent, args
        return lines[0]


def write_training_config(tmp_path: Path) -> tuple[Path, Path]:
    config = tmp_path / "till.toml"
    journal = tmp_path / "j.sqlite3"
    config.write_text(
        '[till]\nstore_id = "S1"\nterminal_id = "T1"\n'
        f'[journal]\npath = "{journal}"\n[training]\nenabled = true\n[printer]\nkind = "none"\n'
    )
    return config, tmp_path / "j-training.sqlite3"


def make_trainee(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Trainee:
    """A training till whose in-process sandbox counts every request it is sent."""
    config, journal = write_training_config(tmp_path)
    till = Trainee(config, journal, capsys)
    transport = Sandbox.transport

    def counted(self: Sandbox) -> httpx.AsyncBaseTransport:
        return Counting(transport(self), till.requests)

    monkeypatch.setattr(Sandbox, "transport", counted)
    return till


@pytest.fixture
def trainee(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Iterator[Trainee]:
    yield make_trainee(tmp_path, monkeypatch, capsys)


@pytest.fixture
def sold(trainee: Trainee) -> Trainee:
    """The training till after one sale: its journal exists and holds one entry."""
    status, _, err = trainee.run("sell", "1voucher", "--amount", "50")
    assert status == EXIT_OK, err
    assert trainee.requests and trainee.state()[1] == 1
    return trainee


@pytest.mark.parametrize("text", list(FIFTY.values()), ids=list(FIFTY))
def test_sell_with_other_scripts_digits_is_refused(trainee: Trainee, text: str) -> None:
    line = trainee.refuses("sell", "1voucher", "--amount", text)
    assert "--amount" in line and "not an amount" in line
    assert not trainee.journal_path.exists() and trainee.requests == []


def test_other_scripts_digits_are_refused_in_every_number(sold: Trainee) -> None:
    five, fifty = "٥", "٥٠"
    pin = "١١١١١١١١١١١١١١١١"
    cases = [
        ["sell", "gift", "--product", "٢٠٠", "--amount", "50"],
        ["sell", "cashout", "--product", "３００", "--amount", "50"],
        ["redeem", "--pin", pin],
        ["redeem", "--pin", "1111111111111111", "--amount", fifty],
        ["meter", "--meter", "٠٤٠٤٠٤٠٤٠٤٠", "--amount", "100"],
        ["vend", "--meter", "04040404040", "--amount", "１００"],
        ["cashout", "lookup", "--serial", "１２３"],
        ["journal", "list", "--limit", five],
        ["journal", "search", "--amount", fifty],
        ["journal", "search", "--from", "٢٠٢٦-١١-٢٤"],
        ["journal", "search", "--meter", "٠٤٠٤"],
        ["report", "show", "１"],
        ["shift", "open", "--cashier", "C1", "--float", fifty],
        ["sandbox", "--port", "٨٤٠٠"],
    ]
    for args in cases:
        sold.refuses(*args)


def test_letters_in_a_mobile_number_are_refused_not_dropped(sold: Trainee) -> None:
    line = sold.refuses(
        "sell", "airtime", "--product", "400", "--mobile", "0821234567abc", "--amount", "29"
    )
    assert "--mobile" in line and "0821234567abc" in line
    for typed in ("+27 (0)82 123 4567", "0027 82 123 4567", "082-123-4567"):
        status, _, err = sold.run(
            "sell", "airtime", "--product", "400", "--mobile", typed, "--amount", "29", "--json"
        )
        assert status == EXIT_OK, err
        with Journal.open(sold.journal_path) as journal:
            (entry,) = journal.search(limit=1)
        assert entry.mobile_number == "27821234567"


@pytest.mark.parametrize(
    "args",
    [
        ["journal", "list", "--limit", "1e30"],
        ["journal", "list", "--limit=-5"],
        ["journal", "list", "--limit", "0"],
        ["journal", "list", "--limit", "5.0"],
        ["journal", "list", "--limit", " 5"],
        ["journal", "list", "--limit", "1_000"],
        ["journal", "list", "--limit", "9" * 40],
        ["journal", "search", "--limit", "1e30"],
        ["journal", "search", "--limit=-5"],
        ["journal", "search", "--limit", "100001"],
        ["report", "show", "-1"],
        ["report", "show", "0"],
        ["sell", "gift", "--product", "1e3", "--amount", "50"],
        ["sell", "gift", "--product=-200", "--amount", "50"],
        ["sell", "gift", "--product", str(2**31), "--amount", "50"],
        ["cashout", "lookup", "--serial", "1", "--product", "0"],
        ["sell", "1voucher", "--amount", "1e3"],
        ["sell", "1voucher", "--amount=-5"],
        ["sell", "1voucher", "--amount", "5" * 40],
        ["sell", "1voucher", "--amount", "inf"],
        ["sell", "1voucher", "--amount", "NaN"],
        ["sandbox", "--port", "0"],
        ["sandbox", "--port", "65536"],
        ["sandbox", "--float", "1e30"],
        ["sandbox", "--float", "inf"],
        ["sandbox", "--float=-5"],
        ["sandbox", "--delay", "nan"],
        ["sandbox", "--delay", "1e3"],
        ["sandbox", "--token-lifetime", "0"],
        ["sandbox", "--seed=-1"],
    ],
)
def test_every_number_option_is_checked(sold: Trainee, args: list[str]) -> None:
    line = sold.refuses(*args)
    assert "--" in line or "show" in line


def test_bad_references_ids_and_names_are_usage_errors(sold: Trainee) -> None:
    for args in (
        ["journal", "show", "S1-T1-\x1b[2J-1"],
        ["journal", "search", "--reference", "S1 T1"],
        ["reprint", "S1/T1"],
        ["slip", ""],
        ["refund", "--redemption", "S1-T1-ÄÖ-1", "--amount", "20"],
        ["cashout", "cancel", "--purchase", "x" * 51],
        ["sell", "1voucher", "--amount", "50", "--cashier", "Zoë"],
        ["sell", "1voucher", "--amount", "50", "--approver", "S 7"],
        ["users", "add", "bad id", "--name", "X", "--role", "cashier"],
        ["users", "add", "U1", "--name", "Eve\x07", "--role", "cashier"],
        ["shift", "open", "--cashier", "٣", "--float", "100"],
        ["journal", "export", "--csv", "out\x00.csv"],
        ["journal", "search", "--from", "0001-01-01"],
        ["journal", "search", "--to", "9999-12-31"],
        ["journal", "search", "--serial", "12-34"],
    ):
        line = sold.refuses(*args)
        assert "\x1b" not in line and "\x07" not in line


def test_a_well_formed_unknown_reference_is_not_a_usage_error(sold: Trainee) -> None:
    status, _, err = sold.run("journal", "show", "S1-T1-NOPE-9")
    assert status == 1 and "no journal entry" in err


@pytest.mark.parametrize(
    ("variable", "value", "key"),
    [
        ("TILL_STAFF__APPROVAL_ABOVE", "٥٠", "staff.approval_above"),
        ("TILL_STAFF__APPROVAL_ABOVE", "1e3", "staff.approval_above"),
        ("TILL_STAFF__APPROVAL_ABOVE", "1e30", "staff.approval_above"),
        ("TILL_STAFF__APPROVAL_ABOVE", "\x1f0", "staff.approval_above"),  # str.strip() eats it
        ("TILL_FLASH__READ_TIMEOUT", "\u200930", "flash.read_timeout"),
        ("TILL_STAFF__IDLE_LOCK_SECONDS", "３００", "staff.idle_lock_seconds"),
        ("TILL_STAFF__LOCKOUT_MINUTES", "1_0", "staff.lockout_minutes"),
        ("TILL_PRINTER__COLUMNS", "٤٢", "printer.columns"),
        ("TILL_PRINTER__BAUDRATE", "-9600", "printer.baudrate"),
        ("TILL_PRINTER__USB_VENDOR_ID", "٠٤b8", "printer.usb_vendor_id"),
        ("TILL_PRINTER__USB_VENDOR_ID", "0x1_04b8", "printer.usb_vendor_id"),
        ("TILL_FLASH__READ_TIMEOUT", "inf", "flash.read_timeout"),
        ("TILL_FLASH__CONNECT_TIMEOUT", "nan", "flash.connect_timeout"),
        ("TILL_TILL__STORE_NAME", "Corner\x1b[2JShop", "till.store_name"),
        ("TILL_FLASH__BASE_URL", "https://flash\n.example", "flash.base_url"),
        ("TILL_FLASH__BASE_URL", "https://flash.example:99999", "flash.base_url"),
        ("TILL_FLASH__API_KEY", "key with spaces", "flash.api_key"),
    ],
)
def test_bad_config_values_are_refused_before_anything(
    sold: Trainee, monkeypatch: pytest.MonkeyPatch, variable: str, value: str, key: str
) -> None:
    monkeypatch.setenv(variable, value)
    before, sent = sold.state(), len(sold.requests)
    status, out, err = sold.run("sell", "1voucher", "--amount", "50")
    assert status == EXIT_USAGE, err
    assert err.startswith("till: config error") and key in err and out == ""
    assert "\x1b" not in err
    assert sold.state() == before and len(sold.requests) == sent


def test_a_mistyped_pin_is_never_echoed(sold: Trainee) -> None:
    typo = "12345678123456789"  # one digit too many: still the customer's whole PIN
    line = sold.refuses("redeem", "--pin", typo)
    assert "16 digits" in line and "12345678" not in line


def test_an_export_never_lands_on_the_journal_itself(sold: Trainee) -> None:
    before = sold.state()
    for target in (sold.journal_path, Path(f"{sold.journal_path}-wal")):
        if not target.exists():
            continue
        status, _, err = sold.run("journal", "export", "--csv", str(target))
        assert status == EXIT_USAGE and "is the till's journal" in err
    assert sold.state() == before
