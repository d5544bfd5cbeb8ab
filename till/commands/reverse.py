"""`till reverse REF --reason TEXT`: void a sale this till made (Flash's reversal, rev 3.0).

One engine call (`SaleEngine.reverse_sale`), printed as every transaction command prints its
outcome (`till.commands.sales.transact`), `--json` alike. Which sales can be voided, and what is
refused before anything is written or sent, is `till.sales.reversal`'s; a supervisor approves
when [staff] is on (`--approver ID`, their PIN asked, or read with `--pin-stdin`).
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from till.commands.base import EXIT_USAGE, fail, reference, starting, user_id

if TYPE_CHECKING:
    from till.commands.base import Subparsers
    from till.sales import Outcome, SaleEngine


def cmd_reverse(args: argparse.Namespace) -> int:
    import asyncio

    with starting():
        from till.commands.approval import verified_approver, verified_cashier
        from till.commands.sales import product_list, transact
        from till.config.settings import load_settings
        from till.money import format_rands
        from till.sales import InputError
        from till.sales.reversal import clean_reason

        settings = load_settings(args.config)
    try:
        reason = clean_reason(args.reason)
    except InputError as exc:
        return fail(f"--reason: {exc.message} (nothing was sent)", EXIT_USAGE)
    sale: str = args.reference
    # The product list says whether Flash allows a product's sales to be voided (allowReversal).
    products = asyncio.run(product_list(settings))
    cashier = verified_cashier(settings, args)  # PINs in this order: the cashier's, the approver's
    approver = verified_approver(settings, args)
    answers: list[Outcome] = []

    async def void(engine: SaleEngine) -> Outcome:
        outcome = await engine.reverse_sale(sale, reason=reason)
        answers.append(outcome)
        return outcome

    status = asyncio.run(
        transact(
            settings, void, as_json=args.json, approver=approver, cashier=cashier,
            products=products,
        )
    )  # fmt: skip
    if answers and not args.json and answers[0].status == "approved":
        back = format_rands(answers[0].entry.amount or 0)
        print(f"Sale {sale} is voided: give the customer {back} back.")
    return status


def add_parsers(sub: Subparsers) -> None:
    """Register `till reverse` under the main parser."""
    reverse = sub.add_parser(
        "reverse",
        help="void a sale this till made (1Voucher, Cash Out PIN, Eezi voucher)",
        description="Void (reverse at Flash) an approved 1Voucher, Cash Out PIN or Eezi voucher "
        "sale this till made: the customer gets its money back, its voucher or PIN is dead. "
        "Flash refuses a voucher already used, and one past its time limit.",
    )
    reverse.add_argument("reference", type=reference, metavar="REF", help="the sale's reference")
    reverse.add_argument(
        "--reason",
        required=True,
        metavar="TEXT",
        help="why it is voided (at most 43 characters; Flash keeps it)",
    )
    reverse.add_argument("--json", action="store_true", help="print one JSON object instead")
    reverse.add_argument(
        "--approver",
        type=user_id,
        metavar="ID",
        help="the supervisor who approves the void (their PIN is asked); needed when [staff] is on",
    )
    reverse.add_argument(
        "--cashier",
        type=user_id,
        metavar="ID",
        help="who makes this void; required when [staff] is on (their PIN is asked)",
    )
    reverse.add_argument(
        "--pin-stdin",
        action="store_true",
        help="read PINs from stdin, one per line: the cashier's, then the approver's",
    )
    reverse.set_defaults(func=cmd_reverse)
