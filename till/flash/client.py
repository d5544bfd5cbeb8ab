"""A thin async client for the Flash Partner API v4: one method per endpoint, typed outcomes.

Approval returns the parsed response; everything else raises a `FlashError` subclass that says
whether the outcome is definitive (`FlashDeclined`), unknown (`FlashInDoubt`: resend the same
bytes) or never started (`FlashNotSent`). Transaction bodies are sent exactly as given, so a
retry of a journaled request is byte-identical.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable
from typing import Any

import httpx
from pydantic import ValidationError

from till.flash import codes, revision, vet, wire
from till.flash.endpoints import (
    CASH_OUT_PIN_CANCEL,
    CASH_OUT_PIN_LOOKUP,
    CASH_OUT_PIN_PURCHASE,
    CASH_OUT_PIN_REVERSE,
    EEZI_VOUCHER_PURCHASE,
    EEZI_VOUCHER_REVERSE,
    ENDPOINTS,
    GIFT_VOUCHER_PURCHASE,
    ONE_VOUCHER_DISBURSE,
    ONE_VOUCHER_PURCHASE,
    ONE_VOUCHER_REDEEM,
    ONE_VOUCHER_REFUND,
    ONE_VOUCHER_REVERSE,
    PINLESS_PURCHASE,
    REVERSAL_FOR,
    REVERSAL_KINDS,
    UTILITY_LOOKUP,
    UTILITY_PURCHASE,
    Endpoint,
    Exchange,
    R,
)
from till.flash.errors import (
    FlashAuthError,
    FlashDeclined,
    FlashError,
    FlashInDoubt,
    FlashNotSent,
    FlashUnsupported,
    FlashUnusable,
)
from till.flash.models import (
    CashOutPinCancelRequest,
    CashOutPinLookupRequest,
    CashOutPinPurchaseRequest,
    CellularPinlessPurchaseRequest,
    EeziVoucherPurchaseRequest,
    FlashRequest,
    GiftVoucherPurchaseRequest,
    OneVoucherDisburseRequest,
    OneVoucherPurchaseRequest,
    OneVoucherRedeemRequest,
    OneVoucherRefundRequest,
    PinlessResponse,
    Product,
    ProductDetail,
    ProductList,
    UtilityLookupRequest,
    UtilityLookupResponse,
    UtilityPurchaseRequest,
    UtilityPurchaseResponse,
    VoucherResponse,
)
from till.flash.outcome import classify, journal_text, token_of
from till.flash.reversals import ReversalRequest, ReversalResponse
from till.flash.revision import DEFAULT_REVISION, ApiRevision, RevisionProbe

#: The endpoint table lives in till.flash.endpoints; callers name it through the client too.
__all__ = [
    "CASH_OUT_PIN_CANCEL",
    "CASH_OUT_PIN_LOOKUP",
    "CASH_OUT_PIN_PURCHASE",
    "CASH_OUT_PIN_REVERSE",
    "EEZI_VOUCHER_PURCHASE",
    "EEZI_VOUCHER_REVERSE",
    "ENDPOINTS",
    "GIFT_VOUCHER_PURCHASE",
    "ONE_VOUCHER_DISBURSE",
    "ONE_VOUCHER_PURCHASE",
    "ONE_VOUCHER_REDEEM",
    "ONE_VOUCHER_REFUND",
    "ONE_VOUCHER_REVERSE",
    "PINLESS_PURCHASE",
    "REVERSAL_FOR",
    "REVERSAL_KINDS",
    "UTILITY_LOOKUP",
    "UTILITY_PURCHASE",
    "Endpoint",
    "Exchange",
    "FlashClient",
    "R",
]

log = logging.getLogger("till.flash")

API_PREFIX = "/aggregation/4.0"
#: Refresh the bearer token this long before Flash says it expires (capped at 10% of its life).
TOKEN_REFRESH_MARGIN = 60.0


class FlashClient:
    """One `httpx.AsyncClient` and one shared bearer token for a till's calls to Flash.

    `api_revision` ("2023-04" or "2025-05", see `till.flash.revision`) decides every path and
    shape that differs between the document's revisions.
    """

    def __init__(
        self,
        *,
        base_url: str,
        api_key: str,
        account_number: str,
        token_url: str = "/token",
        connect_timeout: float = 5.0,
        read_timeout: float = 30.0,
        transport: httpx.AsyncBaseTransport | None = None,
        clock: Callable[[], float] = time.monotonic,
        api_revision: str = DEFAULT_REVISION,
    ) -> None:
        self.api_revision: ApiRevision = revision.check(api_revision)
        self.base_url = base_url.rstrip("/")
        self.account_number = account_number
        self._shape_warned = False
        self._token_url = self.base_url + token_url if token_url.startswith("/") else token_url
        self._api_key = api_key
        self._clock = clock
        self._token: str | None = None
        self._token_expires_at = 0.0
        self._token_lock = asyncio.Lock()
        self.token_fetches = 0
        #: The whole exchange, connect to last byte, must fit in this (a trickle is cut off).
        self.deadline = connect_timeout + read_timeout
        timeout = httpx.Timeout(
            connect=connect_timeout, read=read_timeout, write=read_timeout, pool=connect_timeout
        )
        # verify=True is httpx's default and is never switched off: the document's `curl -k`
        # is not a model.
        self._http = httpx.AsyncClient(
            base_url=self.base_url,
            timeout=timeout,
            transport=transport,
            verify=True,
            # Only encodings `wire.read_capped` inflates within its cap.
            headers={"Accept": "application/json", "Accept-Encoding": "gzip"},
            follow_redirects=False,
        )

    @classmethod
    def from_settings(
        cls, flash: Any, *, transport: httpx.AsyncBaseTransport | None = None
    ) -> FlashClient:
        """Build from a `till.config.FlashSection` (typed loosely to keep flash free of config)."""
        if flash.api_key is None:
            raise FlashAuthError("no API key configured (set TILL_FLASH__API_KEY)")
        return cls(
            base_url=flash.base_url,
            api_key=flash.api_key.get_secret_value(),
            account_number=flash.account_number,
            token_url=flash.token_url,
            connect_timeout=flash.connect_timeout,
            read_timeout=flash.read_timeout,
            transport=transport,
            api_revision=getattr(flash, "api_revision", DEFAULT_REVISION),
        )

    def __repr__(self) -> str:
        return (
            f"FlashClient(base_url={self.base_url!r}, account_number={self.account_number!r}, "
            f"api_revision={self.api_revision!r})"
        )

    def supports(self, endpoint: Endpoint[Any]) -> bool:
        """True when this client's API revision has the endpoint (reversals: "2025-05" only)."""
        return endpoint.available_in(self.api_revision)

    @property
    def reversals_supported(self) -> bool:
        """True when this client's API revision has reversals."""
        return all(self.supports(endpoint) for endpoint in REVERSAL_FOR.values())

    async def __aenter__(self) -> FlashClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    # -- token -------------------------------------------------------------------------------

    def _token_valid(self) -> bool:
        return self._token is not None and self._clock() < self._token_expires_at

    async def token(self, *, stale: str | None = None) -> str:
        """The current bearer token, fetched once for all concurrent callers.

        `stale` names a token the server just refused: it is replaced unless another caller
        already replaced it.
        """
        if self._token_valid() and self._token != stale:
            assert self._token is not None
            return self._token
        async with self._token_lock:
            if self._token_valid() and self._token != stale:
                assert self._token is not None
                return self._token
            self._token = None
            token, lifetime = await self._fetch_token()
            margin = min(TOKEN_REFRESH_MARGIN, lifetime * 0.1)
            self._token = token
            self._token_expires_at = self._clock() + lifetime - margin
            return token

    async def _fetch_token(self) -> tuple[str, float]:
        self.token_fetches += 1
        try:
            answer = await self._call(
                "POST",
                self._token_url,
                endpoint="token",
                reference=None,
                data={"grant_type": "client_credentials"},
                headers={"Authorization": f"Basic {self._api_key}"},
            )
        except FlashAuthError:
            raise
        except FlashError as exc:
            raise FlashNotSent(
                f"could not get an access token from Flash: {exc.message}", endpoint="token"
            ) from None
        if answer.status in (400, 401, 403):
            raise FlashAuthError(
                f"Flash refused the API key (HTTP {answer.status}): check "
                "flash.api_key and that it is for this environment (sandbox or production)",
                endpoint="token",
            )
        if answer.status != 200:
            raise FlashNotSent(
                f"Flash's token service answered HTTP {answer.status}", endpoint="token"
            )
        token, lifetime = token_of(answer)
        log.debug("access token fetched, valid for %.0f s", lifetime)
        return token, lifetime

    # -- transport ---------------------------------------------------------------------------

    async def _request(
        self, method: str, path: str, *, body: bytes | None, endpoint: str, reference: str | None
    ) -> wire.Answer:
        """Send with the shared token; on a 401 refresh it once and resend the same bytes."""
        token = await self.token()
        answer = await self._send_once(method, path, body, token, endpoint, reference)
        if answer.status == 401:
            log.debug("%s %s: 401, refreshing the access token once", endpoint, reference or "")
            token = await self.token(stale=token)
            answer = await self._send_once(method, path, body, token, endpoint, reference)
            if answer.status == 401:
                raise FlashAuthError(
                    "Flash refused the till's access twice (HTTP 401): this attempt was not "
                    "processed; if it keeps happening, ask support to check the API key",
                    endpoint=endpoint,
                    reference=reference,
                )
        return answer

    async def _send_once(
        self,
        method: str,
        path: str,
        body: bytes | None,
        token: str,
        endpoint: str,
        reference: str | None,
    ) -> wire.Answer:
        headers = {"Authorization": f"Bearer {token}"}
        if body is not None:
            headers["Content-Type"] = "application/json"
        started = time.perf_counter()
        answer = await self._call(
            method,
            API_PREFIX + path,
            endpoint=endpoint,
            reference=reference,
            content=body,
            headers=headers,
        )
        log.debug(
            "%s %s %s -> HTTP %d in %.0f ms",
            method,
            endpoint,
            reference or "",
            answer.status,
            (time.perf_counter() - started) * 1000,
        )
        return answer

    async def _call(
        self, method: str, url: str, *, endpoint: str, reference: str | None, **parts: Any
    ) -> wire.Answer:
        """One HTTP exchange, whole answer within the deadline and the body within its cap."""

        def in_doubt(message: str, cause: str) -> FlashInDoubt:
            return FlashInDoubt(message, cause=cause, endpoint=endpoint, reference=reference)

        def not_sent(message: str) -> FlashNotSent:
            return FlashNotSent(message, endpoint=endpoint, reference=reference)

        try:
            request = self._http.build_request(method, url, **parts)
        except (UnicodeEncodeError, httpx.LocalProtocolError, ValueError):
            # A header that cannot be written (a key or token with non-ASCII, CR or LF in it).
            raise FlashAuthError(
                "the till's credentials hold characters that cannot be sent (only plain ASCII "
                "letters and digits): nothing was sent; check flash.api_key",
                endpoint=endpoint,
                reference=reference,
            ) from None
        try:
            async with asyncio.timeout(self.deadline):
                response = await self._http.send(request, stream=True)
                try:
                    content = await wire.read_capped(response)
                    problem = None
                except wire.BodyError as exc:
                    content, problem = b"", exc
                finally:
                    await response.aclose()
        except TimeoutError:
            raise in_doubt(
                f"Flash's answer did not arrive in full within {self.deadline:.0f} s; the "
                "request may have been processed",
                "timeout",
            ) from None
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            raise not_sent(
                f"could not connect to Flash ({type(exc).__name__}); nothing was sent"
            ) from None
        except httpx.UnsupportedProtocol as exc:
            raise not_sent(f"bad Flash URL ({exc}); nothing was sent") from None
        except httpx.LocalProtocolError as exc:  # its text quotes the header: not shown
            raise not_sent(
                f"the request could not be written ({type(exc).__name__}); nothing was sent"
            ) from None
        except httpx.TimeoutException:
            raise in_doubt(
                "Flash did not answer in time; the request may have been processed", "timeout"
            ) from None
        except (httpx.TransportError, httpx.DecodingError, httpx.TooManyRedirects) as exc:
            raise in_doubt(
                f"the connection to Flash was lost ({type(exc).__name__}); the request may "
                "have been processed",
                "connection_lost",
            ) from None
        data: Any = None
        altered = False
        if problem is None and content.strip():
            try:
                data, altered = wire.parse_json(content)
            except wire.BodyError as exc:
                problem = exc
        content_type = wire.safe_text(response.headers.get("content-type", ""), limit=60)
        return wire.Answer(response.status_code, content, data, altered, problem, content_type)

    # -- transactions ------------------------------------------------------------------------

    async def send(self, endpoint: Endpoint[R], body: bytes, *, reference: str | None = None) -> R:
        """POST these exact bytes to a transaction endpoint and return the approved response.

        The journal's resolver calls this with the stored body to settle an in-doubt entry.
        """
        return (await self.exchange(endpoint, body, reference=reference)).response

    async def exchange(
        self, endpoint: Endpoint[R], body: bytes, *, reference: str | None = None
    ) -> Exchange[R]:
        """Like `send`, also returning Flash's body as it came (made safe), for the journal.

        An approval is checked against the request first: one that answers another reference
        or amount, or carries a malformed PIN or token, raises FlashUnusable (in doubt). An
        endpoint this client's API revision lacks raises FlashUnsupported before anything is sent.
        """
        path = endpoint.path_for(self.api_revision)
        if path is None:
            raise self._unsupported(endpoint, reference)
        answer = await self._request(
            "POST", path, body=body, endpoint=endpoint.name, reference=reference
        )
        try:
            data = classify(answer, endpoint=endpoint.name, reference=reference)
        except FlashDeclined as exc:
            if answer.status == 404 and exc.code is None:  # no such path: nothing was done
                raise self._no_such_path(endpoint, path, exc) from None
            raise

        def unusable(problem: str) -> FlashUnusable:
            return FlashUnusable(problem, endpoint=endpoint.name, reference=reference)

        if not isinstance(data, dict):
            raise unusable("it is not a JSON object")
        problem = vet.unusable(endpoint.name, json.loads(body), data)
        if problem is not None:
            raise unusable(problem)
        try:
            parsed = endpoint.response.model_validate(data)
        except ValidationError:
            raise unusable("its fields are not of the types the document gives") from None
        lacking = endpoint.missing(parsed)
        if lacking is not None:
            raise FlashInDoubt(
                f"Flash approved but did not send {lacking}",
                cause="incomplete",
                code=codes.SUCCESS,
                endpoint=endpoint.name,
                reference=reference,
            )
        return Exchange(parsed, journal_text(answer))

    def _unsupported(self, endpoint: Endpoint[Any], reference: str | None) -> FlashUnsupported:
        what = "reversals" if endpoint.name in REVERSAL_KINDS else endpoint.name
        return FlashUnsupported(
            f"the Flash API revision this till speaks, {revision.describe(self.api_revision)}, "
            f"has no {what} ({endpoint.name} came with {revision.describe(endpoint.since)}): "
            "nothing was sent; if this till's Flash speaks that revision, set [flash] "
            f'api_revision = "{endpoint.since}"',
            api_revision=self.api_revision,
            endpoint=endpoint.name,
            reference=reference,
        )

    def _no_such_path(
        self, endpoint: Endpoint[Any], path: str, exc: FlashDeclined
    ) -> FlashDeclined:
        if endpoint.revision_dependent:
            hint = (
                f"this till speaks API revision {revision.describe(self.api_revision)}; if "
                "Flash speaks the other, set [flash] api_revision (`till check` tells which)"
            )
        else:
            hint = "check flash.base_url"
        return FlashDeclined(
            f"Flash has no {endpoint.name} at {API_PREFIX}{path} (HTTP 404), so nothing was "
            f"done: {hint}",
            code=None,
            http_status=exc.http_status,
            endpoint=exc.endpoint,
            reference=exc.reference,
            body=exc.body,
        )

    async def _transact(self, endpoint: Endpoint[R], request: FlashRequest) -> R:
        return await self.send(endpoint, request.to_wire(), reference=request.reference)

    async def purchase_1voucher(self, request: OneVoucherPurchaseRequest) -> VoucherResponse:
        return await self._transact(ONE_VOUCHER_PURCHASE, request)

    async def disburse_1voucher(self, request: OneVoucherDisburseRequest) -> VoucherResponse:
        return await self._transact(ONE_VOUCHER_DISBURSE, request)

    async def redeem_1voucher(self, request: OneVoucherRedeemRequest) -> VoucherResponse:
        return await self._transact(ONE_VOUCHER_REDEEM, request)

    async def refund_1voucher(self, request: OneVoucherRefundRequest) -> VoucherResponse:
        return await self._transact(ONE_VOUCHER_REFUND, request)

    async def purchase_gift_voucher(self, request: GiftVoucherPurchaseRequest) -> VoucherResponse:
        return await self._transact(GIFT_VOUCHER_PURCHASE, request)

    async def purchase_cash_out_pin(self, request: CashOutPinPurchaseRequest) -> VoucherResponse:
        return await self._transact(CASH_OUT_PIN_PURCHASE, request)

    async def cancel_cash_out_pin(self, request: CashOutPinCancelRequest) -> VoucherResponse:
        return await self._transact(CASH_OUT_PIN_CANCEL, request)

    async def lookup_cash_out_pin(self, request: CashOutPinLookupRequest) -> VoucherResponse:
        return await self._transact(CASH_OUT_PIN_LOOKUP, request)

    async def purchase_pinless(self, request: CellularPinlessPurchaseRequest) -> PinlessResponse:
        return await self._transact(PINLESS_PURCHASE, request)

    async def purchase_eezi_voucher(self, request: EeziVoucherPurchaseRequest) -> VoucherResponse:
        return await self._transact(EEZI_VOUCHER_PURCHASE, request)

    async def lookup_meter(self, request: UtilityLookupRequest) -> UtilityLookupResponse:
        return await self._transact(UTILITY_LOOKUP, request)

    async def purchase_utility(self, request: UtilityPurchaseRequest) -> UtilityPurchaseResponse:
        return await self._transact(UTILITY_PURCHASE, request)

    # -- reversals (rev 3.0 only: FlashUnsupported on "2023-04") -----------------------------

    async def reverse_1voucher(self, request: ReversalRequest) -> ReversalResponse:
        """Undo a 1Voucher purchase or disbursement (`originalReference`): voids its voucher."""
        return await self._transact(ONE_VOUCHER_REVERSE, request)

    async def reverse_cash_out_pin(self, request: ReversalRequest) -> ReversalResponse:
        """Undo a Cash Out PIN purchase: voids the PIN."""
        return await self._transact(CASH_OUT_PIN_REVERSE, request)

    async def reverse_eezi_voucher(self, request: ReversalRequest) -> ReversalResponse:
        """Undo an Eezi voucher purchase: voids the voucher."""
        return await self._transact(EEZI_VOUCHER_REVERSE, request)

    # -- account queries ---------------------------------------------------------------------

    async def list_products(self) -> list[Product]:
        """The account's catalog, whether Flash sends a bare array (April 2023) or one wrapped in
        `products` (rev 3.0); the other revision's shape is read too, and logged once."""
        return (await self._products())[0]

    async def _products(self) -> tuple[list[Product], ApiRevision | None]:
        path = f"/accounts/{self.account_number}/products"
        answer = await self._request("GET", path, body=None, endpoint="products", reference=None)
        data = classify(answer, endpoint="products", reference=None, query=True)
        shape = revision.products_shape(data)
        if shape is not None and shape != self.api_revision and not self._shape_warned:
            self._shape_warned = True
            log.warning(
                "Flash sent the product list in the shape of API revision %s, not %s: "
                "check [flash] api_revision (till check)",
                revision.describe(shape),
                revision.describe(self.api_revision),
            )
        try:
            return ProductList.from_json(data).products, shape
        except ValidationError:
            raise FlashInDoubt(
                "Flash's product list could not be read", cause="unreadable", endpoint="products"
            ) from None

    async def lookup_product(self, product_code: int) -> Product:
        """One product (`GET .../products/{code}`), read from either revision's answer: one
        object (April 2023, section 3.1.2) or a `products` array as the list's (rev 3.0)."""
        if isinstance(product_code, bool) or not isinstance(product_code, int) or product_code < 1:
            raise ValueError("productCode must be a positive integer")
        path = f"/accounts/{self.account_number}/products/{product_code}"
        answer = await self._request("GET", path, body=None, endpoint="product", reference=None)
        data = classify(answer, endpoint="product", reference=None, query=True)

        def unreadable(what: str) -> FlashInDoubt:
            return FlashInDoubt(what, cause="unreadable", endpoint="product")

        try:
            if isinstance(data, dict) and "products" not in data:
                return ProductDetail.model_validate(data).as_product()
            listed = ProductList.from_json(data).products
        except ValidationError:
            raise unreadable("Flash's product details could not be read") from None
        for product in listed:
            if product.product_code == product_code:
                return product
        raise unreadable(f"Flash's product details did not include product {product_code}")

    async def probe_revision(self) -> RevisionProbe:
        """What Flash's answers say about its API revision, changing nothing: the product list's
        shape, and whether the gift voucher path exists (an empty object is posted to it; the
        other revision's path too when this one's is missing). For `till check`."""
        products, shape = await self._products()
        gift = await self._path_exists(GIFT_VOUCHER_PURCHASE, self.api_revision)
        other_gift = None
        if gift is False:
            other_gift = await self._path_exists(
                GIFT_VOUCHER_PURCHASE, revision.other(self.api_revision)
            )
        return RevisionProbe(self.api_revision, products, shape, gift, other_gift)

    async def _path_exists(self, endpoint: Endpoint[Any], api_revision: str) -> bool | None:
        """Post `{}` (no reference, no amount: never a sale) to the revision's path: False on a
        404 that is not Flash's answer to a request, True on any answer from the endpoint."""
        path = endpoint.path_for(api_revision)
        if path is None:
            return False
        try:
            answer = await self._request(
                "POST", path, body=b"{}", endpoint=endpoint.name, reference=None
            )
        except FlashAuthError:
            raise
        except FlashError:
            return None
        if isinstance(answer.data, dict) and "responseCode" in answer.data:
            return True
        if answer.status == 404:
            return False
        return True if answer.status in (400, 422) else None
