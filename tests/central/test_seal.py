"""The store key and sealing: PINs and tokens leave the till only encrypted, or as null."""

from __future__ import annotations

import json
import os
import re
import stat
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from till.central import seal as seal_module
from till.central.redact import (
    _NOT_SECRET,
    _SECRET_LISTS,
    jsonb_text,
    redact_json,
    redact_json_text,
)
from till.central.seal import (
    KeyFileError,
    SealDamaged,
    SealKey,
    SealWrongKey,
    generate_key_file,
    seal,
    seal_record,
    unseal,
    unseal_record,
)

#: The later revision's sample bodies, as copied into the suite (tests/flash/fixtures/README.md).
SPEC = Path(__file__).resolve().parents[1] / "flash" / "fixtures" / "flash-v4-rev3-samples"
PIN = "1234567890123456"
TOKEN = "12345678901234567890"

# -- the key file -------------------------------------------------------------------------------


def test_generated_key_file_is_private_and_loads_back(tmp_path: Path) -> None:
    path = tmp_path / "store.key"
    key = generate_key_file(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    text = path.read_text()
    assert len(text.strip()) == 64 and int(text, 16) >= 0  # 64 hex characters
    assert SealKey.load(path) == key
    assert [p.name for p in tmp_path.iterdir()] == ["store.key"]  # no temporary file left


def test_generate_refuses_to_overwrite_a_key(tmp_path: Path) -> None:
    path = tmp_path / "store.key"
    first = generate_key_file(path)
    with pytest.raises(KeyFileError, match="never overwritten"):
        generate_key_file(path)
    assert SealKey.load(path) == first


@pytest.mark.parametrize("mode", [0o640, 0o604, 0o644, 0o660])
def test_a_key_others_can_read_is_refused_with_advice(tmp_path: Path, mode: int) -> None:
    path = tmp_path / "store.key"
    generate_key_file(path)
    os.chmod(path, mode)
    with pytest.raises(KeyFileError, match=r"chmod 600"):
        SealKey.load(path)


@pytest.mark.parametrize(
    "content", ["", "abc\n", "zz" * 32, "00" * 31, "00" * 33, "00" * 32 + "00", "\x00" * 64]
)
def test_a_file_that_is_not_a_key_is_refused(tmp_path: Path, content: str) -> None:
    path = tmp_path / "store.key"
    path.write_text(content)
    path.chmod(0o600)
    with pytest.raises(KeyFileError, match="64 hexadecimal characters") as caught:
        SealKey.load(path)
    assert "till central keygen" in str(caught.value)


def test_a_missing_key_file_says_how_to_make_one(tmp_path: Path) -> None:
    with pytest.raises(KeyFileError, match="till central keygen"):
        SealKey.load(tmp_path / "nope.key")


def test_a_directory_or_symlink_is_not_a_key(tmp_path: Path) -> None:
    (tmp_path / "dir").mkdir(mode=0o700)
    with pytest.raises(KeyFileError):
        SealKey.load(tmp_path / "dir")
    real = tmp_path / "real.key"
    generate_key_file(real)
    (tmp_path / "link.key").symlink_to(real)
    with pytest.raises(KeyFileError):
        SealKey.load(tmp_path / "link.key")


def test_the_key_never_shows_in_a_repr(tmp_path: Path) -> None:
    key = generate_key_file(tmp_path / "k")
    assert key.key.hex() not in repr(key) and key.key.hex() not in str(key)
    assert "id=" in repr(key)


# -- sealing ------------------------------------------------------------------------------------


def test_seal_round_trips_and_never_repeats() -> None:
    key = SealKey.generate()
    one, two = seal(key, "R-1", b"secret"), seal(key, "R-1", b"secret")
    assert one != two  # a fresh nonce every time
    assert b"secret" not in one
    assert unseal(key, "R-1", one) == unseal(key, "R-1", two) == b"secret"
    assert one[0] == 1 and one[1:5] == key.key_id


def test_another_key_is_named_as_such() -> None:
    blob = seal(SealKey.generate(), "R-1", b"secret")
    with pytest.raises(SealWrongKey, match="another store key"):
        unseal(SealKey.generate(), "R-1", blob)


def test_a_blob_moved_to_another_row_does_not_open() -> None:
    key = SealKey.generate()
    with pytest.raises(SealDamaged, match="damaged"):
        unseal(key, "R-2", seal(key, "R-1", b"secret"))


def test_every_tampered_byte_is_caught() -> None:
    key = SealKey.generate()
    blob = seal(key, "R-1", b"the PIN is here")
    for i in range(len(blob)):
        changed = bytearray(blob)
        changed[i] ^= 0x01
        with pytest.raises((SealDamaged, SealWrongKey)):
            unseal(key, "R-1", bytes(changed))
    for cut in (0, 1, 5, 17, len(blob) - 1):
        with pytest.raises(SealDamaged):
            unseal(key, "R-1", blob[:cut])


@given(request=st.binary(max_size=300), response=st.none() | st.text(max_size=300))
def test_a_record_comes_back_byte_for_byte(request: bytes, response: str | None) -> None:
    key = SealKey(b"\x07" * 32)
    record = unseal_record(key, "R-9", seal_record(key, "R-9", request, response))
    assert record.request == request and record.response_json == response


@given(request=st.binary(max_size=100), response=st.none() | st.text(max_size=100))
def test_a_record_is_the_json_it_always_was(request: bytes, response: str | None) -> None:
    """Blobs sealed before the record was written by hand must still open: same bytes."""
    key = SealKey(b"\x07" * 32)
    text = request.decode("utf-8", errors="surrogateescape")
    expected = json.dumps({"request": text, "response": response}, separators=(",", ":"))
    assert unseal(key, "R-9", seal_record(key, "R-9", request, response)) == expected.encode()


def test_redaction_is_still_importable_from_seal() -> None:
    assert seal_module.redact_json_text is redact_json_text
    assert seal_module.redact_json is redact_json and seal_module.jsonb_text is jsonb_text


def test_a_sealed_value_that_is_not_a_record_is_damaged() -> None:
    key = SealKey.generate()
    with pytest.raises(SealDamaged):
        unseal_record(key, "R-1", seal(key, "R-1", b"not json"))


# -- redaction ----------------------------------------------------------------------------------


def _strings(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in [str(k), *_strings(v)]]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return [str(value)]


def test_the_spec_samples_are_there() -> None:
    """The parametrised check below must never pass by having nothing to check."""
    assert len(list(SPEC.glob("*.json"))) >= 20


@pytest.mark.parametrize("sample", sorted(p.name for p in SPEC.glob("*.json")))
def test_every_pin_and_token_of_the_spec_samples_is_null(sample: str) -> None:
    data = json.loads((SPEC / sample).read_text())
    text = json.dumps(data)
    redacted = redact_json(text)
    assert redacted is not None

    def check(original: Any, after: Any, key: str = "") -> None:
        if isinstance(original, dict):
            for k, v in original.items():
                check(v, after[k], k)
        elif isinstance(original, list):
            for o, a in zip(original, after, strict=True):
                check(o, a, key)
        elif key in {"pin", "token", "access_token"}:
            assert after is None, (sample, key)
        else:
            assert after == original, (sample, key)  # nothing else is touched

    check(data, redacted)


def test_a_utility_purchase_keeps_everything_but_the_tokens() -> None:
    response = {
        "responseCode": 0,
        "tokens": [
            {"token": TOKEN, "tokenDescription": "Key Change Token 1", "value": 0, "type": "KC"},
            {"token": "98765432109876543210", "value": 4348, "units": {"quantity": 17.4}},
            "11112222333344445555",
        ],
        "keyChangeTokenData": {"keyRevisionNumber": 2, "supplyGroupCode": 123456},
        "meterInfo": {"tokenTechnology": "02", "meterNumber": "04040404040"},
        "token_type": "Bearer",
        "access_token": "abc-def",
        "voucherPin": PIN,
        "oneVoucherPin": 1234567890123456,
        "stsToken": {"nested": "x"},
        "Password": "hunter2",
    }
    redacted = redact_json(json.dumps(response))
    assert redacted is not None
    assert redacted["tokens"][0] == {
        "token": None,
        "tokenDescription": "Key Change Token 1",
        "value": 0,
        "type": "KC",
    }
    assert redacted["tokens"][1] == {"token": None, "value": 4348, "units": {"quantity": 17.4}}
    assert redacted["tokens"][2] is None
    assert redacted["keyChangeTokenData"] == response["keyChangeTokenData"]
    assert redacted["meterInfo"] == response["meterInfo"]
    assert redacted["token_type"] == "Bearer"
    for secret in ("access_token", "voucherPin", "oneVoucherPin", "stsToken", "Password"):
        assert redacted[secret] is None, secret


def test_a_pin_quoted_in_any_text_is_hidden() -> None:
    text = json.dumps(
        {
            "responseMessage": f"Voucher {PIN[:4]} {PIN[4:8]} {PIN[8:12]} {PIN[12:]} redeemed",
            "metadata": {"note": f"token {TOKEN}"},
            "list": ["ok", f"x{PIN}"],
            "meterNumber": "04040404040",
            "mobileNumber": "0821234567",
            "serialNumber": "200000000001",
        }
    )
    redacted = redact_json(text)
    assert redacted is not None
    assert redacted["responseMessage"] is None
    assert redacted["metadata"] == {"note": None}
    assert redacted["list"] == ["ok", None]
    assert redacted["meterNumber"] == "04040404040"  # short numbers stay
    assert redacted["mobileNumber"] == "0821234567" and redacted["serialNumber"] == "200000000001"


def test_nothing_hidden_means_the_text_goes_as_it_came() -> None:
    text = '{"reference": "S1-T1-AB12-1", "amount": 500, "storeId": "S1"}'
    assert redact_json_text(text) == text
    assert redact_json_text(text.encode()) == text
    changed = redact_json_text('{"pin": "1234567890123456", "amount": 5}')
    assert changed is not None and json.loads(changed) == {"pin": None, "amount": 5}


@pytest.mark.parametrize(
    "data",
    [
        None,
        "",
        "not json",
        b"\xff\xfe",
        "[1, 2]",
        '"text"',
        "42",
        '{"a": NaN}',
        '{"a": Infinity}',
        '{"a": 1e999}',
        "{" * 100_000,
        '{"a": ' * 5000 + "1" + "}" * 5000,
        '\ufeff{"a": 1}',
        '{"a": "unterminated',
    ],
)
def test_hostile_input_is_none_and_never_raises(data: str | bytes | None) -> None:
    assert redact_json(data) is None
    assert redact_json_text(data) is None


def test_text_jsonb_refuses_is_made_safe() -> None:
    redacted = redact_json(r'{"a\u0000b": "x\u0000y", "s": "\ud800", "l": ["\udfff"]}')
    assert redacted is not None
    text = json.dumps(redacted, ensure_ascii=False)
    assert "\x00" not in text and not any(0xD800 <= ord(c) <= 0xDFFF for c in text)
    assert redacted["s"] == "\ufffd" or redacted["s"] == "?"


@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(),
        lambda inner: (
            st.lists(inner, max_size=4)
            | st.dictionaries(
                st.sampled_from(["pin", "Token", "tokens", "name", "value", "x", "PIN_code"])
                | st.text(max_size=8),
                inner,
                max_size=4,
            )
        ),
        max_leaves=20,
    )
)
def test_redaction_never_raises_and_hides_every_secret_key(value: Any) -> None:
    text = json.dumps({"root": value})
    redacted = redact_json(text)
    assert redacted is not None

    def check(node: Any) -> None:
        if isinstance(node, dict):
            for k, v in node.items():
                name = re.sub(r"[\s_\-]", "", k.lower())
                plain = name in _NOT_SECRET or name in _SECRET_LISTS  # `pinless`, `tokens`
                if ("pin" in name or "token" in name) and not plain:
                    assert v is None, k
                check(v)
        elif isinstance(node, list):
            for item in node:
                check(item)

    check(redacted)
    assert redact_json_text(text) is not None


# -- PIN-shaped numbers, and the two passes agreeing --------------------------------------------


@pytest.mark.parametrize(
    "number",
    [
        "1234567890123456",
        "-1234567890123456",
        "12345678901234567890",
        "1000000000000000",
        "1234567890123456.0",
        "1234567890123456e0",
        "1.234567890123456e15",
        "1.234567890123456E+15",
        "0.12345678901234567",
        "1e16",
        "-9.99e20",
    ],
)
def test_a_pin_sent_as_a_number_is_hidden_like_a_pin_in_text(number: str) -> None:
    text = (
        f'{{"note": {number}, "list": [1, {number}], "deep": {{"a": [{{"b": {number}}}]}},'
        f' "amount": 500}}'
    )
    expected = {"note": None, "list": [1, None], "deep": {"a": [{"b": None}]}, "amount": 500}
    assert redact_json(text) == expected
    out = redact_json_text(text)
    assert out is not None and json.loads(out) == expected
    assert re.sub(r"\D", "", number).lstrip("0")[:15] not in out


@pytest.mark.parametrize(
    "number", ["123456789012345", "-999999999999999", "34.8", "0.5", "1e3", "123456789.0123456"]
)
def test_ordinary_numbers_stay(number: str) -> None:
    text = f'{{"note": {number}, "list": [{number}]}}'
    value = json.loads(number)
    assert redact_json(text) == {"note": value, "list": [value]}
    assert redact_json_text(text) == text  # nothing hidden: the text as it came


def test_a_pin_in_a_list_of_secrets_or_under_a_secret_key_is_hidden_as_a_number_too() -> None:
    text = '{"pin": 1234567890123456, "tokens": [12345678901234567890, {"token": 1, "units": 2}]}'
    expected = {"pin": None, "tokens": [None, {"token": None, "units": 2}]}
    assert redact_json(text) == expected
    assert json.loads(redact_json_text(text) or "") == expected


@pytest.mark.parametrize(
    "text",
    [
        # Digits written as escapes, a NUL, a lone surrogate: never in the text as it came.
        '{"note": "\\u0031\\u0032\\u0033\\u00344567890123456"}',
        '{"note": "1234\\u00205678\\u002d9012 3456"}',
        '{"note": "a\\u0000b", "pin": "1"}',
        '{"note": "\\ud800", "k": 1}',
        # Digits other than ASCII (Arabic-Indic, fullwidth) count as digits.
        '{"note": "\u0661\u0662\u0663\u0664\u0665\u0666\u0667\u0668'
        '\u0669\u0660\u0661\u0662\u0663\u0664\u0665\u0666"}',
        '{"note": "\uff11\uff12\uff13\uff14\uff15\uff16\uff17\uff18'
        '\uff19\uff10\uff11\uff12\uff13\uff14\uff15\uff16", "name": "\u00e9"}',
        # A PIN in a key, and a key said twice (the last one counts, as in jsonb).
        '{"1234567890123456": "x", "amount": 5}',
        '{"pin": "1234567890123456", "pin": null}',
        '{"note": "1234567890123456", "note": "ok"}',
        '{"password": "hunter2", "password": "hunter3"}',
    ],
)
def test_what_the_quick_pass_cannot_vouch_for_goes_through_the_full_one(text: str) -> None:
    expected = redact_json(text)
    out = redact_json_text(text)
    assert expected is not None and out is not None
    assert json.loads(out) == expected
    _assert_nothing_shaped_like_a_pin(out)
    assert "hunter" not in out and "1234567890123456" not in out


def _assert_nothing_shaped_like_a_pin(text: str) -> None:
    assert re.search(r"\d(?:[ -]?\d){15,}", text) is None, text
    assert "\\u0000" not in text and "\x00" not in text
    assert not any(0xD800 <= ord(c) <= 0xDFFF for c in text)


_JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**20), max_value=10**20)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(alphabet=st.sampled_from('0123456789 -ab\x00\ud800\u0661"\\/\n\u00e9'))
    | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(
            st.sampled_from(["pin", "tokens", "tokenType", "note", "n", "1234567890123456"])
            | st.text(max_size=6),
            inner,
            max_size=4,
        )
    ),
    max_leaves=25,
)


@given(value=_JSON_VALUES, ascii_only=st.booleans(), spaced=st.booleans())
def test_the_quick_pass_and_the_full_pass_agree(value: Any, ascii_only: bool, spaced: bool) -> None:
    separators = (", ", ": ") if spaced else (",", ":")
    text = json.dumps({"root": value, "pin": "0"}, ensure_ascii=ascii_only, separators=separators)
    expected = redact_json(text)
    out = redact_json_text(text)
    assert expected is not None and out is not None
    assert json.loads(out) == expected
    _assert_nothing_shaped_like_a_pin(out)
    assert redact_json_text(out) == out  # redacted text is as it stays


@given(st.text(alphabet=st.sampled_from('{}[]":,0123456789 -.eE\\u\ud800pin'), max_size=60))
def test_both_passes_refuse_the_same_text(text: str) -> None:
    expected = redact_json(text)
    out = redact_json_text(text)
    assert (out is None) == (expected is None)
    if out is not None:
        assert json.loads(out) == expected
