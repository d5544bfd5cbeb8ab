"""Reading Flash's answers without trusting them: a capped body, bounded decompression, bounded
JSON, and every string made safe for a terminal, a screen and a receipt printer.

A body past a cap is never parsed; the caller turns the typed error into an in-doubt outcome that
names the cap. Nothing here knows endpoints or journals.
"""

from __future__ import annotations

import json
import math
import unicodedata
import zlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx

#: The most a Flash answer may hold once decoded (the largest real one, a utility purchase with
#: its tariff blocks and tokens, is a few kilobytes).
MAX_BODY_BYTES = 1 << 20
#: The deepest nesting an answer may have (the document's deepest is four levels).
MAX_JSON_DEPTH = 32
#: The longest single string kept from an answer (terms and conditions run to a few hundred).
MAX_STRING_CHARS = 4000
#: How much is decoded from a compressed body per call, so a "bomb" never expands in one go.
_INFLATE_STEP = 64 * 1024

#: Bidirectional and invisible formatting characters: they reorder or hide text on a screen.
_FORMAT_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})


@dataclass(frozen=True)
class Answer:
    """An HTTP answer read within its caps: the body made safe, or why it could not be read."""

    status: int
    content: bytes
    data: Any
    altered: bool
    problem: BodyError | None
    content_type: str


class BodyError(Exception):
    """An answer that cannot be used as it came: too big, badly encoded, or not bounded JSON."""


class BodyTooLarge(BodyError):
    """Past a size cap (the body, its compressed bytes, or what they inflate to)."""


def safe_text(text: str, *, limit: int = MAX_STRING_CHARS) -> str:
    """Printable text only: line breaks and tabs become spaces, other control, bidi and format
    characters become '?', and the result is cut to `limit` characters."""
    if text.isascii() and text.isprintable() and len(text) <= limit:
        return text  # the common case, and cheap
    out: list[str] = []
    for char in text[: limit + 1]:
        if char in "\t\n\r\v\f":
            out.append(" ")
        elif unicodedata.category(char) in _FORMAT_CATEGORIES:
            out.append("?")
        else:
            out.append(char)
    safe = "".join(out)
    return safe if len(safe) <= limit else safe[: limit - 3] + "..."


def _make_safe(value: Any, depth: int, altered: list[bool]) -> Any:
    if depth > MAX_JSON_DEPTH:
        raise BodyError(f"is nested deeper than {MAX_JSON_DEPTH} levels")
    if isinstance(value, str):
        safe = safe_text(value)
        if safe is not value:
            altered[0] = True
        return safe
    if isinstance(value, dict):
        return {
            _make_safe(str(k), depth, altered): _make_safe(v, depth + 1, altered)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_make_safe(v, depth + 1, altered) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        raise BodyError("holds a number that is not finite")
    return value


def parse_json(content: bytes) -> tuple[Any, bool]:
    """Decode a body as bounded JSON with every string made safe, and whether making it safe
    changed anything; BodyError if it is not bounded JSON."""
    try:
        data = json.loads(content)
    except RecursionError:
        raise BodyError(f"is nested deeper than {MAX_JSON_DEPTH} levels") from None
    except (ValueError, UnicodeDecodeError):
        raise BodyError("is not JSON") from None
    altered = [False]
    return _make_safe(data, 0, altered), altered[0]


def _decoder(encoding: str) -> zlib._Decompress | None:
    if encoding in ("", "identity"):
        return None
    if encoding in ("gzip", "x-gzip"):
        return zlib.decompressobj(16 + zlib.MAX_WBITS)
    if encoding == "deflate":
        return zlib.decompressobj()
    raise BodyError(f"came in an encoding the till does not read ({encoding[:20]!r})")


def _inflate(decoder: zlib._Decompress, data: bytes, room: int) -> bytes:
    """Decompress at most `room + 1` bytes of `data`, a step at a time."""
    out = bytearray()
    try:
        while data and len(out) <= room:
            out += decoder.decompress(data, _INFLATE_STEP)
            data = decoder.unconsumed_tail
    except zlib.error:
        raise BodyError("is not validly compressed") from None
    return bytes(out)


async def read_capped(response: httpx.Response, limit: int = MAX_BODY_BYTES) -> bytes:
    """The body of a streamed response, decoded, refusing it as soon as it passes `limit`."""
    declared = response.headers.get("content-length", "")
    if declared.isascii() and declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge(_too_large(limit))
    encoding = response.headers.get("content-encoding", "").strip().lower()
    decoder = _decoder(encoding)
    body = bytearray()
    received = 0  # raw bytes: what follows a compressed stream's end is counted too
    async for chunk in _raw_chunks(response):
        received += len(chunk)
        body += _inflate(decoder, chunk, limit - len(body)) if decoder is not None else chunk
        if len(body) > limit or received > limit:
            raise BodyTooLarge(_too_large(limit))
    if decoder is not None:
        body += decoder.flush(_INFLATE_STEP)
        if len(body) > limit:
            raise BodyTooLarge(_too_large(limit))
        if not decoder.eof or decoder.unused_data:  # cut short (no checksum), or junk after it
            raise BodyError("is not validly compressed")
    return bytes(body)


async def _raw_chunks(response: httpx.Response) -> AsyncIterator[bytes]:
    try:
        async for chunk in response.aiter_raw():
            yield chunk
    except httpx.StreamConsumed:  # a response built in memory (a test transport): already read
        yield response.content


def _too_large(limit: int) -> str:
    return f"is larger than the {limit // 1024} KiB cap"
