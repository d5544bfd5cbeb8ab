"""What every part of the sandbox shares: the account's state, its records and the helpers that
change it. The product families import this module; it imports none of them.

Options (``Sandbox(...)`` keyword arguments, taken by ``SandboxState``):
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

The clock is ``_now`` here, looked up at each call, so a test can fix the sandbox's time.
"""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from . import catalog, paths
from ._codes import Decline, message
from .catalog import Product
from .faults import FaultController
from .validation import product_code

DEFAULT_API_KEY = "sandbox-key"
DEFAULT_ACCOUNT = "SANDBOX01"
SAST = timezone(timedelta(hours=2), "SAST")
PREFIX = "/aggregation/4.0/"
#: Seconds after a sale that it may still be reversed, unless a Sandbox says otherwise (2281).
DEFAULT_REVERSAL_WINDOW = 24 * 3600.0

#: A transaction handler: (sandbox, kind, path, request JSON) -> the approved answer's body; a
#: decline raises ``Decline``.
Handler = Callable[["SandboxState", str, str, dict[str, Any]], dict[str, Any]]


def _now() -> datetime:
    return datetime.now(SAST)


def error_body(code: int, reference: Any, tx_id: int, path: str) -> dict[str, Any]:
    """The body of a declined or refused request."""
    return {
        "responseCode": code,
        "responseMessage": message(code),
        "reference": reference if isinstance(reference, str) else None,
        "transactionId": str(tx_id),
        "path": path,
    }


def dumps(obj: Any) -> bytes:
    """Compact JSON bytes, as every answer is sent."""
    return json.dumps(obj, separators=(",", ":")).encode()


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
class Record:
    """The stored answer under one reference (API document 1.2.2), or its first, in-flight try."""

    kind: str
    canon: str
    event: asyncio.Event = field(default_factory=asyncio.Event)
    done: bool = False
    status: int = 0
    body: bytes = b""


class SandboxState:
    """One merchant account: its float, ledger, vouchers, meters, tokens and stored answers."""

    def __init__(
        self,
        api_key: str = DEFAULT_API_KEY,
        account_number: str = DEFAULT_ACCOUNT,
        float_cents: int = 100_000_000,
        token_lifetime: int = 3600,
        revision: str = paths.DEFAULT_REVISION,
        products_shape: str | None = None,
        utility_shape: str = "v4",
        reversal_window: float | None = DEFAULT_REVERSAL_WINDOW,
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
        #: Every PIN, serial and access token is drawn from it: a seed repeats a run.
        self.rng = random.Random(seed)
        #: Bearer token -> the `time.monotonic()` at which it expires.
        self.access_tokens: dict[str, float] = {}
        self._refs: dict[str, Record] = {}
        self._vouchers: dict[str, Voucher] = {}
        self._serials: dict[str, Voucher] = {}
        #: Every voucher PIN, utility token and access token handed out (see `issued_secrets`).
        self.secrets: set[str] = set()
        #: Meter number -> municipal arrears still owed, in cents.
        self.meter_arrears: dict[str, int] = {
            m.number: m.arrears for m in catalog.METERS.values() if m.arrears
        }
        #: Meters that have had this month's Free Basic Electricity token.
        self.fbe_issued: set[str] = set()
        self._tx_id = 100_000
        self._serial_no = 200_000_000_000
        self._seed_vouchers()

    def _seed_vouchers(self) -> None:
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
            self.secrets.add(v.pin)

    # ----------------------------------------------------------------- public helpers

    def sales_for(self, reference: str) -> list[LedgerEntry]:
        return [e for e in self.ledger if e.reference == reference]

    def issued_secrets(self) -> set[str]:
        """Every voucher PIN (seeded or issued), utility token and access token handed out."""
        return set(self.secrets)

    def expire_tokens(self) -> None:
        """Invalidate every bearer token issued so far."""
        self.access_tokens.clear()

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
        return self.meter_arrears.get(meter_number, 0)

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

    # ----------------------------------------------------------------- shared pieces
    # What the product families (cashout.py, utilities.py, ...) build their answers from.

    def now(self) -> datetime:
        """The sandbox's clock, in South African time (tests move it by patching `_now`)."""
        return _now()

    def next_tx(self) -> int:
        """A fresh transactionId."""
        self._tx_id += 1
        return self._tx_id

    def digits(self, n: int) -> str:
        """`n` random digits, the first not 0."""
        return str(self.rng.randrange(10 ** (n - 1), 10**n))

    def new_serial(self) -> str:
        """A fresh serial number, for a voucher or a utility token."""
        self._serial_no += 1
        return str(self._serial_no)

    def issue(
        self, product: Product, amount: int, reference: str, *, pin_digits: int, days: int
    ) -> Voucher:
        """A new Active voucher with an unused PIN, valid for `days`; kept by PIN and serial."""
        pin = self.digits(pin_digits)
        while pin in self._vouchers:
            pin = self.digits(pin_digits)
        barcode = self.digits(13) if product.group == catalog.GROUP_GIFT else None
        expiry = (_now() + timedelta(days=days)).isoformat(timespec="seconds")
        v = Voucher(
            pin, self.new_serial(), amount, product.code, "Active", expiry, barcode, reference
        )
        self._vouchers[pin] = v
        self._serials[v.serial] = v
        self.secrets.add(pin)
        return v

    def base(self, data: dict[str, Any], *, tx_id: Any = None, echo: bool = True) -> dict[str, Any]:
        """The fields every success answer starts with; `echo` repeats storeId and terminalId."""
        body: dict[str, Any] = {
            "responseCode": 0,
            "responseMessage": "Success",
            "accountNumber": data["accountNumber"],
            "reference": data["reference"],
            "transactionDate": _now().isoformat(timespec="seconds"),
            "transactionId": tx_id if tx_id is not None else self.next_tx(),
            "metadata": data.get("metadata") or {},
        }
        if echo:
            for name in ("storeId", "terminalId"):
                if data.get(name) is not None:
                    body[name] = data[name]
        return body

    def product_for(self, data: dict[str, Any], group: str) -> Product:
        """The request's product: unknown (2101) or of another family (2257) is declined."""
        code = product_code(data["productCode"])
        product = catalog.PRODUCTS_BY_CODE.get(code) if code is not None else None
        if product is None:
            raise Decline(2101)
        if product.group != group:
            raise Decline(2257)
        return product

    def check_debit(self, product: Product | None, amount: int) -> None:
        """Amount range (2204) and float (2003) checks; raises before anything changes."""
        if product is not None and not product.minimum <= amount <= product.maximum:
            raise Decline(2204)
        if amount > self.float_cents:
            raise Decline(2003)

    def voucher_sale(
        self, kind: str, path: str, data: dict[str, Any], group: str, pin_digits: int, days: int
    ) -> dict[str, Any]:
        """Sell a voucher of ``group`` (gift, Cash Out PIN, Eezi): issue it and debit the float."""
        product = self.product_for(data, group)
        amount = data["amount"]
        self.check_debit(product, amount)
        v = self.issue(product, amount, data["reference"], pin_digits=pin_digits, days=days)
        body = self.base(data)
        body["amount"] = amount
        body["voucher"] = v.to_json()
        return self.commit(
            kind, path, data, body, amount=amount, float_delta=-amount, pin=v.pin, serial=v.serial
        )

    def commit(
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
        """Move the float by `float_delta` and write the sale to the ledger; `body` is returned."""
        self.float_cents += float_delta
        self.ledger.append(
            LedgerEntry(
                data["reference"], kind, path, amount, float_delta, pin, serial,
                tokens or [], body, 200, _now(), original,
            )
        )  # fmt: skip
        return body
