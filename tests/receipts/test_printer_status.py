"""A receipt counts as printed only when the printer said so (DESIGN invariant 8).

Against a network printer stand-in on loopback (`standin_printer`) that answers ESC/POS
`DLE EOT` with paper out, cover open, offline..., or never reads, or never answers: a real
`SlipPrinter` on a real journal file records the sale printed only when the printer was healthy
before and after the job.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from receipts import Cut, Document, PrintError, Text, open_printer
from receipts.escpos import escpos_modules
from receipts.status import RealTimeStatus, StatusUnanswered, query, read_status
from tests.receipts.standin_printer import StandinPrinter
from till.clock import now_ms
from till.flash import FlashClient
from till.journal import Journal
from till.sales import SaleEngine
from till.sales.printing import SlipPrinter
from till.slips import SlipHeader

HEADER = SlipHeader(store_name="Corner Shop", address_lines=("12 Vilakazi St",), terminal_id="T1")
SLIP = Document.of(Text("Corner Shop"), Text("REF S1-T1-TEST-1"), Cut())
#: Generous: only bounds a hang.
HANG = 300


#: A stand-in that never answers is given 1 s to (not) answer; one that answers gets minutes,
#: so a loaded machine can never turn its answer into "no answer".
SILENT_MODES = ("never_reads", "silent", "stalls")


def network(standin: StandinPrinter) -> Any:
    timeout = 1 if standin.mode in SILENT_MODES else HANG
    return open_printer("network", host="127.0.0.1", port=standin.port, timeout=timeout)


async def sell(journal: Journal, client: FlashClient, standin: StandinPrinter) -> Any:
    engine = SaleEngine(journal, client, store_id="S1", terminal_id="T1")
    engine.slips = SlipPrinter(journal, network(standin), HEADER, clock=now_ms)
    async with asyncio.timeout(HANG):
        return await engine.sell_1voucher(5000)


FAULTS: dict[str, tuple[dict[str, Any], str]] = {
    "paper out": ({"paper": "out"}, "paper out on network 127.0.0.1:"),
    "cover open": ({"cover_open": True}, "cover open on network 127.0.0.1:"),
    "offline": ({"online": False}, "printer offline on network 127.0.0.1:"),
    "cutter error": ({"error": "cutter"}, "cutter jammed"),
    "never reads": ({"mode": "never_reads"}, "no answer from network 127.0.0.1:"),
    "never answers": ({"mode": "silent"}, "no answer from network 127.0.0.1:"),
    "paper runs out during the job": (
        {"paper_out_after": 1},
        "paper out on network 127.0.0.1:",
    ),
}


@pytest.mark.parametrize("fault", list(FAULTS))
async def test_a_receipt_the_printer_did_not_print_is_not_recorded_printed(
    journal: Journal, client: FlashClient, fault: str
) -> None:
    state, said = FAULTS[fault]
    with StandinPrinter(**state) as broken:
        outcome = await sell(journal, client, broken)
        broken.wait_for("connected to", lambda: broken.connections >= 1)  # asked, not skipped
    assert outcome.status == "approved"
    assert outcome.print_error and said in outcome.print_error
    assert " - " in outcome.print_error  # ... and what to do about it
    entry = journal.get(outcome.reference)
    assert entry is not None and entry.print_count == 0 and entry.print_error == outcome.print_error
    assert [e.reference for e in journal.unprinted()] == [outcome.reference]

    with StandinPrinter() as fixed:  # the printer fixed: the next print is the original
        desk = SlipPrinter(journal, network(fixed), HEADER, clock=now_ms)
        async with asyncio.timeout(HANG):
            again = await desk.reprint(outcome.reference)
        assert again.printed and again.copy == 0 and again.error is None
        assert outcome.reference.encode() in fixed.data and b"COPY" not in fixed.data
    entry = journal.get(outcome.reference)
    assert entry is not None and entry.print_count == 1 and entry.reprint_count == 0
    assert journal.unprinted() == []


async def test_a_healthy_printer_prints_the_receipt_once(
    journal: Journal, client: FlashClient
) -> None:
    with StandinPrinter() as standin:
        outcome = await sell(journal, client, standin)
        assert outcome.status == "approved" and outcome.print_error is None
        assert outcome.reference.encode() in standin.data
        assert standin.data.count(outcome.reference.encode()) >= 1
        assert standin.connections == 1
        assert standin.queries == [1, 4, 1, 4]  # asked before the job and after it
    entry = journal.get(outcome.reference)
    assert entry is not None and entry.print_count == 1 and entry.print_error is None
    assert journal.unprinted() == []


async def test_paper_near_its_end_prints_with_a_warning(journal: Journal) -> None:
    from till.journal import NewEntry

    entry = journal.add(
        NewEntry(
            kind="1voucher.purchase",
            build_request=lambda ref: b"{}",
            store_id="S1",
            terminal_id="T1",
        ),
        now=1,
    )
    with StandinPrinter(paper="low") as standin:
        slips = SlipPrinter(journal, network(standin), HEADER, clock=now_ms)
        async with asyncio.timeout(HANG):
            result = await slips.print_in_doubt(entry.reference)
        assert result.printed and result.error is None
        assert result.warning == "paper low - change the roll soon"
        assert entry.reference.encode() in standin.data


def test_a_printer_that_stops_reading_mid_job_fails_within_the_timeout() -> None:
    """The status answered, then the printer stops reading: the job's writes block, and the
    socket's send timeout ends them (a receipt small enough to fit the buffers fails on the
    status after it instead)."""
    with StandinPrinter(mode="stalls", stall_after=2) as standin:
        printer = network(standin)
        with pytest.raises(PrintError, match="did not take the receipt within 1 s"):
            printer.send(b"x" * (16 << 20))
        with pytest.raises(PrintError, match="no answer from network"):
            printer.print(SLIP)


@pytest.mark.parametrize(
    ("state", "online", "paper", "problem"),
    [
        ({}, True, "ok", None),
        ({"paper": "low"}, True, "low", None),
        ({"paper": "out"}, False, "out", "paper out - load a new roll"),
        ({"cover_open": True}, False, "ok", "cover open - close the printer's cover"),
        ({"online": False}, False, "ok", "printer offline"),
        ({"error": "overheat"}, False, "ok", "print head too hot"),
        ({"error": "unrecoverable"}, False, "ok", "switch the printer off and on"),
    ],
)
def test_status_reads_what_the_printer_says(
    state: dict[str, Any], online: bool, paper: str, problem: str | None
) -> None:
    with StandinPrinter(**state) as standin:
        status = network(standin).status()
    assert status.online is online and status.paper == paper
    assert (status.problem is None) if problem is None else problem in (status.problem or "")
    assert status.healthy is (problem is None)
    assert "DLE EOT" in status.detail


@pytest.mark.parametrize("mode", ["silent", "never_reads"])
def test_status_of_a_printer_that_does_not_answer(mode: str) -> None:
    with StandinPrinter(mode=mode) as standin:  # type: ignore[arg-type]
        status = network(standin).status()
    assert status.online is None and not status.healthy
    assert status.problem and "no answer" in status.problem


def test_connections_that_cannot_answer_print_as_before(tmp_path: Path) -> None:
    device = tmp_path / "lp0"
    printer = open_printer("file", device=str(device))
    assert printer.print(SLIP) is None and b"REF S1-T1-TEST-1" in device.read_bytes()
    status = printer.status()
    assert status.online is None and "cannot report" in status.detail and not status.healthy
    cups = open_printer("cups", cups_name="Receipts")
    assert "cannot report" in cups.status().detail


# -- the status bytes, read as python-escpos reads them ---------------------------------------


class Answering:
    """A device that answers each query from a script of byte strings (a Network stand-in)."""

    def __init__(self, *answers: bytes) -> None:
        self.answers = list(answers)
        self.sent: list[bytes] = []

    def _raw(self, data: bytes) -> None:
        self.sent.append(data)

    def _read(self) -> bytes:
        return self.answers.pop(0) if self.answers else b""


@pytest.mark.parametrize("paper", [0x12, 0x1E, 0x72, 0x7E, 0x16, 0x32])
@pytest.mark.parametrize("printer", [0x12, 0x1A, 0x16, 0x32])
def test_the_bits_mean_what_python_escpos_says(printer: int, paper: int) -> None:
    module, _ = escpos_modules()
    dummy: Any = module.Dummy()
    replies = [bytes([printer]), bytes([paper])]
    dummy._read = lambda: replies.pop(0)
    escpos_online, escpos_paper = dummy.is_online(), dummy.paper_status()
    ours = RealTimeStatus(printer, paper)
    assert ours.online is escpos_online
    assert ours.paper_state == {2: "ok", 1: "low", 0: "out"}[escpos_paper]


def test_stray_bytes_are_not_an_answer_and_no_answer_is_a_failure() -> None:
    device = Answering(b"\x00\xff\x12", b"\x1e")  # junk, then the answer
    status = read_status(device, 1)
    assert device.sent == [b"\x10\x04\x01", b"\x10\x04\x04"]
    assert status.online and status.paper_state == "low" and status.warning()
    with pytest.raises(StatusUnanswered):  # python-escpos would call this "paper adequate"
        query(Answering(), 4, 1)
    with pytest.raises(StatusUnanswered):
        query(Answering(b"\x00\x80"), 1, 1)


# -- serial and USB, with their libraries' objects faked by name --------------------------------


class _SerialPort:
    """pyserial's Serial as the status reader uses it: `timeout`, `read(size)`."""

    def __init__(self, *answers: bytes) -> None:
        self.answers = list(answers)
        self.timeout: float | None = None
        self.sizes: list[int] = []

    def read(self, size: int) -> bytes:
        self.sizes.append(size)
        return self.answers.pop(0) if self.answers else b""


class Serial(Answering):
    """python-escpos's Serial: `_device` is the pyserial port."""

    def __init__(self, port: _SerialPort) -> None:
        super().__init__()
        self._device = port


class USBTimeoutError(Exception):
    """Named as pyusb's: a read that timed out."""


class _UsbHandle:
    def __init__(self, *answers: bytes) -> None:
        self.answers = list(answers)
        self.calls: list[tuple[int, int, int]] = []

    def read(self, endpoint: int, size: int, timeout: int) -> bytes:
        self.calls.append((endpoint, size, timeout))
        if not self.answers:
            raise USBTimeoutError("[Errno 110] Operation timed out")
        return self.answers.pop(0)


class Usb(Answering):
    in_ep = 0x82

    def __init__(self, handle: _UsbHandle) -> None:
        super().__init__()
        self._device = handle


def test_a_serial_answer_is_read_a_byte_at_a_time_with_the_deadline() -> None:
    """python-escpos's `_read` asks pyserial for 16 bytes: it would wait out the whole timeout
    for an answer of one byte, on every query."""
    port = _SerialPort(b"\x12", b"\x7e")
    device = Serial(port)
    status = read_status(device, 2)
    assert port.sizes == [1, 1] and port.timeout is not None and 0 < port.timeout <= 2
    assert device.sent == [b"\x10\x04\x01", b"\x10\x04\x04"]  # online: no cause asked
    assert status.problem() == "paper out - load a new roll"
    with pytest.raises(StatusUnanswered):
        query(Serial(_SerialPort()), 1, 0.01)


def test_a_usb_answer_is_read_with_the_deadline_in_milliseconds() -> None:
    handle = _UsbHandle(b"\x1a", b"\x12", b"\x16")
    status = read_status(Usb(handle), 2)
    assert [call[:2] for call in handle.calls] == [(0x82, 16)] * 3
    assert all(0 < call[2] <= 2000 for call in handle.calls)
    assert status.problem() == "cover open - close the printer's cover"
    with pytest.raises(StatusUnanswered):
        query(Usb(_UsbHandle()), 1, 0.01)
