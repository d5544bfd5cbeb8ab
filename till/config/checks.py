"""What the config's values must look like, beyond their types: the checks every section uses.

Text from the environment or a file is refused before pydantic's lax parsing can misread it:
"٥٠" or "1e3" as a number, a control character in a name printed on a receipt, http to a host
that is not this machine.
"""

from __future__ import annotations

import ipaddress
import math
import re
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import BeforeValidator

_ALNUM = re.compile(r"^[A-Za-z0-9]+$")
#: A number written as text (from the environment): ASCII digits, maybe a sign and a point.
#: `int()`/`float()`/`Decimal()` would also take "٥٠", "５０", "1e3", "1_0" or "+5".
_NUMBER_TEXT = re.compile(r"\+?[0-9]{1,12}(?:\.[0-9]{1,6})?")
_HEX_ID = re.compile(r"(?:0[xX])?[0-9A-Fa-f]{1,4}")
#: An API key goes into an HTTP header as it is: printable ASCII, no spaces.
KEY = re.compile(r"[!-~]{1,512}")


def plain_number(value: object) -> object:
    """Numbers in the config: TOML's own (not true/false, not nan or inf), or text of ASCII
    digits; anything else is refused before pydantic's lax parsing can read it as a number."""
    if isinstance(value, bool):
        raise ValueError("must be a number, not true or false")
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError("must be a finite number")
    if isinstance(value, str) and not _NUMBER_TEXT.fullmatch(value.strip(" \t")):
        raise ValueError("must be a number written with the digits 0-9, e.g. 5 or 2.5")
    return value


def plain_text(value: object) -> object:
    """Free text (names printed on receipts and screens): no control or format characters,
    which could move a terminal's cursor or drive a receipt printer."""
    if isinstance(value, str) and any(not ch.isprintable() and ch != " " for ch in value):
        raise ValueError("must not contain control characters")
    return value


def plain_path(value: object) -> object:
    """A file path: no NUL or other control character (no file is named so)."""
    if isinstance(value, str | Path) and not str(value).isprintable():
        raise ValueError("must be a file path without control characters")
    return value


Number = BeforeValidator(plain_number)
Text = BeforeValidator(plain_text)
PlainPath = BeforeValidator(plain_path)


def alnum(value: str, *, what: str) -> str:
    if not _ALNUM.fullmatch(value):
        raise ValueError(f"{what} must be letters and digits only (no spaces or symbols)")
    return value


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_url(value: str, *, what: str) -> str:
    if not value.isascii() or not value.isprintable() or " " in value:
        raise ValueError(f"{what} must be a URL of printable ASCII characters (got {value!r})")
    parts = urlsplit(value)
    try:
        parts.port  # noqa: B018 - raises ValueError for a port that is not 0-65535
    except ValueError:
        raise ValueError(f"{what} has a port that is not a number from 1 to 65535") from None
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise ValueError(f"{what} must be a full URL such as https://host (got {value!r})")
    if parts.scheme == "http" and not is_loopback(parts.hostname):
        raise ValueError(
            f"{what} must use https: plain http is only allowed to this machine (localhost)"
        )
    return value.rstrip("/")


def device_id(value: object) -> object:
    """USB ids are written in hex on the printer's label: accept "0x04b8", "04b8" or 1208."""
    if isinstance(value, str):
        if not _HEX_ID.fullmatch(value.strip(" \t")):  # int(x, 16) takes "٠٤b8", "4_b8"
            raise ValueError("must be a hexadecimal USB id such as 0x04b8")
        return int(value.strip(" \t"), 16)
    return plain_number(value)
