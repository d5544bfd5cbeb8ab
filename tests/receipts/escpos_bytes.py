"""Reading ESC/POS bytes back, independently of the renderer: hardware barcodes (GS k) with the
module width in force (GS w), the Code 128 symbol each one draws, and the character size
(ESC !) a text was printed at. The printable width comes straight from python-escpos's
capability profile, not from `receipts`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from receipts.escpos import escpos_modules

GS_K_CODE128 = b"\x1dkI"  # GS k m=73: CODE128, function B (length byte, then data)
GS_W = b"\x1dw"  # GS w n: module width in dots
ESC_BANG = b"\x1b!"  # ESC ! n: print mode; 0x10 double height, 0x20 double width
FONT_A_DOTS = 12
QUIET_MODULES = 10


@dataclass(frozen=True)
class PrintedBarcode:
    text: str  # what a scanner reads
    module: int  # dots per module (GS w)
    symbols: int  # start, data, code set switches, check (each 11 modules); stop is 13

    @property
    def modules(self) -> int:
        return self.symbols * 11 + 13

    @property
    def dots(self) -> int:
        """Bars from start to the end of the stop pattern."""
        return self.modules * self.module

    @property
    def footprint(self) -> int:
        """Bars and a quiet zone of ten modules each side."""
        return (self.modules + 2 * QUIET_MODULES) * self.module


def decode_code128(payload: bytes) -> tuple[str, int]:
    """ESC/POS CODE128 data (`{A`/`{B`/`{C` code set selections, `{{` for a brace, set C as
    byte values 0-99) -> (the text it encodes, the number of 11-module symbols with check)."""
    assert payload[:1] == b"{" and payload[1:2] in (b"A", b"B", b"C"), payload[:2]
    code_set, symbols, text, i = payload[1:2], 1, "", 2  # the start symbol
    while i < len(payload):
        byte = payload[i]
        if byte == ord("{") and payload[i + 1 : i + 2] in (b"A", b"B", b"C"):
            code_set, symbols, i = payload[i + 1 : i + 2], symbols + 1, i + 2
            continue
        if byte == ord("{"):
            assert payload[i + 1 : i + 2] == b"{", payload
            text, symbols, i = text + "{", symbols + 1, i + 2
            continue
        if code_set == b"C":
            assert byte <= 99, payload
            text += f"{byte:02d}"
        else:
            text += chr(byte)
        symbols, i = symbols + 1, i + 1
    return text, symbols + 1  # the check symbol


def barcodes(data: bytes) -> list[PrintedBarcode]:
    """Every CODE128 barcode in `data`, at the module width set before it."""
    found: list[PrintedBarcode] = []
    at = data.find(GS_K_CODE128)
    while at >= 0:
        length = data[at + 3]
        payload = data[at + 4 : at + 4 + length]
        width_at = data.rfind(GS_W, 0, at)
        assert width_at >= 0, "a barcode without GS w"
        text, symbols = decode_code128(payload)
        found.append(PrintedBarcode(text, data[width_at + 2], symbols))
        at = data.find(GS_K_CODE128, at + 4 + length)
    assert data.count(b"\x1dk") == len(found), "a barcode other than CODE128 function B"
    return found


def printable_dots(profile: str) -> int:
    """The profile's printable width in dots (`media.width.pixels`), or 12 dots a font A
    column where the profile does not know it (python-escpos's "default")."""
    capability = _profile(profile)
    pixels = capability.profile_data["media"]["width"].get("pixels")
    if isinstance(pixels, int):
        return pixels
    return int(capability.get_columns("a")) * FONT_A_DOTS


def hardware_barcodes(profile: str) -> bool:
    return bool(_profile(profile).supports("barcodeB"))


def _profile(name: str) -> Any:
    _, capabilities = escpos_modules()  # imported quietly, as the till does
    return capabilities.get_profile(name)


def print_modes(data: bytes, text: str) -> list[int]:
    """The ESC ! print mode in force at each occurrence of `text`."""
    modes: list[int] = []
    needle = text.encode()
    at = data.find(needle)
    while at >= 0:
        mode_at = data.rfind(ESC_BANG, 0, at)
        modes.append(data[mode_at + 2] if mode_at >= 0 else 0)
        at = data.find(needle, at + 1)
    return modes


DOUBLE_WIDTH_AND_HEIGHT = 0x30
