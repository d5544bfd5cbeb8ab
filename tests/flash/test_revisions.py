"""The client in each API revision against the sandbox in the same revision, every endpoint; and a
client on the wrong revision against a strict sandbox: it fails, says which setting to change,
and nothing is committed."""

from __future__ import annotations

import itertools
import types
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest

from tests.support import sandbox_client
from till.flash import FlashClient, FlashDeclined, FlashUnsupported
from till.flash import revision as rev
from till.flash.client import GIFT_VOUCHER_PURCHASE, ONE_VOUCHER_REVERSE
from till.flash.models import (
    CashOutPinCancelRequest,
    CashOutPinLookupRequest,
    CashOutPinPurchaseRequest,
    CellularPinlessPurchaseRequest,
    EeziVoucherPurchaseRequest,
    GiftVoucherPurchaseRequest,
    OneVoucherDisburseRequest,
    OneVoucherPurchaseRequest,
    OneVoucherRedeemRequest,
    OneVoucherRefundRequest,
    UtilityLookupRequest,
    UtilityPurchaseRequest,
)
from till.flash.reversals import ReversalRequest, ReversalResponse
from till.sandbox import DEFAULT_ACCOUNT, Sandbox

ACC = DEFAULT_ACCOUNT
START = 100_000_000
_refs = itertools.count(1)


def ref() -> str:
    return f"RV-{next(_refs)}"


class Pair:
    """A sandbox serving one revision and a client speaking (maybe) another."""

    def __init__(self, sandbox: Sandbox, client: FlashClient) -> None:
        self.sandbox = sandbox
        self.client = client
        self.posted: list[str] = []
        sandbox.on_request = lambda path, raw: self.posted.append(path)


async def pair(served: str, spoken: str) -> AsyncIterator[Pair]:
    sandbox = Sandbox(seed=17, revision=served)
    async with sandbox_client(sandbox, api_revision=spoken) as client:
        yield Pair(sandbox, client)


@pytest.fixture(params=rev.REVISIONS)
async def same(request: pytest.FixtureRequest) -> AsyncIterator[Pair]:
    async for made in pair(request.param, request.param):
        yield made


def test_revisions_and_default() -> None:
    assert rev.REVISIONS == ("2023-04", "2025-05") and rev.DEFAULT_REVISION == "2025-05"
    assert FlashClient(base_url="http://s", api_key="k", account_number=ACC).api_revision == (
        "2025-05"
    )
    with pytest.raises(ValueError, match='"2023-04" \\(the April 2023 document\\)'):
        FlashClient(base_url="http://s", api_key="k", account_number=ACC, api_revision="2024")
    settings = types.SimpleNamespace(
        base_url="http://s",
        api_key=types.SimpleNamespace(get_secret_value=lambda: "k"),
        account_number=ACC,
        token_url="/token",
        connect_timeout=1.0,
        read_timeout=1.0,
        api_revision="2023-04",
    )
    assert FlashClient.from_settings(settings).api_revision == "2023-04"
    assert "api_revision='2023-04'" in repr(FlashClient.from_settings(settings))


def test_endpoint_paths_by_revision() -> None:
    assert GIFT_VOUCHER_PURCHASE.path_for("2023-04") == "/gift-vouchers/purchase"
    assert GIFT_VOUCHER_PURCHASE.path_for("2025-05") == "/gift-voucher/purchase"
    assert ONE_VOUCHER_REVERSE.path_for("2023-04") is None
    assert ONE_VOUCHER_REVERSE.path_for("2025-05") == "/1voucher/reverse"
    assert GIFT_VOUCHER_PURCHASE.revision_dependent and ONE_VOUCHER_REVERSE.revision_dependent


async def test_every_endpoint_in_each_revision(same: Pair) -> None:
    client, sandbox = same.client, same.sandbox
    products = await client.list_products()
    assert {p.product_code for p in products} >= {100, 200, 300, 400, 500, 600}
    reversible = {p.product_code for p in products if p.allow_reversal}
    assert reversible == (set() if client.api_revision == "2023-04" else {100, 300, 500})
    looked = await client.lookup_product(300)
    assert looked.product_code == 300 and looked.maximum_amount == 50_000
    assert looked.allow_reversal is (client.api_revision == "2025-05")

    def common(**fields: Any) -> dict[str, Any]:
        return {"reference": ref(), "account_number": ACC, **fields}

    sold = await client.purchase_1voucher(OneVoucherPurchaseRequest(**common(amount=10_000)))
    assert sold.voucher is not None and sold.voucher.pin is not None
    await client.disburse_1voucher(OneVoucherDisburseRequest(**common(amount=1_000)))
    redeemed = await client.redeem_1voucher(
        OneVoucherRedeemRequest(**common(pin=sold.voucher.pin, amount=4_000))
    )
    assert redeemed.voucher is not None and redeemed.voucher.amount == 6_000
    await client.refund_1voucher(OneVoucherRefundRequest(**common(amount=1_000)))
    gift = await client.purchase_gift_voucher(
        GiftVoucherPurchaseRequest(**common(amount=10_000, product_code=200))
    )
    assert gift.voucher is not None and gift.voucher.barcode
    cash = await client.purchase_cash_out_pin(
        CashOutPinPurchaseRequest(**common(amount=5_000, product_code=300))
    )
    assert cash.voucher is not None and cash.voucher.serial_number
    serial = cash.voucher.serial_number
    await client.lookup_cash_out_pin(
        CashOutPinLookupRequest(**common(serial_number=serial, product_code=300))
    )
    await client.cancel_cash_out_pin(
        CashOutPinCancelRequest(**common(serial_number=serial, product_code=300))
    )
    await client.purchase_pinless(
        CellularPinlessPurchaseRequest(
            **common(amount=1_000, product_code=400, mobile_number="27821234567")
        )
    )
    eezi = await client.purchase_eezi_voucher(
        EeziVoucherPurchaseRequest(**common(amount=1_000, product_code=500))
    )
    await client.lookup_meter(
        UtilityLookupRequest(**common(amount=5_000, meter_number="04040404040"))
    )
    vend = await client.purchase_utility(
        UtilityPurchaseRequest(**common(amount=5_000, meter_number="04040404040"))
    )
    assert vend.credit_tokens

    # reversals: approved on 2025-05; on 2023-04 refused before anything is sent
    voucher = await client.purchase_1voucher(OneVoucherPurchaseRequest(**common(amount=3_000)))
    cash_again = await client.purchase_cash_out_pin(
        CashOutPinPurchaseRequest(**common(amount=2_000, product_code=300))
    )
    originals: list[tuple[Callable[[ReversalRequest], Awaitable[ReversalResponse]], Any]] = [
        (client.reverse_1voucher, voucher),
        (client.reverse_cash_out_pin, cash_again),
        (client.reverse_eezi_voucher, eezi),
    ]
    for method, original in originals:
        request = ReversalRequest(**common(original_reference=original.reference))
        if client.api_revision == "2023-04":
            posted = len(same.posted)
            with pytest.raises(FlashUnsupported) as caught:
                await method(request)
            assert "has no reversals" in caught.value.message
            assert 'api_revision = "2025-05"' in caught.value.message
            assert caught.value.api_revision == "2023-04"
            assert len(same.posted) == posted  # nothing was sent
        else:
            reversed_ = await method(request)
            assert isinstance(reversed_, ReversalResponse)
            assert reversed_.reference == request.reference
            assert reversed_.amount == original.amount
            assert reversed_.voucher is not None and reversed_.voucher.status == "Reversed"
    assert client.reversals_supported is (client.api_revision == "2025-05")
    assert sandbox.float_cents == START + sum(row.float_delta for row in sandbox.ledger)


@pytest.mark.parametrize("spoken", rev.REVISIONS)
async def test_a_till_on_the_wrong_revision_fails_and_says_what_to_set(spoken: str) -> None:
    served = rev.other(spoken)
    async for wrong in pair(served, spoken):
        client, sandbox = wrong.client, wrong.sandbox
        # the catalog still reads (either shape), but the gift sale meets a path Flash lacks
        assert len(await client.list_products()) > 5
        request = GiftVoucherPurchaseRequest(
            reference=ref(), account_number=ACC, amount=10_000, product_code=200
        )
        with pytest.raises(FlashDeclined) as caught:  # definitive: nothing was done
            await client.purchase_gift_voucher(request)
        assert caught.value.http_status == 404 and caught.value.code is None
        assert "api_revision" in caught.value.message and "HTTP 404" in caught.value.message
        assert sandbox.ledger == [] and sandbox.float_cents == START
        probe = await client.probe_revision()
        assert probe.spoken == spoken and probe.products_shape == served
        assert (probe.gift_path, probe.other_gift_path) == (False, True)
        assert probe.answered == served and probe.mismatch
        assert sandbox.ledger == [] and sandbox.float_cents == START  # the probe changed nothing


async def test_probe_on_the_right_revision(same: Pair) -> None:
    probe = await same.client.probe_revision()
    assert probe.spoken == same.client.api_revision == probe.products_shape
    assert probe.gift_path is True and probe.other_gift_path is None
    assert probe.answered is None and not probe.mismatch
    assert len(probe.products) == 13
    gift = GIFT_VOUCHER_PURCHASE.path_for(same.client.api_revision)
    assert same.posted == [f"/aggregation/4.0{gift}"]  # one probe, an empty object
    assert same.sandbox.ledger == [] and same.sandbox.state()["references"] == 0


async def test_reversal_on_a_may_2025_client_against_an_april_2023_flash() -> None:
    async for wrong in pair("2023-04", "2025-05"):
        sold = await wrong.client.purchase_1voucher(
            OneVoucherPurchaseRequest(reference=ref(), account_number=ACC, amount=5_000)
        )
        request = ReversalRequest(
            reference=ref(), account_number=ACC, original_reference=sold.reference or ""
        )
        with pytest.raises(FlashDeclined) as caught:
            await wrong.client.reverse_1voucher(request)
        assert caught.value.http_status == 404 and "api_revision" in caught.value.message
        assert wrong.sandbox.float_cents == START - 5_000


async def test_lookup_reads_both_shapes_in_either_revision() -> None:
    for served, spoken in itertools.product(rev.REVISIONS, rev.REVISIONS):
        async for made in pair(served, spoken):
            product = await made.client.lookup_product(100)
            assert (product.product_code, product.product_name) == (100, "1Voucher")
            assert (product.minimum_amount, product.maximum_amount) == (500, 500_000)
            assert product.allow_reversal is (served == "2025-05")
            with pytest.raises(FlashDeclined) as caught:
                await made.client.lookup_product(999_999)
            assert caught.value.code == 2101
