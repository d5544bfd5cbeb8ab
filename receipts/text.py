"""Plain-text rendering: the on-screen preview, file output, and what tests read."""

from __future__ import annotations

from receipts import layout
from receipts.document import (
    Barcode,
    BigCode,
    Block,
    Cut,
    Document,
    DrawerKick,
    Feed,
    Paragraph,
    QRCode,
    Row,
    Rule,
    Text,
    Title,
)


def block_lines(block: Block, width: int) -> list[str]:
    """The text lines one block occupies at `width` columns (never longer than `width`)."""
    match block:
        case Title(text):
            return [layout.align(line, width, "center") for line in layout.wrap(text, width)]
        case Text(text, how, _bold):
            return [layout.align(line, width, how) for line in layout.wrap(text, width)]
        case Row(label, value, _bold):
            return layout.row(label, value, width)
        case BigCode(code, caption):
            lines = [layout.align(c, width, "center") for c in layout.wrap(caption or "", width)]
            _scale, codes = layout.big_code(code, width)
            return [line for line in lines if line] + [
                layout.align(line, width, "center") for line in codes
            ]
        case Barcode(data, _symbology):
            return [
                layout.align(line, width, "center") for line in layout.wrap(f"|| {data} ||", width)
            ]
        case QRCode(data):
            return [
                layout.align(line, width, "center") for line in layout.wrap(f"[QR] {data}", width)
            ]
        case Rule(char):
            return [(char or "-")[0] * width]
        case Paragraph(text, how):
            return [layout.align(line, width, how) for line in layout.wrap(text, width)]
        case Feed(lines):
            return [""] * max(0, lines)
        case Cut():
            return ["", "- " * (width // 2), ""]
        case DrawerKick():
            return []
    raise TypeError(f"unknown receipt block {block!r}")


def render_text(document: Document, width: int = 42) -> str:
    """The whole document as text, `width` columns wide, ending with a newline."""
    if width < 16:
        raise ValueError("a receipt needs at least 16 columns")
    lines = [line for block in document.blocks for line in block_lines(block, width)]
    return "\n".join(line.rstrip() for line in lines) + "\n"
