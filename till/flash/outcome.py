"""What Flash's answer means: approved, declined (definitive), in doubt (resend the same
bytes), or a token the till can use. Pure functions of an `Answer`; no I/O."""

from __future__ import annotations

import codecs
import json
import math
import re
from typing import Any

from till.flash import codes
from till.flash.errors import FlashDeclined, FlashInDoubt, FlashNotSent
from till.flash.wire import Answer, BodyTooLarge, safe_text

#: HTTP statuses that say "the server may or may not have acted": resend to find out.
_IN_DOUBT_STATUSES = frozenset({408, 425, 429})
#: RFC 6750's b64token: what a bearer token may hold, so it can never break a header line.
_BEARER_TOKEN = re.compile(r"[A-Za-z0-9\-._~+/]{1,4096}=*")
#: The longest token lifetime the till believes (a day); the document gives 3600 s.
MAX_TOKEN_LIFETIME = 86_400.0


def classify(
    answer: Answer, *, endpoint: str, reference: str | None, query: bool = False
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
        body = journal_text(answer) if isinstance(data, dict) else None
        return FlashDeclined(
            message,
            code=code,
            http_status=status,
            endpoint=endpoint,
            reference=reference,
            body=body,
        )

    if status >= 500 or status in _IN_DOUBT_STATUSES:
        cause = "rate_limited" if status == 429 else "server_error"
        raise in_doubt(f"Flash answered HTTP {status}; the request may have been processed", cause)
    if answer.problem is not None:
        raise in_doubt(
            f"Flash's answer {answer.problem}; the request may have been processed",
            "too_large" if isinstance(answer.problem, BodyTooLarge) else "unreadable",
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


def journal_text(answer: Answer) -> str:
    """Flash's body exactly as it came, unless making it safe changed it (then the safe one)."""
    if not answer.altered and not answer.content.startswith(codecs.BOM_UTF8):
        try:  # JSON also reads UTF-16/32 and a BOM; the journal reads back plain UTF-8 only
            return answer.content.decode("utf-8")
        except UnicodeDecodeError:
            pass
    return json.dumps(answer.data, ensure_ascii=False, separators=(",", ":"))


def token_of(answer: Answer) -> tuple[str, float]:
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
        return safe_text(message.strip(), limit=200)
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
