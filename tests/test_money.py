"""Rands typed by a cashier become exact integer cents; cents print the South African way."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from till.digits import format_sts_token, group_digits, ungroup
from till.money import format_rands, parse_rands


@pytest.mark.parametrize(
    ("text", "cents"),
    [("50", 5000), ("50.00", 5000), ("50,5", 5050), ("R 12.50", 1250), ("0.1", 10), (" 7 ", 700)],
)
def test_parse_rands(text: str, cents: int) -> None:
    assert parse_rands(text) == cents


@pytest.mark.parametrize("text", ["", "abc", "12.345", "-5", "1e3", "5.", "R", "12 50"])
def test_parse_rands_refuses(text: str) -> None:
    with pytest.raises(ValueError, match="not an amount"):
        parse_rands(text)


@given(st.integers(min_value=0, max_value=10**11 - 1))
def test_format_then_parse_round_trips(cents: int) -> None:
    text = format_rands(cents).replace(" ", "").removeprefix("R")
    assert parse_rands(text) == cents


def test_format_rands() -> None:
    assert format_rands(1250) == "R 12.50"
    assert format_rands(123456789) == "R 1 234 567.89"
    with pytest.raises(TypeError):
        format_rands(12.5)  # type: ignore[arg-type]


def test_grouping() -> None:
    assert group_digits("1234567812345678") == "1234 5678 1234 5678"
    assert format_sts_token("12345678901234567890") == "1234-5678-9012-3456-7890"


@given(st.text(alphabet="0123456789", min_size=1, max_size=40), st.sampled_from([" ", "  ", "\t"]))
def test_ungroup_undoes_any_grouping(digits: str, sep: str) -> None:
    """A PIN or meter typed in groups, scanned, or copied off a slip is the same number."""
    assert ungroup(group_digits(digits, 4, sep)) == digits
    assert ungroup(f" {group_digits(digits, 3)} \n") == digits
