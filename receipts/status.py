"""A printer's real-time status (ESC/POS `DLE EOT n`), asked with a deadline.

Each `DLE EOT n` is answered with one byte, at once, even while the printer holds unprinted data
(it is a real-time command). Every answer has the fixed bits 1 and 4 set and 0 and 7 clear
(`byte & 0x93 == 0x12`, python-escpos's `RT_MASK_PAPER` is the 0x12), so stray bytes are told
from an answer. The bits the till acts on, as python-escpos reads them (`is_online`,
`paper_status`) and as the ESC/POS reference documents them:

- n=1 printer: bit 3 offline.
- n=2 offline cause (asked only when offline): bit 2 cover open, bit 3 paper being fed with the
  FEED button, bit 5 stopped at paper end, bit 6 an error.
- n=3 error cause (asked only when n=2 says error): bit 3 autocutter error, bit 5 unrecoverable
  error, bit 6 automatically recoverable error (e.g. the head too hot).
- n=4 roll paper sensor: bits 2-3 near end (`RT_MASK_LOWPAPER`), bits 5-6 paper end
  (`RT_MASK_NOPAPER`).

A job prints only on a printer that is online with paper; near-end is a warning, not a fault.
python-escpos's own `paper_status()` reads no answer as "paper adequate", and its `_read()`
waits the port's whole timeout for 16 bytes on a serial line: so the answers are read here,
one byte as soon as it comes, and no answer within the deadline is a `StatusUnanswered`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

DLE_EOT = b"\x10\x04"
PRINTER, OFFLINE_CAUSE, ERROR_CAUSE, PAPER_SENSOR = 1, 2, 3, 4
FIXED_MASK, FIXED_BITS = 0x93, 0x12

OFFLINE = 0x08  # n=1
COVER_OPEN, FEED_BUTTON, PAPER_END_STOP, ERROR = 0x04, 0x08, 0x20, 0x40  # n=2
CUTTER_ERROR, UNRECOVERABLE, AUTO_RECOVERABLE = 0x08, 0x20, 0x40  # n=3
PAPER_NEAR_END, PAPER_END = 0x0C, 0x60  # n=4

#: The python-escpos connections whose answers can be read back (File, CupsPrinter, LP cannot).
ANSWERING = ("Network", "Serial", "Usb")


class StatusUnanswered(Exception):
    """The printer did not answer a status query within the deadline (or closed the line)."""


@dataclass(frozen=True)
class RealTimeStatus:
    """The answers to `DLE EOT 1` and `4`, and to `2` and `3` when they were asked."""

    printer: int
    paper: int
    offline_cause: int | None = None
    error_cause: int | None = None

    @property
    def online(self) -> bool:
        return not self.printer & OFFLINE

    @property
    def paper_state(self) -> str:
        """`out`, `low` or `ok`, as python-escpos's `paper_status()` reads the same byte."""
        if self.paper & PAPER_END == PAPER_END:
            return "out"
        if self.paper & PAPER_NEAR_END == PAPER_NEAR_END:
            return "low"
        return "ok"

    def problem(self) -> str | None:
        """What stops a job, with what to do about it; None when the printer can print."""
        cause = self.offline_cause or 0
        error = self.error_cause or 0
        if cause & COVER_OPEN:
            return "cover open - close the printer's cover"
        if self.paper_state == "out" or cause & PAPER_END_STOP:
            return "paper out - load a new roll"
        if error & CUTTER_ERROR:
            return "cutter jammed - open the cover, clear the paper at the cutter, close it"
        if error & UNRECOVERABLE:
            return "printer fault - switch the printer off and on; if it stays, call support"
        if error & AUTO_RECOVERABLE:
            return "printer paused (print head too hot) - wait a minute"
        if cause & ERROR:
            return "printer error - check its lights, switch it off and on"
        if cause & FEED_BUTTON:
            return "paper being fed with the FEED button - let go of it"
        if not self.online:
            return "printer offline - check it is switched on and its lights show ready"
        return None

    def warning(self) -> str | None:
        if self.paper_state == "low":
            return "paper low - change the roll soon"
        return None

    def describe(self) -> str:
        """One line: the state and the raw bytes, for `till printer test` and the log."""
        raw: list[tuple[str, int | None]] = [("printer", self.printer), ("paper", self.paper)]
        raw += [("offline cause", self.offline_cause), ("error cause", self.error_cause)]
        bytes_read = ", ".join(f"{name} 0x{value:02x}" for name, value in raw if value is not None)
        state = "online" if self.online else "OFFLINE"
        return f"{state}, paper {self.paper_state} (DLE EOT: {bytes_read})"


def answers(device: Any) -> bool:
    """True when the python-escpos device is a connection its printer can answer over."""
    return type(device).__name__ in ANSWERING


def read_status(device: Any, timeout: float) -> RealTimeStatus:
    """Ask an open device its status; each query gets `timeout` seconds to be answered."""
    printer = query(device, PRINTER, timeout)
    paper = query(device, PAPER_SENSOR, timeout)
    offline_cause = error_cause = None
    if printer & OFFLINE:
        offline_cause = query(device, OFFLINE_CAUSE, timeout)
        if offline_cause & ERROR:
            error_cause = query(device, ERROR_CAUSE, timeout)
    return RealTimeStatus(printer, paper, offline_cause, error_cause)


def query(device: Any, n: int, timeout: float) -> int:
    """Send `DLE EOT n` and return its answer byte (the last well-formed byte that came)."""
    device._raw(DLE_EOT + bytes([n]))
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise StatusUnanswered(f"no answer to DLE EOT {n} within {timeout:g} s")
        chunk = _read_some(device, left)
        for byte in reversed(chunk):
            if byte & FIXED_MASK == FIXED_BITS:
                return byte


def _read_some(device: Any, wait: float) -> bytes:
    """What the printer sent, waiting at most `wait` seconds for the first byte; b"" if none."""
    kind = type(device).__name__
    raw: Any = getattr(device, "_device", None)
    if kind == "Network":
        previous = raw.gettimeout()
        raw.settimeout(wait)
        try:
            data: bytes = raw.recv(16)
        except TimeoutError:
            return b""
        finally:
            raw.settimeout(previous)
        if not data:
            raise StatusUnanswered("the printer closed the connection")
        return data
    if kind == "Serial":  # pyserial: read(1) returns at the first byte, b"" at the timeout
        raw.timeout = wait
        return bytes(raw.read(1))
    if kind == "Usb":  # pyusb: milliseconds; a timeout raises usb.core.USBTimeoutError
        try:
            return bytes(raw.read(device.in_ep, 16, max(1, int(wait * 1000))))
        except Exception as exc:
            if "timeout" in type(exc).__name__.lower() or "timed out" in str(exc).lower():
                return b""
            raise
    data = bytes(device._read())
    if not data:
        raise StatusUnanswered("the printer sent nothing back")
    return data
