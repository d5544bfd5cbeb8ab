"""Redaction: Flash's request and answer as head office may read them, every PIN, token and
secret replaced by null (the originals go sealed, see `till.central.seal`).

Secrets are found by key (`pin`, `voucherPin`, `token`, `tokens[*].token`, `access_token`,
`password`, anything containing pin/token/secret/password but for known plain fields such as
`tokenType`), and by shape, wherever they are, under any key: a text (or a key) holding a run
of 16 or more digits, spaces or dashes allowed between them; a number of 16 or more digits
(`{"note": 1234567890123456}`), or with that many in its fraction, written out in full as
jsonb keeps it (1.234567890123456e15 is 1234567890123456).

Hot: the uploader redacts every entry's request and answer. Two passes, the second only when
the first cannot prove it is enough:

- the key pass parses with an object hook that blanks secret keys only (most objects have
  keys all known to be plain: one set lookup each), and gives the text as it came when it
  blanked nothing, or the parsed value encoded once;
- that text is then checked whole, in C: no `\\u` escape, no lone surrogate, and no run of 16
  digits. A document that passes holds no text, key or number the full pass would change, so
  the key pass's text is the answer. Anything else (a PIN quoted in a message, a 16-digit
  number, an escaped NUL) goes through the full pass, which checks every key and value.
"""

from __future__ import annotations

import json
import json.encoder
import re
import threading
from decimal import Decimal
from typing import Any

__all__ = ["jsonb_text", "redact_json", "redact_json_text"]

#: Key fragments that mark a secret (keys compared lowercased, without `_`, `-` or spaces).
_SECRET_PARTS = ("pin", "token", "secret", "password", "passwd", "apikey", "authorization")
#: Keys that contain one of those fragments but hold nothing secret: kept, and walked into.
_NOT_SECRET = frozenset(
    {
        "tokentype",
        "tokentechnology",
        "tokendescription",
        "keychangetokendata",
        "expiresin",
        "pinless",
        "ispinless",
        "pinlength",
    }
)
#: Lists of secrets whose items may be objects with ordinary fields beside the secret
#: (`tokens: [{"token": ..., "units": ...}]`): bare items are dropped, objects are walked.
_SECRET_LISTS = frozenset({"tokens", "pins", "vouchers", "ststokens", "keychangetokens"})
_PLAIN, _SECRET, _LIST = 0, 1, 2
#: A run of 16 or more digits (spaces or dashes allowed between them) in any text: the shape of
#: a 1Voucher PIN or an STS token, hidden wherever it appears (a message that quotes one).
_DIGITS = re.compile(r"\d(?:[ -]?\d){15,}")
#: The smallest integer of 16 digits (JSON writes no leading zeros): a PIN sent as a number.
_BIG = 10**15
#: What jsonb refuses in a string: NUL and lone UTF-16 surrogates (json.loads lets both through).
_UNSAFE = re.compile("[\x00\ud800-\udfff]")
_NORMALISE = re.compile(r"[\s_\-]")
#: Key -> _PLAIN/_SECRET/_LIST, for keys that are themselves safe text (most keys, every time);
#: the plain ones also in a set, so an object of known plain keys is passed by one C call.
_KINDS: dict[str, int] = {}
_PLAIN_KEYS: set[str] = set()
_KINDS_MAX = 4096  # hostile input cannot grow the cache without bound
#: ASCII bytes with every digit made "0": after deleting spaces and dashes, a run of 16 digits
#: (as `_DIGITS` finds them) is 16 zeros in a row.
_ZEROED = bytes(ord("0") if chr(b).isdigit() else b for b in range(128)) + bytes(range(128, 256))
_RUN = b"0" * 16
_INF = float("inf")
_JSON_SPACE = " \t\n\r"


def _kind(key: str) -> int:
    name = _NORMALISE.sub("", key.lower())
    if name in _NOT_SECRET:
        kind = _PLAIN
    elif name in _SECRET_LISTS:
        kind = _LIST
    elif any(part in name for part in _SECRET_PARTS):
        kind = _SECRET
    else:
        kind = _PLAIN
    if len(_KINDS) < _KINDS_MAX and not _suspect(key):
        _KINDS[key] = kind
        if kind == _PLAIN:
            _PLAIN_KEYS.add(key)
    return kind


def _suspect(text: str) -> bool:
    """Cheap tests first: most strings are short, ASCII and NUL-free."""
    if len(text) >= 16 and _DIGITS.search(text) is not None:
        return True
    return "\x00" in text or (not text.isascii() and _UNSAFE.search(text) is not None)


def _long_number(literal: str) -> bool:
    """Whether a JSON number written out in full, as jsonb keeps it (1.2e20 is
    120000000000000000000), has 16 digits or more in its whole part or in its fraction: the
    shape of a PIN, as in text."""
    _, digits, exponent = Decimal(literal).as_tuple()
    assert isinstance(exponent, int)  # JSON has no NaN or infinity
    if exponent >= 0:
        return len(digits) + exponent >= 16
    return -exponent >= 16 or len(digits) + exponent >= 16


def _clean_text(text: str) -> str | None:
    """None for text holding a PIN-shaped digit run; else the text as jsonb accepts it."""
    if _DIGITS.search(text):
        return None
    return text.replace("\x00", "\ufffd").encode("utf-8", "replace").decode("utf-8")


def _clean(text: str) -> bool:
    """Whether JSON text provably holds nothing the full pass would hide or change: no `\\u`
    escape (the only way JSON writes a NUL, and a way to write a digit), no lone surrogate,
    and no run of 16 digits in any string, key or number (checked over the whole text: a
    string without escapes has the same digits, spaces and dashes as its text)."""
    if "\\u" in text:
        return False
    if text.isascii():
        return _RUN not in text.encode("ascii").translate(_ZEROED, b" -")
    return _UNSAFE.search(text) is None and _DIGITS.search(text) is None


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON that jsonb accepts")


class _Passes:
    """One thread's two decoders (made once: json.loads with options builds one per call) and
    the flag their hooks raise when they hide something."""

    __slots__ = ("changed", "full", "keys")

    def __init__(self) -> None:
        self.changed = False
        self.keys = json.JSONDecoder(
            object_hook=self._keys, parse_constant=_refuse_constant, parse_float=self._float
        )
        self.full = json.JSONDecoder(
            object_hook=self._all, parse_constant=_refuse_constant, parse_float=self._float
        )

    def _float(self, literal: str) -> float | None:
        """A number with a fraction or an exponent: refused if jsonb cannot hold it, hidden if
        it is a long number (`_long_number`). Integers are left to C: the text check finds a
        long one, and the full pass hides it."""
        number = float(literal)
        if number in (_INF, -_INF):
            raise ValueError("a number too large for jsonb")
        # Cheap first: without an exponent, a short number has no long part.
        if ("e" in literal or "E" in literal or len(literal) >= 16) and _long_number(literal):
            self.changed = True
            return None
        return number

    def _keys(self, obj: dict[str, Any]) -> dict[str, Any]:
        """The key pass's object hook: secrets blanked by key; values are left to `_clean`."""
        if _PLAIN_KEYS.issuperset(obj):
            return obj
        kinds = _KINDS
        for key, value in obj.items():
            kind = kinds.get(key)
            if kind is None:
                kind = _kind(key)
            if kind == _SECRET:
                if value is not None:
                    obj[key] = None
                    self.changed = True
            elif kind == _LIST:
                if type(value) is list:
                    self._list(value, blank=True)
                elif value is not None and type(value) is not dict:
                    obj[key] = None
                    self.changed = True
        return obj

    def _all(self, obj: dict[str, Any]) -> dict[str, Any]:
        """The full pass's object hook (inner objects first): secret keys, and every text, key
        and number shaped like a PIN."""
        kinds = _KINDS
        odd_keys = False
        for key, value in obj.items():
            kind = kinds.get(key)
            if kind is None:
                kind = _kind(key)
                odd_keys = odd_keys or _suspect(key)
            if kind == _PLAIN:
                vtype = type(value)
                if vtype is str:
                    if (len(value) >= 16 or "\x00" in value or not value.isascii()) and _suspect(
                        value
                    ):
                        obj[key] = _clean_text(value)
                        self.changed = True
                elif vtype is int:
                    if not -_BIG < value < _BIG:
                        obj[key] = None
                        self.changed = True
                elif vtype is list:
                    self._list(value, blank=False)
            elif kind == _SECRET:
                if value is not None:
                    obj[key] = None
                    self.changed = True
            elif type(value) is list:  # _LIST
                self._list(value, blank=True)
            elif value is not None and type(value) is not dict:
                obj[key] = None
                self.changed = True
        if odd_keys:
            self.changed = True
            return {(_clean_text(k) or "?") if _suspect(k) else k: v for k, v in obj.items()}
        return obj

    def _list(self, items: list[Any], *, blank: bool) -> None:
        """Objects in it are done already; bare values are blanked in a list of secrets, and
        PIN-shaped ones in any list (the key pass leaves those to `_clean`)."""
        for i, item in enumerate(items):
            itype = type(item)
            if itype is dict or item is None:
                continue
            if itype is list:
                self._list(item, blank=blank)
            elif blank:
                items[i] = None
                self.changed = True
            elif itype is str and _suspect(item):
                items[i] = _clean_text(item)
                self.changed = True
            elif itype is int and not -_BIG < item < _BIG:
                items[i] = None
                self.changed = True


class _Local(threading.local):
    def __init__(self) -> None:
        self.passes = _Passes()


_LOCAL = _Local()
#: Compact, UTF-8 as is; made once (JSONEncoder.encode makes its C encoder on every call).
#: No NaN or infinity (jsonb has none), no check for cycles (parsed JSON has none; a cycle
#: from elsewhere ends in RecursionError).
_JSONB = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False)
_make_encoder: Any = getattr(json.encoder, "c_make_encoder", None)
_ENCODE: Any = (
    None
    if _make_encoder is None
    else _make_encoder(
        None, _JSONB.default, json.encoder.encode_basestring, None, ":", ",", False, False, False
    )
)


def _as_text(data: str | bytes | bytearray | memoryview) -> str | None:
    if isinstance(data, str):
        return data
    try:
        return (data if type(data) is bytes else bytes(data)).decode("utf-8")
    except (UnicodeDecodeError, TypeError):
        return None


def _decode(decoder: json.JSONDecoder, text: str) -> dict[str, Any] | None:
    """A JSON object, or None for anything else (malformed, too deep, NaN, not an object)."""
    try:
        if text[:1] == "{":  # as every journaled document starts: no whitespace to skip
            value, end = decoder.scan_once(text, 0)  # type: ignore[attr-defined]
            if end != len(text) and text[end:].strip(_JSON_SPACE):
                return None  # something after the object
        else:
            value = decoder.decode(text)
    except (ValueError, RecursionError, TypeError, StopIteration):
        return None
    return value if type(value) is dict else None


def redact_json(data: str | bytes | bytearray | memoryview | None) -> dict[str, Any] | None:
    """Flash's request or answer with every PIN, token and secret replaced by null (see the
    module's doc). None for anything that is not a JSON object jsonb can hold (malformed, too
    deep, NaN, top level not an object): never raises. Strings are made jsonb-safe (no NUL,
    no lone surrogate)."""
    text = None if data is None else _as_text(data)
    if text is None:
        return None
    return _decode(_LOCAL.passes.full, text)


def redact_json_text(data: str | bytes | bytearray | memoryview | None) -> str | None:
    """`redact_json` as JSON text for a jsonb column: the text as it came when nothing was
    hidden, else the redacted value written once (compact). Same value as `redact_json`."""
    text = None if data is None else _as_text(data)
    if text is None:
        return None
    passes = _LOCAL.passes
    passes.changed = False
    parsed = _decode(passes.keys, text)
    if parsed is None:
        return None
    out = jsonb_text(parsed) if passes.changed else text
    if out is not None and _clean(out):
        return out
    # Written anew even when nothing is hidden: the text as it came may say a key twice.
    return jsonb_text(_decode(passes.full, text))


def jsonb_text(value: dict[str, Any] | None) -> str | None:
    """A redacted value as JSON text for a jsonb column (compact, UTF-8 as is); None for what
    JSON cannot hold."""
    if value is None:
        return None
    try:
        if _ENCODE is not None:
            return "".join(_ENCODE(value, 0))
        return _JSONB.encode(value)  # pragma: no cover (Python without its C accelerator)
    except (ValueError, RecursionError, TypeError):
        return None
