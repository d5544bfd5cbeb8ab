"""A receipt as data: a short list of blocks that any renderer (text, ESC/POS) can lay out.

Slips are built as documents by pure functions, so what a receipt says is tested without a
printer, and the same document prints on 58 mm and 80 mm paper or shows on screen.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Align = Literal["left", "center", "right"]


@dataclass(frozen=True)
class Title:
    """A heading, centred and bold (double height on paper)."""

    text: str


@dataclass(frozen=True)
class Text:
    """One or more lines, wrapped at the paper width.

    `large` prints double width and double height (COPY n, TRAINING): half as many characters
    fit a line, so it wraps at half the width.
    """

    text: str
    align: Align = "left"
    bold: bool = False
    large: bool = False


@dataclass(frozen=True)
class Row:
    """A label on the left and its value on the right, e.g. `Amount ...... R 50.00`."""

    label: str
    value: str
    bold: bool = False


@dataclass(frozen=True)
class BigCode:
    """A PIN or token the customer must read: double size, bold, split between its groups.

    `code` is already grouped ("1234 5678 ..."); lines break only at spaces or dashes.
    """

    code: str
    caption: str | None = None


@dataclass(frozen=True)
class Barcode:
    """A 1-D barcode (CODE128) of `data`, with its text beneath, sized to the paper.

    Printed only where the printer draws barcodes itself and one fits the printable width with
    its quiet zones (`layout.barcode_plan`); otherwise nothing prints, and the preview says so.
    """

    data: str
    symbology: str = "CODE128"


@dataclass(frozen=True)
class QRCode:
    data: str


@dataclass(frozen=True)
class Rule:
    """A full-width line of `char`."""

    char: str = "-"


@dataclass(frozen=True)
class Paragraph:
    """Running text (instructions, terms), word-wrapped at the paper width."""

    text: str
    align: Align = "left"


@dataclass(frozen=True)
class Feed:
    lines: int = 1


@dataclass(frozen=True)
class Cut:
    """Feed and cut the paper: the end of one receipt."""


@dataclass(frozen=True)
class DrawerKick:
    """Open the cash drawer wired to the printer."""

    pin: Literal[2, 5] = 2


Block = Title | Text | Row | BigCode | Barcode | QRCode | Rule | Paragraph | Feed | Cut | DrawerKick


@dataclass(frozen=True)
class Document:
    blocks: tuple[Block, ...]

    @classmethod
    def of(cls, *blocks: Block) -> Document:
        return cls(tuple(blocks))

    def __add__(self, other: Document) -> Document:
        return Document(self.blocks + other.blocks)
