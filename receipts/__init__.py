"""Receipts: a small document model, a text renderer and ESC/POS printers. Imports nothing from
till, and does not import python-escpos until something is printed."""

from receipts.document import (
    Align,
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
from receipts.printers import (
    EscposPrinter,
    PreviewPrinter,
    PrinterFault,
    PrinterKind,
    PrintError,
    PrinterStatus,
    ReceiptPrinter,
    open_printer,
    render_bytes,
)
from receipts.text import render_text

__all__ = [
    "Align",
    "Barcode",
    "BigCode",
    "Block",
    "Cut",
    "Document",
    "DrawerKick",
    "EscposPrinter",
    "Feed",
    "Paragraph",
    "PreviewPrinter",
    "PrintError",
    "PrinterFault",
    "PrinterKind",
    "PrinterStatus",
    "QRCode",
    "ReceiptPrinter",
    "Row",
    "Rule",
    "Text",
    "Title",
    "open_printer",
    "render_bytes",
    "render_text",
]
