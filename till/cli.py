"""The `till` command: builds the parser from each area's commands (`till.commands`) and runs
the one asked for.

Exit statuses: 0 success, 1 the operation failed (Flash unreachable, declined, ...),
2 the configuration or the command line is wrong, 3 a person is needed, 4-10 the journal file
cannot be used, 11 the printer faulted and nothing printed (`till printer test`, `reprint`,
`slip`, `desk reprint`; `till.commands.base.EXIT_STATUSES` lists each).
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from till import __version__, logfile
from till.commands.base import (
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_USAGE,
    TillArgumentParser,
    UsageError,
    fail,
    journal_status,
    one_command,
)
from till.config.paths import default_config_path
from till.config.sources import ConfigError

if TYPE_CHECKING:
    from till.commands.base import Subparsers

# The command modules (and the Flash client, engine and sandbox behind them) are imported only
# by the commands that use them: `till` and `till demo` start the screens without them, and
# without pydantic (the config is validated while the first frame is up).

__all__ = ["build_parser", "main"]


# -- argument parsing -------------------------------------------------------------------------


#: The module under `till.commands` that registers each top-level command, so that a one-shot
#: command (`till journal show REF`, all day at a service desk) imports and builds only its own.
COMMAND_MODULES: dict[str, str] = {
    "check": "check",
    "demo": "demo",
    "sandbox": "sandbox",
    **dict.fromkeys(
        ("sell", "disburse", "redeem", "refund", "cashout", "meter", "vend", "retry"), "sales"
    ),
    "journal": "journal",
    **dict.fromkeys(("reprint", "slip", "printer"), "receipts"),
    **dict.fromkeys(("users", "shift", "report"), "staff"),
    **dict.fromkeys(("central", "sync", "desk", "hq"), "central"),
    "reverse": "reverse",
}

#: Top-level options that take a value: the words the command name may follow.
_VALUED = ("--config", "--log-level")


def command_named(argv: Sequence[str]) -> str | None:
    """The top-level command `argv` runs, when every word before it is a top-level option the
    parser surely reads the same way; None (build every command) for anything else: `--help`, an
    abbreviated option, a misspelt command."""
    words = iter(argv)
    for word in words:
        if word in _VALUED:
            if next(words, None) is None:
                return None
        elif not word.startswith(tuple(f"{option}=" for option in _VALUED)):
            return word if word in COMMAND_MODULES else None
    return None


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The whole command line, each area's module registering its own commands; given a known
    `command`, only the module that registers it."""
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
    for add_parsers in _registrars(command):
        add_parsers(sub)
    _log_level_everywhere(parser)
    return parser


def _registrars(command: str | None) -> list[Callable[[Subparsers], None]]:
    """Each area's `add_parsers`, in `till --help` order; for a known command, its area's alone."""
    module = COMMAND_MODULES.get(command or "")
    if module is not None:
        registrar = importlib.import_module(f"till.commands.{module}").add_parsers
        return [registrar]
    from till.commands import (
        central,
        check,
        demo,
        journal,
        receipts,
        reverse,
        sales,
        sandbox,
        staff,
    )

    areas = (check, demo, sandbox, sales, journal, receipts, staff, central, reverse)
    return [area.add_parsers for area in areas]


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
        from till.commands.screens import start_screens

        try:
            return start_screens(config, demo=demo)
        except ConfigError as exc:
            return fail(str(exc), EXIT_USAGE)
        except KeyboardInterrupt:
            return 130
    parser = build_parser(command_named(words))
    try:
        args = parser.parse_args(words)
    except SystemExit as exc:  # argparse's usage errors and --help: a status, not an exception
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    from till.journal import JournalError  # after parsing: `--help` and usage errors are quick
    from till.staff.users import StaffError

    if args.command != "sandbox":  # the sandbox is a server of its own, not a till
        logfile.begin(args.log_level)
    try:
        if args.command is None:
            from till.commands.screens import start_screens

            return start_screens(args.config, demo=False)
        status: int = args.func(args)
    except (ConfigError, UsageError) as exc:
        return fail(str(exc), EXIT_USAGE)
    except StaffError as exc:  # a wrong PIN, a locked or too-junior approver: nothing was done
        return fail(f"{exc}; nothing was done", EXIT_FAILED)
    except JournalError as exc:  # a fault of the journal file: its own status (EXIT_STATUSES)
        return fail(str(exc), journal_status(exc))
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    return status


if __name__ == "__main__":
    sys.exit(main())
