"""Pure line layout shared by every renderer: wrapping, label/value rows, splitting codes."""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass

from receipts.document import Align


def wrap(text: str, width: int) -> list[str]:
    """Word-wrap each paragraph of `text`; a word longer than the line is split, never overflows."""
    lines: list[str] = []
    for paragraph in text.splitlines() or [""]:
        if not paragraph.strip():
            lines.append("")
            continue
        if len(paragraph) <= width and paragraph.isprintable():
            # It fits, and holds no tab or other whitespace to replace: what textwrap would
            # return, without its cost (a receipt wraps ~18 blocks on the sale path).
            lines.append(paragraph.rstrip(" "))
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


# -- paper and barcodes -----------------------------------------------------------------------

#: Font A is 12 dots wide on ESC/POS printers (42 columns on 504 dots, 48 on 576, 32 on 384).
FONT_A_DOTS = 12
#: Code 128 needs ten modules of white either side of the bars to scan (ISO/IEC 15417).
QUIET_MODULES = 10
#: Module widths tried, widest first: 3 dots (0.375 mm at 203 dpi) scans best; 2 is the least
#: GS w accepts. Wider ones only use more paper.
MODULE_WIDTHS = (3, 2)
_START, _SYMBOL, _CHECK, _STOP = 11, 11, 11, 13


@dataclass(frozen=True)
class Media:
    """What a printer can put on paper: `columns` of font A across `dots` printable dots, and
    whether it draws 1-D barcodes itself (ESC/POS GS k, the profile's `barcodeB`)."""

    columns: int
    dots: int
    barcodes: bool = True

    @classmethod
    def of_columns(cls, columns: int) -> Media:
        """A printer known only by its columns: 12 dots a column, barcodes in hardware (the
        python-escpos "default" profile, and what a preview assumes when told nothing else)."""
        return cls(columns, columns * FONT_A_DOTS, True)


@dataclass(frozen=True)
class Code128:
    """A Code 128 symbol as the printer gets it: `payload` for python-escpos (`{C` pairs as byte
    values 0-99, `{B` text), its width in modules (start, data, check, stop) and in dots."""

    text: str
    payload: str
    modules: int
    module: int

    @property
    def dots(self) -> int:
        """Bars only, start to stop pattern."""
        return self.modules * self.module

    @property
    def footprint(self) -> int:
        """Bars and both quiet zones: what must fit across the paper."""
        return (self.modules + 2 * QUIET_MODULES) * self.module


def code128_payload(data: str) -> tuple[str, int] | None:
    """The shortest of the code set encodings tried here, as (payload, modules), or None when
    `data` has a character Code 128 set B cannot carry (only printable ASCII is taken).

    All digits: set C, two digits a symbol (half the width of set B); an odd last digit goes
    in set B after a code set switch. Anything else: set B, one character a symbol, `{` sent
    doubled as the ESC/POS GS k command wants.
    """
    if not data or any(not (" " <= ch <= "~") for ch in data):
        return None
    frame = _START + _CHECK + _STOP
    options = [("{B" + data.replace("{", "{{"), frame + _SYMBOL * len(data))]
    if data.isdigit() and len(data) >= 2:
        even = len(data) - len(data) % 2
        pairs = "".join(chr(int(data[i : i + 2])) for i in range(0, even, 2))
        payload, modules = "{C" + pairs, frame + _SYMBOL * (even // 2)
        if even < len(data):
            payload, modules = payload + "{B" + data[even:], modules + 2 * _SYMBOL
        options.append((payload, modules))
    return min(options, key=lambda option: option[1])


def barcode_plan(data: str, media: Media, symbology: str = "CODE128") -> Code128 | None:
    """The Code 128 symbol for `data` at the widest module that fits the paper with its quiet
    zones, or None: no barcode at all (the printer cannot draw one, or none fits)."""
    if not media.barcodes or symbology.upper().replace("-", "") != "CODE128":
        return None
    encoded = code128_payload(data)
    if encoded is None:
        return None
    payload, modules = encoded
    for module in MODULE_WIDTHS:
        plan = Code128(data, payload, modules, module)
        if plan.footprint <= media.dots:
            return plan
    return None


def barcode_bars(plan: Code128, media: Media) -> str:
    """The bars as a preview draws them: one `|` per column the symbol covers on paper."""
    columns = max(1, round(plan.dots * media.columns / media.dots))
    return "|" * min(columns, media.columns)
