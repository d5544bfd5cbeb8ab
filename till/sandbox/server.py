"""The Flash Partner API v4 sandbox as an ASGI app: the product families' routes assembled, and
every transaction POST passed through faults, the idempotency store and its family's handler.

The Sandbox's options are ``SandboxState``'s (``till.sandbox.state``); each family of the API
document has its module: ``tokens`` (1.1), ``products`` (2.2), ``onevoucher`` (2.3),
``giftvouchers`` (2.4, 2.7), ``cashout`` (2.5), ``cellular`` (2.6), ``utilities`` (2.8),
``reversal`` (rev 3.0) and ``admin`` (the /_sandbox/ endpoints).

Idempotency (API document 1.2.2): answers are stored under their reference. A repeat with the same
path and the same parsed JSON body gets the stored answer (same status and body) and commits
nothing; a different body or path gets HTTP 400 / 2256 and changes nothing. Declines are stored too,
except transient answers (resubmit / busy / temporarily unavailable / rate limit codes) and the
pre-commit faults, so a retry of those is processed afresh. Format failures (HTTP 400: 2308, 2301,
2231, 2230) are not stored: the reference was never accepted. A repeat that arrives while the first
is still in flight waits up to ``inflight_wait`` seconds and returns the first one's answer; if the
first is still running then, it gets HTTP 200 / 2220 "Transaction is busy processing." (not
stored). Checking a reference and registering it happen with no await in between.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from functools import cached_property, partial
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from . import (
    admin,
    cashout,
    cellular,
    giftvouchers,
    onevoucher,
    paths,
    products,
    reversal,
    tokens,
    utilities,
)
from ._codes import TRANSIENT, Decline, status_for
from .faults import PRE_COMMIT, Fault
from .state import PREFIX, Handler, Record, SandboxState, dumps, error_body
from .transport import DropResponse, SandboxTransport
from .validation import validate

_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]

#: Transaction kind (``till.sandbox.paths``) -> the handler of its family.
HANDLERS: dict[str, Handler] = {
    **onevoucher.HANDLERS,
    **giftvouchers.HANDLERS,
    **cashout.HANDLERS,
    **cellular.HANDLERS,
    **utilities.HANDLERS,
    **dict.fromkeys(paths.REVERSAL_KINDS, reversal.reverse),
}


async def _no_resource(request: Request) -> Response:
    """Any other path under the API (e.g. the other revision's gift path): the gateway's 404."""
    return JSONResponse(paths.no_such_resource(request.method, request.url.path), status_code=404)


class Sandbox(SandboxState):
    """A local, stateful Flash Partner API v4 server (options: ``till.sandbox.state``)."""

    @cached_property
    def app(self) -> Starlette:
        """The ASGI app: the revision's paths, then the gateway's 404, then the admin endpoints."""
        routes = tokens.routes(self) + products.routes(self)
        for tail, kind in paths.kinds(self.revision).items():
            routes.append(Route(PREFIX + tail, partial(self._transaction, kind), methods=["POST"]))
        routes.append(Route(PREFIX + "{rest:path}", _no_resource, methods=_METHODS))
        if self.admin:
            routes += admin.routes(self)
        return Starlette(routes=routes)

    def transport(self) -> httpx.AsyncBaseTransport:
        """An httpx transport that calls the app in process."""
        return SandboxTransport(self.app)

    # ----------------------------------------------------------------- transactions

    async def _transaction(self, kind: str, request: Request) -> Response:
        raw = await request.body()
        path = request.url.path
        if self.on_request is not None:
            self.on_request(path, raw)
        failed = tokens.auth_failure(self, request)
        if failed:
            return tokens.unauthorised(failed)
        fault = self.faults.pick(path) if (self.faults.queue or self.faults.plan) else None
        if fault is not None and fault.kind in PRE_COMMIT:
            return self._pre_commit_fault(fault, request, raw, path)
        delay = fault.seconds if fault is not None and fault.kind == "delay" else 0.0
        status, body = await self._process(kind, path, raw, delay)
        if fault is not None and fault.kind == "drop":
            return DropResponse(body, status_code=status, media_type="application/json")
        if fault is not None and fault.kind == "malformed":
            return Response(
                body[: max(1, len(body) // 2)] + b'"\x00', media_type="application/json"
            )
        return Response(body, status_code=status, media_type="application/json")

    def _pre_commit_fault(self, fault: Fault, request: Request, raw: bytes, path: str) -> Response:
        if fault.kind == "error_500":
            return PlainTextResponse("Internal Server Error", status_code=fault.status or 500)
        if fault.kind == "error_503":
            return PlainTextResponse("Service Unavailable", status_code=fault.status or 503)
        if fault.kind == "expire_token":
            auth = request.headers.get("authorization", "")
            self.access_tokens.pop(auth[7:].strip(), None)
            return tokens.unauthorised(2233)
        reference: Any = None
        try:
            data = json.loads(raw)
            if isinstance(data, dict):
                reference = data.get("reference")
        except ValueError:
            pass
        status = fault.status if fault.status is not None else status_for(fault.code)
        return Response(
            dumps(error_body(fault.code, reference, self.next_tx(), path)),
            status_code=status,
            media_type="application/json",
        )

    async def _process(self, kind: str, path: str, raw: bytes, delay: float) -> tuple[int, bytes]:
        try:
            data = json.loads(raw)
        except ValueError:
            data = None
        if not isinstance(data, dict):
            return 400, dumps(error_body(2231, None, self.next_tx(), path))
        reference = data.get("reference")
        canon = json.dumps(data, sort_keys=True, separators=(",", ":"))
        rec = self._refs.get(reference) if isinstance(reference, str) else None
        if rec is not None:
            return await self._repeat(rec, kind, canon, reference, path, delay)
        invalid = validate(kind, data)
        if invalid is not None:
            return status_for(invalid), dumps(error_body(invalid, reference, self.next_tx(), path))
        assert isinstance(reference, str)
        # No await between the lookup above and this registration: check-and-commit is atomic.
        rec = Record(kind, canon)
        self._refs[reference] = rec
        try:
            if delay:
                await asyncio.sleep(delay)
            status, body = self._handle(kind, path, data)
        except BaseException:
            del self._refs[reference]
            rec.event.set()
            raise
        rec.status, rec.body, rec.done = status, dumps(body), True
        rec.event.set()
        if body["responseCode"] in TRANSIENT:
            del self._refs[reference]
        return rec.status, rec.body

    async def _repeat(
        self, rec: Record, kind: str, canon: str, reference: Any, path: str, delay: float
    ) -> tuple[int, bytes]:
        """A reference seen before: its stored answer, 2256 for another body, 2220 if busy."""
        if rec.kind != kind or rec.canon != canon:
            return 400, dumps(error_body(2256, reference, self.next_tx(), path))
        if delay:
            await asyncio.sleep(delay)
        if not rec.done:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(rec.event.wait(), self.inflight_wait)
            if not rec.done:  # still running, or the first one failed without an answer
                return 200, dumps(error_body(2220, reference, self.next_tx(), path))
        return rec.status, rec.body

    def _handle(self, kind: str, path: str, data: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        try:
            if data["accountNumber"] != self.account_number:
                raise Decline(2202)
            return 200, HANDLERS[kind](self, kind, path, data)
        except Decline as decline:
            code = decline.code
            return status_for(code), error_body(code, data["reference"], self.next_tx(), path)
