"""The `till` command: wires configuration, the Flash client and the sandbox together.

Exit statuses: 0 success, 1 the operation failed (Flash unreachable, declined, ...),
2 the configuration or the command line is wrong, 3 a person is needed, 4-10 the journal file
cannot be used, 11 `till printer test` found a printer fault (`till.commands.base.EXIT_STATUSES`
lists each).
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from till import __version__, logfile
from till.commands.base import (
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_USAGE,
    TillArgumentParser,
    UsageError,
    fail,
    journal_status,
    one_command,
    rands,
    seconds,
    whole_number,
)
from till.configfile import ConfigError, default_config_path, read_config_file
from till.money import format_rands

if TYPE_CHECKING:
    from till.config import Settings
    from till.firstframe import PendingSettings
    from till.flash import FlashError

# The command modules (and the Flash client, engine and sandbox behind them) are imported only
# by the commands that use them: `till` and `till demo` start the screens without them, and
# without pydantic (the config is validated while the first frame is up).

__all__ = ["EXIT_FAILED", "EXIT_OK", "EXIT_USAGE", "build_parser", "main"]

#: The demo's scripted sale: a R50 1Voucher.
DEMO_AMOUNT = 5000

#: A store and till for the demo when no config file exists (training mode only).
DEMO_FORCED: dict[str, dict[str, object]] = {
    "training": {"enabled": True},
    "printer": {"kind": "preview"},
}
DEMO_IDENTITY: dict[str, dict[str, object]] = {
    "till": {"store_id": "DEMO01", "terminal_id": "TILL01", "store_name": "Demo Store"}
}


def _fail(message: str, status: int = EXIT_FAILED) -> int:
    return fail(message, status)


# -- till check -------------------------------------------------------------------------------


async def _check(settings: Settings, config_file: str, product_code: int | None = None) -> int:
    """Config, token, products; which API revision Flash's answers fit (the product list's
    shape, and a probe of the gift voucher path that changes nothing); `--product` looks one
    product up."""
    from till.flash import FlashError
    from till.flash.revision import describe
    from till.runtime import open_flash_client

    rows: list[tuple[str, str]] = [
        ("config file", config_file),
        ("mode", "TRAINING (built-in sandbox)" if settings.training.enabled else "live"),
        ("store / till", f"{settings.till.store_id} / {settings.till.terminal_id}"),
    ]
    async with open_flash_client(settings) as client:
        spoken = client.api_revision
        rows.append(("Flash", client.base_url))
        rows.append(("account", client.account_number))
        rows.append(("API revision", describe(spoken)))
        started = time.perf_counter()
        try:
            await client.token()
        except FlashError as exc:
            return _check_failed(rows, "access token", exc)
        rows.append(("access token", f"ok ({(time.perf_counter() - started) * 1000:.0f} ms)"))
        try:
            probe = await client.probe_revision()
        except FlashError as exc:
            return _check_failed(rows, "products", exc)
        products = probe.products
        groups = Counter(str(getattr(p, "product_group", None) or "other") for p in products)
        detail = ", ".join(f"{name} {count}" for name, count in sorted(groups.items()))
        rows.append(("products", f"{len(products)}" + (f" ({detail})" if detail else "")))
        answered = probe.answered
        if answered is not None:
            rows.append(("revision", f"MISMATCH: Flash answers as {describe(answered)}"))
            _print_table(rows)
            return _fail(
                f"check failed: Flash speaks API revision {describe(answered)}, this till "
                f'{describe(spoken)}: set [flash] api_revision = "{answered}" '
                f"(in {config_file}, or TILL_FLASH__API_REVISION)"
            )
        if probe.mismatch:
            rows.append(("revision", f"MISMATCH: no gift voucher path of {spoken} (HTTP 404)"))
            _print_table(rows)
            return _fail(
                f"check failed: Flash has no gift voucher path of API revision {describe(spoken)} "
                "(HTTP 404), and the other revision's did not answer either: check "
                "flash.base_url and [flash] api_revision"
            )
        rows.append(("revision", f"ok: Flash's answers fit {spoken}"))
        if product_code is not None:
            try:
                product = await client.lookup_product(product_code)
            except FlashError as exc:
                return _check_failed(rows, f"product {product_code}", exc)
            rows += _product_rows(product, reversals=client.reversals_supported)
    rows.append(("result", "OK"))
    _print_table(rows)
    return EXIT_OK


def _product_rows(product: object, *, reversals: bool) -> list[tuple[str, str]]:
    """`till check --product`: name, amounts and whether a sale of it can be reversed."""

    def cents(name: str) -> str:
        value = getattr(product, name, None)
        return format_rands(value) if isinstance(value, int) else "-"

    allowed = "yes" if getattr(product, "allow_reversal", False) else "no"
    if not reversals:
        allowed += " (this API revision has no reversals)"
    code, name = getattr(product, "product_code", ""), getattr(product, "product_name", "")
    return [
        (f"product {code}", str(name or "-")),
        ("  minimum", cents("minimum_amount")),
        ("  maximum", cents("maximum_amount")),
        ("  allowReversal", allowed),
    ]


def _check_failed(rows: list[tuple[str, str]], step: str, exc: FlashError) -> int:
    rows.append((step, "FAILED"))
    _print_table(rows)
    return _fail(f"check failed: {exc}")


def _print_table(rows: Sequence[tuple[str, str]]) -> None:
    width = max(len(label) for label, _ in rows)
    for label, value in rows:
        print(f"  {label.ljust(width)}  {value}")


def cmd_check(args: argparse.Namespace) -> int:
    from till.config import load_settings

    settings = load_settings(args.config)
    path = args.config or default_config_path()
    shown = str(path) if path.is_file() else f"{path} (none: defaults and environment)"
    import asyncio

    return asyncio.run(_check(settings, shown, getattr(args, "product", None)))


# -- till demo --------------------------------------------------------------------------------


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
    if args.script:
        from till.config import load_settings

        settings = load_settings(args.config, defaults=DEMO_IDENTITY, forced=DEMO_FORCED)
        import asyncio

        return asyncio.run(_demo(settings))
    return start_screens(args.config, demo=True)


def start_screens(config: Path | None, *, demo: bool) -> int:
    """`till` and `till demo`: the screens paint from the config file as read, and validate it
    in the background before anything is sold; a config the quick read cannot be sure of is
    validated first, so its error comes before any screen."""
    from till.firstframe import PendingSettings, read_first_frame

    defaults, forced = (DEMO_IDENTITY, DEMO_FORCED) if demo else (None, None)
    config_file = read_config_file(config)

    def validate() -> Settings:
        from till.config import load_settings  # pydantic: ~0.1 s to import

        return load_settings(config_file, defaults=defaults, forced=forced)

    from till.instance import TillAlreadyOpen, only_instance

    first = read_first_frame(config_file, defaults=defaults, forced=forced)
    settings: Settings | PendingSettings
    if first is None:
        from till.runtime import journal_path

        settings = validate()
        journal = journal_path(settings)
    else:
        settings, journal = PendingSettings(first, validate), first.journal_path
    from till.journal import JournalFault, preflight

    try:  # a journal path the screens could never use: said here, not on a screen
        preflight(journal)
    except JournalFault as exc:
        return _fail(str(exc), journal_status(exc))
    with contextlib.ExitStack() as held:
        try:
            held.enter_context(only_instance(journal))
        except TillAlreadyOpen as exc:
            return _fail(str(exc), EXIT_FAILED)
        except OSError as exc:  # the journal's directory cannot be made or written
            return _fail(f"cannot open the till's files beside {journal}: {exc.strerror}")
        return run_tui(settings)


def run_tui(settings: Settings | PendingSettings) -> int:
    """The screens; imported only here so the other commands start without Textual."""
    from till.tui.app import TillApp

    app = TillApp(settings)
    app.run()
    if app.journal_fault is not None:
        return _fail(str(app.journal_fault), journal_status(app.journal_fault))
    if app.config_error:
        return _fail(app.config_error, EXIT_USAGE)
    return app.return_code or EXIT_OK  # a crash inside the screens is not a success


# -- till sandbox -----------------------------------------------------------------------------


def cmd_sandbox(args: argparse.Namespace) -> int:
    from till.sandbox import DEFAULT_ACCOUNT, DEFAULT_API_KEY, FaultPlan, Sandbox, serve

    try:
        plan = FaultPlan.parse(args.fault, delay_seconds=args.delay, seed=args.seed)
    except ValueError as exc:
        return _fail(f"--fault: {exc}", EXIT_USAGE)
    sandbox = Sandbox(
        api_key=args.api_key or DEFAULT_API_KEY,
        account_number=args.account or DEFAULT_ACCOUNT,
        float_cents=args.float_cents,
        token_lifetime=args.token_lifetime,
        revision=args.api_revision,
        products_shape=args.products_shape,
        utility_shape=args.utility_shape,
        seed=args.seed,
    )
    if args.fault:
        sandbox.faults.plan = plan
    print(
        f"Flash sandbox on http://{args.host}:{args.port}  account {sandbox.account_number}"
        f"  API revision {sandbox.revision}  float {format_rands(sandbox.float_cents)}"
        + (f"  faults {', '.join(args.fault)}" if args.fault else ""),
        flush=True,
    )
    serve(sandbox, host=args.host, port=args.port)
    return EXIT_OK


# -- argument parsing -------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    from till.commands import central as central_commands
    from till.commands import journal as journal_commands
    from till.commands import receipts as receipt_commands
    from till.commands import reverse as reverse_commands
    from till.commands import sales as sales_commands
    from till.commands import staff as staff_commands

    parser: argparse.ArgumentParser = TillArgumentParser(
        prog="till", description="Point-of-sale till for Flash products (Partner API v4)."
    )
    parser.add_argument("--version", action="version", version=f"till {__version__}")
    parser.add_argument(
        "--config",
        type=Path,
        default=None,
        metavar="PATH",
        help=f"config file (default: {default_config_path()})",
    )
    parser.add_argument(
        "--log-level",
        type=str.lower,
        choices=logfile.LEVELS,
        default=None,
        help="log file level for this run, instead of the config's [log] level",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    check = sub.add_parser(
        "check", help="load config, fetch a token, list products, check the API revision"
    )
    check.add_argument(
        "--product",
        type=whole_number(1, 2**31 - 1),
        default=None,
        metavar="CODE",
        help="also look up this product: name, minimum and maximum, allowReversal",
    )
    check.set_defaults(func=cmd_check)

    demo = sub.add_parser(
        "demo", help="the till in training mode against the built-in sandbox, preview printer"
    )
    demo.add_argument(
        "--script", action="store_true", help="run one scripted sale and print it (no screens)"
    )
    demo.set_defaults(func=cmd_demo)

    sandbox = sub.add_parser("sandbox", help="serve the Flash sandbox over HTTP")
    sandbox.add_argument("--host", default="127.0.0.1")
    sandbox.add_argument("--port", type=whole_number(1, 65535), default=8400)
    sandbox.add_argument(
        "--api-key", default=None, help="the Basic key it accepts (default: sandbox-key)"
    )
    sandbox.add_argument("--account", default=None, help="merchant account number")
    sandbox.add_argument(
        "--float", dest="float_cents", type=rands, default="1000000", help="float in rands"
    )
    sandbox.add_argument(
        "--token-lifetime", type=whole_number(1, 7 * 86_400), default=3600, help="seconds"
    )
    sandbox.add_argument(
        "--fault",
        action="append",
        default=[],
        metavar="KIND=RATE",
        help="inject a fault into that share of transactions, e.g. drop=0.05 (repeatable)",
    )
    sandbox.add_argument(
        "--delay", type=seconds(0, 3600), default=5.0, help="seconds for delay faults"
    )
    sandbox.add_argument(
        "--seed", type=whole_number(0, 2**64 - 1), default=None, help="seed for faults and PINs"
    )
    sandbox.add_argument(
        "--api-revision",
        choices=["2023-04", "2025-05"],
        default="2025-05",
        help="the API document it serves, strictly: 2023-04 (April 2023) or 2025-05 (rev 3.0)",
    )
    sandbox.add_argument(
        "--products-shape",
        choices=["wrapped", "bare"],
        default=None,
        help="product list shape (default: the revision's)",
    )
    sandbox.add_argument("--utility-shape", choices=["v4", "rev3"], default="v4")
    sandbox.set_defaults(func=cmd_sandbox)

    sales_commands.add_parsers(sub)
    journal_commands.add_parsers(sub)
    receipt_commands.add_parsers(sub)
    staff_commands.add_parsers(sub)
    central_commands.add_parsers(sub)
    reverse_commands.add_parsers(sub)
    _log_level_everywhere(parser)
    return parser


def _log_level_everywhere(parser: argparse.ArgumentParser) -> None:
    """`--log-level` after any subcommand too (`till journal show REF --log-level debug`)."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for child in action.choices.values():
                if "--log-level" not in child._option_string_actions:
                    child.add_argument(
                        "--log-level",
                        type=str.lower,
                        choices=logfile.LEVELS,
                        default=argparse.SUPPRESS,
                        help="log file level for this run",
                    )
                _log_level_everywhere(child)


def _screens_only(argv: Sequence[str]) -> tuple[Path | None, bool, str | None] | None:
    """(config, demo, log level) when the command line just starts the screens (`till`,
    `till demo`, with an optional --config and --log-level): then no other command's code is
    imported, for a fast start."""
    config: Path | None = None
    level: str | None = None
    words = list(argv)
    rest: list[str] = []
    while words:
        word = words.pop(0)
        if word == "--config" and words:
            config = Path(words.pop(0))
        elif word.startswith("--config="):
            config = Path(word.split("=", 1)[1])
        elif word == "--log-level" and words:
            level = words.pop(0).lower()
        elif word.startswith("--log-level="):
            level = word.split("=", 1)[1].lower()
        else:
            rest.append(word)
    if level is not None and level not in logfile.LEVELS:
        return None  # argparse says what is wrong with it
    if rest in ([], ["demo"]):
        return config, rest == ["demo"], level
    return None


def main(argv: Sequence[str] | None = None) -> int:
    """`till`: logs go to the till's log file (see `till.logfile`), never to the terminal."""
    if argv is None:  # the `till` program itself: one command, then the process exits
        one_command()
    try:
        status = _main(argv)
        sys.stdout.flush()  # here, not at exit: a closed pipe is then this command's to report
    except BrokenPipeError:  # `till journal list | head`: whoever read the output stopped
        _stdout_gone()
        return EXIT_FAILED
    problem = logfile.problem()
    if problem:  # after the command: the screens have let go of the terminal by now
        print(f"till: warning: {problem}", file=sys.stderr)
    return status


def _stdout_gone() -> None:
    """Say so once on stderr (the command itself finished: what it did is in the journal), and
    point stdout at /dev/null so Python's exit does not fail flushing it again."""
    import os

    with contextlib.suppress(OSError):
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    with contextlib.suppress(OSError):
        print("till: output cut short (the reader closed the pipe)", file=sys.stderr)


def _main(argv: Sequence[str] | None = None) -> int:
    words = sys.argv[1:] if argv is None else list(argv)
    quick = _screens_only(words)
    if quick is not None:
        config, demo, level = quick
        logfile.begin(level)
        try:
            return start_screens(config, demo=demo)
        except ConfigError as exc:
            return _fail(str(exc), EXIT_USAGE)
        except KeyboardInterrupt:
            return 130
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse's usage errors and --help: a status, not an exception
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    from till.journal import JournalError  # after parsing: `--help` and usage errors are quick
    from till.staff.users import StaffError

    if args.command != "sandbox":  # the sandbox is a server of its own, not a till
        logfile.begin(args.log_level)
    try:
        if args.command is None:
            return start_screens(args.config, demo=False)
        status: int = args.func(args)
    except (ConfigError, UsageError) as exc:
        return _fail(str(exc), EXIT_USAGE)
    except StaffError as exc:  # a wrong PIN, a locked or too-junior approver: nothing was done
        return _fail(f"{exc}; nothing was done", EXIT_FAILED)
    except JournalError as exc:  # a fault of the journal file: its own status (EXIT_STATUSES)
        return _fail(str(exc), journal_status(exc))
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    return status


if __name__ == "__main__":
    sys.exit(main())
