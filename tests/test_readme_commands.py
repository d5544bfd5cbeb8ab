"""Every line of the documented commands table, run against a training till: its documented status.

The table's first column is read from docs/commands.md ("The till's commands", once the README's
"Commands"), so a line added, changed or dropped there fails here until it is run here too.
Placeholders (`R`, `REF`, `S`, ...) get real values: `{redeemed}` and the like are filled from a
command run first on the same till. The till is a training till whose sandbox lasts the whole
test (as one pointed at `till sandbox` does), so a Cash Out PIN sold by one command can be
cancelled by the next.
"""

from __future__ import annotations

import io
import re
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

import till.sandbox
from till.cli import main
from till.commands.base import EXIT_FAILED, EXIT_OK, EXIT_USAGE
from till.sandbox import Fault, Sandbox

COMMANDS_DOC = Path(__file__).resolve().parent.parent / "docs" / "commands.md"


def documented_lines() -> list[str]:
    """The first column of the table under "## The till's commands": each row's command."""
    text = COMMANDS_DOC.read_text(encoding="utf-8")
    section = text.split("\n## The till's commands\n", 1)[1].split("\n## ", 1)[0]
    table = section.split("| command | what it does |\n|---|---|\n", 1)[1].split("\n\n", 1)[0]
    return [row.split(" | ", 1)[0].removeprefix("| ") for row in table.splitlines()]


@dataclass
class TrainingTill:
    config: Path
    sandbox: Sandbox
    capsys: pytest.CaptureFixture[str]
    monkeypatch: pytest.MonkeyPatch

    def run(self, *args: str, stdin: str = "") -> tuple[int, str, str]:
        self.capsys.readouterr()
        self.monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        status = main(["--config", str(self.config), *args])
        captured = self.capsys.readouterr()
        return status, captured.out, captured.err

    def reference(self, *args: str, stdin: str = "") -> str:
        """Run a command that must be approved (or, with a fault, in doubt): its reference."""
        status, out, err = self.run(*args, stdin=stdin)
        assert status in (EXIT_OK, EXIT_FAILED), err
        return value(out, "reference")


def value(out: str, label: str) -> str:
    match = re.search(rf"^\s+{re.escape(label)}\s{{2,}}(\S+)", out, re.MULTILINE)
    assert match, f"no {label!r} in:\n{out}"
    return match.group(1)


@pytest.fixture
def training_till(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Iterator[TrainingTill]:
    config = tmp_path / "till.toml"
    config.write_text(
        '[till]\nstore_id = "S1"\nterminal_id = "T1"\n'
        f'[journal]\npath = "{tmp_path / "j.sqlite3"}"\n[training]\nenabled = true\n'
        f'[printer]\nkind = "preview"\npreview_path = "{tmp_path / "paper.txt"}"\n'
    )
    shared = Sandbox(seed=5)
    monkeypatch.setattr(till.sandbox, "Sandbox", lambda *args, **kwargs: shared)
    yield TrainingTill(config, shared, capsys, monkeypatch)


#: Values a line needs, each made by commands run first on the same till.
Prepare = Callable[[TrainingTill], dict[str, str]]


def a_sale(t: TrainingTill) -> dict[str, str]:
    return {"sale": t.reference("sell", "1voucher", "--amount", "50")}


def a_redemption(t: TrainingTill) -> dict[str, str]:
    return {"redeemed": t.reference("redeem", "--amount", "20", stdin="1212121212121212\n")}


def a_cash_out_pin(t: TrainingTill) -> dict[str, str]:
    status, out, err = t.run("sell", "cashout", "--amount", "200")
    assert status == EXIT_OK, err
    return {"cashout": value(out, "reference"), "serial": value(out, "serial")}


def a_sale_in_doubt(t: TrainingTill) -> dict[str, str]:
    t.sandbox.faults.inject(Fault("drop"))
    return {"doubt": t.reference("sell", "1voucher", "--amount", "75")}


def nothing(t: TrainingTill) -> dict[str, str]:
    return {}


@dataclass(frozen=True)
class Line:
    """One documented line, as run: the arguments (after `till --config PATH`), its status."""

    args: tuple[str, ...]
    status: int = EXIT_OK
    stdin: str = ""
    prepare: Prepare = nothing


#: Each row of the table -> how it is run here (a row may be run more than one way).
RUNS: dict[str, list[Line]] = {
    "`till sell 1voucher --amount R`": [
        Line(("sell", "1voucher", "--amount", "50")),
        Line(("sell", "1voucher", "--amount", "6000"), EXIT_USAGE),  # over the list's R 5 000
    ],
    "`till sell gift --product 200 --amount R`": [
        Line(("sell", "gift", "--product", "200", "--amount", "100")),
        Line(("sell", "gift", "--product", "400", "--amount", "100"), EXIT_USAGE),
    ],
    "`till sell eezi --product 500 --amount R`": [
        Line(("sell", "eezi", "--product", "500", "--amount", "10")),
    ],
    "`till sell airtime --product 400 --mobile 0821234567 --amount R`": [
        Line(("sell", "airtime", "--product", "400", "--mobile", "0821234567", "--amount", "29")),
    ],
    "`till sell cashout [--product 300] --amount R`": [
        Line(("sell", "cashout", "--amount", "200")),
        Line(("sell", "cashout", "--product", "300", "--amount", "500")),
        Line(("sell", "cashout", "--amount", "500.01"), EXIT_USAGE),  # at most R500
    ],
    "`till disburse --amount R`": [Line(("disburse", "--amount", "50"))],
    "`till redeem [--pin -] [--amount R] [--mobile M]`": [
        Line(("redeem",), stdin="1111 1111 1111 1111\n"),
        Line(("redeem", "--pin", "-", "--amount", "20"), stdin="1212121212121212\n"),
        Line(("redeem", "--amount", "20", "--mobile", "0821234567"), stdin="5000500050005000\n"),
        Line(("redeem", "--pin", "1111111111111111"), EXIT_USAGE),  # never on the command line
        Line(("redeem",), EXIT_FAILED, stdin="2401240124012401\n"),  # already redeemed
    ],
    "`till refund --redemption REF --amount R [--mobile M]`": [
        Line(("refund", "--redemption", "{redeemed}", "--amount", "20"), prepare=a_redemption),
        Line(
            ("refund", "--redemption", "{redeemed}", "--amount", "5", "--mobile", "0821234567"),
            prepare=a_redemption,
        ),
    ],
    "`till cashout cancel --purchase REF`": [
        Line(("cashout", "cancel", "--purchase", "{cashout}"), prepare=a_cash_out_pin),
    ],
    "`till cashout lookup --serial S [--product 300]`": [
        Line(("cashout", "lookup", "--serial", "{serial}"), prepare=a_cash_out_pin),
        Line(
            ("cashout", "lookup", "--serial", "{serial}", "--product", "300"),
            prepare=a_cash_out_pin,
        ),
    ],
    "`till meter --meter N --amount R`": [
        Line(("meter", "--meter", "04141414141", "--amount", "100"))
    ],
    "`till vend --meter N --amount R [--fbe]`": [
        Line(("vend", "--meter", "04141414141", "--amount", "100")),
        Line(("vend", "--meter", "04242424242", "--fbe")),
    ],
    "`till retry`": [
        Line(("retry",)),
        Line(("retry",), prepare=a_sale_in_doubt),  # the drop is answered on the resend
    ],
    "`till journal [list] [--limit N] [--open] [--json]`": [
        Line(("journal",), prepare=a_sale),
        Line(("journal", "--limit", "2"), prepare=a_sale),
        Line(("journal", "--open"), prepare=a_sale_in_doubt),
        Line(("journal", "list", "--limit", "2", "--open", "--json"), prepare=a_sale),
    ],
    "`till journal show REF`": [
        Line(("journal", "show", "{sale}"), prepare=a_sale),
        Line(("journal", "show", "S1-T1-NOPE-1"), EXIT_FAILED, prepare=a_sale),
    ],
    "`till journal search [filters] [--limit N]`": [
        Line(("journal", "search", "--kind", "1voucher.purchase", "--limit", "5"), prepare=a_sale),
    ],
    "`till journal export --csv FILE [filters]`": [
        Line(("journal", "export", "--csv", "-", "--state", "approved"), prepare=a_sale),
    ],
    "`till reverse REF --reason TEXT [--approver ID]`": [
        Line(("reverse", "{sale}", "--reason", "wrong product"), prepare=a_sale),
    ],
    "`till reprint REF`": [
        Line(("reprint", "{sale}"), prepare=a_sale),
        Line(("reprint", "S1-T1-NOPE-1"), EXIT_FAILED, prepare=a_sale),
    ],
    "`till slip REF`": [
        Line(("slip", "{doubt}"), prepare=a_sale_in_doubt),
        Line(("slip", "{sale}"), EXIT_FAILED, prepare=a_sale),  # approved: not in doubt
        Line(("slip", "S1-T1-NOPE-1"), EXIT_FAILED, prepare=a_sale),
    ],
    "`till demo [--script]`": [Line(("demo", "--script"))],
    "`till printer test`": [Line(("printer", "test"))],  # the preview printer: healthy
    "`till check`": [Line(("check",))],
    # every run here is `till --config PATH ...`
    "`till --config PATH ...`": [Line(("journal", "--limit", "1"), prepare=a_sale)],
}

#: Rows that start something long-lived instead of exiting: where they are tested.
ELSEWHERE: dict[str, str] = {
    "`till`": "the screens: tests/tui",
    "`till sandbox [--host H] [--port P]`": "serves until stopped: tests/sandbox",
}

CASES = [
    pytest.param(row, line, id=f"{row.strip('`')} #{n}")
    for row, lines in RUNS.items()
    for n, line in enumerate(lines, start=1)
]


def test_every_documented_line_is_run_here() -> None:
    documented = documented_lines()
    assert len(documented) == len(set(documented))
    assert set(documented) == set(RUNS) | set(ELSEWHERE)
    assert not set(RUNS) & set(ELSEWHERE)


@pytest.mark.parametrize(("row", "line"), CASES)
def test_a_documented_line_exits_as_documented(
    training_till: TrainingTill, row: str, line: Line
) -> None:
    values = line.prepare(training_till)
    args = [arg.format(**values) if arg.startswith("{") else arg for arg in line.args]
    status, out, err = training_till.run(*args, stdin=line.stdin)
    assert status == line.status, (row, args, out, err)
    assert "Traceback" not in err
    if status == EXIT_USAGE:  # a refusal is one line, and nothing was done
        assert out == "" and len(err.splitlines()) == 1 and err.startswith("till: "), err
    elif status == EXIT_FAILED:  # Flash's answer is printed, or one line says what failed
        assert re.search(r"^(DECLINED|IN DOUBT)  ", out, re.M) or len(err.splitlines()) == 1, err
