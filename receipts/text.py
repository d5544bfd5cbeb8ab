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


def block_lines(block: Block, width: int, media: layout.Media | None = None) -> list[str]:
    """The text lines one block occupies at `width` columns (never longer than `width`), on a
    printer of `media` (default: `width` columns of 12 dots, barcodes in hardware)."""
    media = media or layout.Media.of_columns(width)
    match block:
        case Title(text):
            return [layout.align(line, width, "center") for line in layout.wrap(text, width)]
        case Text(text, how, _bold, large):
            # double width: the printer fits half as many characters on a line
            lines = layout.wrap(text, max(1, width // 2) if large else width)
            return [layout.align(line, width, how) for line in lines]
        case Row(label, value, _bold):
            return layout.row(label, value, width)
        case BigCode(code, caption):
            lines = [layout.align(c, width, "center") for c in layout.wrap(caption or "", width)]
            _scale, codes = layout.big_code(code, width)
            return [line for line in lines if line] + [
                layout.align(line, width, "center") for line in codes
            ]
        case Barcode(data, symbology):
            plan = layout.barcode_plan(data, media, symbology)
            if plan is None:  # the printer gets no barcode: neither does the preview
                return []
            lines = [layout.barcode_bars(plan, media)[:width], *layout.wrap(data, width)]
            return [layout.align(line, width, "center") for line in lines]
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


def render_text(document: Document, width: int = 42, media: layout.Media | None = None) -> str:
    """The whole document as text, `width` columns wide, ending with a newline.

    `media` is the printer the preview stands for (`receipts.escpos.profile_media`), so a
    barcode shows exactly where that printer prints one; by default, `width` columns of 12
    dots with hardware barcodes (python-escpos's "default" profile at that width).
    """
    if width < 16:
        raise ValueError("a receipt needs at least 16 columns")
    media = media or layout.Media.of_columns(width)
    lines = [line for block in document.blocks for line in block_lines(block, width, media)]
    return "\n".join(line.rstrip() for line in lines) + "\n"
