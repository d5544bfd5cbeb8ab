"""The key bar fits 80 columns on every screen: every key it shows is there in full."""

from __future__ import annotations

import html
import re
from pathlib import Path

from tests.tui.harness import till_app, wait_for
from till.sandbox import Fault
from till.tui.app import TillApp
from till.tui.screens.sell import SellScreen


def key_bar(app: TillApp) -> str:
    """The bottom row of the screen as a person sees it."""
    svg = app.export_screenshot()
    cells = re.findall(r'<text class="[^"]*" x="([\d.]+)" y="([\d.]+)"[^>]*>(.*?)</text>', svg)
    rows: dict[float, list[tuple[float, str]]] = {}
    for x, y, text in cells:
        rows.setdefault(float(y), []).append((float(x), html.unescape(text)))
    return "".join(text for _, text in sorted(rows[max(rows)])).replace("\xa0", " ")


def shown_keys(app: TillApp) -> list[str]:
    return [
        f"{key.key_display}{key.description}".replace(" ", "")
        for key in app.screen.query("FooterKey")
    ]


async def test_every_key_the_bar_shows_is_there_in_full(tmp_path: Path) -> None:
    async with till_app(tmp_path) as till, till.app.run_test(size=(80, 24)) as pilot:
        app = till.app
        await wait_for(pilot, lambda: app.catalog)
        for key in ("f2", "f3", "f4", "f5", "f6", "f7", "f8", "f10"):
            await pilot.press(key)
            await wait_for(pilot, lambda: shown_keys(app), "the key bar")
            bar = key_bar(app).replace(" ", "")
            for shown in shown_keys(app):
                assert shown in bar, f"{key}: {shown!r} is cut off in {key_bar(app)!r}"
        # the most keys: a sale in doubt (F9 Slip beside every screen key)
        till.sandbox.faults.inject(Fault("drop"))
        await pilot.press("f2")
        await pilot.press(*"1vou", "enter", *"50", "enter", "enter")
        await wait_for(
            pilot, lambda: isinstance(app.screen, SellScreen) and app.screen.step == "outcome"
        )
        bar = key_bar(app).replace(" ", "")
        for shown in shown_keys(app):
            assert shown in bar, f"{shown!r} is cut off in {key_bar(app)!r}"
