"""A network receipt printer stand-in on loopback: records the bytes it gets and answers the
ESC/POS real-time status queries (`DLE EOT n`) the way an Epson-compatible printer does.

Modes:
- "answers": reads everything and answers each `DLE EOT 1..4` from its state (`online`, `paper`
  ok/low/out, `cover_open`, `error`), as a real printer does: a cover open, paper out or error
  also puts it offline.
- "silent": reads everything, never answers.
- "never_reads": accepts the connection and never reads a byte; its receive buffer is tiny, so
  the sender's writes soon block.
- "stalls": answers the first `stall_after` queries, then stops reading (a tiny receive buffer
  too, so a long job's writes block).

`paper_out_after`: the paper runs out once that many bytes of receipt (not queries) came.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

Mode = Literal["answers", "silent", "never_reads", "stalls"]
Paper = Literal["ok", "low", "out"]
PrinterError = Literal["cutter", "unrecoverable", "overheat"]

DLE_EOT = b"\x10\x04"
FIXED = 0x12


@dataclass
class StandinPrinter:
    mode: Mode = "answers"
    online: bool = True
    paper: Paper = "ok"
    cover_open: bool = False
    error: PrinterError | None = None
    stall_after: int = 2
    paper_out_after: int | None = None
    received: bytearray = field(default_factory=bytearray)
    queries: list[int] = field(default_factory=list)
    connections: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _stop: threading.Event = field(default_factory=threading.Event)
    _threads: list[threading.Thread] = field(default_factory=list)
    _sockets: list[socket.socket] = field(default_factory=list)
    _changed: threading.Condition = field(init=False)

    def __post_init__(self) -> None:
        self._changed = threading.Condition(self._lock)
        self._server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if self.mode in ("never_reads", "stalls"):  # accepted sockets inherit it: a small window
            self._server.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1024)
        self._server.bind(("127.0.0.1", 0))
        self._server.listen(8)
        self._server.settimeout(0.1)  # so close() need not wait on a blocked accept()
        self.port: int = self._server.getsockname()[1]
        self._spawn(self._accept)

    # -- what a test reads ---------------------------------------------------------------------

    @property
    def data(self) -> bytes:
        """Every byte received that was not a status query."""
        with self._lock:
            return _without_queries(bytes(self.received))

    def wait_for(
        self, condition: str, predicate: Callable[[], bool], timeout: float = 120.0
    ) -> None:
        """Wait until `predicate()` holds (a deadline only against a hang)."""
        with self._changed:
            if not self._changed.wait_for(predicate, timeout):
                raise AssertionError(f"stand-in printer: never {condition}")

    # -- the printer ---------------------------------------------------------------------------

    def status_byte(self, n: int) -> int:
        paper_out = self.paper == "out"
        offline = not self.online or self.cover_open or paper_out or self.error is not None
        if n == 1:
            return FIXED | (0x08 if offline else 0)
        if n == 2:
            return (
                FIXED
                | (0x04 if self.cover_open else 0)
                | (0x20 if paper_out else 0)
                | (0x40 if self.error else 0)
            )
        if n == 3:
            bits = {"cutter": 0x08, "unrecoverable": 0x20, "overheat": 0x40}
            return FIXED | (bits[self.error] if self.error else 0)
        if n == 4:
            return (
                FIXED | (0x0C if self.paper in ("low", "out") else 0) | (0x60 if paper_out else 0)
            )
        return FIXED

    def close(self) -> None:
        self._stop.set()
        for thread in self._threads[:1]:  # the accept loop: no more connections after this
            thread.join(timeout=60)
        self._server.close()
        with self._lock:
            for conn in self._sockets:
                with contextlib.suppress(OSError):
                    conn.shutdown(socket.SHUT_RDWR)
                conn.close()
        for thread in self._threads:
            thread.join(timeout=60)

    def __enter__(self) -> StandinPrinter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _spawn(self, target: object, *args: object) -> None:
        assert callable(target)
        thread = threading.Thread(target=target, args=args, daemon=True)
        self._threads.append(thread)
        thread.start()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            conn.settimeout(None)
            with self._changed:
                self.connections += 1
                self._sockets.append(conn)
                self._changed.notify_all()
            self._spawn(self._serve, conn)

    def _serve(self, conn: socket.socket) -> None:
        if self.mode == "never_reads":
            self._stop.wait()
            return
        stream = bytearray()  # this connection's bytes
        scanned = 0  # where in `stream` the next query is looked for
        answered = 0
        while not self._stop.is_set():
            try:
                chunk = conn.recv(4096)
            except OSError:
                return
            if not chunk:
                return
            replies = bytearray()
            with self._changed:
                self.received += chunk
                stream += chunk
                while True:
                    at = stream.find(DLE_EOT, scanned)
                    if at < 0 or at + 2 >= len(stream):
                        scanned = max(scanned, len(stream) - 2)
                        break
                    n = stream[at + 2]
                    scanned = at + 3
                    self.queries.append(n)
                    if self.paper_out_after is not None and (
                        len(_without_queries(bytes(stream[:at]))) >= self.paper_out_after
                    ):
                        self.paper = "out"  # it ran out printing what came before this query
                    if self.mode == "answers" or (
                        self.mode == "stalls" and answered < self.stall_after
                    ):
                        replies.append(self.status_byte(n))
                        answered += 1
                self._changed.notify_all()
            if replies:
                try:
                    conn.sendall(bytes(replies))
                except OSError:
                    return
            if self.mode == "stalls" and answered >= self.stall_after:
                self._stop.wait()
                return


def _without_queries(data: bytes) -> bytes:
    out = bytearray()
    i = 0
    while i < len(data):
        if data.startswith(DLE_EOT, i) and i + 2 < len(data) and 1 <= data[i + 2] <= 4:
            i += 3
            continue
        out.append(data[i])
        i += 1
    return bytes(out)
