"""Who makes a transaction and who approves it, PINs checked: shared by every command that
sells, reverses or reprints (`sales`, `reverse`, `receipts`, `central`)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from till.commands.base import UsageError, user_id

if TYPE_CHECKING:
    from till.config.settings import Settings


def reprint_options() -> argparse.ArgumentParser:
    """`--approver` and `--pin-stdin` as both reprints take them (`till reprint`, `till desk
    reprint`): a reprint puts a PIN on paper again, so a supervisor approves it."""
    options = argparse.ArgumentParser(add_help=False)
    options.add_argument(
        "--approver",
        type=user_id,
        metavar="ID",
        help="the supervisor approving it (needed when [staff] is on)",
    )
    options.add_argument("--pin-stdin", action="store_true", help="read the PIN from stdin")
    return options


def verified_cashier(settings: Settings, args: argparse.Namespace) -> str | None:
    """Who makes the transaction. With [staff] on, every entry records a signed-in cashier, as
    at the screens: --cashier is required and their PIN is asked. Off, the id is taken as given."""
    cashier: str | None = getattr(args, "cashier", None)
    if not settings.staff.enabled:
        return cashier or None
    if not cashier:
        raise UsageError(
            "[staff] is on: add --cashier ID (their PIN is asked) so the journal records who "
            "made this transaction"
        )
    from till.commands.staff import authenticate
    from till.runtime import open_users

    with open_users(settings) as store:
        return authenticate(store, args, cashier, "cashier").id


def verified_approver(settings: Settings, args: argparse.Namespace) -> str | None:
    """The supervisor named by --approver, once their PIN checks out (AuthError otherwise)."""
    approver: str | None = getattr(args, "approver", None)
    if not approver:
        return None
    from till.commands.staff import authenticate
    from till.runtime import open_users

    with open_users(settings) as store:
        return authenticate(store, args, approver, "supervisor").id
