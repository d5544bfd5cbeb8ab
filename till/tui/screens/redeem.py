"""REDEEM A 1VOUCHER screen (placeholder until it is built)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Static

from till.tui.screens.base import TillScreen


class RedeemScreen(TillScreen):
    title_text = "REDEEM A 1VOUCHER"

    def compose_body(self) -> ComposeResult:
        yield Static("Not built yet.")
