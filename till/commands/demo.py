"""`till demo`: the till in training mode against the built-in sandbox, on the screens or as
one scripted sale printed where the command runs."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from till.money import format_rands

if TYPE_CHECKING:
    from till.commands.base import Subparsers
    from till.config.settings import Settings

#: The demo's scripted sale: a R50 1Voucher.
DEMO_AMOUNT = 5000


async def _demo(settings: Settings) -> int:
    from till.commands.sales import transact

    intro = (
        f"{settings.till.store_name or settings.till.store_id}, till {settings.till.terminal_id}\n"
        f"Selling a 1Voucher for {format_rands(DEMO_AMOUNT)}\n"
    )
    return await transact(
        settings, lambda engine: engine.sell_1voucher(DEMO_AMOUNT), as_json=False, intro=intro
    )


def cmd_demo(args: argparse.Namespace) -> int:
    """The demo is always training: the store's own file (if any) supplies names, never money."""
    from till.commands.screens import DEMO_FORCED, DEMO_IDENTITY, start_screens

    if args.script:
        from till.config.settings import load_settings

        settings = load_settings(args.config, defaults=DEMO_IDENTITY, forced=DEMO_FORCED)
        import asyncio

        return asyncio.run(_demo(settings))
    return start_screens(args.config, demo=True)


def add_parsers(sub: Subparsers) -> None:
    """Register `till demo`."""
    demo = sub.add_parser(
        "demo", help="the till in training mode against the built-in sandbox, preview printer"
    )
    demo.add_argument(
        "--script", action="store_true", help="run one scripted sale and print it (no screens)"
    )
    demo.set_defaults(func=cmd_demo)
