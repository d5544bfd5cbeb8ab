"""`till printer test`: a test page on the configured printer, and what the printer said."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.receipts.standin_printer import StandinPrinter
from till.cli import main
from till.commands.base import EXIT_OK, EXIT_PRINTER_FAULT, EXIT_STATUSES, EXIT_USAGE


def config(tmp_path: Path, printer: str) -> str:
    path = tmp_path / "till.toml"
    path.write_text(f'[till]\nstore_id = "S1"\nterminal_id = "T1"\n[printer]\n{printer}\n')
    return str(path)


def network(tmp_path: Path, standin: StandinPrinter, profile: str = "TM-T20II") -> str:
    return config(
        tmp_path,
        f'kind = "network"\nhost = "127.0.0.1"\nport = {standin.port}\n'
        # a stand-in that answers gets the most [printer] allows; a silent one 1 s
        f"timeout = {1 if standin.mode in ('silent', 'never_reads', 'stalls') else 30}\n"
        f'profile = "{profile}"',
    )


def run(path: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    status = main(["--config", path, "printer", "test"])
    out, err = capsys.readouterr()
    return status, out, err


def test_a_healthy_printer_prints_the_page(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with StandinPrinter() as standin:
        status, out, err = run(network(tmp_path, standin), capsys)
        page = standin.data
    assert status == EXIT_OK, err
    assert "online, paper ok" in out and "test page  printed" in out and "result     OK" in out
    assert "48 columns, 576 dots (72 mm)" in out
    assert b"PRINTER TEST" in page and b"1234 5678 9012 3456" in page
    assert b"48 columns, 576 dots" in page and b"online, paper ok" in page
    assert b"123456789012345678901234567890123456789012345678\n" in page  # the ruler, 48 wide
    assert b"\x1dk" in page and b"\x1d(k" in page  # a barcode and a QR code


def test_paper_low_prints_and_warns(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with StandinPrinter(paper="low") as standin:
        status, out, _ = run(network(tmp_path, standin), capsys)
        assert b"PRINTER TEST" in standin.data
    assert status == EXIT_OK and "paper low - change the roll soon" in out


@pytest.mark.parametrize(
    ("state", "said"),
    [
        ({"paper": "out"}, "paper out - load a new roll"),
        ({"cover_open": True}, "cover open - close the printer's cover"),
        ({"online": False}, "printer offline"),
        ({"mode": "silent"}, "no answer from network 127.0.0.1:"),
        ({"mode": "never_reads"}, "no answer from network 127.0.0.1:"),
    ],
)
def test_a_printer_fault_is_said_and_has_its_own_exit_status(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], state: dict[str, Any], said: str
) -> None:
    with StandinPrinter(**state) as standin:
        status, out, err = run(network(tmp_path, standin), capsys)
        assert b"PRINTER TEST" not in standin.data
    assert status == EXIT_PRINTER_FAULT and said in out and said in err
    assert "test page  NOT sent" in out and "PRINTER FAULT" in out


def test_paper_that_runs_out_on_the_page_is_a_fault(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with StandinPrinter(paper_out_after=1) as standin:
        status, out, err = run(network(tmp_path, standin), capsys)
    assert status == EXIT_PRINTER_FAULT and "NOT printed" in out
    assert "paper out on network 127.0.0.1" in err and "after the receipt was sent" in err


def test_a_file_printer_cannot_report_and_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    device = tmp_path / "lp0"
    status, out, _ = run(config(tmp_path, f'kind = "file"\ndevice = "{device}"'), capsys)
    assert status == EXIT_OK and "not reported" in out and "sent (check the paper)" in out
    assert b"PRINTER TEST" in device.read_bytes()
    gone = tmp_path / "no-such-dir" / "lp0"
    status, out, err = run(config(tmp_path, f'kind = "file"\ndevice = "{gone}"'), capsys)
    assert status == EXIT_PRINTER_FAULT and "NOT printed" in out and "no-such-dir" in err


def test_preview_and_no_printer(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(config(tmp_path, 'kind = "preview"'), capsys)
    assert status == EXIT_OK and "PRINTER TEST" in out and "1234 5678 9012 3456" in out
    status, _, err = run(config(tmp_path, 'kind = "none"'), capsys)
    assert status == EXIT_USAGE and "no printer is configured" in err
    assert main(["printer"]) == EXIT_USAGE


def test_the_exit_status_is_in_the_table() -> None:
    for command in ("printer test", "reprint", "slip"):
        assert command in dict(EXIT_STATUSES)[EXIT_PRINTER_FAULT]
