"""The store's key: PINs and tokens go to the central database sealed (AES-256-GCM), and the
request/response columns head office reads go redacted, so a copy of the database reveals no PIN.

Key file: 64 hexadecimal characters (the 32-byte key), optionally followed by a newline, in a file
only its owner may read (mode 0600). `generate_key_file` makes one; keep a copy somewhere safe:
without it no sealed PIN can ever be read back.

Sealed blob: ``version (1 byte) | key id (4 bytes: sha256(key)[:4]) | nonce (12 bytes) |
ciphertext+tag``. The associated data is the version, the key id and the entry's reference, so a
blob copied onto another row (or with its header edited) fails to open.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import secrets
import stat
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

__all__ = [
    "KEY_BYTES",
    "KeyFileError",
    "SealDamaged",
    "SealError",
    "SealKey",
    "SealWrongKey",
    "SealedRecord",
    "generate_key_file",
    "jsonb_text",
    "redact_json",
    "redact_json_text",
    "seal",
    "seal_record",
    "unseal",
    "unseal_record",
]

KEY_BYTES = 32
VERSION = 1
_KEY_ID_BYTES = 4
_NONCE_BYTES = 12
_HEADER = 1 + _KEY_ID_BYTES
_MIN_BLOB = _HEADER + _NONCE_BYTES + 16  # 16: the GCM tag
_HEX_KEY = re.compile(r"[0-9a-fA-F]{64}")


class SealError(Exception):
    """Something about the store key or a sealed value; the message says what to do."""


class KeyFileError(SealError):
    """The key file is missing, unsafe or not a key."""


class SealWrongKey(SealError):
    """The blob was sealed with another store's key (or a key since replaced)."""


class SealDamaged(SealError):
    """The blob was changed, truncated, or belongs to another row."""


@dataclass(frozen=True)
class SealKey:
    """A 32-byte AES-256-GCM key; never shown in a repr."""

    key: bytes = field(repr=False)
    key_id: bytes = field(init=False, repr=False)
    _aead: AESGCM = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not isinstance(self.key, bytes) or len(self.key) != KEY_BYTES:
            raise KeyFileError(f"a store key is exactly {KEY_BYTES} bytes")
        object.__setattr__(self, "key_id", hashlib.sha256(self.key).digest()[:_KEY_ID_BYTES])
        object.__setattr__(self, "_aead", AESGCM(self.key))

    def __repr__(self) -> str:
        return f"SealKey(id={self.key_id.hex()})"

    @classmethod
    def generate(cls) -> SealKey:
        return cls(secrets.token_bytes(KEY_BYTES))

    @classmethod
    def load(cls, path: Path | str) -> SealKey:
        """Read the key from a 0600 file holding 64 hex characters; refuse anything else."""
        path = Path(path)
        try:
            fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        except FileNotFoundError:
            raise KeyFileError(
                f"store key file {path} does not exist: make one with `till central keygen`"
            ) from None
        except OSError as exc:
            raise KeyFileError(f"cannot open store key file {path}: {exc.strerror}") from None
        try:
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode):
                raise KeyFileError(f"store key file {path} is not a regular file")
            if info.st_mode & 0o077:
                raise KeyFileError(
                    f"store key file {path} can be read by others (mode "
                    f"{stat.S_IMODE(info.st_mode):04o}): run `chmod 600 {path}`"
                )
            data = os.read(fd, 4096)
        finally:
            os.close(fd)
        text = data.decode("ascii", errors="replace").strip()
        if not _HEX_KEY.fullmatch(text):
            raise KeyFileError(
                f"store key file {path} does not hold a key (expected {KEY_BYTES * 2} "
                "hexadecimal characters): restore it from your copy, or make a new one with "
                "`till central keygen` (PINs sealed with the old key stay unreadable)"
            )
        return cls(bytes.fromhex(text))


def generate_key_file(path: Path | str) -> SealKey:
    """Write a new random key to `path` (mode 0600), atomically; refuse to replace a file.

    The key is written and synced under a temporary name, then hard-linked into place: the link
    fails if `path` exists, and a crash never leaves a half-written key under `path`.
    """
    path = Path(path)
    if path.exists() or path.is_symlink():
        raise KeyFileError(f"{path} already exists: a store key is never overwritten")
    key = SealKey.generate()
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        try:
            os.fchmod(fd, 0o600)
            os.write(fd, (key.key.hex() + "\n").encode("ascii"))
            os.fsync(fd)
        finally:
            os.close(fd)
        try:
            os.link(tmp, path)
        except FileExistsError:
            raise KeyFileError(f"{path} already exists: a store key is never overwritten") from None
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
    with contextlib.suppress(OSError):  # make the new name durable too
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    return key


def _aad(header: bytes, reference: str) -> bytes:
    return header + reference.encode("utf-8", errors="surrogateescape")


def seal(key: SealKey, reference: str, plaintext: bytes) -> bytes:
    """Encrypt `plaintext` for the row of `reference`, with a fresh random nonce."""
    header = bytes([VERSION]) + key.key_id
    nonce = secrets.token_bytes(_NONCE_BYTES)
    return header + nonce + key._aead.encrypt(nonce, plaintext, _aad(header, reference))


def unseal(key: SealKey, reference: str, blob: bytes | bytearray | memoryview) -> bytes:
    """Decrypt a blob sealed for `reference`; raise SealWrongKey or SealDamaged, never garbage."""
    data = bytes(blob)
    if len(data) < _MIN_BLOB or data[0] != VERSION:
        raise SealDamaged(f"the sealed record of {reference} is damaged (unknown format)")
    header = data[:_HEADER]
    if header[1:] != key.key_id:
        raise SealWrongKey(
            f"the sealed record of {reference} was sealed with another store key "
            f"(key id {header[1:].hex()}; this key is {key.key_id.hex()})"
        )
    nonce = data[_HEADER : _HEADER + _NONCE_BYTES]
    try:
        return key._aead.decrypt(nonce, data[_HEADER + _NONCE_BYTES :], _aad(header, reference))
    except InvalidTag:
        raise SealDamaged(
            f"the sealed record of {reference} is damaged (or was moved from another row)"
        ) from None


@dataclass(frozen=True)
class SealedRecord:
    """What `sealed` holds for one entry: the exact request bytes and Flash's answer text."""

    request: bytes = field(repr=False)
    response_json: str | None = field(repr=False)


def seal_record(key: SealKey, reference: str, request: bytes, response_json: str | None) -> bytes:
    """Seal an entry's request and response as JSON ``{"request": text, "response": text}``.

    The request bytes are decoded as UTF-8 with `surrogateescape` (and JSON-escaped), so even
    bytes that are not UTF-8 come back exactly from `unseal_record`.
    """
    text = request.decode("utf-8", errors="surrogateescape")
    document = _RECORD.encode({"request": text, "response": response_json})
    return seal(key, reference, document.encode("ascii"))


def unseal_record(
    key: SealKey, reference: str, blob: bytes | bytearray | memoryview
) -> SealedRecord:
    """Open what `seal_record` sealed; SealWrongKey / SealDamaged as `unseal`."""
    plain = unseal(key, reference, blob)
    try:
        document = json.loads(plain)
        request = document["request"].encode("utf-8", errors="surrogateescape")
        response = document["response"]
        if response is not None and not isinstance(response, str):
            raise TypeError("response is not text")
    except (ValueError, KeyError, TypeError, AttributeError):
        raise SealDamaged(f"the sealed record of {reference} is damaged (not a record)") from None
    return SealedRecord(request, response)


# -- redaction ---------------------------------------------------------------------------------

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
#: What jsonb refuses in a string: NUL and lone UTF-16 surrogates (json.loads lets both through).
_UNSAFE = re.compile("[\x00\ud800-\udfff]")
_NORMALISE = re.compile(r"[\s_\-]")
#: Key -> _PLAIN/_SECRET/_LIST, for keys that are themselves safe text (most keys, every time).
_KINDS: dict[str, int] = {}
_KINDS_MAX = 4096  # hostile input cannot grow the cache without bound


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
    return kind


def _suspect(text: str) -> bool:
    """Cheap tests first: most strings are short, ASCII and NUL-free."""
    if len(text) >= 16 and _DIGITS.search(text) is not None:
        return True
    return "\x00" in text or (not text.isascii() and _UNSAFE.search(text) is not None)


def _clean_text(text: str) -> str | None:
    """None for text holding a PIN-shaped digit run; else the text as jsonb accepts it."""
    if _DIGITS.search(text):
        return None
    return text.replace("\x00", "\ufffd").encode("utf-8", "replace").decode("utf-8")


class _Redactor:
    """json.loads object hook: blanks secrets as each object is parsed (inner objects first).

    Hot: it sees every object of every request and response the uploader sends.
    """

    __slots__ = ("changed",)

    def __init__(self) -> None:
        self.changed = False

    def __call__(self, obj: dict[str, Any]) -> dict[str, Any]:
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
        """Objects in it are done already; bare values are blanked in a list of secrets."""
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


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON that jsonb accepts")


def _finite_float(text: str) -> float:
    number = float(text)
    if number in (float("inf"), float("-inf")):
        raise ValueError("a number too large for jsonb")
    return number


class _Parser(threading.local):
    """A decoder per thread, made once (json.loads with options builds one per call)."""

    def __init__(self) -> None:
        self.hook = _Redactor()
        self.decoder = json.JSONDecoder(
            object_hook=self.hook, parse_constant=_refuse_constant, parse_float=_finite_float
        )


_PARSER = _Parser()
_JSONB = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
_RECORD = json.JSONEncoder(separators=(",", ":"))


def _redact(data: str | bytes | bytearray | memoryview | None) -> tuple[Any, str, bool] | None:
    if data is None:
        return None
    parser = _PARSER
    parser.hook.changed = False
    try:
        text = data if isinstance(data, str) else bytes(data).decode("utf-8")
        parsed = parser.decoder.decode(text)
    except (ValueError, RecursionError, TypeError):  # UnicodeDecodeError is a ValueError
        return None
    if not isinstance(parsed, dict):
        return None
    return parsed, text, parser.hook.changed


def redact_json(data: str | bytes | bytearray | memoryview | None) -> dict[str, Any] | None:
    """Flash's request or answer with every PIN, token and secret replaced by null.

    Secrets are found by key (`pin`, `voucherPin`, `token`, `tokens[*].token`, `access_token`,
    `password`, anything containing pin/token/secret/password but for known plain fields such
    as `tokenType`), plus any text holding a run of 16+ digits. None for anything that is not
    a JSON object jsonb can hold (malformed, too deep, NaN, top level not an object): never
    raises. Strings are made jsonb-safe (no NUL, no lone surrogate).
    """
    done = _redact(data)
    return None if done is None else dict(done[0])


def redact_json_text(data: str | bytes | bytearray | memoryview | None) -> str | None:
    """`redact_json` as JSON text for a jsonb column; the text as it came when nothing was
    hidden (the common case: no second encoding)."""
    done = _redact(data)
    if done is None:
        return None
    parsed, text, changed = done
    return jsonb_text(parsed) if changed else text


def jsonb_text(value: dict[str, Any] | None) -> str | None:
    """A redacted value as JSON text for a jsonb column (compact, UTF-8 as is)."""
    if value is None:
        return None
    try:
        return _JSONB.encode(value)
    except (ValueError, RecursionError, TypeError):
        return None
