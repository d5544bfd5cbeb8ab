"""The text renderer and the line layout it shares with ESC/POS: every block, every width."""

from __future__ import annotations

import itertools
import re
import textwrap

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from receipts import (
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
    layout,
    render_text,
)
from receipts.text import block_lines


def lines(*blocks: Block, width: int = 32) -> list[str]:
    return render_text(Document.of(*blocks), width).split("\n")[:-1]


# -- each block ---------------------------------------------------------------------------------


def test_title_is_centred() -> None:
    assert lines(Title("Shop")) == [" " * 14 + "Shop"]


@pytest.mark.parametrize(
    ("how", "expected"),
    [("left", "abc"), ("center", " " * 14 + "abc"), ("right", " " * 29 + "abc")],
)
def test_text_alignment(how: str, expected: str) -> None:
    assert lines(Text("abc", how)) == [expected]  # type: ignore[arg-type]


def test_text_wraps_and_keeps_its_own_lines() -> None:
    assert lines(Text("one two three four five six seven", "left"), width=16) == [
        "one two three",
        "four five six",
        "seven",
    ]
    assert lines(Text("first\nsecond")) == ["first", "second"]


def test_row_on_one_line_when_it_fits() -> None:
    assert lines(Row("Amount", "R 50.00")) == ["Amount" + " " * 19 + "R 50.00"]
    assert len(lines(Row("Amount", "R 50.00"))[0]) == 32


def test_row_that_does_not_fit_puts_the_value_right_aligned_below() -> None:
    got = lines(Row("A rather long label here", "a value too long"), width=32)
    assert got == ["A rather long label here", " " * 16 + "a value too long"]


def test_bigcode_with_caption() -> None:
    assert lines(BigCode("1234 5678", caption="PIN")) == [
        " " * 14 + "PIN",
        " " * 11 + "1234 5678",
    ]
    assert lines(BigCode("1234 5678")) == [" " * 11 + "1234 5678"]


def test_bigcode_breaks_between_groups_when_too_wide() -> None:
    token = "1234-5678-9012-3456-7890"
    assert lines(BigCode(token), width=16) == [" 1234-5678-9012", "   3456-7890"]
    assert lines(BigCode(token), width=24) == [token]


def test_barcode_qr_rule_feed_cut_drawer() -> None:
    # set C: start, 3 pairs, check, stop = 68 modules at 3 dots = 204 of 384 dots: 17 columns
    assert lines(Barcode("123456")) == [("|" * 17).center(32).rstrip(), " " * 13 + "123456"]
    assert lines(QRCode("https://x.test")) == [" " * 6 + "[QR] https://x.test"]
    assert lines(Rule()) == ["-" * 32]
    assert lines(Rule("=")) == ["=" * 32]
    assert lines(Rule("")) == ["-" * 32]
    assert lines(Feed(3)) == ["", "", ""]
    assert block_lines(Feed(-1), 32) == []
    assert lines(Cut()) == ["", "- " * 15 + "-", ""]
    assert block_lines(DrawerKick(), 32) == []


def test_paragraph_wraps_at_words() -> None:
    text = "Redeem at any 1Voucher merchant or online with the 16-digit PIN."
    assert lines(Paragraph(text), width=20) == textwrap.wrap(text, 20)


def test_document_ends_with_newline_and_has_a_minimum_width() -> None:
    assert render_text(Document.of(Text("x"))) == "x\n"
    assert render_text(Document.of(Text("x")) + Document.of(Text("y"))) == "x\ny\n"
    with pytest.raises(ValueError):
        render_text(Document.of(Text("x")), 15)


def test_unknown_block_is_refused() -> None:
    with pytest.raises(TypeError):
        block_lines("not a block", 32)  # type: ignore[arg-type]


def test_row_keeps_long_words_inside_the_line() -> None:
    for line in lines(Row("L" * 50, "V" * 50), width=20):
        assert len(line) <= 20


# -- property: nothing ever overflows the paper --------------------------------------------------

printable = st.text(
    st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp")), min_size=0, max_size=120
)
aligns = st.sampled_from(["left", "center", "right"])
codes = st.lists(st.text("0123456789", min_size=1, max_size=8), min_size=1, max_size=8).map(
    " ".join
)
blocks: st.SearchStrategy[Block] = st.one_of(
    st.builds(Title, printable),
    st.builds(Text, printable, aligns, st.booleans(), st.booleans()),
    st.builds(Row, printable, printable, st.booleans()),
    st.builds(BigCode, codes, st.none() | printable),
    st.builds(BigCode, printable),
    st.builds(Barcode, st.text("0123456789", min_size=1, max_size=40)),
    st.builds(QRCode, printable),
    st.builds(Rule, st.text(min_size=0, max_size=3)),
    st.builds(Paragraph, printable, aligns),
    st.builds(Feed, st.integers(-2, 4)),
    st.just(Cut()),
    st.just(DrawerKick()),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(blocks, max_size=12), st.integers(16, 64))
def test_no_line_is_wider_than_the_paper(doc: list[Block], width: int) -> None:
    text = render_text(Document(tuple(doc)), width)
    assert text.endswith("\n")
    for line in text.split("\n"):
        assert len(line) <= width, (width, line)


words = st.lists(st.text("abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=12), min_size=1)


@settings(max_examples=200, deadline=None)
@given(words, st.integers(16, 64))
def test_paragraphs_never_split_a_word_that_fits(ws: list[str], width: int) -> None:
    got = lines(Paragraph(" ".join(ws)), width=width)
    assert " ".join(got).split() == ws
    assert all(len(line) <= width for line in got)


groups = st.lists(st.text("0123456789", min_size=1, max_size=6), min_size=1, max_size=10)


@settings(max_examples=300, deadline=None)
@given(groups, st.sampled_from([" ", "-"]), st.integers(6, 48))
def test_code_lines_break_only_between_groups(gs: list[str], sep: str, width: int) -> None:
    out = layout.code_lines(sep.join(gs), width)
    assert all(len(line) <= width for line in out)
    assert [g for line in out for g in re.split("[ -]", line)] == gs  # whole groups, in order
    for first, second in itertools.pairwise(out):
        assert len(first + sep + second.split(sep)[0]) > width  # broke only when it had to


def test_code_lines_refuses_a_zero_width() -> None:
    with pytest.raises(ValueError):
        layout.code_lines("1234", 0)


def test_big_code_is_double_width_only_when_it_fits_half_a_line() -> None:
    assert layout.big_code("1234 5678 9012 3456", 42) == (2, ["1234 5678 9012 3456"])
    assert layout.big_code("1234 5678 9012 3456", 32)[0] == 1
    assert layout.big_code("1234-5678-9012-3456-7890", 32) == (1, ["1234-5678-9012-3456-7890"])


def _textwrap_wrap(text: str, width: int) -> list[str]:
    """`layout.wrap` as it was, all through textwrap: what its fast path must agree with."""
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


@settings(max_examples=500, deadline=None)
@given(
    st.text(alphabet=st.sampled_from(list("ab -.\t\u00a0\u3000é")), max_size=60),
    st.integers(min_value=1, max_value=48),
)
def test_wrap_takes_its_short_cut_only_where_textwrap_agrees(text: str, width: int) -> None:
    assert layout.wrap(text, width) == _textwrap_wrap(text, width)
