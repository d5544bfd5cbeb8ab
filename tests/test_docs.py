"""The README and the guides in docs/ stay true to the code: every command, option and config key
is documented, every link lands, and the README stays a short front page with its quick start.

A command, option or key added to the code fails here until it is written up in docs/; the
commands table itself is run line by line in tests/test_readme_commands.py.
"""

from __future__ import annotations

import argparse
import re
import tomllib
import typing
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import BaseModel

import till.cli
from tests.support import subparsers
from till.commands.base import EXIT_STATUSES
from till.config import Settings

REPO = Path(__file__).resolve().parent.parent
README = REPO / "README.md"
DOCS = REPO / "docs"
COMMANDS = DOCS / "commands.md"
SETUP = DOCS / "setup.md"
EXAMPLE = REPO / "config.example.toml"

#: How .ci/run finds the README's test command (`grep -m1 -E` there).
CI_TEST_LINE = re.compile(r"python3 -m venv \.venv && .*pytest")

#: Options every subcommand takes, documented once under `till`.
EVERYWHERE = {"-h", "--help", "--log-level"}


def documents() -> list[Path]:
    return [README, *sorted(DOCS.glob("*.md"))]


# -- the README -------------------------------------------------------------------------------


def test_the_readme_is_a_short_front_page() -> None:
    assert len(README.read_bytes()) < 10_000


def test_the_quick_start_is_two_commands_and_ci_runs_the_second() -> None:
    text = README.read_text(encoding="utf-8")
    quick = text.split("\n## Quick start\n", 1)[1].split("\n## ", 1)[0]
    commands = re.findall(r"^```sh\n(.*?)\n```$", quick, re.MULTILINE | re.DOTALL)
    assert commands == [
        "python3 -m venv .venv && .venv/bin/pip install -q -e . && .venv/bin/till demo",
        "python3 -m venv .venv && .venv/bin/pip install -q -e '.[test]' && "
        ".venv/bin/python -m pytest -q",
    ]
    # .ci/run runs the first README line that matches its pattern.
    ci = [line for line in text.splitlines() if CI_TEST_LINE.match(line)]
    assert ci[:1] == commands[1:]


def test_the_readme_links_every_guide() -> None:
    text = README.read_text(encoding="utf-8")
    linked = {Path(target).name for target in re.findall(r"\]\(docs/([^)#]+)", text)}
    assert {path.name for path in DOCS.glob("*.md")} <= linked


# -- links ------------------------------------------------------------------------------------


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def anchors(path: Path) -> set[str]:
    text = re.sub(r"^```.*?^```", "", path.read_text(encoding="utf-8"), flags=re.M | re.S)
    return {slug(line.lstrip("#")) for line in text.splitlines() if re.match(r"#{1,6} ", line)}


def links(path: Path) -> Iterator[str]:
    text = re.sub(r"^```.*?^```", "", path.read_text(encoding="utf-8"), flags=re.M | re.S)
    yield from re.findall(r"\]\(([^)\s]+)\)", text)


@pytest.mark.parametrize("path", documents(), ids=lambda path: path.name)
def test_every_link_lands(path: Path) -> None:
    for target in links(path):
        if re.match(r"[a-z]+:", target):
            continue  # a web address
        file, _, anchor = target.partition("#")
        landing = (path.parent / file).resolve() if file else path
        assert landing.exists(), f"{path.name}: {target} is not a file"
        if anchor and landing.suffix == ".md":
            assert anchor in anchors(landing), f"{path.name}: no heading for {target}"


# -- every command and option -----------------------------------------------------------------


def till_parser() -> argparse.ArgumentParser:
    """The `till` command's parser, from `till.cli`'s builder (a rename fails here, loudly)."""
    build = till.cli.build_parser
    parser = build()
    assert isinstance(parser, argparse.ArgumentParser)
    return parser


def options(parser: argparse.ArgumentParser) -> set[str]:
    return {option for action in parser._actions for option in action.option_strings}


def documented_commands() -> Iterator[tuple[str, set[str]]]:
    """Each command that must be written up: (`till ...`, the options its section must name).

    A command with subcommands of its own and no options of its own (`till sell`) is written up
    through its subcommands; `till` itself names the options every command takes.
    """
    stack = [("till", till_parser())]
    while stack:
        path, parser = stack.pop()
        own = options(parser) - ({"-h", "--help"} if path == "till" else EVERYWHERE)
        children = subparsers(parser)
        if own or not children:
            yield path, own
        stack.extend((f"{path} {name}", child) for name, child in children.items())


def sections(path: Path, level: str) -> dict[str, str]:
    """Each `level` heading's title (backticks dropped) -> the text under it."""
    parts = re.split(rf"^{level} (.+)$", path.read_text(encoding="utf-8"), flags=re.M)
    return {
        title.replace("`", ""): body.split("\n## ", 1)[0]
        for title, body in zip(parts[1::2], parts[2::2], strict=True)
    }


COMMAND_CASES = sorted(documented_commands(), key=lambda case: case[0])


def test_the_parser_has_commands_to_document() -> None:
    names = {path for path, _ in COMMAND_CASES}
    assert {"till", "till sell 1voucher", "till journal search", "till hq report"} <= names


@pytest.mark.parametrize(
    ("command", "option_strings"),
    [pytest.param(command, own, id=command) for command, own in COMMAND_CASES],
)
def test_every_command_and_option_is_documented(command: str, option_strings: set[str]) -> None:
    documented = sections(COMMANDS, "###")
    assert command in documented, f"docs/commands.md has no '### `{command}`' section"
    missing = {
        option
        for option in option_strings
        if not re.search(rf"{re.escape(option)}(?![\w-])", documented[command])
    }
    assert not missing, f"docs/commands.md, `{command}`: {sorted(missing)} not documented"


def test_every_exit_status_is_documented() -> None:
    text = sections(COMMANDS, "##")["Exit statuses"]
    assert {int(row) for row in re.findall(r"^\| (\d+) \|", text, re.M)} == {
        status for status, _ in EXIT_STATUSES
    }


# -- every config key -------------------------------------------------------------------------


def model_keys() -> set[tuple[str, str]]:
    """(section, key) for every key the settings accept."""
    keys = set()
    for section, field in Settings.model_fields.items():
        models = [
            arg
            for arg in (field.annotation, *typing.get_args(field.annotation))
            if isinstance(arg, type) and issubclass(arg, BaseModel)
        ]
        assert len(models) == 1, section
        keys |= {(section, key) for key in models[0].model_fields}
    return keys


def example_keys() -> set[tuple[str, str]]:
    """(section, key) for every key config.example.toml sets or shows commented out."""
    keys = set()
    section = ""
    for line in EXAMPLE.read_text(encoding="utf-8").splitlines():
        if heading := re.fullmatch(r"#? ?\[(\w+)\]", line):
            section = heading.group(1)
        elif key := re.match(r"#? ?(\w+) = ", line):
            keys.add((section, key.group(1)))
    return keys


def test_the_example_config_shows_only_real_keys() -> None:
    assert example_keys() <= model_keys()
    assert tomllib.loads(EXAMPLE.read_text(encoding="utf-8"))  # and is TOML


@pytest.mark.parametrize(("section", "key"), sorted(model_keys() | example_keys()))
def test_every_config_key_is_documented(section: str, key: str) -> None:
    documented = {
        heading.group(1): body
        for title, body in sections(SETUP, "###").items()
        if (heading := re.match(r"\[(\w+)\]", title))
    }
    assert section in documented, f"docs/setup.md has no '### `[{section}]`' section"
    assert f"`{key}`" in documented[section], f"docs/setup.md: [{section}] {key} not documented"
