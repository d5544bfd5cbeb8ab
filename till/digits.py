"""Long digit strings (voucher PINs, STS tokens) grouped so a customer can read them aloud."""

from __future__ import annotations

import re


def ungroup(value: str) -> str:
    """'1234 5678' -> '12345678': a PIN, meter or serial as typed or scanned, spaces out.

    Only ASCII spaces, tabs and line ends go: any other character (an exotic space, a control
    character, a digit of another script) is kept, for the request's check to refuse."""
    return re.sub(r"[ \t\r\n]+", "", value)


def group_digits(value: str, size: int = 4, sep: str = " ") -> str:
    """'1234567812345678' -> '1234 5678 1234 5678'."""
    compact = ungroup(value)
    return sep.join(compact[i : i + size] for i in range(0, len(compact), size))


def format_sts_token(token: str) -> str:
    """A 20-digit STS token in the 4-4-4-4-4 groups printed on every prepaid slip."""
    return group_digits(token, 4, "-")
