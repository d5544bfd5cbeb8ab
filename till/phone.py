"""South African cell numbers as cashiers type them and as Flash wants them."""

from __future__ import annotations

import re

#: Flash's form: 27 and nine digits, no leading 0.
FLASH_MOBILE = re.compile(r"27\d{9}")


def normalize_mobile(text: str) -> str:
    """What a cashier types ('082 123 4567', '+27821234567') -> the API's '27821234567'."""
    digits = "".join(ch for ch in text if ch.isdigit())
    if len(digits) == 10 and digits.startswith("0"):
        return "27" + digits[1:]
    return digits if digits else text.strip()
