"""Authentication (API document 1.1): the OAuth2 client-credentials ``/token`` endpoint and the
bearer check every other API call passes first."""

from __future__ import annotations

import time
import uuid
from functools import partial
from urllib.parse import parse_qs

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ._codes import message
from .state import SandboxState, dumps


async def token(sb: SandboxState, request: Request) -> Response:
    """Issue a bearer token for the Basic key, valid ``sb.token_lifetime`` seconds."""
    auth = request.headers.get("authorization", "")
    if not auth.startswith("Basic ") or auth[6:] != sb.api_key:
        return JSONResponse(
            {"error": "invalid_client", "error_description": "Client authentication failed."},
            status_code=401,
        )
    form = parse_qs((await request.body()).decode("utf-8", "replace"))
    if form.get("grant_type") != ["client_credentials"]:
        return JSONResponse(
            {
                "error": "unsupported_grant_type",
                "error_description": "Only grant_type=client_credentials is supported.",
            },
            status_code=400,
        )
    issued = str(uuid.UUID(int=sb.rng.getrandbits(128), version=4))
    sb.access_tokens[issued] = time.monotonic() + sb.token_lifetime
    sb.secrets.add(issued)
    return JSONResponse(
        {
            "access_token": issued,
            "scope": "am_application_scope default",
            "token_type": "Bearer",
            "expires_in": sb.token_lifetime,
        }
    )


def auth_failure(sb: SandboxState, request: Request) -> int | None:
    """2232 (no bearer token) / 2233 (unknown or expired), or None when authorised."""
    auth = request.headers.get("authorization")
    if not auth or not auth.startswith("Bearer ") or not auth[7:].strip():
        return 2232
    expires = sb.access_tokens.get(auth[7:].strip())
    if expires is None or time.monotonic() >= expires:
        return 2233
    return None


def unauthorised(code: int) -> Response:
    """The 401 answer to a call without a valid bearer token."""
    return Response(
        dumps({"responseCode": code, "responseMessage": message(code)}),
        status_code=401,
        media_type="application/json",
        headers={"WWW-Authenticate": "Bearer"},
    )


def routes(sb: SandboxState) -> list[Route]:
    """The token URL, at both paths the document gives."""
    return [
        Route("/token", partial(token, sb), methods=["POST"]),
        Route("/v4/token", partial(token, sb), methods=["POST"]),
    ]
