"""`till sandbox`: serve the Flash sandbox over HTTP, with faults on demand, for integrators
and the store's own trials; it is a server of its own, not a till."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from till.commands.base import EXIT_OK, EXIT_USAGE, fail, rands, seconds, whole_number
from till.money import format_rands

if TYPE_CHECKING:
    from till.commands.base import Subparsers


def cmd_sandbox(args: argparse.Namespace) -> int:
    from till.sandbox import DEFAULT_ACCOUNT, DEFAULT_API_KEY, FaultPlan, Sandbox, serve

    try:
        plan = FaultPlan.parse(args.fault, delay_seconds=args.delay, seed=args.seed)
    except ValueError as exc:
        return fail(f"--fault: {exc}", EXIT_USAGE)
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


def add_parsers(sub: Subparsers) -> None:
    """Register `till sandbox`."""
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
