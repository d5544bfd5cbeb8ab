"""ESC/POS rendering through python-escpos, kept out of start-up and out of the terminal.

python-escpos takes ~0.3 s to import, calls `logging.basicConfig()` (a root handler on stderr)
and prints to stdout ("Using hardware barcode renderer"), and leaves a temp dir per import. So
it is imported only when a receipt is first printed, with its side effects undone, and its
printing runs with stdout captured.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

from receipts import layout
from receipts.document import (
    Barcode,
    BigCode,
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
from receipts.text import render_text

DEFAULT_PROFILE = "default"  # 42 columns on 80 mm paper


@contextlib.contextmanager
def quiet() -> Iterator[None]:
    """Keep python-escpos off the screen and out of the app's logging set-up.

    It prints to stdout, and calls module-level `logging.info()` when a device opens or closes,
    which runs `logging.basicConfig()` (a root stderr handler) if the root logger has none: that
    handler would swallow the app's own later `basicConfig`. Both are undone here.
    """
    root = logging.getLogger()
    handlers = list(root.handlers)
    level = root.level
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            yield
    finally:
        for handler in root.handlers[:]:
            if handler not in handlers:
                root.removeHandler(handler)
        root.setLevel(level)


@cache
def _capabilities() -> ModuleType:
    """python-escpos's profile database alone (~0.1 s), its import-time side effects undone."""
    cache_dir = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "till" / "escpos"
    with contextlib.suppress(OSError):
        cache_dir.mkdir(parents=True, exist_ok=True)
        os.environ.setdefault("ESCPOS_CAPABILITIES_PICKLE_DIR", str(cache_dir))
    with quiet():
        import escpos.capabilities as capabilities
    module: ModuleType = capabilities  # python-escpos has no type hints
    return module


@cache
def escpos_modules() -> tuple[ModuleType, ModuleType]:
    """Import python-escpos once, undoing its import-time side effects."""
    capabilities = _capabilities()
    with quiet():
        import escpos.printer as printer
    return printer, capabilities


def unknown_profile(name: str) -> str | None:
    """Why `name` is not a capability profile python-escpos knows, naming the closest ones;
    None when it is one. The config checks it, so a misspelt profile never reaches a sale."""
    import difflib

    try:
        known = sorted(_capabilities().CAPABILITIES["profiles"])
    except Exception:  # python-escpos cannot load at all: the first print says why
        return None
    if name in known:
        return None
    close = difflib.get_close_matches(name, known, n=3, cutoff=0.6)
    hint = f" (did you mean {' or '.join(repr(c) for c in close)}?)" if close else ""
    return f"is not a printer profile python-escpos knows{hint}: see docs/printers.md"


def profile_columns(profile: str | None) -> int:
    """Characters per line in font A for a python-escpos capability profile (42, 48, 32...)."""
    _, capabilities = escpos_modules()
    return int(capabilities.get_profile(profile or DEFAULT_PROFILE).get_columns("a"))


def media_of(capability: Any, columns: int | None = None) -> layout.Media:
    """What a python-escpos capability profile puts on paper, at `columns` if overridden.

    The printable width is the profile's `media.width.pixels` (dots); a profile that does not
    know it (the "default" one) gets 12 dots a column of font A. Fewer columns than the profile
    has (a 58 mm roll in an 80 mm printer's profile) narrow the dots in proportion. Barcodes
    are drawn only by printers that draw them themselves (`barcodeB`: GS k with CODE128).
    """
    own = int(capability.get_columns("a"))
    wanted = columns or own
    media = capability.profile_data.get("media") or {}
    pixels = (media.get("width") or {}).get("pixels")
    if isinstance(pixels, int) and not isinstance(pixels, bool) and pixels > 0:
        dots = pixels if wanted >= own else pixels * wanted // own
    else:
        dots = wanted * layout.FONT_A_DOTS
    return layout.Media(wanted, dots, bool(capability.supports("barcodeB")))


def profile_media(profile: str | None, columns: int | None = None) -> layout.Media:
    """`media_of` a profile by name: what a preview passes to `render_text` to show exactly
    what that printer prints."""
    _, capabilities = escpos_modules()
    return media_of(capabilities.get_profile(profile or DEFAULT_PROFILE), columns)


def preview_text(document: Document, profile: str | None, columns: int | None = None) -> str:
    """The text preview of what a printer of this profile prints: its columns, and a barcode
    only where it prints one (none on a printer without hardware barcodes)."""
    media = profile_media(profile, columns)
    return render_text(document, media.columns, media)


def render_escpos(document: Document, device: Any, columns: int | None = None) -> None:
    """Send `document` to a python-escpos printer object (Dummy, Usb, Network, ...)."""
    media = media_of(device.profile, columns)
    with quiet():
        device.hw("INIT")  # every job starts from a known state
        device.set(align="left", normal_textsize=True, bold=False)
        for block in document.blocks:
            _block(device, block, media)


def _lines(device: Any, lines: list[str]) -> None:
    for line in lines:
        device.textln(line)


def _block(device: Any, block: object, media: layout.Media) -> None:
    width = media.columns
    match block:
        case Title(text):
            device.set(align="center", bold=True, double_height=True)
            _lines(device, layout.wrap(text, width))
            device.set(align="left", bold=False, normal_textsize=True)
        case Text(text, how, bold, large):
            if large:
                device.set(align=how, bold=bold, double_width=True, double_height=True)
                _lines(device, layout.wrap(text, max(1, width // 2)))
                device.set(align="left", bold=False, normal_textsize=True)
            else:
                device.set(align=how, bold=bold)
                _lines(device, layout.wrap(text, width))
                device.set(align="left", bold=False)
        case Row(label, value, bold):
            device.set(align="left", bold=bold)
            _lines(device, layout.row(label, value, width))
            device.set(bold=False)
        case BigCode(code, caption):
            if caption:
                device.set(align="center")
                _lines(device, layout.wrap(caption, width))
            scale, lines = layout.big_code(code, width)
            device.set(align="center", bold=True, double_height=True, double_width=scale == 2)
            _lines(device, lines)
            device.set(align="left", bold=False, normal_textsize=True)
        case Barcode(data, symbology):
            # Sized from the printable dots; where none fits or the printer draws none, nothing
            # prints (the text preview shows none either). Hardware only: python-escpos's
            # software fallback would draw "{B..." as data, at a width no one chose.
            plan = layout.barcode_plan(data, media, symbology)
            if plan is not None:
                device.barcode(
                    plan.payload,
                    "CODE128",
                    width=plan.module,
                    pos="BELOW",
                    function_type="B",
                    align_ct=True,
                )
                device.set(align="left")
        case QRCode(data):
            device.set(align="center")
            device.qr(data, native=True)
            device.set(align="left")
        case Rule(char):
            device.textln((char or "-")[0] * width)
        case Paragraph(text, how):
            device.set(align=how)
            _lines(device, layout.wrap(text, width))
            device.set(align="left")
        case Feed(lines):
            device.ln(max(0, lines))
        case Cut():
            device.cut()
        case DrawerKick(pin):
            device.cashdraw(pin)
        case _:
            raise TypeError(f"unknown receipt block {block!r}")
