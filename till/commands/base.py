"""What every subcommand shares: exit statuses, usage errors, amounts typed in rands."""

from __future__ import annotations

import sys

from till.money import parse_rands

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
#: Something needs a person: an approval Flash sent that the till could not use, or an entry
#: whose settling failed unexpectedly (flagged; `till journal list --open` shows it).
EXIT_ATTENTION = 3


class UsageError(Exception):
    """The command line is wrong: reported before anything is journaled or sent (exit 2)."""


def fail(message: str, status: int = EXIT_FAILED) -> int:
    """Print a one-line error to stderr and return the exit status, so callers can `return` it."""
    print(f"till: {message}", file=sys.stderr)
    return status


def rands_option(option: str, text: str) -> int:
    """Parse an amount the cashier typed; a typo is a usage error, never a guess."""
    try:
        return parse_rands(text)
    except ValueError as exc:
        raise UsageError(f"{option}: {exc}") from None
