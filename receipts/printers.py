"""Receipt printers: ESC/POS devices through python-escpos, and a text preview.

Every job is rendered to bytes first (on python-escpos's Dummy printer) and then written to the
device in one go, so a document that cannot be laid out never half-prints, and a device is held
open only while its bytes go out. Any failure becomes a `PrintError`.

On a connection the printer answers over (network, serial, USB) a job counts as printed only when
the printer said so: its real-time status (`receipts.status`) is asked before the bytes go out and
again after, and a fault (paper out, cover open, offline, an error) or no answer within the
timeout is a `PrintError` that says what is wrong and what to do. A file, CUPS or preview printer
cannot answer: its job counts as printed once its bytes are written.
"""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol

from receipts.document import Document
from receipts.escpos import (
    DEFAULT_PROFILE,
    escpos_modules,
    profile_columns,
    profile_media,
    quiet,
    render_escpos,
)
from receipts.layout import Media
from receipts.status import RealTimeStatus, StatusUnanswered, answers, read_status
from receipts.text import render_text

PrinterKind = Literal["preview", "usb", "serial", "network", "file", "cups"]

#: python-escpos waits 60 s for a network printer by default (and for ever on USB); a till cannot.
#: The same timeout bounds each status answer and each write on network, serial and USB.
NETWORK_TIMEOUT = 3.0


class PrintError(Exception):
    """The receipt did not print; the message says which printer and why."""


class PrinterFault(PrintError):
    """The printer answered, and what it said stops the job (paper out, cover open, ...)."""


@dataclass(frozen=True)
class PrinterStatus:
    """What the printer said about itself (None: it cannot say, or did not answer)."""

    online: bool | None
    paper: Literal["ok", "low", "out"] | None
    detail: str = ""
    #: What stops a job now, and what to do; None when it can print (or cannot report).
    problem: str | None = None

    @property
    def healthy(self) -> bool:
        """Online with paper (near-end is a warning, not a fault), as the printer said."""
        return self.online is True and self.paper in ("ok", "low") and self.problem is None

    @property
    def warning(self) -> str | None:
        return "paper low - change the roll soon" if self.paper == "low" else None


class ReceiptPrinter(Protocol):
    name: str
    columns: int

    @property
    def blocking(self) -> bool:
        """True when print() may wait on a device: callers run it off the event loop."""

    def print(self, document: Document) -> str | None:
        """Print, or raise PrintError; returns a warning to pass on (paper low) or None."""

    def status(self) -> PrinterStatus: ...


@dataclass
class PreviewPrinter:
    """Keeps the text rendering of every job (and appends it to `path` if given)."""

    columns: int = 42
    path: Path | None = None
    name: str = "preview"
    printed: list[str] = field(default_factory=list)
    #: The paper it stands for (`profile_media` of the configured profile): its barcodes; by
    #: default `columns` of 12 dots with hardware barcodes.
    media: Media | None = None

    @property
    def blocking(self) -> bool:
        return self.path is not None

    def print(self, document: Document) -> str | None:
        text = render_text(document, self.columns, self.media)
        if self.path is not None:  # it holds PINs: mode 0600, whatever the umask
            try:
                fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
                with open(fd, "a", encoding="utf-8") as out:
                    info = os.fstat(fd)
                    if stat.S_ISREG(info.st_mode) and stat.S_IMODE(info.st_mode) & 0o077:
                        os.fchmod(fd, 0o600)
                    out.write(text)
            except OSError as exc:
                raise PrintError(f"preview file {self.path}: {exc.strerror}") from None
        self.printed.append(text)
        return None

    def status(self) -> PrinterStatus:
        return PrinterStatus(online=True, paper="ok", detail="preview")


def render_bytes(
    document: Document, profile: str | None = None, columns: int | None = None
) -> bytes:
    """The exact ESC/POS bytes for `document` on a printer with this capability profile."""
    printer_module, _ = escpos_modules()
    with quiet():
        dummy = printer_module.Dummy(profile=profile or DEFAULT_PROFILE)
    render_escpos(document, dummy, columns)
    return bytes(dummy.output)


@dataclass
class EscposPrinter:
    """A real ESC/POS printer; `connect` builds a fresh python-escpos device per job.

    With `answers` (network, serial, USB) each job asks the printer's status before and after
    its bytes, each answer within `timeout` seconds; without, a job is printed once written.
    """

    name: str
    connect: Callable[[], Any]
    profile: str | None = None
    columns: int = 0
    blocking: bool = True
    answers: bool = False
    timeout: float = NETWORK_TIMEOUT

    def __post_init__(self) -> None:
        if not self.columns:
            self.columns = profile_columns(self.profile)

    def print(self, document: Document) -> str | None:
        try:
            data = render_bytes(document, self.profile, self.columns)
        except Exception as exc:
            raise PrintError(f"{self.name}: the receipt could not be laid out ({exc})") from None
        return self.send(data)

    def send(self, data: bytes) -> str | None:
        """Write ESC/POS bytes as one job; returns a warning (paper low) or None."""
        device = None
        try:
            with quiet():  # python-escpos logs on open and close; its waits need no muting
                device = self.connect()
                device.open()
            if not self.answers or not answers(device):
                device._raw(data)
                return None
            self._prepare(device)
            self._check(device, "")
            device._raw(data)
            after = self._check(device, " after the receipt was sent")
            return after.warning()
        except PrintError:
            raise
        except StatusUnanswered:
            raise PrintError(
                f"no answer from {self.name} within {self.timeout:g} s - check it is switched "
                "on, connected and ready"
            ) from None
        except Exception as exc:
            if _timed_out(exc):  # a printer that stopped reading: its buffer full, ours too
                raise PrintError(
                    f"{self.name} did not take the receipt within {self.timeout:g} s - check "
                    "it is switched on, connected and ready"
                ) from None
            raise PrintError(
                f"{self.name}: {_reason(exc)} - check it is switched on and connected"
            ) from None
        finally:
            if device is not None:
                with contextlib.suppress(Exception), quiet():
                    device.close()

    def _prepare(self, device: Any) -> None:
        """Bound every write: a serial line held by flow control must not block for ever."""
        raw = getattr(device, "_device", None)
        if type(device).__name__ == "Serial" and raw is not None:
            raw.write_timeout = self.timeout

    def _check(self, device: Any, when: str) -> RealTimeStatus:
        status = read_status(device, self.timeout)
        problem = status.problem()
        if problem is not None:
            what, _, advice = problem.partition(" - ")
            raise PrinterFault(f"{what} on {self.name}{when} - {advice}")
        return status

    def status(self) -> PrinterStatus:
        """Ask the printer; a connection that cannot answer says so in `detail`."""
        if not self.answers:
            kind = self.name.split()[0]
            return PrinterStatus(
                online=None,
                paper=None,
                detail=f"a {kind} connection cannot report the printer's status",
            )
        device = None
        try:
            with quiet():
                device = self.connect()
                device.open()
            if not answers(device):
                return PrinterStatus(online=None, paper=None, detail="cannot report")
            self._prepare(device)
            found = read_status(device, self.timeout)
            paper = found.paper_state
            return PrinterStatus(
                online=found.online,
                paper=paper,  # type: ignore[arg-type]
                detail=found.describe(),
                problem=found.problem(),
            )
        except StatusUnanswered:
            return PrinterStatus(
                online=None,
                paper=None,
                detail=f"no answer within {self.timeout:g} s",
                problem=f"no answer from {self.name} within {self.timeout:g} s - check it is "
                "switched on, connected and ready",
            )
        except Exception as exc:
            return PrinterStatus(
                online=None,
                paper=None,
                detail=_reason(exc),
                problem=f"{self.name}: {_reason(exc)} - check it is switched on and connected",
            )
        finally:
            if device is not None:
                with contextlib.suppress(Exception), quiet():
                    device.close()


def private_file(path: str | Path) -> None:
    """A receipt file (it holds PINs) that does not exist yet is made with mode 0600, and an
    existing one that is looser is tightened; a device (/dev/usb/lp0) is left as it is."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600))
        return
    if stat.S_ISREG(info.st_mode) and stat.S_IMODE(info.st_mode) & 0o077:
        os.chmod(path, 0o600)


def _timed_out(exc: BaseException) -> bool:
    """A write that timed out: socket.timeout, pyserial's SerialTimeoutException, pyusb's
    USBTimeoutError (by name: those libraries are optional)."""
    return isinstance(exc, TimeoutError) or "timeout" in type(exc).__name__.lower()


def _reason(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _preview_printer(profile: str | None, columns: int | None, path: Path | None) -> PreviewPrinter:
    """With a profile, the preview prints what that printer would (its columns, its barcodes);
    the default profile's paper is `render_text`'s own, so python-escpos is not loaded for it."""
    if profile is None or profile == DEFAULT_PROFILE:
        return PreviewPrinter(columns=columns or 42, path=path)
    media = profile_media(profile, columns)
    return PreviewPrinter(columns=media.columns, path=path, media=media)


def open_printer(
    kind: PrinterKind,
    *,
    profile: str | None = None,
    columns: int | None = None,
    usb_vendor_id: int | None = None,
    usb_product_id: int | None = None,
    serial_device: str | None = None,
    baudrate: int = 9600,
    host: str | None = None,
    port: int = 9100,
    timeout: float = NETWORK_TIMEOUT,
    device: str | None = None,
    cups_name: str | None = None,
    preview_path: Path | None = None,
) -> ReceiptPrinter:
    """A printer from configuration values; nothing is opened until the first job."""
    if kind == "preview":
        return _preview_printer(profile, columns, preview_path)

    def factory(cls_name: str, **options: Any) -> Callable[[], Any]:
        def connect() -> Any:
            printer_module, _ = escpos_modules()
            cls = getattr(printer_module, cls_name)
            if hasattr(cls, "is_usable") and not cls.is_usable():
                raise PrintError(
                    f"{cls_name} printing needs an extra library: pip install 'python-escpos[all]'"
                )
            return cls(profile=profile or DEFAULT_PROFILE, **options)

        return connect

    if kind == "usb":
        if usb_vendor_id is None or usb_product_id is None:
            raise PrintError("a usb printer needs usb_vendor_id and usb_product_id")
        connect = factory(
            "Usb",
            idVendor=usb_vendor_id,
            idProduct=usb_product_id,
            timeout=max(1, int(timeout * 1000)),  # pyusb's milliseconds; python-escpos: 0, for ever
        )
        name = f"usb {usb_vendor_id:04x}:{usb_product_id:04x}"
    elif kind == "serial":
        if not serial_device:
            raise PrintError("a serial printer needs serial_device")
        connect = factory("Serial", devfile=serial_device, baudrate=baudrate, timeout=timeout)
        name = f"serial {serial_device}"
    elif kind == "network":
        if not host:
            raise PrintError("a network printer needs host")
        connect = factory("Network", host=host, port=port, timeout=timeout)
        name = f"network {host}:{port}"
    elif kind == "file":
        if not device:
            raise PrintError("a file printer needs device (e.g. /dev/usb/lp0)")
        file_connect = factory("File", devfile=device)
        devfile = device

        def connect() -> Any:
            private_file(devfile)
            return file_connect()

        name = f"file {device}"
    elif kind == "cups":
        if not cups_name:
            raise PrintError("a cups printer needs cups_name")
        connect = factory("CupsPrinter", printer_name=cups_name)
        name = f"cups {cups_name}"
    else:
        raise PrintError(f"unknown printer kind {kind!r}")
    return EscposPrinter(
        name=name,
        connect=connect,
        profile=profile,
        columns=columns or 0,
        answers=kind in ("usb", "serial", "network"),
        timeout=timeout,
    )
