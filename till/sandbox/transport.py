"""The sandbox in process: an httpx transport, and the dropped connection the ``drop`` fault
makes, surfaced as a real server's would be (``httpx.RemoteProtocolError``)."""

from __future__ import annotations

from typing import Any

import httpx
from starlette.responses import Response
from starlette.types import Receive, Scope, Send


class DropConnection(Exception):
    """Raised by the app after a partial response to make the server drop the connection."""


class DropResponse(Response):
    """Sends the head (full Content-Length) and half the body, then fails the connection."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send(
            {"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers}
        )
        half = self.body[: len(self.body) // 2]
        await send({"type": "http.response.body", "body": half, "more_body": True})
        raise DropConnection("sandbox fault: connection dropped mid-response")


class SandboxTransport(httpx.AsyncBaseTransport):
    """In-process transport: a dropped connection surfaces as httpx.RemoteProtocolError."""

    def __init__(self, app: Any) -> None:
        self._inner = httpx.ASGITransport(app=app)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        try:
            return await self._inner.handle_async_request(request)
        except DropConnection:
            raise httpx.RemoteProtocolError(
                "Server disconnected without sending a complete response.", request=request
            ) from None
        except BaseExceptionGroup as group:
            if group.subgroup(DropConnection) is not None:
                raise httpx.RemoteProtocolError(
                    "Server disconnected without sending a complete response.", request=request
                ) from None
            raise

    async def aclose(self) -> None:
        await self._inner.aclose()
