"""Money is integer cents end to end: parse what a cashier types, format what they read."""

from __future__ import annotations

import re

#: ASCII only: `\d` and `\s` would also take "٥٠" or "５０" (other scripts' digits) and
#: exotic spaces, and a till must refuse those rather than read them as R50.
_RANDS = re.compile(r"[ \t]*(?:[Rr][ \t]*)?([0-9]{1,9})(?:[.,]([0-9]{1,2}))?[ \t]*")


def parse_rands(text: str) -> int:
    """'50', '50.00', '50,5' or 'R 12.50' -> cents; anything else raises ValueError.

    No floats anywhere: '0.1' is 10 cents exactly. Only ASCII digits are money.
    """
    match = _RANDS.fullmatch(text)
    if match is None:
        raise ValueError(f"{text.strip(' ')!r} is not an amount in rands, e.g. 50 or 50.00")
    whole, fraction = match.group(1), match.group(2) or ""
    return int(whole) * 100 + int(fraction.ljust(2, "0") or "0")


def format_rands(cents: int) -> str:
    """1250 -> 'R 12.50'; thousands grouped with spaces, as South African receipts do."""
    if isinstance(cents, bool) or not isinstance(cents, int):
        raise TypeError("amounts are integer cents")
    sign = "-" if cents < 0 else ""
    rands, rest = divmod(abs(cents), 100)
    return f"{sign}R {rands:,}.{rest:02d}".replace(",", " ")


def rands_plain(cents: int) -> str:
    """1250 -> '12.50': for CSV and other machine-read files (no 'R', no grouping)."""
    sign = "-" if cents < 0 else ""
    return f"{sign}{abs(cents) // 100}.{abs(cents) % 100:02d}"
