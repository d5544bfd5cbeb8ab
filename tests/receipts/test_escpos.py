"""ESC/POS bytes, capability profiles, and printers: quiet, lazy, failing as PrintError."""

from __future__ import annotations

import logging
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from receipts import (
    BigCode,
    Cut,
    Document,
    DrawerKick,
    EscposPrinter,
    PreviewPrinter,
    PrintError,
    Row,
    Rule,
    Text,
    Title,
    open_printer,
    render_bytes,
    render_text,
)
from receipts.escpos import profile_columns

REPO = Path(__file__).resolve().parents[2]
INIT = b"\x1b@"
DOUBLE_SIZE = b"\x1b!\x30"  # ESC ! with double height (0x10) and double width (0x20)
DOUBLE_HEIGHT = b"\x1b!\x10"
BOLD_ON = b"\x1bE\x01"
CUT = b"\x1dV"

SLIP = Document.of(
    Title("Spaza Corner"),
    Row("Amount", "R 50.00"),
    BigCode("1234 5678 9012 3456", caption="PIN"),
    Rule(),
    Cut(),
)


def test_bytes_start_with_init_and_end_with_cut() -> None:
    data = render_bytes(SLIP)
    assert data.startswith(INIT)
    assert data.rstrip(b"\x00").endswith(CUT) or data[data.rindex(CUT) :] == b"\x1dV\x00"
    assert b"R 50.00" in data and b"Spaza Corner" in data


def test_pin_that_fits_half_a_line_prints_double_size() -> None:
    data = render_bytes(Document.of(BigCode("1234 5678 9012 3456")), "default")  # 19 <= 42 / 2
    before, _, _ = data.partition(b"1234 5678 9012 3456")
    assert before.rfind(DOUBLE_SIZE) > before.rfind(b"\x1b!\x00")
    assert BOLD_ON in before


def test_code_wider_than_half_a_line_is_double_height_only() -> None:
    token = "1234-5678-9012-3456-7890"
    data = render_bytes(Document.of(BigCode(token)), "default")
    before, _, _ = data.partition(token.encode())
    assert before.rfind(DOUBLE_HEIGHT) > before.rfind(b"\x1b!\x00")
    assert DOUBLE_SIZE not in data


def test_size_is_reset_after_a_big_code() -> None:
    data = render_bytes(Document.of(BigCode("1234"), Text("small")))
    after = data.partition(b"1234")[2].partition(b"small")[0]
    assert b"\x1b!\x00" in after and b"\x1bE\x00" in after


@pytest.mark.parametrize(
    ("profile", "columns"), [(None, 42), ("default", 42), ("TM-T20II", 48), ("POS-5890", 32)]
)
def test_profile_columns(profile: str | None, columns: int) -> None:
    assert profile_columns(profile) == columns
    data = render_bytes(Document.of(Rule()), profile)
    assert b"-" * columns + b"\n" in data and b"-" * (columns + 1) not in data


def test_columns_override_the_profile() -> None:
    data = render_bytes(Document.of(Rule()), "default", columns=32)
    assert b"-" * 32 in data and b"-" * 33 not in data


def test_drawer_kick_sends_the_pulse() -> None:
    assert b"\x1bp\x00" in render_bytes(Document.of(DrawerKick()))
    assert b"\x1bp\x01" in render_bytes(Document.of(DrawerKick(5)))


def test_accented_names_do_not_break_printing() -> None:
    data = render_bytes(Document.of(Text("Zoë Müller, Café"), Cut()))
    assert data.startswith(INIT) and CUT in data


def _python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_importing_receipts_does_not_import_escpos() -> None:
    result = _python("import receipts, sys; print('escpos' in sys.modules)")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "False\n"


_ROOT_LOGGING_PROBE = """
import logging, sys
import receipts
before = list(logging.getLogger().handlers), logging.getLogger().level
doc = receipts.Document.of(receipts.Text("hello"), receipts.Cut())
{action}
after = list(logging.getLogger().handlers), logging.getLogger().level
sys.stderr.write("SAME" if before == after else f"CHANGED {{before}} {{after}}")
"""


def test_rendering_adds_no_root_handler_and_prints_nothing_in_a_fresh_process() -> None:
    """A fresh process: nothing else has configured logging, so python-escpos's import-time
    `logging.basicConfig()` and its prints would show here."""
    result = _python(_ROOT_LOGGING_PROBE.format(action="receipts.render_bytes(doc)"))
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    assert result.stderr == "SAME"


def test_printing_to_a_device_adds_no_root_handler_in_a_fresh_process(tmp_path: Path) -> None:
    out = tmp_path / "lp0"
    action = f"receipts.open_printer('file', device={str(out)!r}).print(doc)"
    result = _python(_ROOT_LOGGING_PROBE.format(action=action))
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    assert out.read_bytes().startswith(INIT)
    assert result.stderr == "SAME"


def test_printing_is_silent_in_process(capfd: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    root = logging.getLogger()
    handlers = list(root.handlers)
    render_bytes(SLIP, "POS-5890")
    open_printer("file", device=str(tmp_path / "lp0")).print(SLIP)
    captured = capfd.readouterr()
    assert captured.out == "" and captured.err == ""
    assert root.handlers == handlers


def test_file_printer_writes_the_rendered_bytes(tmp_path: Path) -> None:
    device = tmp_path / "lp0"
    printer = open_printer("file", device=str(device), profile="TM-T20II")
    assert isinstance(printer, EscposPrinter) and printer.columns == 48
    printer.print(SLIP)
    assert device.read_bytes() == render_bytes(SLIP, "TM-T20II", 48)


def test_file_printer_on_an_unwritable_path_raises_print_error(tmp_path: Path) -> None:
    printer = open_printer("file", device=str(tmp_path / "no-such-dir" / "lp0"))
    with pytest.raises(PrintError, match="no-such-dir"):
        printer.print(SLIP)
    status = printer.status()
    assert status.online is None and status.detail


def _closed_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def test_network_printer_on_a_closed_port_raises_print_error() -> None:
    port = _closed_port()
    printer = open_printer("network", host="127.0.0.1", port=port, timeout=2)
    with pytest.raises(PrintError, match=f"127.0.0.1:{port}"):
        printer.print(SLIP)
    assert printer.status().online is None


@pytest.mark.parametrize(
    "kwargs",
    [
        {"kind": "usb"},
        {"kind": "serial"},
        {"kind": "network"},
        {"kind": "file"},
        {"kind": "cups"},
        {"kind": "telepathy"},
    ],
)
def test_incomplete_printer_settings_raise_print_error(kwargs: dict[str, str]) -> None:
    with pytest.raises(PrintError):
        open_printer(**kwargs)  # type: ignore[arg-type]


def test_preview_printer_keeps_and_appends_text(tmp_path: Path) -> None:
    path = tmp_path / "preview.txt"
    printer = open_printer("preview", columns=32, preview_path=path)
    assert isinstance(printer, PreviewPrinter)
    printer.print(SLIP)
    printer.print(SLIP)
    expected = render_text(SLIP, 32)
    assert printer.printed == [expected, expected]
    assert path.read_text(encoding="utf-8") == expected * 2
    assert printer.status().online is True


def test_preview_printer_without_a_file_and_with_a_bad_one(tmp_path: Path) -> None:
    memory = PreviewPrinter()
    memory.print(SLIP)
    assert memory.printed == [render_text(SLIP, 42)]
    broken = PreviewPrinter(path=tmp_path / "missing" / "preview.txt")
    with pytest.raises(PrintError, match="preview"):
        broken.print(SLIP)
    assert broken.printed == []
