"""The /_sandbox/ admin endpoints (not in the API document): ledger, state, faults, token expiry
and the float, for training, the demo and tests that drive a sandbox over HTTP."""

from __future__ import annotations

import json
from functools import partial

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .faults import fault_from_dict, plan_from_dict
from .state import SandboxState


async def ledger(sb: SandboxState, request: Request) -> Response:
    return JSONResponse([e.to_json() for e in sb.ledger])


async def state(sb: SandboxState, request: Request) -> Response:
    return JSONResponse(sb.state())


async def faults(sb: SandboxState, request: Request) -> Response:
    """Body: {"clear": true} and/or {"inject": [Fault...]} and/or {"plan": FaultPlan|null}."""
    try:
        data = json.loads(await request.body())
        if not isinstance(data, dict):
            raise ValueError("body must be an object")
        if data.get("clear"):
            sb.faults.clear()
        for item in data.get("inject", []):
            sb.faults.inject(fault_from_dict(item))
        if "plan" in data:
            sb.faults.plan = plan_from_dict(data["plan"]) if data["plan"] else None
    except (ValueError, KeyError, TypeError) as exc:
        return JSONResponse({"error": str(exc)}, status_code=400)
    return JSONResponse(sb.state())


async def expire_tokens(sb: SandboxState, request: Request) -> Response:
    sb.expire_tokens()
    return JSONResponse(sb.state())


async def set_float(sb: SandboxState, request: Request) -> Response:
    """Body: {"cents": int}."""
    try:
        cents = json.loads(await request.body())["cents"]
        if type(cents) is not int:
            raise TypeError("cents must be an integer")
    except (ValueError, KeyError, TypeError) as exc:
        return JSONResponse({"error": str(exc)}, status_code=400)
    sb.float_cents = cents
    return JSONResponse(sb.state())


def routes(sb: SandboxState) -> list[Route]:
    return [
        Route("/_sandbox/ledger", partial(ledger, sb), methods=["GET"]),
        Route("/_sandbox/state", partial(state, sb), methods=["GET"]),
        Route("/_sandbox/faults", partial(faults, sb), methods=["POST"]),
        Route("/_sandbox/expire-tokens", partial(expire_tokens, sb), methods=["POST"]),
        Route("/_sandbox/float", partial(set_float, sb), methods=["POST"]),
    ]
