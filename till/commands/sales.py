"""Transaction commands: each runs exactly one engine method and prints its outcome.

The engine journals before it sends, so a command that dies half-way leaves an open entry that
`till retry` settles; nothing here keeps state of its own.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any

from till.commands.base import (
    EXIT_ATTENTION,
    EXIT_FAILED,
    EXIT_OK,
    EXIT_USAGE,
    UsageError,
    digits,
    fail,
    mobile,
    rands,
    reference,
    serial,
    starting,
    user_id,
    whole_number,
)

if TYPE_CHECKING:
    from till.commands.base import Subparsers
    from till.config.settings import Settings
    from till.journal import Entry
    from till.sales import InputError, Outcome, SaleEngine
    from till.tui.catalog import SaleItem


log = logging.getLogger("till.commands")

TRAINING_BANNER = "TRAINING MODE: built-in Flash sandbox, nothing here is a real voucher."
#: Engine field names -> the option the cashier typed, so an error points at the right flag.
FIELD_OPTIONS: dict[str, str] = {
    "amount": "--amount",
    "pin": "--pin",
    "mobile_number": "--mobile",
    "mobileNumber": "--mobile",
    "meter_number": "--meter",
    "meterNumber": "--meter",
    "product_code": "--product",
    "productCode": "--product",
    "serial_number": "--serial",
    "serialNumber": "--serial",
}

Call = Callable[["SaleEngine"], Awaitable["Outcome"]]
#: What a sale of a listed product is checked on: the product list's kind, code, amount.
Listing = tuple[str, int | None, int]


def open_warning(count: int) -> str:
    """The badge, on the command line: earlier sales the customer may still be waiting on."""
    if count == 1:
        return "1 earlier transaction is still in doubt: run `till retry`"
    return f"{count} earlier transactions are still in doubt: run `till retry`"


def input_error_message(exc: InputError) -> str:
    option = FIELD_OPTIONS.get(exc.field or "", exc.field)
    where = f"{option}: " if option else ""
    return f"{where}{exc.message} (nothing was sent)"


async def transact(
    settings: Settings,
    call: Call,
    *,
    as_json: bool,
    intro: str | None = None,
    approver: str | None = None,
    cashier: str | None = None,
    products: Sequence[SaleItem] = (),
) -> int:
    """Open the engine, run one transaction, print it; exit 0 only for an approval.

    `cashier` is journaled as who made it; `approver` is a supervisor the caller has verified:
    they vouch for this one transaction. `products`: the product list the engine checks a
    sale's code and amount against before journaling it (`till.sales.products`).
    """
    from till.commands.output import format_outcome, outcome_json
    from till.commands.receipts import show_preview
    from till.runtime import open_engine
    from till.sales import InputError
    from till.staff import ApprovalRequired

    async with open_engine(settings, cashier=cashier) as engine:
        engine.products = products
        if approver:
            engine.approve_next(approver)
        if settings.training.enabled and not as_json:
            print(TRAINING_BANNER + "\n")
        if intro and not as_json:
            print(intro)
        if engine.open_count:
            print(f"till: warning: {open_warning(engine.open_count)}", file=sys.stderr)
        try:
            outcome = await call(engine)
        except InputError as exc:
            engine.approve_next(None)  # a refused transaction does not pass the approval on
            return fail(input_error_message(exc), EXIT_USAGE)
        except ApprovalRequired as exc:
            return fail(
                f"{exc.reason}: run it again with --approver ID (their PIN is asked); "
                "nothing was sent",
                EXIT_USAGE,
            )
    if as_json:
        import json  # here: `till --help` builds this module's parsers only

        print(json.dumps(outcome_json(outcome)))
    else:
        print(format_outcome(outcome))
        show_preview(settings, outcome.receipt)
    return EXIT_OK if outcome.status == "approved" else EXIT_FAILED


def _run(args: argparse.Namespace, call: Call, *, listed: Listing | None = None) -> int:
    """`listed` (kind, product code, amount): the transaction sells a product of the till's
    product list. Its code and amount are checked against that list first, with the engine's
    own check (`till.sales.products.check_sale`): a refusal comes before anyone's PIN is asked
    or the journal is opened. The engine checks again, on the same list, before journaling."""
    import asyncio

    with starting():
        from till.commands.approval import verified_approver, verified_cashier
        from till.config.settings import load_settings
        from till.sales import InputError
        from till.sales.products import check_sale

        settings = load_settings(args.config)
    products: list[SaleItem] = []
    if listed is not None:
        products = asyncio.run(product_list(settings))
        kind, code, amount = listed
        refusal = check_sale(products, kind, amount, code)
        if refusal is not None:
            error = InputError(refusal.message, field=refusal.field)
            return fail(input_error_message(error), EXIT_USAGE)
    cashier = verified_cashier(settings, args)  # PINs in this order: the cashier's, the approver's
    approver = verified_approver(settings, args)
    return asyncio.run(
        transact(
            settings,
            call,
            as_json=args.json,
            approver=approver,
            cashier=cashier,
            products=products,
        )
    )


#: How long the product list the screens (or a command) saved is used before it is asked again.
PRODUCT_LIST_MAX_AGE = 24 * 3600.0


async def product_list(settings: Settings) -> list[SaleItem]:
    """What this till sells, to check a sale against before it is journaled: the list the
    screens keep beside the journal (`catalog.json`) while it is under a day old, else Flash's,
    saved there for the next command. Training asks its own sandbox and keeps nothing (the
    sandbox's list is not the account's). If Flash cannot say, an older saved list serves;
    with none at all, nothing is checked here and Flash decides."""
    from till.flash import FlashError
    from till.runtime import catalog_path, open_flash_client
    from till.tui.catalog import load_catalog, sale_items, save_catalog

    path = catalog_path(settings)
    saved: list[SaleItem] = []
    if not settings.training.enabled:
        saved = load_catalog(path)
        with contextlib.suppress(OSError):
            if saved and time.time() - path.stat().st_mtime < PRODUCT_LIST_MAX_AGE:
                return saved
    try:
        async with open_flash_client(settings) as client:
            items = sale_items(await client.list_products())
    except FlashError as exc:
        log.warning("product list unavailable (%s): sales are checked by Flash alone", exc)
        return saved
    if not settings.training.enabled:
        with contextlib.suppress(OSError):
            save_catalog(path, items)
    return items


# -- the commands -----------------------------------------------------------------------------


#: Flash's product codes are positive 32-bit integers.
PRODUCT_CODE = whole_number(1, 2**31 - 1)
#: Every option's value is checked here, by argparse, before the journal is opened: only ASCII
#: digits are numbers, amounts, PINs or meter numbers (see `till.commands.base`).
PIN = digits("PIN", 16, 16, secret=True)


def pin_option(text: str) -> str:
    """`--pin` takes only '-' (read the PIN from stdin): a PIN typed as a word of the command
    line is readable by every user of the machine (`ps`, shell history)."""
    if text != "-":
        raise argparse.ArgumentTypeError(
            "a 1Voucher PIN (16 digits) is never taken on the command line, where any user can "
            "read it with ps: leave --pin out to be asked for it, or pipe it in with --pin -"
        )
    return text


METER = digits("meter number", 1, 32)


def cmd_sell(args: argparse.Namespace) -> int:
    amount: int = args.amount
    product: str = args.product_kind
    code: int | None = args.product
    if product in ("gift", "eezi", "airtime") and code is None:
        raise UsageError(f"sell {product}: --product CODE is required")
    if product == "airtime" and not args.mobile:
        raise UsageError("sell airtime: --mobile NUMBER is required")

    async def call(engine: SaleEngine) -> Outcome:
        if product == "1voucher":
            return await engine.sell_1voucher(amount)
        if product == "gift":
            return await engine.sell_gift_voucher(code or 0, amount)
        if product == "eezi":
            return await engine.sell_eezi_voucher(code or 0, amount)
        if product == "airtime":
            return await engine.sell_airtime(code or 0, args.mobile, amount)
        return await engine.sell_cash_out_pin(code or 300, amount)

    return _run(args, call, listed=(product, code, amount))


def cmd_disburse(args: argparse.Namespace) -> int:
    amount: int = args.amount
    return _run(
        args, lambda engine: engine.disburse_1voucher(amount), listed=("1voucher", None, amount)
    )


def voucher_pin(args: argparse.Namespace) -> str:
    """The customer's 1Voucher PIN: asked on the terminal without echo, or the first line of
    stdin (`--pin -`, or whenever stdin is not a terminal); never a word of the command line,
    which any user of the machine can read (`ps`). Checked like any typed number: a typo is
    refused (exit 2) before anything is opened, and never echoed."""
    import getpass

    from_stdin = args.pin == "-" or args.pin_stdin or not _is_a_terminal(sys.stdin)
    try:
        if from_stdin:
            line = sys.stdin.readline()
            if not line:
                raise UsageError("--pin: no 1Voucher PIN on stdin (its first line)")
            typed = line.strip()
        else:
            typed = getpass.getpass("Customer's 1Voucher PIN: ").strip()
    except (OSError, EOFError):
        raise UsageError("--pin: the 1Voucher PIN could not be read") from None
    try:
        return PIN(typed)
    except argparse.ArgumentTypeError as exc:
        raise UsageError(f"--pin: {exc}") from None


def _is_a_terminal(stream: object) -> bool:
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty()) if callable(isatty) else False
    except (OSError, ValueError):
        return False


def cmd_redeem(args: argparse.Namespace) -> int:
    amount: int = args.amount if args.amount is not None else 0
    pin = voucher_pin(args)  # first: before the cashier's and approver's PINs
    return _run(args, lambda engine: engine.redeem_1voucher(pin, amount, mobile_number=args.mobile))


def cmd_refund(args: argparse.Namespace) -> int:
    amount: int = args.amount
    return _run(
        args,
        lambda engine: engine.refund_1voucher(args.redemption, amount, mobile_number=args.mobile),
        listed=("1voucher", None, amount),
    )


def cmd_cashout(args: argparse.Namespace) -> int:
    if args.cashout_action == "cancel":
        return _run(args, lambda engine: engine.cancel_cash_out_pin(args.purchase))
    return _run(args, lambda engine: engine.lookup_cash_out_pin(args.serial, args.product))


def cmd_meter(args: argparse.Namespace) -> int:
    amount: int = args.amount
    return _run(args, lambda engine: engine.lookup_meter(args.meter, amount))


def cmd_vend(args: argparse.Namespace) -> int:
    if args.amount is None and not args.fbe:
        raise UsageError("vend: --amount is required (or --fbe for free basic electricity)")
    amount: int = args.amount if args.amount is not None else 0
    return _run(args, lambda engine: engine.vend_utility(args.meter, amount, fbe=args.fbe))


def _shown_json(entry: Entry) -> dict[str, Any]:
    """One settled entry for `till retry --json`."""
    from till.commands.output import outcome_json, shown

    failed = {"reference": entry.reference, "error": "could not be shown: see till journal show"}
    return shown(entry, outcome_json, failed)


async def _retry(settings: Settings, *, as_json: bool) -> int:
    from till.commands.output import format_resolve
    from till.runtime import open_engine

    async with open_engine(settings) as engine:
        report = await engine.resolve(all_open=True)
        refs = [*report.approved, *report.declined, *report.still_in_doubt]
        entries = [e for e in (engine.journal.get(r) for r in refs) if e is not None]
        left = engine.open_count
    if as_json:
        import json

        print(
            json.dumps(
                {
                    "attempted": report.attempted,
                    "approved": report.approved,
                    "declined": report.declined,
                    "still_in_doubt": report.still_in_doubt,
                    "flagged": report.flagged,
                    "attention": report.attention,
                    "open": left,
                    "outcomes": [_shown_json(e) for e in entries],
                }
            )
        )
    else:
        print(format_resolve(report, entries, left))
    if report.attention:
        return EXIT_ATTENTION
    return EXIT_OK if left == 0 else EXIT_FAILED


def cmd_retry(args: argparse.Namespace) -> int:
    import asyncio

    from till.config.settings import load_settings

    return asyncio.run(_retry(load_settings(args.config), as_json=args.json))


# -- parsers ----------------------------------------------------------------------------------


def _transaction_options() -> argparse.ArgumentParser:
    """The options every transaction command takes: --json, who makes it, who approves it."""
    out = argparse.ArgumentParser(add_help=False)
    out.add_argument("--json", action="store_true", help="print one JSON object instead")
    out.add_argument(
        "--approver",
        type=user_id,
        metavar="ID",
        help="a supervisor who approves this transaction (their PIN is asked); needed for "
        "refunds, cancels and large sales when [staff] is on",
    )
    out.add_argument(
        "--cashier",
        type=user_id,
        metavar="ID",
        help="who makes this transaction; required when [staff] is on (their PIN is asked)",
    )
    out.add_argument(
        "--pin-stdin",
        action="store_true",
        help="read PINs from stdin, one per line: (for redeem, the customer's 1Voucher PIN "
        "first) the cashier's, then the approver's",
    )
    return out


def _add_sell(sub: Subparsers, out: argparse.ArgumentParser) -> None:
    sell = sub.add_parser("sell", help="sell a voucher, airtime or a Cash Out PIN")
    kinds = sell.add_subparsers(dest="product_kind", metavar="PRODUCT", required=True)
    for name, text, needs_mobile in (
        ("1voucher", "a 1Voucher", False),
        ("gift", "a gift voucher (--product 200..203)", False),
        ("eezi", "an Eezi airtime voucher (--product 500)", False),
        ("airtime", "pinless airtime to a mobile number (--product 400..403)", True),
        ("cashout", "a Cash Out PIN (--product 300, at most R500)", False),
    ):
        kind = kinds.add_parser(name, help=text, parents=[out])
        kind.add_argument(
            "--amount", type=rands, required=True, metavar="RANDS", help="e.g. 50 or 49.95"
        )
        if name != "1voucher":
            kind.add_argument(
                "--product",
                type=PRODUCT_CODE,
                default=300 if name == "cashout" else None,
                metavar="CODE",
                help="Flash product code",
            )
        else:
            kind.set_defaults(product=None)
        if needs_mobile:
            kind.add_argument("--mobile", type=mobile, metavar="NUMBER", help="e.g. 0821234567")
        else:
            kind.set_defaults(mobile=None)
        kind.set_defaults(func=cmd_sell)


def _add_voucher_payments(sub: Subparsers, out: argparse.ArgumentParser) -> None:
    """`till disburse`, `till redeem` and `till refund`: 1Voucher money out and in."""
    disburse = sub.add_parser("disburse", help="pay out as a new 1Voucher", parents=[out])
    disburse.add_argument("--amount", type=rands, required=True, metavar="RANDS")
    disburse.set_defaults(func=cmd_disburse)

    redeem = sub.add_parser("redeem", help="redeem a customer's 1Voucher", parents=[out])
    redeem.add_argument(
        "--pin",
        type=pin_option,
        default=None,
        metavar="-",
        help="'-': read the 16-digit 1Voucher PIN from stdin's first line (also when stdin is "
        "not a terminal); without it the PIN is asked, unechoed. Never on the command line",
    )
    redeem.add_argument(
        "--amount", type=rands, metavar="RANDS", help="part of the value (default: all)"
    )
    redeem.add_argument(
        "--mobile", type=mobile, metavar="NUMBER", help="send the change voucher by SMS"
    )
    redeem.set_defaults(func=cmd_redeem)

    refund = sub.add_parser("refund", help="refund (part of) a 1Voucher redemption", parents=[out])
    refund.add_argument(
        "--redemption", type=reference, required=True, metavar="REF", help="its reference"
    )
    refund.add_argument("--amount", type=rands, required=True, metavar="RANDS")
    refund.add_argument(
        "--mobile", type=mobile, metavar="NUMBER", help="send the new voucher by SMS"
    )
    refund.set_defaults(func=cmd_refund)


def _add_cashout(sub: Subparsers, out: argparse.ArgumentParser) -> None:
    cashout = sub.add_parser("cashout", help="cancel or look up a Cash Out PIN")
    actions = cashout.add_subparsers(dest="cashout_action", metavar="ACTION", required=True)
    cancel = actions.add_parser("cancel", help="cancel a Cash Out PIN sold here", parents=[out])
    cancel.add_argument(
        "--purchase", type=reference, required=True, metavar="REF", help="the sale's reference"
    )
    cancel.set_defaults(func=cmd_cashout)
    lookup = actions.add_parser("lookup", help="a Cash Out PIN's current status", parents=[out])
    lookup.add_argument("--serial", type=serial, required=True, metavar="S")
    lookup.add_argument("--product", type=PRODUCT_CODE, default=300, metavar="CODE")
    lookup.set_defaults(func=cmd_cashout)


def _add_utility(sub: Subparsers, out: argparse.ArgumentParser) -> None:
    """`till meter` and `till vend`: prepaid electricity and water."""
    meter = sub.add_parser("meter", help="look up a prepaid meter before vending", parents=[out])
    meter.add_argument("--meter", type=METER, required=True, metavar="NUMBER")
    meter.add_argument("--amount", type=rands, required=True, metavar="RANDS")
    meter.set_defaults(func=cmd_meter)

    vend = sub.add_parser("vend", help="sell electricity or water tokens", parents=[out])
    vend.add_argument("--meter", type=METER, required=True, metavar="NUMBER")
    vend.add_argument("--amount", type=rands, metavar="RANDS", help="omit with --fbe")
    vend.add_argument("--fbe", action="store_true", help="free basic electricity (amount 0)")
    vend.set_defaults(func=cmd_vend)


def add_parsers(sub: Subparsers) -> None:
    """Register the transaction commands under the main parser."""
    out = _transaction_options()
    _add_sell(sub, out)
    _add_voucher_payments(sub, out)
    _add_cashout(sub, out)
    _add_utility(sub, out)
    retry = sub.add_parser("retry", help="resend every open transaction now", parents=[out])
    retry.set_defaults(func=cmd_retry)
