"""Every screen of the till, by mode name (the app binds each to its key).

Only the Sell screen is imported at start; the others load when first opened (or in the
background once the till is up), so the till is ready to sell sooner.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module

from textual.screen import Screen

_WHERE: dict[str, tuple[str, str]] = {
    "sell": ("till.tui.screens.sell", "SellScreen"),
    "redeem": ("till.tui.screens.redeem", "RedeemScreen"),
    "refund": ("till.tui.screens.refund", "RefundScreen"),
    "vend": ("till.tui.screens.vend", "VendScreen"),
    "cashout": ("till.tui.screens.cashout", "CashOutScreen"),
    "journal": ("till.tui.screens.journal", "JournalScreen"),
    "in_doubt": ("till.tui.screens.in_doubt", "InDoubtScreen"),
    "disburse": ("till.tui.screens.disburse", "DisburseScreen"),
}


def _factory(module: str, name: str) -> Callable[[], Screen[None]]:
    def make() -> Screen[None]:
        screen: Screen[None] = getattr(import_module(module), name)()
        return screen

    return make


SCREENS: dict[str, Callable[[], Screen[None]]] = {
    mode: _factory(module, name) for mode, (module, name) in _WHERE.items()
}
SCREEN_MODULES: tuple[str, ...] = tuple(module for module, _ in _WHERE.values())
