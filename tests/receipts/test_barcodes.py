"""Barcodes sized from the printer's printable dots, read back from python-escpos's real bytes;
where none fits or the printer draws none, none prints, and the text preview says the same."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from receipts import Barcode, Document, Text, render_bytes, render_text
from receipts.escpos import profile_media
from receipts.layout import Media, barcode_plan, code128_payload
from tests.receipts.escpos_bytes import (
    DOUBLE_WIDTH_AND_HEIGHT,
    barcodes,
    hardware_barcodes,
    print_modes,
    printable_dots,
)

PIN = "1234567890123456"  # a 1Voucher PIN: 16 digits
#: 80 mm (576 dots at 203 dpi; 512 at 180 dpi; the "default" profile knows no width) and
#: 58 mm (384 dots) profiles, with and without hardware barcodes.
WIDE = ("default", "TM-T20II", "TM-T88V", "P822D", "RP-F10-80mm", "TM-T20II-42col")
NARROW_WITH_BARCODES = ("Sunmi-V2", "RP-F10-58mm")
WITHOUT_BARCODES = ("POS-5890", "ZJ-5870", "NT-5890K", "simple", "TM-U220")


def _one(profile: str, data: str = PIN) -> tuple[bytes, str]:
    document = Document.of(Barcode(data))
    media = profile_media(profile)
    return render_bytes(document, profile), render_text(document, media.columns, media)


@pytest.mark.parametrize("profile", WIDE + NARROW_WITH_BARCODES)
def test_a_1voucher_pin_barcode_fits_the_paper(profile: str) -> None:
    """It was `{B` + 16 digits at module 3: 211 modules, 633 dots on a 576-dot printer."""
    data, preview = _one(profile)
    [printed] = barcodes(data)
    assert printed.text == PIN
    assert printed.symbols == 1 + 8 + 1  # start, eight set C pairs, check: half of set B
    assert printed.footprint <= printable_dots(profile), (printed.module, printed.footprint)
    assert 2 <= printed.module <= 6
    lines = preview.splitlines()
    assert [line.strip() for line in lines] == ["|" * len(lines[0].strip()), PIN]


def test_module_width_is_the_widest_that_fits() -> None:
    # 123 modules + 20 of quiet zone: 429 dots at module 3 fits 576, 504 and 512; not 384
    assert {barcodes(_one(p)[0])[0].module for p in WIDE} == {3}
    assert {barcodes(_one(p)[0])[0].module for p in ("Sunmi-V2",)} == {2}  # 286 of 384 dots


@pytest.mark.parametrize("profile", WITHOUT_BARCODES)
def test_no_hardware_barcodes_means_no_barcode_on_paper_or_preview(profile: str) -> None:
    """POS-5890 printed the digits as text while the preview drew a barcode."""
    assert not hardware_barcodes(profile)
    data, preview = _one(profile)
    assert b"\x1dk" not in data and PIN.encode() not in data and b"\x1dv0" not in data
    assert preview == "\n"  # nothing at all: the PIN is printed big elsewhere on the slip


def test_a_barcode_too_wide_for_any_module_prints_none() -> None:
    long = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"  # set B: 36 symbols
    for profile in ("TM-T20II", "Sunmi-V2"):
        data, preview = _one(profile, long)
        assert b"\x1dk" not in data and long.encode() not in data
        assert preview == "\n"


def test_odd_digits_and_text_use_the_shortest_code_sets() -> None:
    [odd] = barcodes(_one("TM-T20II", "6009000000200")[0])  # a gift voucher's 13 digits
    assert odd.text == "6009000000200"
    assert odd.symbols == 1 + 6 + 1 + 1 + 1  # start, 6 pairs, switch to B, a digit, check
    [text] = barcodes(_one("TM-T20II", "AB{12")[0])
    assert text.text == "AB{12" and text.symbols == 1 + 5 + 1
    assert code128_payload("7") == ("{B7", 11 + 11 + 11 + 13)
    assert code128_payload("café") is None and code128_payload("") is None


def test_a_preview_without_media_is_the_default_profile_at_that_width() -> None:
    document = Document.of(Barcode(PIN))
    for columns in (32, 42, 48):
        assert render_text(document, columns) == render_text(
            document, columns, profile_media("default", columns)
        )
    # 42 columns of "default": 504 dots; the 369 dots of bars are 31 of its 42 columns
    assert render_text(document, 42).splitlines()[0].strip() == "|" * 31


def test_fewer_columns_than_the_profile_narrow_the_dots() -> None:
    assert profile_media("TM-T20II") == Media(48, 576, True)
    assert profile_media("TM-T20II", 32) == Media(32, 384, True)
    assert profile_media("default", 32) == Media(32, 384, True)
    assert profile_media("POS-5890") == Media(32, 384, False)
    [printed] = barcodes(render_bytes(Document.of(Barcode(PIN)), "TM-T20II", columns=32))
    assert printed.module == 2 and printed.footprint <= 384


profiles = st.sampled_from(WIDE + NARROW_WITH_BARCODES + WITHOUT_BARCODES)
payloads = st.text(st.characters(min_codepoint=32, max_codepoint=126), min_size=1, max_size=40)


@settings(max_examples=150, deadline=None)
@given(profiles, st.one_of(payloads, st.text("0123456789", min_size=1, max_size=60)))
def test_the_preview_shows_a_barcode_exactly_when_the_printer_prints_one(
    profile: str, text: str
) -> None:
    data, preview = _one(profile, text)
    printed = barcodes(data)
    media = profile_media(profile)
    assert bool(printed) == bool(preview.strip()) == bool(barcode_plan(text, media))
    for barcode in printed:
        assert barcode.text == text
        assert barcode.footprint <= printable_dots(profile)
        bars = preview.splitlines()[0].strip()
        assert abs(len(bars) - barcode.dots / (media.dots / media.columns)) <= 0.5
    assert all(len(line) <= media.columns for line in preview.splitlines())


def test_large_text_is_double_width_and_height_and_wraps_at_half_the_line() -> None:
    document = Document.of(Text("COPY 12", "center", bold=True, large=True), Text("after"))
    data = render_bytes(document, "POS-5890")
    assert print_modes(data, "COPY 12") == [DOUBLE_WIDTH_AND_HEIGHT]
    assert print_modes(data, "after") == [0]  # and back to normal after it
    assert render_text(document, 32).splitlines() == [" " * 12 + "COPY 12", "after"]
    banner = Document.of(Text("TRAINING - NOT A VALID VOUCHER", "center", large=True))
    assert [line.strip() for line in render_text(banner, 32).splitlines()] == [
        "TRAINING - NOT A",
        "VALID VOUCHER",
    ]
    assert b"TRAINING - NOT A\nVALID VOUCHER\n" in render_bytes(banner, "POS-5890")


def test_preview_text_is_what_that_profile_prints() -> None:
    from receipts.escpos import preview_text

    document = Document.of(Text("PIN"), Barcode(PIN))
    assert preview_text(document, "POS-5890") == "PIN\n"  # 32 columns, no barcode
    wide = preview_text(document, "TM-T20II").splitlines()
    assert wide[1].strip() == "|" * 31 and wide[2].strip() == PIN  # 369 of 576 dots: 31 of 48
    assert preview_text(document, None, 32) == render_text(document, 32)


@pytest.mark.parametrize("profile", ["POS-5890", "TM-T20II", "Sunmi-V2"])
def test_the_preview_printer_prints_what_its_profile_would(profile: str, tmp_path: Path) -> None:
    """`kind = "preview"` with a `profile` wrote 42 columns and a barcode to its file while the
    screen showed the profile's 32 columns and none: the file is the same text as the screen."""
    from receipts import open_printer
    from receipts.escpos import preview_text

    document = Document.of(Text("PIN"), Barcode(PIN))
    printer = open_printer("preview", profile=profile, preview_path=tmp_path / "preview.txt")
    assert printer.print(document) is None
    expected = preview_text(document, profile)
    assert printer.columns == profile_media(profile).columns
    assert (tmp_path / "preview.txt").read_text() == expected
    assert printer.printed == [expected]
    assert open_printer("preview").columns == 42  # no profile: as before


def test_the_default_profile_s_preview_printer_loads_no_escpos() -> None:
    """Every preview till has `profile = "default"`: its paper is render_text's own, and the
    screens must not stop to load python-escpos (~0.1 s) for it."""
    import subprocess
    import sys

    probe = (
        "import sys\nfrom receipts import open_printer\n"
        "p = open_printer('preview', profile='default', columns=32)\n"
        "print(p.columns, any(m.split('.')[0] == 'escpos' for m in sys.modules))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=120
    )
    assert done.stdout.split() == ["32", "False"]
