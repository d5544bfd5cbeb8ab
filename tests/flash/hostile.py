"""A hostile stand-in for Flash on loopback: a raw HTTP/1.1 server in a thread, in front of the
project's sandbox, that can rewrite, inflate, compress, trickle or replace any answer.

Raw sockets rather than an ASGI app so a test controls every byte: a body dripped a byte at a
time, a gzip bomb with a lying header, a redirect, an HTML error page.
"""

from __future__ import annotations

import asyncio
import json
import threading
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx

from till.sandbox import Sandbox


@dataclass
class Reply:
    """What the stand-in sends: status, headers and body bytes, optionally a byte at a time."""

    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=lambda: {"Content-Type": "application/json"})
    drip_seconds: float | None = None
    #: Send this many bytes of the body in total, repeating `body` (a huge answer, streamed).
    repeat_to: int | None = None

    @classmethod
    def of(cls, data: Any, status: int = 200) -> Reply:
        return cls(status, json.dumps(data).encode())


#: (path, request JSON, the sandbox's answer as JSON) -> what to send instead, or None: as is.
Rewrite = Callable[[str, dict[str, Any], Reply], Reply | None]


class HostileFlash:
    """The sandbox behind a stand-in that can turn any answer hostile."""

    def __init__(self, sandbox: Sandbox | None = None) -> None:
        self.sandbox = sandbox or Sandbox(seed=11)
        self.rewrite: Rewrite = lambda path, request, reply: None
        self.token_reply: Reply | None = None
        self.requests: list[str] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: asyncio.AbstractServer | None = None
        self._http: httpx.AsyncClient | None = None

    async def _forward(self, method: str, path: str, headers: dict[str, str], body: bytes) -> Reply:
        assert self._http is not None
        response = await self._http.request(
            method,
            path,
            content=body,
            headers={k: v for k, v in headers.items() if k in ("authorization", "content-type")},
        )
        return Reply(
            response.status_code,
            response.content,
            {"Content-Type": response.headers.get("content-type", "application/json")},
        )

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            method, target, _ = lines[0].split(" ", 2)
            headers = {
                k.strip().lower(): v.strip()
                for k, _, v in (line.partition(":") for line in lines[1:] if line)
            }
            body = await reader.readexactly(int(headers.get("content-length", "0")))
            self.requests.append(target)
            if target.endswith("/token") and self.token_reply is not None:
                reply = self.token_reply
            else:
                reply = await self._forward(method, target, headers, body)
                if not target.endswith("/token") and method == "POST":
                    request = json.loads(body) if body else {}
                    reply = self.rewrite(target, request, reply) or reply
            await self._send(writer, reply)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass  # the till hung up: what a capped or timed-out read does
        finally:
            writer.close()

    async def _send(self, writer: asyncio.StreamWriter, reply: Reply) -> None:
        length = reply.repeat_to if reply.repeat_to is not None else len(reply.body)
        head = [f"HTTP/1.1 {reply.status} X", f"Content-Length: {length}", "Connection: close"]
        head += [f"{k}: {v}" for k, v in reply.headers.items()]
        writer.write(("\r\n".join(head) + "\r\n\r\n").encode())
        if reply.drip_seconds is not None:
            for byte in reply.body:
                writer.write(bytes([byte]))
                await writer.drain()
                await asyncio.sleep(reply.drip_seconds)
            return
        if reply.repeat_to is not None:
            sent = 0
            while sent < reply.repeat_to:
                chunk = reply.body[: reply.repeat_to - sent]
                writer.write(chunk)
                await writer.drain()
                sent += len(chunk)
            return
        writer.write(reply.body)
        await writer.drain()

    @contextmanager
    def running(self) -> Iterator[str]:
        """Serve on a free loopback port; yields the base URL."""
        ready = threading.Event()
        stop: list[asyncio.Event] = []

        async def serve() -> None:
            self._http = httpx.AsyncClient(
                transport=self.sandbox.transport(), base_url="http://sandbox.test"
            )
            self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
            stop.append(asyncio.Event())
            self._loop = asyncio.get_running_loop()
            ready.set()
            await stop[0].wait()
            self._server.close()
            await self._http.aclose()

        thread = threading.Thread(target=asyncio.run, args=(serve(),), daemon=True)
        thread.start()
        if not ready.wait(timeout=300):
            raise RuntimeError("the hostile stand-in did not start")
        assert self._server is not None and self._loop is not None
        port = self._server.sockets[0].getsockname()[1]
        try:
            yield f"http://127.0.0.1:{port}"
        finally:
            self._loop.call_soon_threadsafe(stop[0].set)
            thread.join(timeout=300)


def gzip_bomb(decoded_bytes: int) -> bytes:
    """A small gzip body that inflates to `decoded_bytes` of spaces (built a MiB at a time)."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    block = b" " * (1 << 20)
    parts = [packer.compress(block) for _ in range(decoded_bytes >> 20)]
    return b"".join([*parts, packer.flush()])
