"""Which part of the till may import which, read from the source with `ast` (no imports run).

The screens take their words from `till.words`, never from the commands (issue 12); the words
and the slips sit below both; and each shared word is defined in exactly one place.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

TILL = Path(__file__).resolve().parents[1] / "till"


def _module_name(path: Path, root: Path = TILL) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path, root: Path = TILL) -> list[tuple[int, str]]:
    """(line, module) for every import in `path`, guarded or lazy ones too; relative imports
    resolved against the module's package."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = _module_name(path, root).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - (node.level - 1)]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            found.append((node.lineno, module))
            # `from till import commands` imports the package too
            found += [(node.lineno, f"{module}.{alias.name}") for alias in node.names]
    return found


def _offences(package: str, forbidden: tuple[str, ...]) -> list[str]:
    root = TILL.joinpath(*package.split(".")[1:])
    files = [root.with_suffix(".py")] if root.with_suffix(".py").is_file() else []
    files += sorted(root.rglob("*.py")) if root.is_dir() else []
    assert files, f"no source for {package}"
    bad: list[str] = []
    for path in files:
        for line, module in _imports(path):
            if any(module == f or module.startswith(f + ".") for f in forbidden):
                bad.append(f"{path.relative_to(TILL.parent)}:{line} imports {module}")
    return bad


@pytest.mark.parametrize(
    ("package", "forbidden"),
    [
        ("till.tui", ("till.commands", "till.cli")),
        ("till.words", ("till.tui", "till.commands", "till.cli", "till.slips")),
        ("till.slips", ("till.tui", "till.commands", "till.cli")),
    ],
)
def test_import_rules(package: str, forbidden: tuple[str, ...]) -> None:
    assert _offences(package, forbidden) == []


def test_the_rule_sees_a_forbidden_import(tmp_path: Path) -> None:
    """The walker finds plain, aliased, lazy and relative imports alike."""
    source = tmp_path / "till" / "tui" / "screens" / "x.py"
    source.parent.mkdir(parents=True)
    source.write_text(
        "import till.commands.output as out\n"
        "def f():\n    from ...commands import base\n"
        "from till import commands\n"
    )
    found = [module for _, module in _imports(source, tmp_path / "till")]
    assert "till.commands.output" in found
    assert "till.commands" in found and "till.commands.base" in found


#: Words the screens, the commands and the slips share: each is defined once, in till.words
#: (an alias such as `IN_DOUBT_ADVICE = RETRY_ADVICE` re-exports, it does not define).
SHARED: tuple[str, ...] = (
    "display_mobile",
    "in_doubt_advice",
    "IN_DOUBT_ADVICE",
    "KIND_LABELS",
    "STATUS_LABELS",
    "quit_question",
    "kind_label",
    "product_rows",
    "read_receipt",
    "format_entry",
)


def _definitions(name: str) -> list[str]:
    where: list[str] = []
    for path in sorted(TILL.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            defined = False
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                defined = node.name == name
            elif isinstance(node, ast.Assign) and not isinstance(node.value, ast.Name):
                defined = any(isinstance(t, ast.Name) and t.id == name for t in node.targets)
            elif isinstance(node, ast.AnnAssign) and not isinstance(node.value, ast.Name):
                defined = isinstance(node.target, ast.Name) and node.target.id == name
            if defined:
                where.append(_module_name(path))
    return where


@pytest.mark.parametrize("name", SHARED)
def test_each_shared_word_is_defined_once_in_till_words(name: str) -> None:
    where = _definitions(name)
    assert len(where) == 1 and where[0].startswith("till.words"), where
