"""Every screen of the till, by mode name (the app binds each to its key)."""

from __future__ import annotations

from collections.abc import Callable

from textual.screen import Screen

from till.tui.screens.cashout import CashOutScreen
from till.tui.screens.in_doubt import InDoubtScreen
from till.tui.screens.journal import JournalScreen
from till.tui.screens.redeem import RedeemScreen
from till.tui.screens.refund import RefundScreen
from till.tui.screens.sell import SellScreen
from till.tui.screens.vend import VendScreen

SCREENS: dict[str, Callable[[], Screen[None]]] = {
    "sell": SellScreen,
    "redeem": RedeemScreen,
    "refund": RefundScreen,
    "vend": VendScreen,
    "cashout": CashOutScreen,
    "journal": JournalScreen,
    "in_doubt": InDoubtScreen,
}
