"""A one-shot command builds only its own area's parser (`till.cli.command_named`): it must read
the command line exactly as the whole parser does, or fall back to the whole parser."""

from __future__ import annotations

import argparse
from collections.abc import Iterator

import pytest

from tests.support import subparsers
from till.cli import COMMAND_MODULES, build_parser, command_named, main


def every_parser(
    parser: argparse.ArgumentParser, path: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], argparse.ArgumentParser]]:
    """Each parser under `parser`, nested subcommands too, by its words (`journal show`)."""
    for name, child in subparsers(parser).items():
        yield (*path, name), child
        yield from every_parser(child, (*path, name))


def test_the_command_map_names_every_command_once_and_nothing_else() -> None:
    assert list(subparsers(build_parser())) == list(COMMAND_MODULES)


@pytest.mark.parametrize("command", sorted(COMMAND_MODULES))
def test_one_command_parser_is_the_whole_parser_s_for_that_command(command: str) -> None:
    """Same words, same help, same options, at every depth under the command."""
    whole = dict(every_parser(build_parser()))
    alone = build_parser(command)
    assert list(subparsers(alone)) == [
        c for c, m in COMMAND_MODULES.items() if m == COMMAND_MODULES[command]
    ]
    mine = dict(every_parser(alone))
    assert set(mine) == {path for path in whole if path[0] in subparsers(alone)}
    for path, parser in mine.items():
        assert parser.format_help() == whole[path].format_help(), path


@pytest.mark.parametrize(
    ("argv", "command"),
    [
        (["journal", "show", "S1-T1-AB12-1"], "journal"),
        (["--config", "till.toml", "sell", "1voucher"], "sell"),
        (["--config=till.toml", "--log-level", "debug", "reprint"], "reprint"),
        (["--log-level=info", "hq"], "hq"),
        (["--config", "sell", "journal", "list"], "journal"),  # a value that looks like a command
        (["--conf", "sell", "journal", "list"], None),  # an abbreviation: argparse decides
        (["--help", "journal"], None),
        (["-h"], None),
        (["--version"], None),
        (["--config"], None),
        (["jounral", "list"], None),
        ([], None),
    ],
)
def test_the_command_is_named_only_when_sure(argv: list[str], command: str | None) -> None:
    assert command_named(argv) == command


@pytest.mark.parametrize(
    "argv",
    [
        ["--config", "sell", "journal", "list", "--limit", "1"],
        ["--conf", "sell", "journal", "list", "--limit", "1"],
        ["journal", "list", "--limit", "1", "--log-level", "DEBUG"],
        ["sell", "1voucher", "--amount", "50", "--json"],
        ["shift", "close", "--help"],
    ],
)
def test_one_command_parser_reads_argv_as_the_whole_parser_does(argv: list[str]) -> None:
    def parsed(parser: argparse.ArgumentParser) -> object:
        try:
            return vars(parser.parse_args(argv))
        except SystemExit as exc:
            return exc.code

    assert parsed(build_parser(command_named(argv))) == parsed(build_parser())


def test_a_misspelt_command_is_told_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["jounral", "list"]) == 2
    err = capsys.readouterr().err
    assert "invalid choice: 'jounral'" in err
    for command in COMMAND_MODULES:
        assert command in err
