"""Accounts (API document 2.2): list the account's products and look one up, in the bare
(April 2023) or wrapped (rev 3.0) shape the Sandbox serves."""

from __future__ import annotations

from functools import partial

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from . import catalog, paths
from ._codes import status_for
from .state import PREFIX, SandboxState, dumps, error_body
from .tokens import auth_failure, unauthorised
from .validation import product_code


def _reversal_era(sb: SandboxState) -> bool:
    return sb.revision != paths.APRIL_2023


def _plain_error(sb: SandboxState, code: int, path: str) -> Response:
    return Response(
        dumps(error_body(code, None, sb.next_tx(), path)),
        status_code=status_for(code),
        media_type="application/json",
    )


def _refused(sb: SandboxState, request: Request) -> Response | None:
    """A bad token (401), or another merchant's account (2102): what both look-ups check first."""
    failed = auth_failure(sb, request)
    if failed:
        return unauthorised(failed)
    if request.path_params["account"] != sb.account_number:
        return _plain_error(sb, 2102, request.url.path)
    return None


async def list_products(sb: SandboxState, request: Request) -> Response:
    refused = _refused(sb, request)
    if refused is not None:
        return refused
    products = [p.list_entry(reversals=_reversal_era(sb)) for p in catalog.PRODUCTS]
    if sb.products_shape == "bare":
        return JSONResponse(products)
    return JSONResponse({"responseCode": 0, "responseMessage": "Success", "products": products})


async def lookup_product(sb: SandboxState, request: Request) -> Response:
    refused = _refused(sb, request)
    if refused is not None:
        return refused
    code = product_code(request.path_params["code"])
    product = catalog.PRODUCTS_BY_CODE.get(code) if code is not None else None
    if product is None:
        return _plain_error(sb, 2101, request.url.path)
    if sb.products_shape == "bare":  # 3.1.2: one object
        return JSONResponse(product.lookup_entry())
    entry = product.list_entry(reversals=_reversal_era(sb))  # rev 3.0: as the list's
    return JSONResponse({"responseCode": 0, "responseMessage": "Success", "products": [entry]})


def routes(sb: SandboxState) -> list[Route]:
    return [
        Route(PREFIX + "accounts/{account}/products", partial(list_products, sb), methods=["GET"]),
        Route(
            PREFIX + "accounts/{account}/products/{code}",
            partial(lookup_product, sb),
            methods=["GET"],
        ),
    ]
