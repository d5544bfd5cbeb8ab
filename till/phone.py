"""South African cell numbers as cashiers type them and as Flash wants them.

Hand-written on purpose (no phone-number library): the till takes exactly the ways a South
African number is written on a form or a slip, and refuses anything else rather than guess.
"""

from __future__ import annotations

import re

#: Flash's form: 27 and nine digits, no leading 0.
FLASH_MOBILE = re.compile(r"27[0-9]{9}")

#: As typed: groups of ASCII digits (a leading +, one "(0)" for the trunk 0) split by spaces
#: or single hyphens. Letters, other scripts' digits and other symbols never match.
_TYPED = re.compile(r"\+?(?:[0-9]|\(0\))+(?:(?: +| *- *)(?:[0-9]|\(0\))+)*")
#: The compact forms: 082..., 27 82..., +27 82..., 0027 82..., each maybe with (0) after 27.
_COMPACT = re.compile(r"(?:(?:\+27|0027|27)(?:\(0\))?|\(0\)|0)([1-9][0-9]{8})")

_EXAMPLES = "e.g. 082 123 4567 or +27 82 123 4567"


def parse_mobile(text: str) -> str:
    """What a cashier types -> the API's '27821234567'; ValueError for anything else.

    Taken: '0821234567', '082 123 4567', '082-123-4567', '27821234567', '+27821234567',
    '0027821234567', '+27 (0)82 123 4567'. Refused: letters ('0821234567abc'), digits of
    other scripts, a second pair of parentheses, any other symbol, too few or too many digits.
    """
    typed = text.strip(" ")
    if len(typed) > 40 or not _TYPED.fullmatch(typed) or typed.count("(") > 1:
        raise ValueError(f"{text!r} is not a South African cell number ({_EXAMPLES})")
    compact = typed.replace(" ", "").replace("-", "")
    match = _COMPACT.fullmatch(compact)
    if match is None:
        raise ValueError(f"{text!r} is not a South African cell number ({_EXAMPLES})")
    return "27" + match.group(1)


def normalize_mobile(text: str) -> str:
    """`parse_mobile`, or the text as given (stripped) when it is not a number: Flash's
    request model then refuses it with its own message, before anything is written."""
    try:
        return parse_mobile(text)
    except ValueError:
        return text.strip()
