"""Pure line layout shared by every renderer: wrapping, label/value rows, splitting codes."""

from __future__ import annotations

import re
import textwrap

from receipts.document import Align


def wrap(text: str, width: int) -> list[str]:
    """Word-wrap each paragraph of `text`; a word longer than the line is split, never overflows."""
    lines: list[str] = []
    for paragraph in text.splitlines() or [""]:
        if not paragraph.strip():
            lines.append("")
            continue
        lines.extend(
            textwrap.wrap(
                paragraph,
                width=width,
                break_long_words=True,
                break_on_hyphens=False,
                replace_whitespace=True,
            )
        )
    return lines


def align(line: str, width: int, how: Align) -> str:
    if how == "center":
        return line.center(width).rstrip()
    if how == "right":
        return line.rjust(width)
    return line


def row(label: str, value: str, width: int) -> list[str]:
    """`label ....... value` on one line when it fits; otherwise label, then value on the right."""
    label, value = label.strip(), value.strip()
    if len(label) + 1 + len(value) <= width:
        return [label + " " * (width - len(label) - len(value)) + value]
    return wrap(label, width) + [align(part, width, "right") for part in wrap(value, width)]


_GROUP_SEPARATOR = re.compile(r"(?<=[ -])")


def code_lines(code: str, width: int) -> list[str]:
    """Split a grouped PIN/token into lines of at most `width`, breaking only between groups."""
    if width < 1:
        raise ValueError("width must be positive")
    pieces = [p for p in _GROUP_SEPARATOR.split(code.strip()) if p]
    lines: list[str] = []
    current = ""
    for piece in pieces:
        if current and len((current + piece).rstrip(" -")) > width:
            lines.append(current.rstrip(" -"))
            current = ""
        current += piece
    if current:
        lines.append(current.rstrip(" -"))
    # A single group wider than the line (never for PINs/tokens) is hard-split.
    return [chunk for line in lines for chunk in _chop(line, width)]


def _chop(line: str, width: int) -> list[str]:
    return [line[i : i + width] for i in range(0, len(line), width)] or [""]


def big_code(code: str, width: int) -> tuple[int, list[str]]:
    """How a PIN/token prints: (2, lines) double width when it fits half the line, else (1, lines)
    at normal width (still double height and bold), so a code stays on one line where it can."""
    code = code.strip()
    if len(code) <= width // 2:
        return 2, [code]
    return 1, code_lines(code, width)
