"""The store's key: PINs and tokens go to the central database sealed (AES-256-GCM), and the
request/response columns head office reads go redacted (`till.central.redact`), so a copy of
the database reveals no PIN.

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
from dataclasses import dataclass, field
from json.encoder import encode_basestring_ascii
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

# Redaction lives in its own module; these names stay importable from here too.
from till.central.redact import jsonb_text, redact_json, redact_json_text

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
    #: One AES-GCM context per key, made once (not per value sealed).
    _aead: AESGCM = field(init=False, repr=False, compare=False)
    _header: bytes = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not isinstance(self.key, bytes) or len(self.key) != KEY_BYTES:
            raise KeyFileError(f"a store key is exactly {KEY_BYTES} bytes")
        object.__setattr__(self, "key_id", hashlib.sha256(self.key).digest()[:_KEY_ID_BYTES])
        object.__setattr__(self, "_aead", AESGCM(self.key))
        object.__setattr__(self, "_header", bytes([VERSION]) + self.key_id)

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
    header = key._header
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
    # Exactly json.dumps({"request": text, "response": response_json}, separators=(",", ":")),
    # written by hand: the same C string encoder, without a dict and an encoder per call.
    response = "null" if response_json is None else encode_basestring_ascii(response_json)
    document = f'{{"request":{encode_basestring_ascii(text)},"response":{response}}}'
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
