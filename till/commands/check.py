"""`till check`: the config, a token, the product list and which API revision Flash's answers
fit, so a store manager knows the till can sell before a customer is waiting."""

from __future__ import annotations

import argparse
import time
from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING

from till.commands.base import EXIT_OK, fail, whole_number
from till.money import format_rands

if TYPE_CHECKING:
    from till.commands.base import Subparsers
    from till.config.settings import Settings
    from till.flash import FlashClient, FlashError
    from till.words.rows import Rows


async def _check(settings: Settings, config_file: str, product_code: int | None = None) -> int:
    """Config, token, products; which API revision Flash's answers fit (the product list's
    shape, and a probe of the gift voucher path that changes nothing); `--product` looks one
    product up."""
    from till.flash import FlashError
    from till.flash.revision import describe
    from till.runtime import open_flash_client

    rows: Rows = [
        ("config file", config_file),
        ("mode", "TRAINING (built-in sandbox)" if settings.training.enabled else "live"),
        ("store / till", f"{settings.till.store_id} / {settings.till.terminal_id}"),
    ]
    async with open_flash_client(settings) as client:
        rows.append(("Flash", client.base_url))
        rows.append(("account", client.account_number))
        rows.append(("API revision", describe(client.api_revision)))
        started = time.perf_counter()
        try:
            await client.token()
        except FlashError as exc:
            return _check_failed(rows, "access token", exc)
        rows.append(("access token", f"ok ({(time.perf_counter() - started) * 1000:.0f} ms)"))
        status = await _check_revision(client, rows, config_file)
        if status is not None:
            return status
        if product_code is not None:
            try:
                product = await client.lookup_product(product_code)
            except FlashError as exc:
                return _check_failed(rows, f"product {product_code}", exc)
            rows += _product_rows(product, reversals=client.reversals_supported)
    rows.append(("result", "OK"))
    _print_table(rows)
    return EXIT_OK


async def _check_revision(client: FlashClient, rows: Rows, config_file: str) -> int | None:
    """The product list, and whether Flash's answers fit the till's API revision: the exit
    status if they do not (or Flash failed), None if they do."""
    from till.flash import FlashError
    from till.flash.revision import describe

    spoken = client.api_revision
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
        return fail(
            f"check failed: Flash speaks API revision {describe(answered)}, this till "
            f'{describe(spoken)}: set [flash] api_revision = "{answered}" '
            f"(in {config_file}, or TILL_FLASH__API_REVISION)"
        )
    if probe.mismatch:
        rows.append(("revision", f"MISMATCH: no gift voucher path of {spoken} (HTTP 404)"))
        _print_table(rows)
        return fail(
            f"check failed: Flash has no gift voucher path of API revision {describe(spoken)} "
            "(HTTP 404), and the other revision's did not answer either: check "
            "flash.base_url and [flash] api_revision"
        )
    rows.append(("revision", f"ok: Flash's answers fit {spoken}"))
    return None


def _product_rows(product: object, *, reversals: bool) -> Rows:
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


def _check_failed(rows: Rows, step: str, exc: FlashError) -> int:
    rows.append((step, "FAILED"))
    _print_table(rows)
    return fail(f"check failed: {exc}")


def _print_table(rows: Sequence[tuple[str, str]]) -> None:
    width = max(len(label) for label, _ in rows)
    for label, value in rows:
        print(f"  {label.ljust(width)}  {value}")


def cmd_check(args: argparse.Namespace) -> int:
    from till.config.paths import default_config_path
    from till.config.settings import load_settings

    settings = load_settings(args.config)
    path = args.config or default_config_path()
    shown = str(path) if path.is_file() else f"{path} (none: defaults and environment)"
    import asyncio

    return asyncio.run(_check(settings, shown, getattr(args, "product", None)))


def add_parsers(sub: Subparsers) -> None:
    """Register `till check`."""
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
