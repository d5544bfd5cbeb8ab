"""CASH OUT PIN screen (placeholder until it is built)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Static

from till.tui.screens.base import TillScreen


class CashOutScreen(TillScreen):
    title_text = "CASH OUT PIN"

    def compose_body(self) -> ComposeResult:
        yield Static("Not built yet.")
