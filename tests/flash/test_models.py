"""Tests for till.flash.models: strict requests with stable wire bytes, tolerant responses."""

from __future__ import annotations

import json
import string
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError
from pydantic.alias_generators import to_camel

from till.flash.models import (
    CASH_OUT_PIN_MAX_CENTS,
    ID_MAX_LENGTH,
    MAX_AMOUNT_CENTS,
    METADATA_MAX_PROPERTIES,
    METADATA_NAME_MAX_LENGTH,
    METADATA_VALUE_MAX_LENGTH,
    PRODUCT_CODE_MAX,
    REFERENCE_MAX_LENGTH,
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
    ProductDetail,
    ProductList,
    TokenResponse,
    UtilityLookupRequest,
    UtilityLookupResponse,
    UtilityPurchaseRequest,
    UtilityPurchaseResponse,
    UtilityToken,
    Voucher,
    VoucherResponse,
)

# A copy of shared/spec/flash-v4-rev3-samples, kept with the tests (see fixtures/README.md).
SAMPLES = Path(__file__).resolve().parent / "fixtures" / "flash-v4-rev3-samples"

REQUEST_MODELS: list[type[FlashRequest]] = [
    OneVoucherPurchaseRequest,
    OneVoucherDisburseRequest,
    OneVoucherRedeemRequest,
    OneVoucherRefundRequest,
    GiftVoucherPurchaseRequest,
    CashOutPinPurchaseRequest,
    CashOutPinCancelRequest,
    CashOutPinLookupRequest,
    CellularPinlessPurchaseRequest,
    EeziVoucherPurchaseRequest,
    UtilityLookupRequest,
    UtilityPurchaseRequest,
]
UTILITY_MODELS: tuple[type[UtilityLookupRequest | UtilityPurchaseRequest], ...] = (
    UtilityLookupRequest,
    UtilityPurchaseRequest,
)
ALNUM_FIELDS = {
    "account_number",
    "store_id",
    "terminal_id",
    "payment_method",
    "serial_number",
    "meter_number",
}

FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# ---------------------------------------------------------------------------------------------
# Strategies
# ---------------------------------------------------------------------------------------------

DIGITS = string.digits
ALNUM = string.ascii_letters + string.digits
REFERENCE_ALPHABET = ALNUM + "-.="
TRICKY_CHARS = [" ", "_", "/", "+", "\n", "\t", "é", "٣", "Ａ", "ß", "'", '"', ",", ":", "\x00"]

NON_STR = st.one_of(
    st.integers(),
    st.floats(),
    st.booleans(),
    st.binary(min_size=1, max_size=5),
    st.lists(st.integers(), max_size=2),
)
NON_INT = st.one_of(
    st.booleans(),
    st.floats(),
    st.integers(min_value=1, max_value=MAX_AMOUNT_CENTS).map(str),
    st.decimals(allow_nan=False, allow_infinity=False),
    st.text(max_size=5),
    st.lists(st.integers(), max_size=2),
)


def bad_char(alphabet: str) -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from([c for c in TRICKY_CHARS if c not in alphabet]),
        st.characters().filter(lambda c: c not in alphabet),
    )


def with_bad_char(alphabet: str, max_length: int) -> st.SearchStrategy[str]:
    """A string of the right length holding at least one character outside the alphabet."""
    half = (max_length - 1) // 2
    part = st.text(alphabet=alphabet, max_size=half)
    return st.tuples(part, bad_char(alphabet), part).map("".join)


def is_required(model: type[FlashRequest], field: str) -> bool:
    return model.model_fields[field].is_required()


def alias(model: type[FlashRequest], field: str) -> str:
    return model.model_fields[field].alias or to_camel(field)


def valid_value(model: type[FlashRequest], field: str) -> st.SearchStrategy[Any]:
    """Values the document allows for this field of this model."""
    if field == "reference":
        return st.text(alphabet=REFERENCE_ALPHABET, min_size=1, max_size=REFERENCE_MAX_LENGTH)
    if field in ALNUM_FIELDS:
        return st.text(alphabet=ALNUM, min_size=1, max_size=ID_MAX_LENGTH)
    if field == "amount":
        if model is OneVoucherRedeemRequest:
            return st.integers(min_value=0, max_value=MAX_AMOUNT_CENTS)
        if model is CashOutPinPurchaseRequest:
            return st.integers(min_value=1, max_value=CASH_OUT_PIN_MAX_CENTS)
        return st.integers(min_value=1, max_value=MAX_AMOUNT_CENTS)
    if field == "pin":
        return st.text(alphabet=DIGITS, min_size=16, max_size=16)
    if field == "mobile_number":
        return st.text(alphabet=DIGITS, min_size=9, max_size=9).map(lambda s: "27" + s)
    if field == "product_code":
        return st.one_of(
            st.integers(min_value=1, max_value=PRODUCT_CODE_MAX), st.sampled_from([1, 30001])
        )
    if field == "metadata":
        return st.dictionaries(
            st.text(min_size=1, max_size=METADATA_NAME_MAX_LENGTH),
            st.text(max_size=METADATA_VALUE_MAX_LENGTH),
            max_size=METADATA_MAX_PROPERTIES,
        )
    if field == "is_fbe":
        return st.booleans()
    raise KeyError(f"no valid strategy for {model.__name__}.{field}")


def invalid_value(model: type[FlashRequest], field: str) -> st.SearchStrategy[Any]:
    """Values the document (or our own guard) refuses for this field of this model."""
    missing = [st.none()] if is_required(model, field) else []
    if field == "reference":
        return st.one_of(
            st.just(""),
            st.text(alphabet=REFERENCE_ALPHABET, min_size=REFERENCE_MAX_LENGTH + 1, max_size=90),
            with_bad_char(REFERENCE_ALPHABET, REFERENCE_MAX_LENGTH),
            NON_STR,
            *missing,
        )
    if field in ALNUM_FIELDS:
        return st.one_of(
            st.just(""),
            st.text(alphabet=ALNUM, min_size=ID_MAX_LENGTH + 1, max_size=80),
            with_bad_char(ALNUM, ID_MAX_LENGTH),
            NON_STR,
            *missing,
        )
    if field == "amount":
        # Amount 0 for utilities depends on isFBE: covered by its own tests below.
        if model is OneVoucherRedeemRequest or model in UTILITY_MODELS:
            too_small = st.integers(max_value=-1)
        else:
            too_small = st.integers(max_value=0)
        cap = CASH_OUT_PIN_MAX_CENTS if model is CashOutPinPurchaseRequest else MAX_AMOUNT_CENTS
        return st.one_of(too_small, st.integers(min_value=cap + 1), NON_INT, *missing)
    if field == "pin":
        return st.one_of(
            st.text(alphabet=DIGITS, max_size=40).filter(lambda s: len(s) != 16),
            with_bad_char(DIGITS, 16).filter(lambda s: len(s) == 16),
            st.tuples(st.text(alphabet=DIGITS, min_size=15, max_size=15), bad_char(DIGITS)).map(
                "".join
            ),
            st.just("١" * 16),  # Arabic-Indic digits: isdigit() but not ASCII
            st.integers(min_value=10**15, max_value=10**16 - 1),
            NON_STR,
            *missing,
        )
    if field == "mobile_number":
        nine = st.text(alphabet=DIGITS, min_size=9, max_size=9)
        return st.one_of(
            nine.map(lambda s: "0" + s),  # local format with leading 0
            nine.map(lambda s: "+27" + s),
            nine.map(lambda s: "270" + s),
            st.text(alphabet=DIGITS, max_size=20)
            .filter(lambda s: len(s) != 9)
            .map(lambda s: "27" + s),
            st.tuples(
                st.text(alphabet=DIGITS, min_size=2, max_size=2).filter(lambda p: p != "27"), nine
            ).map("".join),
            st.tuples(st.just("27"), with_bad_char(DIGITS, 9).filter(lambda s: len(s) == 9)).map(
                "".join
            ),
            st.integers(min_value=27_000_000_000, max_value=27_999_999_999),
            NON_STR,
            *missing,
        )
    if field == "product_code":
        return st.one_of(
            st.integers(max_value=0),
            st.integers(min_value=PRODUCT_CODE_MAX + 1),
            NON_INT,
            *missing,
        )
    if field == "metadata":
        value = st.text(max_size=METADATA_VALUE_MAX_LENGTH)
        return st.one_of(
            st.dictionaries(
                st.text(min_size=1, max_size=METADATA_NAME_MAX_LENGTH),
                value,
                min_size=METADATA_MAX_PROPERTIES + 1,
                max_size=METADATA_MAX_PROPERTIES + 6,
            ),
            st.text(min_size=METADATA_NAME_MAX_LENGTH + 1, max_size=30).map(lambda k: {k: "x"}),
            st.just({"": "x"}),
            st.text(min_size=METADATA_VALUE_MAX_LENGTH + 1, max_size=90).map(lambda v: {"k": v}),
            st.one_of(st.integers(), st.booleans(), st.none(), st.floats()).map(lambda v: {"k": v}),
            st.one_of(st.text(), st.lists(st.text(), max_size=3), st.integers()),
        )
    if field == "is_fbe":
        return st.one_of(
            st.integers(),
            st.sampled_from(["true", "false", "1", "0", "yes"]),
            st.floats(),
            st.lists(st.booleans(), max_size=1),
        )
    raise KeyError(f"no invalid strategy for {model.__name__}.{field}")


@st.composite
def valid_kwargs(draw: st.DrawFn, model: type[FlashRequest]) -> dict[str, Any]:
    """A full set of valid constructor arguments (python names); optional ones may be None."""
    kwargs: dict[str, Any] = {}
    for field in model.model_fields:
        strategy = valid_value(model, field)
        if not is_required(model, field):
            strategy = st.one_of(st.none(), strategy)
        kwargs[field] = draw(strategy)
    if model in UTILITY_MODELS:
        # FBE carries amount 0; every other utility sale needs an amount.
        if kwargs["is_fbe"]:
            kwargs["amount"] = 0
        elif kwargs["amount"] == 0:
            kwargs["amount"] = 1
    return kwargs


def error_locs(exc: ValidationError) -> set[Any]:
    return {err["loc"][0] if err["loc"] else None for err in exc.errors()}


# ---------------------------------------------------------------------------------------------
# Requests: refusal of bad input
# ---------------------------------------------------------------------------------------------

ALL_FIELDS = sorted({field for model in REQUEST_MODELS for field in model.model_fields})


def test_every_field_of_every_request_has_strategies() -> None:
    for model in REQUEST_MODELS:
        for field in model.model_fields:
            valid_value(model, field)
            invalid_value(model, field)


@pytest.mark.parametrize("field", ALL_FIELDS)
@FAST
@given(data=st.data())
def test_invalid_field_value_is_refused_naming_the_field(field: str, data: st.DataObject) -> None:
    model = data.draw(st.sampled_from([m for m in REQUEST_MODELS if field in m.model_fields]))
    kwargs = data.draw(valid_kwargs(model))
    bad = data.draw(invalid_value(model, field))
    kwargs[field] = bad
    with pytest.raises(ValidationError) as info:
        model(**kwargs)
    # pydantic names the key it was given: the python name here, the wire name for JSON input
    assert error_locs(info.value) == {field} or error_locs(info.value) == {alias(model, field)}
    for err in info.value.errors():
        assert err["msg"], "a cashier needs a message"
        assert not err["msg"].startswith("Value error"), err["msg"]


@pytest.mark.parametrize("model", UTILITY_MODELS, ids=lambda m: m.__name__)
@FAST
@given(data=st.data(), amount=st.integers(min_value=1, max_value=MAX_AMOUNT_CENTS))
def test_fbe_with_an_amount_is_refused(
    model: type[FlashRequest], data: st.DataObject, amount: int
) -> None:
    kwargs = data.draw(valid_kwargs(model))
    kwargs.update(is_fbe=True, amount=amount)
    with pytest.raises(ValidationError) as info:
        model(**kwargs)
    assert error_locs(info.value) == {"amount"}
    assert "Amount cannot be greater than 0 for an FBE purchase" in str(info.value)


@pytest.mark.parametrize("model", UTILITY_MODELS, ids=lambda m: m.__name__)
@pytest.mark.parametrize("is_fbe", [None, False])
def test_non_fbe_utility_needs_an_amount(
    model: type[UtilityLookupRequest | UtilityPurchaseRequest], is_fbe: bool | None
) -> None:
    with pytest.raises(ValidationError) as info:
        model(reference="r1", account_number="A1", amount=0, meter_number="0123", is_fbe=is_fbe)
    assert error_locs(info.value) == {"amount"}


def test_cash_out_cap_is_r500() -> None:
    base = {"reference": "r", "account_number": "A", "product_code": 7}
    assert CashOutPinPurchaseRequest(amount=50_000, **base).amount == 50_000
    with pytest.raises(ValidationError, match=r"R500\.00"):
        CashOutPinPurchaseRequest(amount=50_001, **base)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("pin", "123", "PIN must be exactly 16 digits"),
        ("amount", -5, "Amount cannot be negative"),
        ("amount", 12.5, "Amount must be a whole number of cents"),
        ("mobile_number", "0821234567", "27 followed by 9 digits"),
        ("reference", "a b", "Reference may only contain"),
        ("account_number", "12-34", "Account number may only contain letters and digits"),
        ("metadata", {str(i): "v" for i in range(10)}, "at most 9 properties"),
        ("metadata", {"k": "v" * 44}, "at most 43 characters"),
        ("metadata", {"k" * 11: "v"}, "1 to 10 characters"),
    ],
)
def test_messages_a_cashier_understands(field: str, value: Any, message: str) -> None:
    kwargs: dict[str, Any] = {
        "reference": "r",
        "account_number": "A",
        "pin": "1" * 16,
        "amount": 0,
    }
    kwargs[field] = value
    with pytest.raises(ValidationError, match=message):
        OneVoucherRedeemRequest(**kwargs)


def test_errors_never_echo_the_typed_pin() -> None:
    pin = "12345678901234567"  # 17 digits: a typo'd but real-looking PIN
    with pytest.raises(ValidationError) as info:
        OneVoucherRedeemRequest(reference="r", account_number="A", pin=pin, amount=0)
    assert pin not in str(info.value)


def test_requests_are_frozen_and_refuse_unknown_fields() -> None:
    request = OneVoucherPurchaseRequest(reference="r", account_number="A", amount=100)
    with pytest.raises(ValidationError):
        request.amount = 200  # type: ignore[misc]
    with pytest.raises(ValidationError) as info:
        OneVoucherPurchaseRequest(
            reference="r",
            account_number="A",
            amount=100,
            colour="red",  # type: ignore[call-arg]
        )
    assert error_locs(info.value) == {"colour"}


# ---------------------------------------------------------------------------------------------
# Requests: wire bytes
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("model", REQUEST_MODELS, ids=lambda m: m.__name__)
@FAST
@given(data=st.data())
def test_valid_values_round_trip_through_to_wire(
    model: type[FlashRequest], data: st.DataObject
) -> None:
    kwargs = data.draw(valid_kwargs(model))
    request = model(**kwargs)
    wire = request.to_wire()
    decoded = json.loads(wire)

    sent = [field for field in model.model_fields if kwargs[field] is not None]
    assert list(decoded) == [alias(model, field) for field in sent]  # declaration order
    assert decoded == {alias(model, field): kwargs[field] for field in sent}
    # compact: exactly the bytes of the same object encoded without spaces (a value may itself
    # hold '": ', so the check is on the whole encoding, not a search for separators)
    compact = json.dumps(decoded, separators=(",", ":"), ensure_ascii=False).encode()
    assert wire == compact or wire == json.dumps(decoded, separators=(",", ":")).encode()

    if "productCode" in decoded:
        assert type(decoded["productCode"]) is int
    if "mobileNumber" in decoded:
        assert type(decoded["mobileNumber"]) is str
    if "isFBE" in decoded:
        assert type(decoded["isFBE"]) is bool
        assert b'"isFBE":' in wire
    assert b"isFbe" not in wire and b"is_fbe" not in wire
    assert type(decoded.get("amount", 0)) is int

    # byte-identical on a second construction and after a trip through the journal
    assert model(**kwargs).to_wire() == wire
    assert model.model_validate_json(wire) == request
    assert model.model_validate_json(wire).to_wire() == wire
    assert model.model_validate(decoded).to_wire() == wire


@FAST
@given(
    items=st.lists(
        st.tuples(
            st.text(min_size=1, max_size=METADATA_NAME_MAX_LENGTH),
            st.text(max_size=METADATA_VALUE_MAX_LENGTH),
        ),
        max_size=METADATA_MAX_PROPERTIES,
        unique_by=lambda kv: kv[0],
    )
)
def test_metadata_order_does_not_change_the_bytes(items: list[tuple[str, str]]) -> None:
    one = OneVoucherPurchaseRequest(
        reference="r", account_number="A", amount=1, metadata=dict(items)
    )
    two = OneVoucherPurchaseRequest(
        reference="r", account_number="A", amount=1, metadata=dict(reversed(items))
    )
    assert one.to_wire() == two.to_wire()


def test_to_wire_exact_bytes() -> None:
    request = UtilityPurchaseRequest(
        reference="S1-T2-000042",
        account_number="8444373691",
        amount=0,
        meter_number="01234567890",
        store_id="S1",
        terminal_id="T2",
        is_fbe=True,
        metadata={"till": "T2", "cashier": "Thandi"},
    )
    assert request.to_wire() == (
        b'{"reference":"S1-T2-000042","accountNumber":"8444373691","amount":0,'
        b'"meterNumber":"01234567890","storeId":"S1","terminalId":"T2","isFBE":true,'
        b'"metadata":{"cashier":"Thandi","till":"T2"}}'
    )
    pinless = CellularPinlessPurchaseRequest(
        reference="r.1=x",
        account_number="A1",
        amount=1000,
        product_code=123,
        mobile_number="27821234567",
    )
    assert pinless.to_wire() == (
        b'{"reference":"r.1=x","accountNumber":"A1","amount":1000,"productCode":123,'
        b'"mobileNumber":"27821234567"}'
    )


def test_requests_accept_wire_names_too() -> None:
    wire = {"reference": "r", "accountNumber": "A", "amount": 1, "meterNumber": "1", "isFBE": False}
    request = UtilityLookupRequest.model_validate(wire)
    assert request.is_fbe is False
    assert json.loads(request.to_wire()) == wire


# ---------------------------------------------------------------------------------------------
# PINs and tokens stay out of reprs
# ---------------------------------------------------------------------------------------------

PIN = "9876543210123456"


def test_request_repr_hides_pin() -> None:
    request = OneVoucherRedeemRequest(reference="r", account_number="A", pin=PIN, amount=0)
    assert PIN not in repr(request)
    assert PIN not in str(request)
    assert PIN in request.to_wire().decode()  # but it is sent


def test_voucher_and_response_reprs_hide_pins_and_tokens() -> None:
    voucher = Voucher.model_validate({"pin": PIN, "serialNumber": "S1"})
    assert voucher.pin == PIN
    assert PIN not in repr(voucher) and PIN not in str(voucher)

    response = VoucherResponse.model_validate(
        {
            "responseCode": 0,
            "voucher": {"pin": PIN},
            "changeVoucher": {"pin": PIN, "amount": 100},  # unknown, but still secret
            "pinCode": PIN,
        }
    )
    assert PIN not in repr(response)
    assert response.model_extra is not None
    assert response.model_extra["changeVoucher"]["pin"] == PIN  # kept, only hidden

    token = UtilityToken.model_validate({"token": "12345678901234567890"})
    assert "12345678901234567890" not in repr(token)

    access = TokenResponse.model_validate({"access_token": "secret-abc", "expires_in": 3600})
    assert access.access_token == "secret-abc"
    assert "secret-abc" not in repr(access)


# ---------------------------------------------------------------------------------------------
# Responses: the later revision's samples (tests/flash/fixtures, copied from shared/spec)
# ---------------------------------------------------------------------------------------------

SAMPLE_MODELS: dict[str, type[BaseModel]] = {
    "1voucher-purchase": VoucherResponse,
    "1voucher-redeem": VoucherResponse,
    "1voucher-reverse": VoucherResponse,
    "cash-out-pin-lookup": VoucherResponse,
    "cellular-international-lookup": FlashResponse,
    "cellular-pinless-purchase": PinlessResponse,
    "error-2402-voucher-not-found": FlashResponse,
    "flash-pay-balance": FlashResponse,
    "gift-voucher-purchase": VoucherResponse,
    "prepaid-utilities-lookup": UtilityLookupResponse,
    "prepaid-utilities-purchase": UtilityPurchaseResponse,
    "products-list": ProductList,
    "token": TokenResponse,
}


def load_sample(name: str) -> Any:
    return json.loads((SAMPLES / f"{name}.response.json").read_text("utf-8"))


def parse(model: type[BaseModel], data: Any) -> BaseModel:
    if model is ProductList:
        return ProductList.from_json(data)
    return model.model_validate(data)


def test_every_sample_has_a_model() -> None:
    names = {p.name.removesuffix(".response.json") for p in SAMPLES.glob("*.response.json")}
    assert names == set(SAMPLE_MODELS), names ^ set(SAMPLE_MODELS)
    for sample in SAMPLES.glob("*.json"):  # each keeps its provenance beside it
        assert sample.with_name(sample.name.removesuffix(".json") + ".src.txt").is_file(), sample


@pytest.mark.parametrize("name", sorted(SAMPLE_MODELS))
def test_sample_parses(name: str) -> None:
    data = load_sample(name)
    model = parse(SAMPLE_MODELS[name], data)
    if isinstance(model, FlashResponse):
        assert model.response_code == data["responseCode"]
        if "transactionId" in data:
            assert model.transaction_id == str(data["transactionId"])
        if "metadata" in data:
            assert model.metadata == data["metadata"]


def test_rev3_samples_details() -> None:
    error = FlashResponse.model_validate(load_sample("error-2402-voucher-not-found"))
    assert error.response_code == 2402
    assert error.transaction_id == "257901"
    assert error.model_extra == {"path": "/api/v4/1voucher/redeem"}

    reverse = VoucherResponse.model_validate(load_sample("1voucher-reverse"))
    assert reverse.voucher is not None and reverse.voucher.redemption_date == "string"
    assert reverse.mobile_number == "string"

    gift = VoucherResponse.model_validate(load_sample("gift-voucher-purchase"))
    assert gift.voucher is not None and gift.voucher.barcode == "string"
    assert gift.voucher.content is not None
    assert gift.voucher.content.terms_and_conditions == "string"

    products = ProductList.from_json(load_sample("products-list"))
    assert products.response_code == 0
    (product,) = products.products
    assert product.product_code == 0 and product.allow_reversal is True
    assert product.model_extra == {"billerCode": "string"}

    lookup = UtilityLookupResponse.model_validate(load_sample("prepaid-utilities-lookup"))
    assert lookup.is_fbe is True and lookup.transaction_id == "string"
    assert lookup.meter_info is not None and lookup.meter_info.utility_info is not None
    assert lookup.meter_info.utility_info.name == "string"


def test_rev3_utility_purchase_sample_is_fully_modelled() -> None:
    purchase = UtilityPurchaseResponse.model_validate(load_sample("prepaid-utilities-purchase"))
    assert purchase.model_extra == {}  # `meterinfo` and friends were all recognised
    meter = purchase.meter_info
    assert meter is not None and meter.model_extra == {}
    assert meter.meter_number == "string"
    assert meter.key_revision_number == "0"  # number on the wire, string in the model
    assert meter.old_supply_group_code == "string" and meter.consumer_message == "string"
    assert meter.utility_info is not None and meter.utility_info.name == "string"
    assert purchase.billing_info is not None
    assert purchase.billing_info.units == 0 and purchase.billing_info.receipt_number == ""
    assert purchase.billing_info.transaction_number == "0"
    assert purchase.debt_charge is not None and purchase.debt_charge.description == "string"
    assert [c.description for c in purchase.fixed_costs] == ["string"]
    assert purchase.tariff_blocks is not None
    assert purchase.tariff_blocks[0].units == 0  # the "units " key with a trailing space
    assert purchase.tariff_blocks[0].model_extra == {}
    (token,) = purchase.tokens
    assert token.serial_number == "string" and token.token == "string"
    assert purchase.credit_tokens == [token]


def test_token_sample() -> None:
    token = TokenResponse.model_validate(load_sample("token"))
    assert token.expires_in == 3600 and token.token_type == "Bearer"
    assert token.access_token == "13035646-274b-30d9-b666-706c8f4dbab4"


# ---------------------------------------------------------------------------------------------
# Responses: April 2023 shapes (section 3) and normalisation
# ---------------------------------------------------------------------------------------------


def test_1voucher_purchase_april_shape() -> None:
    response = VoucherResponse.model_validate(
        {
            "responseCode": "0",
            "responseMessage": "Success",
            "accountNumber": "8444373691",
            "reference": "S1-T2-1",
            "transactionDate": "2023-04-01T10:00:00",
            "transactionId": 123456789,
            "metadata": {"till": "T2"},
            "storeId": "S1",
            "terminalId": "T2",
            "amount": 5000,
            "voucher": {
                "amount": 5000,
                "expiryDate": "2026-04-01",
                "pin": PIN,
                "serialNumber": 556677,
                "status": "Active",
                "content": {"redemptionInstructions": "Dial *120#", "termsAndConditions": "T&C"},
            },
            "somethingNew": {"nested": [1, 2]},
        }
    )
    assert response.response_code == 0
    assert response.transaction_id == "123456789"
    assert response.amount == 5000
    assert response.voucher is not None
    assert response.voucher.pin == PIN and response.voucher.serial_number == "556677"
    assert response.voucher.content is not None
    assert response.voucher.content.redemption_instructions == "Dial *120#"
    assert response.model_extra == {"somethingNew": {"nested": [1, 2]}}


def test_response_code_is_required() -> None:
    with pytest.raises(ValidationError):
        FlashResponse.model_validate({"responseMessage": "no code"})


def test_pinless_april_shape_mobile_number_as_number() -> None:
    response = PinlessResponse.model_validate(
        {
            "responseCode": 0,
            "transactionId": 42,
            "amount": 1000,
            "mobileNumber": 27821234567,
            "rechargeDetails": {
                "rechargeType": "Airtime",
                "callCentre": "135",
                "rechargeVendor": "Vodacom",
            },
        }
    )
    assert response.mobile_number == "27821234567"
    assert response.transaction_id == "42"
    assert response.recharge_details is not None
    assert response.recharge_details.recharge_vendor == "Vodacom"


def test_product_list_both_shapes_and_single_product() -> None:
    entries = [
        {"productCode": "123", "productName": "Vodacom R10", "minimumAmount": 1000,
         "maximumAmount": 1000, "status": "Active"},
        {"productCode": 456, "productName": "Gift", "minimumAmount": 500,
         "maximumAmount": 100000, "status": 1, "productGroup": "Gift Vouchers"},
    ]  # fmt: skip
    bare = ProductList.from_json(entries)
    wrapped = ProductList.from_json(
        {"responseCode": 0, "responseMessage": "ok", "products": entries}
    )
    from_bytes = ProductList.from_json(json.dumps(entries).encode())
    for products in (bare, wrapped, from_bytes):
        assert [p.product_code for p in products.products] == [123, 456]
        assert [p.status for p in products.products] == ["Active", 1]
    assert bare.response_code is None and wrapped.response_code == 0
    assert ProductList.from_json({"responseCode": 2402, "products": None}).products == []

    detail = {
        "id": 9, "productCode": "30001", "productName": "1Voucher", "minimumAmount": 500,
        "maximumAmount": 300000, "status": 0, "supplierName": "Flash", "supplierCode": 1,
        "vendorName": "Flash", "vendorCode": 2, "productType": 3, "productUPC": "6001234",
        "redemptionInstructions": "Redeem online", "termsAndConditions": "T&C",
        "productParameters": {"additionalProp1": "x"},
        "created": "2023-03-15T09:07:02.246Z", "updated": "2023-03-15T09:07:02.246Z",
    }  # fmt: skip
    parsed = ProductDetail.model_validate(detail)
    assert parsed.product_code == 30001 and parsed.product_upc == "6001234"
    assert parsed.model_extra == {}
    assert [p.product_code for p in ProductList.from_json(detail).products] == [30001]


def test_meter_lookup_april_shape_with_numbers() -> None:
    response = UtilityLookupResponse.model_validate(
        {
            "responseCode": 0,
            "amount": 0,
            "transactionId": "T-1",
            "billingInfo": {"arrearValue": 0, "arrearDesc": "", "maximumVendValue": 300000,
                            "minimumVendValue": 1000, "tariffName": "Homelight"},
            "meterInfo": {
                "algorithmCode": "07",
                "customerInfo": {"address": "1 Main Rd", "name": "N Dlamini"},
                "keyRevisionNumber": 1, "meterNumber": "01234567890", "supplyGroupCode": 123456,
                "tariffIndex": "01", "tokenTechnology": "02",
                "utilityInfo": {"address": "Civic Centre", "callCentre": "0800",
                                "name": "City Power", "vatNumber": "4000"},
            },
            "isFBE": False,
        }
    )  # fmt: skip
    assert response.is_fbe is False
    meter = response.meter_info
    assert meter is not None and meter.meter_number == "01234567890"
    assert meter.key_revision_number == "1" and meter.supply_group_code == "123456"
    assert meter.tariff_index == "01"
    assert meter.customer_info is not None and meter.customer_info.name == "N Dlamini"
    assert meter.utility_info is not None and meter.utility_info.name == "City Power"
    assert response.billing_info is not None
    assert response.billing_info.maximum_vend_value == 300000


KEY_CHANGE_1 = "1111 2222 3333 4444 5555"
KEY_CHANGE_2 = "6666 7777 8888 9999 0000"
CREDIT = "1234 5678 9012 3456 7890"
FBE = "0987 6543 2109 8765 4321"

APRIL_PURCHASE: dict[str, Any] = {
    "responseCode": 0,
    "responseMessage": "Success",
    "accountNumber": "8444373691",
    "reference": "S1-T2-7",
    "transactionDate": "2023-04-01T10:00:00",
    "transactionId": 777,
    "storeId": "S1",
    "terminalId": "T2",
    "amount": 10000,
    "billingInfo": {"arrearValue": 0, "arrearDesc": "", "maximumVendValue": 300000,
                    "minimumVendValue": 1000, "tariffName": "Homelight"},
    "debt": {"value": 1500, "description": "Arrears", "outstanding": "3000",
             "tariffDescription": "Debt", "tax": 196, "taxInvoiceNumber": "INV1"},
    "fixedCost": [{"value": 800, "description": "Service fee", "tariffDescription": "Fixed",
                   "tax": 104}],
    "keyChangeTokenData": {"keyRevisionNumber": 2, "supplyGroupCode": 654321, "tariffIndex": 1},
    "meterInfo": {
        "algorithmCode": "07", "customerInfo": {"address": "1 Main Rd", "name": "N Dlamini"},
        "keyRevisionNumber": 1, "meterNumber": "01234567890", "supplyGroupCode": 123456,
        "tariffIndex": 1, "tokenTechnology": "02",
        "utilityInfo": {"address": "Civic Centre", "callCentre": "0800", "name": "City Power",
                        "vatNumber": "4000"},
    },
    "tariffBlocks": [{"amount": 7700, "costPerUnit": 1.5, "units": "51.3"}],
    "tokens": [
        {"value": 0, "tariffDescription": "", "tariffName": "", "tax": 0,
         "token": KEY_CHANGE_1, "tokenDescription": "Key Change Token 1", "type": "Key Change",
         "units": {"description": "", "quantity": 0, "unitType": "kWh"}},
        {"value": 0, "token": KEY_CHANGE_2, "tokenDescription": "Key Change Token 2",
         "type": "KEY_CHANGE"},
        {"value": 7700, "tariffDescription": "Homelight", "tariffName": "Homelight", "tax": 1004,
         "token": CREDIT, "tokenDescription": "Credit Token", "type": "Standard",
         "units": {"description": "Electricity", "quantity": 51.3, "unitType": "kWh"}},
        {"value": 0, "token": FBE, "tokenDescription": "Free Basic Electricity", "type": "FBE"},
    ],
}  # fmt: skip

REV3_PURCHASE: dict[str, Any] = {
    "responseCode": 0,
    "responseMessage": "Success",
    "accountNumber": "8444373691",
    "reference": "S1-T2-7",
    "transactionDate": "2024-07-01T10:00:00",
    "transactionId": "777",
    "storeId": "S1",
    "terminalId": "T2",
    "amount": 10000,
    "billingInfo": {"taxAmount": 1004, "unitType": "kWh", "units": 51.3, "freeUnits": 50,
                    "exclusiveAmount": 6696, "receiptNumber": "R1", "transactionNumber": 88},
    "charges": {"debt": {"value": 1500, "description": "Arrears"},
                "fixedCost": [{"value": 800, "description": "Service fee"}]},
    "meterinfo": {
        "meterNumber": "01234567890", "keyRevisionNumber": 2, "supplyGroupCode": 654321,
        "tariffIndex": 1, "tokenTechnology": "02", "algorithmCode": "07",
        "oldSupplyGroupCode": "123456", "oldTariffIndex": "01", "oldKeyRevisionNumber": "1",
        "newSupplyGroupCode": "654321", "newTariffIndex": "01", "newKeyRevisionNumber": "2",
        "customerInfo": {"name": "N Dlamini", "address": "1 Main Rd"},
        "utilityInfo": {"address": "Civic Centre", "callCentre": "0800",
                        "utilityname": "City Power", "vatNumber": "4000"},
        "consumerMessage": "Enter key change tokens first", "tariffName": "Homelight",
    },
    "tokens": [
        {"tokenDescription": "Key Change Token 1", "serialNumber": "SN1", "token": KEY_CHANGE_1},
        {"tokenDescription": "key-change token 2", "serialNumber": "SN2", "token": KEY_CHANGE_2},
        {"tokenDescription": "Standard Token", "serialNumber": "SN3", "token": CREDIT},
        {"tokenDescription": "FBE Token", "serialNumber": "SN4", "token": FBE},
    ],
    "tariffBlocks": [{"amount": 7700, "units ": 51.3, "costPerUnit": "1.50",
                      "tariffName": "Homelight"}],
}  # fmt: skip


@pytest.mark.parametrize("data", [APRIL_PURCHASE, REV3_PURCHASE], ids=["april2023", "rev3"])
def test_utility_purchase_shapes_normalise_alike(data: dict[str, Any]) -> None:
    response = UtilityPurchaseResponse.model_validate(data)
    assert response.transaction_id == "777"
    assert [t.token for t in response.tokens] == [KEY_CHANGE_1, KEY_CHANGE_2, CREDIT, FBE]
    assert [t.token for t in response.key_change_tokens] == [KEY_CHANGE_1, KEY_CHANGE_2]
    assert [t.token for t in response.credit_tokens] == [CREDIT]
    assert [t.token for t in response.fbe_tokens] == [FBE]
    meter = response.meter_info
    assert meter is not None and meter.meter_number == "01234567890"
    assert meter.utility_info is not None and meter.utility_info.name == "City Power"
    assert meter.customer_info is not None and meter.customer_info.name == "N Dlamini"
    debt = response.debt_charge
    assert debt is not None and debt.value == 1500 and debt.description == "Arrears"
    assert [(c.value, c.description) for c in response.fixed_costs] == [(800, "Service fee")]
    assert response.tariff_blocks is not None
    block = response.tariff_blocks[0]
    assert block.units == Decimal("51.3") and block.cost_per_unit in (Decimal("1.5"), 1.5)
    assert not isinstance(block.cost_per_unit, float)  # money-ish numbers are never floats
    assert response.model_extra == {}


def test_april_utility_purchase_details() -> None:
    response = UtilityPurchaseResponse.model_validate(APRIL_PURCHASE)
    assert response.key_change_token_data is not None
    assert response.key_change_token_data.supply_group_code == "654321"
    credit = response.credit_tokens[0]
    assert credit.units is not None and credit.units.quantity == Decimal("51.3")
    assert credit.value == 7700 and credit.tax == 1004


def test_utility_token_accepts_a_number_and_no_tokens() -> None:
    token = UtilityToken.model_validate({"token": 12345678901234567890, "type": "Credit"})
    assert token.token == "12345678901234567890"
    assert not token.is_key_change and not token.is_fbe
    empty = UtilityPurchaseResponse.model_validate({"responseCode": 2230, "tokens": None})
    assert empty.tokens == [] and empty.fixed_costs == [] and empty.debt_charge is None
