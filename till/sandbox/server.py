"""The stateful Flash Partner API v4 sandbox: one merchant account, its float, vouchers and meters.

Options (``Sandbox(...)`` keyword arguments):
  api_key          the Basic key /token accepts, compared verbatim (default "sandbox-key")
  account_number   the one merchant accountNumber it knows (default "SANDBOX01")
  float_cents      starting merchant float in cents (default R1,000,000.00)
  token_lifetime   bearer token lifetime in seconds, also sent as ``expires_in`` (default 3600)
  revision         the API document it serves, strictly (``till.sandbox.paths``): "2023-04"
                   (April 2023) or "2025-05" (rev 3.0, May 2025; the default)
  products_shape   None (the revision's), "wrapped" ({"responseCode", "responseMessage",
                   "products": [...]}: 2025-05) or "bare" ([...]: 2023-04)
  utility_shape    "v4" (section 3.1.14, the default in both revisions) or "rev3" (rev 3.0's
                   3.1.27) prepaid-utilities purchase body; the client reads both in either
                   revision, but only "v4" carries per-token units and the arrears left, which
                   the till's slips and screens show
  reversal_window  seconds after a sale that it may still be reversed (default 24 h; None: no
                   limit); later: 2281 (``till.sandbox.reversal``)
  reversals        False: the account is not configured for reversals (every one answers 2274)
  inflight_wait    seconds a repeat waits for an in-flight first request before answering 2220
  seed             seeds PINs, serials, tokens and the access tokens (None: random)
  admin            mount the /_sandbox/ admin endpoints

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
import random
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import parse_qs

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from . import catalog, paths, reversal, utilities
from ._codes import MESSAGES, TRANSIENT, Decline, message, status_for
from .catalog import Product
from .faults import PRE_COMMIT, Fault, FaultController, fault_from_dict, plan_from_dict
from .validation import mobile_number, product_code, validate

_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]
DEFAULT_API_KEY = "sandbox-key"
DEFAULT_ACCOUNT = "SANDBOX01"
SAST = timezone(timedelta(hours=2), "SAST")
PREFIX = "/aggregation/4.0/"

#: URL path (after /aggregation/4.0/) -> canonical kind, for every path either revision serves
#: (``paths.kinds(revision)``: the ones a Sandbox of that revision serves).
KINDS: dict[str, str] = paths.ALL_KINDS


class DropConnection(Exception):
    """Raised by the app after a partial response to make the server drop the connection."""


@dataclass
class LedgerEntry:
    """One committed transaction that changed state (sale, redemption, refund, cancel, reversal;
    a reversal's ``original_reference`` is the sale it undid, its ``float_delta`` the refund)."""

    reference: str
    kind: str
    path: str
    amount: int
    float_delta: int
    pin: str | None
    serial: str | None
    tokens: list[str]
    response: dict[str, Any]
    status_code: int
    created: datetime
    original_reference: str | None = None

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["created"] = self.created.isoformat()
        return data


@dataclass
class Voucher:
    """A voucher the sandbox knows: 1Voucher, gift, Cash Out PIN or Eezi."""

    pin: str
    serial: str
    amount: int
    product_code: int
    status: str  # Active | Redeemed | Cancelled | Expired | Reversed
    expiry: str
    barcode: str | None = None
    reference: str | None = None
    sms_to: str | None = None

    def to_json(self, *, with_pin: bool = True) -> dict[str, Any]:
        product = catalog.PRODUCTS_BY_CODE[self.product_code]
        body: dict[str, Any] = {"amount": self.amount, "expiryDate": self.expiry}
        if with_pin:
            body["pin"] = self.pin
        body["serialNumber"] = self.serial
        if self.barcode is not None:
            body["barcode"] = self.barcode
        body["status"] = self.status
        body["content"] = {
            "redemptionInstructions": product.redemption,
            "termsAndConditions": product.terms,
        }
        return body


@dataclass
class _Record:
    kind: str
    canon: str
    event: asyncio.Event = field(default_factory=asyncio.Event)
    done: bool = False
    status: int = 0
    body: bytes = b""


def _now() -> datetime:
    return datetime.now(SAST)


def _error(code: int, reference: Any, tx_id: int, path: str) -> dict[str, Any]:
    return {
        "responseCode": code,
        "responseMessage": message(code),
        "reference": reference if isinstance(reference, str) else None,
        "transactionId": str(tx_id),
        "path": path,
    }


def _dumps(obj: Any) -> bytes:
    return json.dumps(obj, separators=(",", ":")).encode()


class _DropResponse(Response):
    """Sends the head (full Content-Length) and half the body, then fails the connection."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send(
            {"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers}
        )
        half = self.body[: len(self.body) // 2]
        await send({"type": "http.response.body", "body": half, "more_body": True})
        raise DropConnection("sandbox fault: connection dropped mid-response")


class _SandboxTransport(httpx.AsyncBaseTransport):
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


class Sandbox:
    """A local, stateful Flash Partner API v4 server (see the module docstring for options)."""

    def __init__(
        self,
        api_key: str = DEFAULT_API_KEY,
        account_number: str = DEFAULT_ACCOUNT,
        float_cents: int = 100_000_000,
        token_lifetime: int = 3600,
        revision: str = paths.DEFAULT_REVISION,
        products_shape: str | None = None,
        utility_shape: str = "v4",
        reversal_window: float | None = reversal.DEFAULT_WINDOW_SECONDS,
        reversals: bool = True,
        inflight_wait: float = 5.0,
        seed: int | None = None,
        admin: bool = True,
    ) -> None:
        self.revision = paths.check_revision(revision)
        products_shape = products_shape or ("wrapped" if revision == paths.MAY_2025 else "bare")
        if products_shape not in ("wrapped", "bare"):
            raise ValueError("products_shape must be 'wrapped' or 'bare'")
        if utility_shape not in ("v4", "rev3"):
            raise ValueError("utility_shape must be 'v4' or 'rev3'")
        self.api_key = api_key
        self.account_number = account_number
        self.float_cents = float_cents
        self.token_lifetime = token_lifetime
        self.products_shape = products_shape
        self.utility_shape = utility_shape
        self.reversal_window = reversal_window
        self.reversals = reversals
        #: original reference -> the reference of the reversal that undid it.
        self.reversed: dict[str, str] = {}
        self.inflight_wait = inflight_wait
        self.admin = admin
        self.faults = FaultController()
        self.on_request: Callable[[str, bytes], None] | None = None
        self.ledger: list[LedgerEntry] = []
        #: (mobileNumber, pin, serialNumber, amount) of every voucher "sent by SMS".
        self.sms_outbox: list[tuple[str, str, str, int]] = []
        self._rng = random.Random(seed)
        self._tokens: dict[str, float] = {}
        self._refs: dict[str, _Record] = {}
        self._vouchers: dict[str, Voucher] = {}
        self._serials: dict[str, Voucher] = {}
        self._secrets: set[str] = set()
        self._arrears: dict[str, int] = {
            m.number: m.arrears for m in catalog.METERS.values() if m.arrears
        }
        self._fbe_issued: set[str] = set()
        self._tx_id = 100_000
        self._serial_no = 200_000_000_000
        for seed_voucher in catalog.SEED_VOUCHERS:
            expiry = _now() + (
                timedelta(days=-30) if seed_voucher.status == "Expired" else timedelta(days=1095)
            )
            v = Voucher(
                seed_voucher.pin,
                seed_voucher.serial,
                seed_voucher.amount,
                catalog.ONE_VOUCHER.code,
                seed_voucher.status,
                expiry.isoformat(timespec="seconds"),
            )
            self._vouchers[v.pin] = v
            self._serials[v.serial] = v
            self._secrets.add(v.pin)
        self.app = self._build_app()

    # ----------------------------------------------------------------- public helpers

    def transport(self) -> httpx.AsyncBaseTransport:
        """An httpx transport that calls the app in process."""
        return _SandboxTransport(self.app)

    def sales_for(self, reference: str) -> list[LedgerEntry]:
        return [e for e in self.ledger if e.reference == reference]

    def issued_secrets(self) -> set[str]:
        """Every voucher PIN (seeded or issued), utility token and access token handed out."""
        return set(self._secrets)

    def expire_tokens(self) -> None:
        """Invalidate every bearer token issued so far."""
        self._tokens.clear()

    def voucher(self, pin: str) -> Voucher | None:
        return self._vouchers.get(pin)

    def voucher_by_serial(self, serial: str) -> Voucher | None:
        return self._serials.get(serial)

    def cash_out_pin(self, serial: str) -> Voucher | None:
        v = self._serials.get(serial)
        return v if v is not None and v.product_code == catalog.CASH_OUT.code else None

    def stored_answer(self, reference: str) -> tuple[int, dict[str, Any]] | None:
        """The stored (status, body) for a reference, if one is stored and finished."""
        rec = self._refs.get(reference)
        if rec is None or not rec.done:
            return None
        return rec.status, json.loads(rec.body)

    def arrears(self, meter_number: str) -> int:
        return self._arrears.get(meter_number, 0)

    def state(self) -> dict[str, Any]:
        return {
            "accountNumber": self.account_number,
            "revision": self.revision,
            "floatCents": self.float_cents,
            "ledgerCount": len(self.ledger),
            "references": len(self._refs),
            "inFlight": sum(1 for r in self._refs.values() if not r.done),
            "faultsQueued": len(self.faults.queue),
            "faultPlan": self.faults.plan.to_dict() if self.faults.plan else None,
            "faultsFired": len(self.faults.fired),
        }

    # ----------------------------------------------------------------- app

    def _build_app(self) -> Starlette:
        routes = [
            Route("/token", self._token, methods=["POST"]),
            Route("/v4/token", self._token, methods=["POST"]),
            Route(PREFIX + "accounts/{account}/products", self._products, methods=["GET"]),
            Route(PREFIX + "accounts/{account}/products/{code}", self._product, methods=["GET"]),
        ]
        for tail, kind in paths.kinds(self.revision).items():
            routes.append(Route(PREFIX + tail, self._endpoint(kind), methods=["POST"]))
        # Any other path under the API (e.g. the other revision's gift path): the gateway's 404.
        routes.append(Route(PREFIX + "{rest:path}", self._no_resource, methods=_METHODS))
        if self.admin:
            routes += [
                Route("/_sandbox/ledger", self._admin_ledger, methods=["GET"]),
                Route("/_sandbox/state", self._admin_state, methods=["GET"]),
                Route("/_sandbox/faults", self._admin_faults, methods=["POST"]),
                Route("/_sandbox/expire-tokens", self._admin_expire, methods=["POST"]),
                Route("/_sandbox/float", self._admin_float, methods=["POST"]),
            ]
        return Starlette(routes=routes)

    # ----------------------------------------------------------------- auth

    async def _token(self, request: Request) -> Response:
        auth = request.headers.get("authorization", "")
        if not auth.startswith("Basic ") or auth[6:] != self.api_key:
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
        token = str(uuid.UUID(int=self._rng.getrandbits(128), version=4))
        self._tokens[token] = time.monotonic() + self.token_lifetime
        self._secrets.add(token)
        return JSONResponse(
            {
                "access_token": token,
                "scope": "am_application_scope default",
                "token_type": "Bearer",
                "expires_in": self.token_lifetime,
            }
        )

    def _auth_failure(self, request: Request) -> int | None:
        """2232 (no bearer token) / 2233 (unknown or expired), or None when authorised."""
        auth = request.headers.get("authorization")
        if not auth or not auth.startswith("Bearer ") or not auth[7:].strip():
            return 2232
        expires = self._tokens.get(auth[7:].strip())
        if expires is None or time.monotonic() >= expires:
            return 2233
        return None

    def _unauthorised(self, code: int) -> Response:
        return Response(
            _dumps({"responseCode": code, "responseMessage": message(code)}),
            status_code=401,
            media_type="application/json",
            headers={"WWW-Authenticate": "Bearer"},
        )

    # ----------------------------------------------------------------- products

    async def _products(self, request: Request) -> Response:
        failed = self._auth_failure(request)
        if failed:
            return self._unauthorised(failed)
        if request.path_params["account"] != self.account_number:
            return self._plain_error(2102, request.url.path)
        products = [p.list_entry(reversals=self._reversal_era) for p in catalog.PRODUCTS]
        if self.products_shape == "bare":
            return JSONResponse(products)
        return JSONResponse({"responseCode": 0, "responseMessage": "Success", "products": products})

    @property
    def _reversal_era(self) -> bool:
        return self.revision != paths.APRIL_2023

    async def _no_resource(self, request: Request) -> Response:
        return JSONResponse(
            paths.no_such_resource(request.method, request.url.path), status_code=404
        )

    async def _product(self, request: Request) -> Response:
        failed = self._auth_failure(request)
        if failed:
            return self._unauthorised(failed)
        if request.path_params["account"] != self.account_number:
            return self._plain_error(2102, request.url.path)
        code = product_code(request.path_params["code"])
        product = catalog.PRODUCTS_BY_CODE.get(code) if code is not None else None
        if product is None:
            return self._plain_error(2101, request.url.path)
        if self.products_shape == "bare":  # 3.1.2: one object
            return JSONResponse(product.lookup_entry())
        entry = product.list_entry(reversals=self._reversal_era)  # rev 3.0: as the list's
        return JSONResponse({"responseCode": 0, "responseMessage": "Success", "products": [entry]})

    def _plain_error(self, code: int, path: str) -> Response:
        return Response(
            _dumps(_error(code, None, self._next_tx(), path)),
            status_code=status_for(code),
            media_type="application/json",
        )

    # ----------------------------------------------------------------- transactions

    def _endpoint(self, kind: str) -> Callable[[Request], Any]:
        async def endpoint(request: Request) -> Response:
            return await self._transaction(kind, request)

        return endpoint

    async def _transaction(self, kind: str, request: Request) -> Response:
        raw = await request.body()
        path = request.url.path
        if self.on_request is not None:
            self.on_request(path, raw)
        failed = self._auth_failure(request)
        if failed:
            return self._unauthorised(failed)
        fault = self.faults.pick(path) if (self.faults.queue or self.faults.plan) else None
        if fault is not None and fault.kind in PRE_COMMIT:
            return self._pre_commit_fault(fault, request, raw, path)
        delay = fault.seconds if fault is not None and fault.kind == "delay" else 0.0
        status, body = await self._process(kind, path, raw, delay)
        if fault is not None and fault.kind == "drop":
            return _DropResponse(body, status_code=status, media_type="application/json")
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
            self._tokens.pop(auth[7:].strip(), None)
            return self._unauthorised(2233)
        reference: Any = None
        try:
            data = json.loads(raw)
            if isinstance(data, dict):
                reference = data.get("reference")
        except ValueError:
            pass
        status = fault.status if fault.status is not None else status_for(fault.code)
        return Response(
            _dumps(_error(fault.code, reference, self._next_tx(), path)),
            status_code=status,
            media_type="application/json",
        )

    async def _process(self, kind: str, path: str, raw: bytes, delay: float) -> tuple[int, bytes]:
        try:
            data = json.loads(raw)
        except ValueError:
            data = None
        if not isinstance(data, dict):
            return 400, _dumps(_error(2231, None, self._next_tx(), path))
        reference = data.get("reference")
        canon = json.dumps(data, sort_keys=True, separators=(",", ":"))
        rec = self._refs.get(reference) if isinstance(reference, str) else None
        if rec is not None:
            if rec.kind != kind or rec.canon != canon:
                return 400, _dumps(_error(2256, reference, self._next_tx(), path))
            if delay:
                await asyncio.sleep(delay)
            if not rec.done:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(rec.event.wait(), self.inflight_wait)
                if not rec.done:  # still running, or the first one failed without an answer
                    return 200, _dumps(_error(2220, reference, self._next_tx(), path))
            return rec.status, rec.body
        invalid = validate(kind, data)
        if invalid is not None:
            return status_for(invalid), _dumps(_error(invalid, reference, self._next_tx(), path))
        assert isinstance(reference, str)
        # No await between the lookup above and this registration: check-and-commit is atomic.
        rec = _Record(kind, canon)
        self._refs[reference] = rec
        try:
            if delay:
                await asyncio.sleep(delay)
            status, body = self._handle(kind, path, data)
        except BaseException:
            del self._refs[reference]
            rec.event.set()
            raise
        rec.status, rec.body, rec.done = status, _dumps(body), True
        rec.event.set()
        if body["responseCode"] in TRANSIENT:
            del self._refs[reference]
        return rec.status, rec.body

    def _handle(self, kind: str, path: str, data: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        try:
            if data["accountNumber"] != self.account_number:
                raise Decline(2202)
            return 200, _HANDLERS[kind](self, kind, path, data)
        except Decline as decline:
            code = decline.code
            return status_for(code), _error(code, data["reference"], self._next_tx(), path)

    # ----------------------------------------------------------------- shared pieces

    def _next_tx(self) -> int:
        self._tx_id += 1
        return self._tx_id

    def _digits(self, n: int) -> str:
        return str(self._rng.randrange(10 ** (n - 1), 10**n))

    def _new_serial(self) -> str:
        self._serial_no += 1
        return str(self._serial_no)

    def _issue(
        self, product: Product, amount: int, reference: str, *, pin_digits: int, days: int
    ) -> Voucher:
        pin = self._digits(pin_digits)
        while pin in self._vouchers:
            pin = self._digits(pin_digits)
        barcode = self._digits(13) if product.group == catalog.GROUP_GIFT else None
        expiry = (_now() + timedelta(days=days)).isoformat(timespec="seconds")
        v = Voucher(
            pin, self._new_serial(), amount, product.code, "Active", expiry, barcode, reference
        )
        self._vouchers[pin] = v
        self._serials[v.serial] = v
        self._secrets.add(pin)
        return v

    def _base(
        self, data: dict[str, Any], *, tx_id: Any = None, echo: bool = True
    ) -> dict[str, Any]:
        body: dict[str, Any] = {
            "responseCode": 0,
            "responseMessage": "Success",
            "accountNumber": data["accountNumber"],
            "reference": data["reference"],
            "transactionDate": _now().isoformat(timespec="seconds"),
            "transactionId": tx_id if tx_id is not None else self._next_tx(),
            "metadata": data.get("metadata") or {},
        }
        if echo:
            for name in ("storeId", "terminalId"):
                if data.get(name) is not None:
                    body[name] = data[name]
        return body

    def _product_for(self, data: dict[str, Any], group: str) -> Product:
        code = product_code(data["productCode"])
        product = catalog.PRODUCTS_BY_CODE.get(code) if code is not None else None
        if product is None:
            raise Decline(2101)
        if product.group != group:
            raise Decline(2257)
        return product

    def _debit(self, product: Product | None, amount: int) -> None:
        """Amount range (2204) and float (2003) checks; raises before anything changes."""
        if product is not None and not product.minimum <= amount <= product.maximum:
            raise Decline(2204)
        if amount > self.float_cents:
            raise Decline(2003)

    def _commit(
        self,
        kind: str,
        path: str,
        data: dict[str, Any],
        body: dict[str, Any],
        *,
        amount: int,
        float_delta: int,
        pin: str | None = None,
        serial: str | None = None,
        tokens: list[str] | None = None,
        original: str | None = None,
    ) -> dict[str, Any]:
        self.float_cents += float_delta
        self.ledger.append(
            LedgerEntry(
                data["reference"], kind, path, amount, float_delta, pin, serial,
                tokens or [], body, 200, _now(), original,
            )
        )  # fmt: skip
        return body

    # ----------------------------------------------------------------- 1Voucher

    def _h_1v_issue(self, kind: str, path: str, data: dict[str, Any]) -> dict[str, Any]:
        amount = data["amount"]
        self._debit(catalog.ONE_VOUCHER, amount)
        v = self._issue(catalog.ONE_VOUCHER, amount, data["reference"], pin_digits=16, days=1095)
        body = self._base(data)
        body["amount"] = amount
        body["voucher"] = v.to_json()
        return self._commit(
            kind, path, data, body, amount=amount, float_delta=-amount, pin=v.pin, serial=v.serial
        )

    def _h_1v_redeem(self, kind: str, path: str, data: dict[str, Any]) -> dict[str, Any]:
        pin = data["pin"]
        if pin.startswith(catalog.MAGIC_PIN_PREFIX):
            code = int(pin[len(catalog.MAGIC_PIN_PREFIX) :])
            if code in MESSAGES and code:
                raise Decline(code)
        v = self._vouchers.get(pin)
        if v is None or v.product_code != catalog.ONE_VOUCHER.code:
            raise Decline(2402)
        if v.status == "Redeemed":
            raise Decline(2401)
        if v.status in ("Cancelled", "Reversed"):  # a reversal voids it, as a cancel does
            raise Decline(2403)
        if v.status == "Expired" or v.expiry < _now().isoformat(timespec="seconds"):
            raise Decline(2405)
        amount = data["amount"] or v.amount
        if amount > v.amount:
            raise Decline(2408)
        v.status = "Redeemed"
        change = v.amount - amount
        body = self._base(data)
        body["amount"] = amount
        issued: Voucher | None = None
        if change:
            issued = self._issue(
                catalog.ONE_VOUCHER, change, data["reference"], pin_digits=16, days=1095
            )
            body["voucher"] = self._maybe_sms(issued, data, body)
        else:
            redeemed = v.to_json(with_pin=False)
            redeemed["amount"] = amount
            body["voucher"] = redeemed
        return self._commit(
            kind, path, data, body, amount=amount, float_delta=amount,
            pin=issued.pin if issued else None, serial=issued.serial if issued else v.serial,
        )  # fmt: skip

    def _maybe_sms(self, v: Voucher, data: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
        """A change/refund voucher goes in the response, or by SMS when a mobileNumber is given."""
        mobile = (
            mobile_number(data["mobileNumber"]) if data.get("mobileNumber") is not None else None
        )
        if mobile is None:
            return v.to_json()
        v.sms_to = mobile
        self.sms_outbox.append((mobile, v.pin, v.serial, v.amount))
        body["mobileNumber"] = mobile
        voucher = v.to_json(with_pin=False)
        voucher["content"]["redemptionInstructions"] = (
            f"The voucher PIN was sent by SMS to {mobile}. "
            + voucher["content"]["redemptionInstructions"]
        )
        return voucher

    def _h_1v_refund(self, kind: str, path: str, data: dict[str, Any]) -> dict[str, Any]:
        amount = data["amount"]
        self._debit(catalog.ONE_VOUCHER, amount)
        v = self._issue(catalog.ONE_VOUCHER, amount, data["reference"], pin_digits=16, days=1095)
        body = self._base(data)
        body["amount"] = amount
        body["voucher"] = self._maybe_sms(v, data, body)
        return self._commit(
            kind, path, data, body, amount=amount, float_delta=-amount, pin=v.pin, serial=v.serial
        )

    # ----------------------------------------------------------------- other vouchers

    def _voucher_sale(
        self, kind: str, path: str, data: dict[str, Any], group: str, pin_digits: int, days: int
    ) -> dict[str, Any]:
        product = self._product_for(data, group)
        amount = data["amount"]
        self._debit(product, amount)
        v = self._issue(product, amount, data["reference"], pin_digits=pin_digits, days=days)
        body = self._base(data)
        body["amount"] = amount
        body["voucher"] = v.to_json()
        return self._commit(
            kind, path, data, body, amount=amount, float_delta=-amount, pin=v.pin, serial=v.serial
        )

    def _h_gift(self, kind: str, path: str, data: dict[str, Any]) -> dict[str, Any]:
        return self._voucher_sale(kind, path, data, catalog.GROUP_GIFT, 16, 1095)

    def _h_cash_out(self, kind: str, path: str, data: dict[str, Any]) -> dict[str, Any]:
        return self._voucher_sale(kind, path, data, catalog.GROUP_CASH_OUT, 12, 30)

    def _h_eezi(self, kind: str, path: str, data: dict[str, Any]) -> dict[str, Any]:
        return self._voucher_sale(kind, path, data, catalog.GROUP_EEZI, 12, 1095)

    def _cash_out_voucher(self, data: dict[str, Any]) -> Voucher:
        if product_code(data["productCode"]) != catalog.CASH_OUT.code:
            raise Decline(2268)
        v = self._serials.get(data["serialNumber"])
        if v is None or v.product_code != catalog.CASH_OUT.code:
            raise Decline(2249)
        return v

    def _h_cash_out_cancel(self, kind: str, path: str, data: dict[str, Any]) -> dict[str, Any]:
        v = self._cash_out_voucher(data)
        if v.status == "Cancelled":
            raise Decline(2409)
        if v.status != "Active":
            raise Decline(2414)
        v.status = "Cancelled"
        body = self._base(data)
        body["amount"] = v.amount
        body["voucher"] = v.to_json()
        return self._commit(
            kind, path, data, body, amount=v.amount, float_delta=v.amount, serial=v.serial
        )

    def _h_cash_out_lookup(self, kind: str, path: str, data: dict[str, Any]) -> dict[str, Any]:
        v = self._cash_out_voucher(data)
        body = self._base(data, echo=False)
        body["voucher"] = v.to_json()
        return body

    # ----------------------------------------------------------------- cellular

    def _h_pinless(self, kind: str, path: str, data: dict[str, Any]) -> dict[str, Any]:
        product = self._product_for(data, catalog.GROUP_CELLULAR)
        mobile = mobile_number(data["mobileNumber"])
        assert mobile is not None
        if mobile.startswith(catalog.MAGIC_MOBILE_PREFIX):
            code = int(mobile[len(catalog.MAGIC_MOBILE_PREFIX) :])
            if code in MESSAGES and code:
                raise Decline(code)
        amount = data["amount"]
        self._debit(product, amount)
        body = self._base(data)
        body["amount"] = amount
        body["rechargeDetails"] = {
            "rechargeType": product.recharge_type,
            "callCentre": product.call_centre,
            "rechargeVendor": product.vendor,
        }
        return self._commit(kind, path, data, body, amount=amount, float_delta=-amount)

    # ----------------------------------------------------------------- admin

    async def _admin_ledger(self, request: Request) -> Response:
        return JSONResponse([e.to_json() for e in self.ledger])

    async def _admin_state(self, request: Request) -> Response:
        return JSONResponse(self.state())

    async def _admin_faults(self, request: Request) -> Response:
        """Body: {"clear": true} and/or {"inject": [Fault...]} and/or {"plan": FaultPlan|null}."""
        try:
            data = json.loads(await request.body())
            if not isinstance(data, dict):
                raise ValueError("body must be an object")
            if data.get("clear"):
                self.faults.clear()
            for item in data.get("inject", []):
                self.faults.inject(fault_from_dict(item))
            if "plan" in data:
                self.faults.plan = plan_from_dict(data["plan"]) if data["plan"] else None
        except (ValueError, KeyError, TypeError) as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
        return JSONResponse(self.state())

    async def _admin_expire(self, request: Request) -> Response:
        self.expire_tokens()
        return JSONResponse(self.state())

    async def _admin_float(self, request: Request) -> Response:
        try:
            cents = json.loads(await request.body())["cents"]
            if type(cents) is not int:
                raise TypeError("cents must be an integer")
        except (ValueError, KeyError, TypeError) as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
        self.float_cents = cents
        return JSONResponse(self.state())


_HANDLERS: dict[str, Callable[[Sandbox, str, str, dict[str, Any]], dict[str, Any]]] = {
    "1voucher/purchase": Sandbox._h_1v_issue,
    "1voucher/disburse": Sandbox._h_1v_issue,
    "1voucher/redeem": Sandbox._h_1v_redeem,
    "1voucher/refund": Sandbox._h_1v_refund,
    "gift-vouchers/purchase": Sandbox._h_gift,
    "cash-out-pin/purchase": Sandbox._h_cash_out,
    "cash-out-pin/cancel": Sandbox._h_cash_out_cancel,
    "cash-out-pin/lookup": Sandbox._h_cash_out_lookup,
    "cellular/pinless/purchase": Sandbox._h_pinless,
    "eezi-voucher/purchase": Sandbox._h_eezi,
    "prepaid-utilities/lookup": utilities.meter_lookup,
    "prepaid-utilities/purchase": utilities.meter_purchase,
    **{kind: reversal.reverse for kind in paths.REVERSAL_KINDS},
}
