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
import math
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import httpx
from pydantic import ValidationError

from till.flash import codes, vet, wire
from till.flash.errors import (
    FlashAuthError,
    FlashDeclined,
    FlashError,
    FlashInDoubt,
    FlashNotSent,
    FlashUnusable,
)
from till.flash.models import (
    CashOutPinCancelRequest,
    CashOutPinLookupRequest,
    CashOutPinPurchaseRequest,
    CellularPinlessPurchaseRequest,
    EeziVoucherPurchaseRequest,
    FlashRequest,
    FlashResponse,
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

log = logging.getLogger("till.flash")

API_PREFIX = "/aggregation/4.0"
#: Refresh the bearer token this long before Flash says it expires (capped at 10% of its life).
TOKEN_REFRESH_MARGIN = 60.0
#: HTTP statuses that say "the server may or may not have acted": resend to find out.
_IN_DOUBT_STATUSES = frozenset({408, 425, 429})
#: RFC 6750's b64token: what a bearer token may hold, so it can never break a header line.
_BEARER_TOKEN = re.compile(r"[A-Za-z0-9\-._~+/]{1,4096}=*")
#: The longest token lifetime the till believes (a day); the document gives 3600 s.
MAX_TOKEN_LIFETIME = 86_400.0


@dataclass(frozen=True)
class _Answer:
    """An HTTP answer read within its caps: the body made safe, or why it could not be read."""

    status: int
    content: bytes
    data: Any
    altered: bool
    problem: str | None
    content_type: str


R = TypeVar("R", bound=FlashResponse)


def _voucher_pin(response: FlashResponse) -> str | None:
    voucher = getattr(response, "voucher", None)
    if voucher is None or not voucher.pin:
        return "the voucher PIN"
    return None


def _voucher_pin_unless_sms(response: FlashResponse) -> str | None:
    """A refund's new voucher comes with its PIN, unless Flash sent the PIN by SMS instead."""
    if getattr(response, "mobile_number", None):
        return "the voucher" if getattr(response, "voucher", None) is None else None
    return _voucher_pin(response)


def _utility_tokens(response: FlashResponse) -> str | None:
    tokens = getattr(response, "tokens", None) or []
    if not tokens or any(not token.token for token in tokens):
        return "the utility token"
    return None


def _meter_info(response: FlashResponse) -> str | None:
    return "the meter details" if getattr(response, "meter_info", None) is None else None


def _nothing(response: FlashResponse) -> str | None:
    return None


@dataclass(frozen=True)
class Endpoint(Generic[R]):
    """One transaction endpoint: where it lives, what it answers, what approval must carry."""

    name: str
    path: str
    response: type[R]
    #: Returns what an approved-looking answer lacks (then the outcome is in doubt), or None.
    missing: Callable[[FlashResponse], str | None]


# Redemptions carry a voucher only when they leave change; cancels and pinless carry none.
ONE_VOUCHER_PURCHASE = Endpoint(
    "1voucher.purchase", "/1voucher/purchase", VoucherResponse, _voucher_pin
)
ONE_VOUCHER_DISBURSE = Endpoint(
    "1voucher.disburse", "/1voucher/disburse", VoucherResponse, _voucher_pin
)
ONE_VOUCHER_REDEEM = Endpoint("1voucher.redeem", "/1voucher/redeem", VoucherResponse, _nothing)
ONE_VOUCHER_REFUND = Endpoint(
    "1voucher.refund", "/1voucher/refund", VoucherResponse, _voucher_pin_unless_sms
)
GIFT_VOUCHER_PURCHASE = Endpoint(
    "gift-voucher.purchase", "/gift-vouchers/purchase", VoucherResponse, _voucher_pin
)
CASH_OUT_PIN_PURCHASE = Endpoint(
    "cash-out-pin.purchase", "/cash-out-pin/purchase", VoucherResponse, _voucher_pin
)
CASH_OUT_PIN_CANCEL = Endpoint(
    "cash-out-pin.cancel", "/cash-out-pin/cancel", VoucherResponse, _nothing
)
CASH_OUT_PIN_LOOKUP = Endpoint(
    "cash-out-pin.lookup", "/cash-out-pin/lookup", VoucherResponse, _nothing
)
PINLESS_PURCHASE = Endpoint(
    "cellular.pinless.purchase", "/cellular/pinless/purchase", PinlessResponse, _nothing
)
EEZI_VOUCHER_PURCHASE = Endpoint(
    "eezi-voucher.purchase", "/eezi-voucher/purchase", VoucherResponse, _voucher_pin
)
UTILITY_LOOKUP = Endpoint(
    "prepaid-utilities.lookup", "/prepaid-utilities/lookup", UtilityLookupResponse, _meter_info
)
UTILITY_PURCHASE = Endpoint(
    "prepaid-utilities.purchase",
    "/prepaid-utilities/purchase",
    UtilityPurchaseResponse,
    _utility_tokens,
)


@dataclass(frozen=True)
class Exchange(Generic[R]):
    """An approval: the parsed response and the JSON text Flash sent."""

    response: R
    text: str


ENDPOINTS: dict[str, Endpoint[Any]] = {
    endpoint.name: endpoint
    for endpoint in (
        ONE_VOUCHER_PURCHASE,
        ONE_VOUCHER_DISBURSE,
        ONE_VOUCHER_REDEEM,
        ONE_VOUCHER_REFUND,
        GIFT_VOUCHER_PURCHASE,
        CASH_OUT_PIN_PURCHASE,
        CASH_OUT_PIN_CANCEL,
        CASH_OUT_PIN_LOOKUP,
        PINLESS_PURCHASE,
        EEZI_VOUCHER_PURCHASE,
        UTILITY_LOOKUP,
        UTILITY_PURCHASE,
    )
}


class FlashClient:
    """One `httpx.AsyncClient` and one shared bearer token for a till's calls to Flash."""

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
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.account_number = account_number
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
            headers={"Accept": "application/json", "Accept-Encoding": "gzip, deflate"},
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
        )

    def __repr__(self) -> str:
        return f"FlashClient(base_url={self.base_url!r}, account_number={self.account_number!r})"

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
        token, lifetime = _token_of(answer)
        log.debug("access token fetched, valid for %.0f s", lifetime)
        return token, lifetime

    # -- transport ---------------------------------------------------------------------------

    async def _request(
        self, method: str, path: str, *, body: bytes | None, endpoint: str, reference: str | None
    ) -> _Answer:
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
    ) -> _Answer:
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
    ) -> _Answer:
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
                    content, problem = b"", str(exc)
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
        except (httpx.UnsupportedProtocol, httpx.LocalProtocolError) as exc:
            raise not_sent(f"the request could not be made ({exc}); nothing was sent") from None
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
                problem = str(exc)
        content_type = wire.safe_text(response.headers.get("content-type", ""), limit=60)
        return _Answer(response.status_code, content, data, altered, problem, content_type)

    # -- outcome classification --------------------------------------------------------------

    @staticmethod
    def _classify(
        answer: _Answer, *, endpoint: str, reference: str | None, query: bool = False
    ) -> dict[str, Any] | list[Any]:
        """Return the JSON body of an approval, or raise the typed outcome.

        Account queries (products) may answer without a responseCode, as the document shows.
        """
        status = answer.status
        data = answer.data
        code = _response_code(data)

        def in_doubt(message: str, cause: str) -> FlashInDoubt:
            return FlashInDoubt(
                message,
                cause=cause,
                code=code,
                http_status=status,
                endpoint=endpoint,
                reference=reference,
            )

        def declined(message: str) -> FlashDeclined:
            return FlashDeclined(
                message, code=code, http_status=status, endpoint=endpoint, reference=reference
            )

        if status >= 500 or status in _IN_DOUBT_STATUSES:
            cause = "rate_limited" if status == 429 else "server_error"
            raise in_doubt(
                f"Flash answered HTTP {status}; the request may have been processed", cause
            )
        if answer.problem is not None:
            raise in_doubt(
                f"Flash's answer {answer.problem}; the request may have been processed",
                "too_large" if "cap" in answer.problem else "unreadable",
            )
        if 300 <= status < 400:
            # Not followed: a redirect is not Flash's answer, and a 303 may follow processing.
            raise in_doubt(
                f"Flash's address redirected the request (HTTP {status}), so Flash's answer "
                "is not known: check flash.base_url; the request may have been processed",
                "redirected",
            )
        if code is not None and codes.is_in_doubt(code):
            raise in_doubt(_flash_message(data, code), _in_doubt_cause(code))
        if code is not None and code != codes.SUCCESS:
            raise declined(_flash_message(data, code))
        if status != 200:
            if code is not None:
                raise in_doubt(f"Flash answered HTTP {status} with an approval code", "unreadable")
            if not isinstance(data, dict):
                # An HTML or empty error page: something between the till and Flash answered,
                # not Flash's API, so it says nothing about whether Flash acted.
                raise in_doubt(
                    f"an answer that was not Flash's (HTTP {status}, "
                    f"{answer.content_type or 'no content type'}): check flash.base_url; "
                    "the request may have been processed",
                    "not_flash",
                )
            raise declined(f"Flash refused the request (HTTP {status})")
        if not isinstance(data, dict | list):
            raise in_doubt(
                "Flash's answer could not be read; the request may have been processed",
                "unreadable",
            )
        if code is None and not query:
            raise in_doubt("Flash's answer had no responseCode", "unreadable")
        return data

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
        or amount, or carries a malformed PIN or token, raises FlashUnusable (in doubt).
        """
        answer = await self._request(
            "POST", endpoint.path, body=body, endpoint=endpoint.name, reference=reference
        )
        data = self._classify(answer, endpoint=endpoint.name, reference=reference)

        def unusable(problem: str) -> FlashUnusable:
            log.warning("%s %s: approval unusable: %s", endpoint.name, reference or "", problem)
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
        return Exchange(parsed, _journal_text(answer))

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

    # -- account queries ---------------------------------------------------------------------

    async def list_products(self) -> list[Product]:
        """The account's catalog, whether Flash sends a bare array or one wrapped in `products`."""
        path = f"/accounts/{self.account_number}/products"
        answer = await self._request("GET", path, body=None, endpoint="products", reference=None)
        data = self._classify(answer, endpoint="products", reference=None, query=True)
        try:
            return ProductList.from_json(data).products
        except ValidationError:
            raise FlashInDoubt(
                "Flash's product list could not be read", cause="unreadable", endpoint="products"
            ) from None

    async def lookup_product(self, product_code: int) -> ProductDetail:
        if isinstance(product_code, bool) or not isinstance(product_code, int) or product_code < 1:
            raise ValueError("productCode must be a positive integer")
        path = f"/accounts/{self.account_number}/products/{product_code}"
        answer = await self._request("GET", path, body=None, endpoint="product", reference=None)
        data = self._classify(answer, endpoint="product", reference=None, query=True)
        try:
            return ProductDetail.model_validate(data)
        except ValidationError:
            raise FlashInDoubt(
                "Flash's product details could not be read", cause="unreadable", endpoint="product"
            ) from None


def _journal_text(answer: _Answer) -> str:
    """Flash's body exactly as it came, unless making it safe changed it (then the safe one)."""
    if not answer.altered:
        try:
            return answer.content.decode("utf-8")
        except UnicodeDecodeError:
            pass
    return json.dumps(answer.data, ensure_ascii=False, separators=(",", ":"))


def _token_of(answer: _Answer) -> tuple[str, float]:
    """The bearer token and its lifetime, only if both can be used as they are."""
    body = answer.data
    if answer.problem is not None or not isinstance(body, dict):
        raise FlashNotSent(
            f"Flash's token service sent an unreadable answer ({answer.problem or 'not JSON'})",
            endpoint="token",
        )
    token = body.get("access_token")
    if not isinstance(token, str) or not _BEARER_TOKEN.fullmatch(token) or answer.altered:
        raise FlashNotSent(
            "Flash's token service sent a token the till cannot use (empty, too long, or with "
            "characters a bearer token may not hold)",
            endpoint="token",
        )
    raw = body.get("expires_in", 3600)
    if isinstance(raw, str) and raw.isascii() and raw.strip().isdigit():
        raw = int(raw)
    if isinstance(raw, bool) or not isinstance(raw, int | float) or not math.isfinite(raw):
        raise FlashNotSent("Flash's token service sent an unreadable expires_in", endpoint="token")
    if raw <= 0:
        raise FlashNotSent(
            f"Flash's token service sent a token that has already expired (expires_in {raw})",
            endpoint="token",
        )
    return token, min(float(raw), MAX_TOKEN_LIFETIME)


#: A responseCode as text: ASCII digits only ("²" is a digit to str.isdigit, not to int()).
_CODE_TEXT = re.compile(r"-?[0-9]{1,9}")


def _response_code(data: Any) -> int | None:
    if not isinstance(data, dict):
        return None
    raw = data.get("responseCode")
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return raw if abs(raw) < 10**9 else None
    if isinstance(raw, str) and _CODE_TEXT.fullmatch(raw.strip()):
        return int(raw.strip())
    return None


def _flash_message(data: Any, code: int) -> str:
    message = data.get("responseMessage") if isinstance(data, dict) else None
    if isinstance(message, str) and message.strip():
        return wire.safe_text(message.strip(), limit=200)
    return codes.message_for(code)


def _in_doubt_cause(code: int) -> str:
    if code in codes.BUSY_CODES:
        return "busy"
    if code in codes.RATE_LIMIT_CODES:
        return "rate_limited"
    if code in codes.DUPLICATE_CODES:
        return "duplicate"
    if code in codes.RESUBMIT_CODES:
        return "resubmit"
    return "unavailable"
