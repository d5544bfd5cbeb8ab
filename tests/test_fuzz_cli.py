"""Every command-line argument and config value, fuzzed: any text at all (every Unicode
category, surrogates and control characters included), and the usual suspects (digits of
other scripts, huge, negative and fractional numbers, exponents, nan and inf).

Each value the till does not take must give exit status 2 and one line on stderr (a config
error keeps its layout: a header line naming the file and a line naming the key), leave the
journal file byte for byte as it was, and send nothing to Flash. The commands run in process,
in training mode against the built-in sandbox, with every HTTP request counted.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from tests.test_input import Trainee, make_trainee
from till.commands import base
from till.commands.base import EXIT_OK, EXIT_STATUSES, EXIT_USAGE, UsageError
from till.commands.journal import MAX_LIMIT, STATES, parse_day
from till.commands.output import KIND_LABELS
from till.commands.sales import METER, PIN, PRODUCT_CODE

#: The journal's faults' statuses (4-10).
JOURNAL_FAULTS = {status for status, _ in EXIT_STATUSES if 4 <= status <= 10}

FUZZ = settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# -- values -----------------------------------------------------------------------------------

#: Any text: every category, surrogates included (argv in process can hold them).
anything = st.text(st.characters(exclude_categories=()), max_size=24)
ascii_digit = st.sampled_from("0123456789")
#: Digits that are not ASCII: str.isdigit(), int() and \d take most of these.
other_digit = st.characters(categories=["Nd", "No", "Nl"]).filter(lambda c: c not in "0123456789")
other_scripts = (
    st.lists(st.one_of(ascii_digit, other_digit), min_size=1, max_size=8)
    .filter(lambda cs: any(c not in "0123456789" for c in cs))
    .map("".join)
)
control = st.characters(categories=["Cc", "Cf", "Zl", "Zp", "Cs", "Co"])
with_control = st.builds(
    lambda a, c, b: f"{a}{c}{b}",
    st.text(ascii_digit, max_size=6),
    control,
    st.text(ascii_digit, max_size=6),
)
huge = st.one_of(st.integers(min_value=10**12).map(str), st.just("9" * 400))
negative = st.integers(max_value=-1).map(str)
fractional = st.floats(allow_nan=True, allow_infinity=True).map(repr)
exponent = st.builds(lambda m, e: f"{m}e{e}", st.integers(0, 999), st.integers(-40, 40))
suspects = st.one_of(other_scripts, with_control, huge, negative, fractional, exponent)
#: Never a number the till takes, wherever it reads one.
not_numbers = st.one_of(
    other_scripts,
    with_control,
    huge,
    negative,
    exponent,
    st.sampled_from(["nan", "NaN", "inf", "-inf", "Infinity", "0x10", "1_000", "1,5e3", ""]),
)
values = st.one_of(anything, suspects)


def accepted(parse: Callable[[str], object], value: str) -> bool:
    try:
        parse(value)
    except (argparse.ArgumentTypeError, UsageError, ValueError):
        return False
    return True


def choice(options: tuple[str, ...] | list[str]) -> Callable[[str], str]:
    def parse(value: str) -> str:
        if value not in options:
            raise ValueError(value)
        return value

    return parse


def day(value: str) -> object:
    return parse_day(value, "--from")


#: (name, arguments with {} for the value, what the till takes there)
SLOTS: list[tuple[str, list[str], Callable[[str], object]]] = [
    ("sell --amount", ["sell", "1voucher", "--amount={}"], base.rands),
    ("sell --product", ["sell", "gift", "--product={}", "--amount", "50"], PRODUCT_CODE),
    (
        "sell --mobile",
        ["sell", "airtime", "--product", "400", "--mobile={}", "--amount", "29"],
        base.mobile,
    ),
    ("sell --cashier", ["sell", "1voucher", "--amount", "50", "--cashier={}"], base.user_id),
    ("sell --approver", ["sell", "1voucher", "--amount", "50", "--approver={}"], base.user_id),
    ("disburse --amount", ["disburse", "--amount={}"], base.rands),
    ("redeem --pin", ["redeem", "--pin={}"], PIN),
    ("redeem --amount", ["redeem", "--pin", "1111111111111111", "--amount={}"], base.rands),
    ("redeem --mobile", ["redeem", "--pin", "1111111111111111", "--mobile={}"], base.mobile),
    ("refund --redemption", ["refund", "--redemption={}", "--amount", "20"], base.reference),
    ("refund --amount", ["refund", "--redemption", "S1-T1-X-1", "--amount={}"], base.rands),
    ("cashout cancel --purchase", ["cashout", "cancel", "--purchase={}"], base.reference),
    ("cashout lookup --serial", ["cashout", "lookup", "--serial={}"], base.serial),
    (
        "cashout lookup --product",
        ["cashout", "lookup", "--serial", "123", "--product={}"],
        PRODUCT_CODE,
    ),
    ("meter --meter", ["meter", "--meter={}", "--amount", "100"], METER),
    ("meter --amount", ["meter", "--meter", "04040404040", "--amount={}"], base.rands),
    ("vend --meter", ["vend", "--meter={}", "--amount", "100"], METER),
    ("vend --amount", ["vend", "--meter", "04040404040", "--amount={}"], base.rands),
    ("journal list --limit", ["journal", "list", "--limit={}"], base.whole_number(1, MAX_LIMIT)),
    (
        "journal search --limit",
        ["journal", "search", "--limit={}"],
        base.whole_number(1, MAX_LIMIT),
    ),
    ("journal search --reference", ["journal", "search", "--reference={}"], base.reference),
    ("journal search --from", ["journal", "search", "--from={}"], day),
    ("journal search --to", ["journal", "search", "--to={}"], day),
    ("journal search --amount", ["journal", "search", "--amount={}"], base.rands),
    ("journal search --mobile", ["journal", "search", "--mobile={}"], base.mobile),
    ("journal search --meter", ["journal", "search", "--meter={}"], METER),
    ("journal search --serial", ["journal", "search", "--serial={}"], base.serial),
    ("journal search --kind", ["journal", "search", "--kind={}"], choice(sorted(KIND_LABELS))),
    ("journal search --state", ["journal", "search", "--state={}"], choice(STATES)),
    ("journal show", ["journal", "show", "--", "{}"], base.reference),
    ("journal export --csv", ["journal", "export", "--csv={}"], base.file_path),
    ("reprint", ["reprint", "--", "{}"], base.reference),
    ("slip", ["slip", "--", "{}"], base.reference),
    (
        "users add ID",
        ["users", "add", "--name", "X", "--role", "cashier", "--", "{}"],
        base.user_id,
    ),
    (
        "users add --name",
        ["users", "add", "U1", "--role", "cashier", "--name={}"],
        base.plain_text("a name", 60),
    ),
    ("users disable --as", ["users", "disable", "U1", "--as={}"], base.user_id),
    ("shift open --cashier", ["shift", "open", "--float", "100", "--cashier={}"], base.user_id),
    ("shift open --float", ["shift", "open", "--cashier", "C1", "--float={}"], base.rands),
    ("shift close --counted", ["shift", "close", "--cashier", "C1", "--counted={}"], base.rands),
    ("report show", ["report", "show", "--", "{}"], base.whole_number(1, 10**9)),
    ("report z --as", ["report", "z", "--as={}"], base.user_id),
    ("sandbox --port", ["sandbox", "--port={}"], base.whole_number(1, 65535)),
    ("sandbox --float", ["sandbox", "--float={}"], base.rands),
    ("sandbox --token-lifetime", ["sandbox", "--token-lifetime={}"], base.whole_number(1, 604800)),
    ("sandbox --delay", ["sandbox", "--delay={}"], base.seconds(0, 3600)),
    ("sandbox --seed", ["sandbox", "--seed={}"], base.whole_number(0, 2**64 - 1)),
]


@pytest.fixture
def till(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Iterator[Trainee]:
    """The counted training till of test_input with one sale journaled; no sandbox server can
    start."""
    trainee = make_trainee(tmp_path, monkeypatch, capsys)

    def no_server(*args: object, **kwargs: object) -> None:
        raise AssertionError("a fuzzed value started the sandbox server")

    monkeypatch.setattr("till.sandbox.serve", no_server)
    monkeypatch.chdir(tmp_path)  # an export that got through would land here, not in the repo
    status, _, err = trainee.run("sell", "1voucher", "--amount", "50")
    assert status == EXIT_OK, err
    yield trainee


def _fill(template: list[str], value: str) -> list[str]:
    return [value if word == "{}" else word.replace("{}", value) for word in template]


@pytest.mark.parametrize(("name", "template", "parse"), SLOTS, ids=[s[0] for s in SLOTS])
@FUZZ
@given(value=values)
def test_every_argument_refuses_what_it_does_not_take(
    till: Trainee, name: str, template: list[str], parse: Callable[[str], object], value: str
) -> None:
    assume(not accepted(parse, value))
    till.refuses(*_fill(template, value))


#: The slots a number is read from (amounts, codes, PINs, meters, limits, dates, ports...).
NUMBER_WORDS = (
    "--amount", "--product", "--pin", "--meter", "--mobile", "--limit", "--from", "--to",
    "--float", "--counted", "--port", "--token-lifetime", "--delay", "--seed", "report show",
)  # fmt: skip
NUMBERS = [s for s in SLOTS if any(word in s[0] for word in NUMBER_WORDS)]


@pytest.mark.parametrize(("name", "template", "parse"), NUMBERS, ids=[s[0] for s in NUMBERS])
@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
@given(value=st.one_of(other_scripts, with_control))
def test_no_number_is_read_from_other_scripts_or_control_characters(
    till: Trainee, name: str, template: list[str], parse: Callable[[str], object], value: str
) -> None:
    """No assumption here: each of these must be refused wherever the till reads a number."""
    till.refuses(*_fill(template, value))


# -- config values ------------------------------------------------------------------------------

#: Config keys a number is read from, with the environment variable that sets each.
NUMBER_KEYS = [
    "flash.connect_timeout",
    "flash.read_timeout",
    "printer.columns",
    "printer.baudrate",
    "printer.port",
    "printer.timeout",
    "printer.usb_vendor_id",
    "staff.idle_lock_seconds",
    "staff.approval_above",
    "staff.max_pin_attempts",
    "staff.lockout_minutes",
]
TEXT_KEYS = [
    "till.store_id",
    "till.terminal_id",
    "till.store_name",
    "till.vat_number",
    "flash.base_url",
    "flash.token_url",
    "flash.account_number",
    "flash.api_key",
    "journal.path",
    "training.enabled",
    "printer.kind",
    "printer.profile",
    "keys.sell",
]


def _env(key: str) -> str:
    return "TILL_" + key.replace(".", "__").upper()


def _settable(value: str) -> bool:
    """What an environment variable can hold: no NUL, text that encodes."""
    try:
        value.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return False
    return "\x00" not in value


def _config_refused(
    till: Trainee, monkeypatch: pytest.MonkeyPatch, key: str, value: str
) -> tuple[int, str] | None:
    """Run a sale with KEY=VALUE in the environment; None when the till took the value (then
    it sold), else (status, stderr) after checking nothing changed."""
    before, sent = till.state(), len(till.requests)
    with monkeypatch.context() as patch:
        patch.setenv(_env(key), value)
        status, out, err = till.run("sell", "1voucher", "--amount", "50")
    if status == EXIT_OK:
        return None
    assert "Traceback" not in err and "APPROVED" not in out, err
    assert till.state() == before and len(till.requests) == sent, (key, value)
    return status, err


def _is_config_error(err: str, key: str) -> None:
    header, *rest = err.splitlines()
    assert header.startswith("till: config error in ")
    assert any(line.strip().startswith(f"{key}:") for line in rest), err
    for line in rest:
        assert line.isprintable()


@pytest.mark.parametrize("key", NUMBER_KEYS + TEXT_KEYS)
@FUZZ
@given(value=values.filter(_settable))
def test_every_config_value_is_refused_or_works(
    till: Trainee, monkeypatch: pytest.MonkeyPatch, key: str, value: str
) -> None:
    """Whatever the environment says, the till either takes it and sells, or refuses it
    cleanly with the key named, before anything is journaled or sent."""
    refused = _config_refused(till, monkeypatch, key, value)
    if refused is None:
        return
    status, err = refused
    if key == "journal.path" and status in JOURNAL_FAULTS:
        # A path that names a file the till cannot use (an existing non-journal, a directory
        # part that is a file): the journal's own one-line refusal.
        (line,) = err.splitlines()
        assert line.startswith("till: journal ") and line.isprintable()
        return
    assert status == EXIT_USAGE, err
    _is_config_error(err, key)


@pytest.mark.parametrize("key", [k for k in NUMBER_KEYS if k != "printer.usb_vendor_id"])
@settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck))
@given(value=not_numbers.filter(_settable))
def test_config_numbers_take_ascii_digits_only(
    till: Trainee, monkeypatch: pytest.MonkeyPatch, key: str, value: str
) -> None:
    refused = _config_refused(till, monkeypatch, key, value)
    assert refused is not None, f"{key} = {value!r} was taken"
    status, err = refused
    assert status == EXIT_USAGE
    _is_config_error(err, key)


#: Whole-number keys and the range each takes.
RANGES = {
    "printer.columns": (16, 80),
    "staff.idle_lock_seconds": (15, 86_400),
    "printer.port": (1, 65535),
}


def _toml_number(value: object) -> str:
    """A TOML literal: true/false, an integer, or a float as Python writes it (nan, inf and
    1e+30 are TOML too)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(value)


@pytest.mark.parametrize("key", sorted(RANGES))
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_config_file_numbers_out_of_range_or_not_whole(
    till: Trainee, key: str, data: st.DataObject
) -> None:
    """TOML's own numbers: nan, inf, fractions, booleans and out-of-range integers."""
    low, high = RANGES[key]
    value = data.draw(
        st.one_of(
            st.integers().filter(lambda n: not low <= n <= high),
            st.floats().filter(lambda f: not f.is_integer()),
            st.booleans(),
        )
    )
    section, name = key.split(".")
    text = till.config.read_text()
    line = f"{name} = {_toml_number(value)}\n"
    header = f"[{section}]\n"
    changed = text.replace(header, header + line) if header in text else text + header + line
    till.config.write_text(changed)
    try:
        before, sent = till.state(), len(till.requests)
        status, out, err = till.run("sell", "1voucher", "--amount", "50")
        assert status == EXIT_USAGE, (key, value, err)
        assert "Traceback" not in err and out == ""
        _is_config_error(err, key)
        assert till.state() == before and len(till.requests) == sent
    finally:
        till.config.write_text(text)
