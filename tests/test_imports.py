"""Which part of the till may import which, read from the source with `ast` (no imports run).

The screens take their words from `till.words`, never from the commands (issue 12); the words
and the slips sit below both; each shared word is defined in exactly one place; and the house
stays easy to walk (issue 15): no import circle, no module over 600 lines, no function over 80.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

TILL = Path(__file__).resolve().parents[1] / "till"
RECEIPTS = TILL.parent / "receipts"
MAX_MODULE_LINES = 600
MAX_FUNCTION_LINES = 80


def _module_name(path: Path, root: Path = TILL) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _package(path: Path, root: Path) -> list[str]:
    """The package a module's relative imports start from, as its dotted parts."""
    name = _module_name(path, root).split(".")
    return name if path.name == "__init__.py" else name[:-1]


def _from_module(node: ast.ImportFrom, package: list[str]) -> str:
    """The module a `from ... import` names, a relative one resolved against `package`."""
    if not node.level:
        return node.module or ""
    base = package[: len(package) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _imports(path: Path, root: Path = TILL) -> list[tuple[int, str]]:
    """(line, module) for every import in `path`, guarded or lazy ones too; relative imports
    resolved against the module's package."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = _package(path, root)
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            module = _from_module(node, package)
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
        ("till.tui", ("till.commands", "till.cli", "till.flash.client", "sqlite3")),
        ("till.sandbox", ("till.flash", "till.sales", "till.journal", "till.tui")),
        ("till.flash", ("till.sales", "till.journal", "till.tui", "till.commands", "till.central")),
        ("till.journal", ("till.sales", "till.tui", "till.commands", "till.central")),
        ("till.sales", ("till.tui", "till.commands", "till.cli", "till.central")),
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


def _sources() -> list[Path]:
    return sorted(TILL.rglob("*.py")) + sorted(RECEIPTS.rglob("*.py"))


def test_receipts_imports_nothing_from_till() -> None:
    bad = [
        f"{path.relative_to(TILL.parent)}:{line} imports {module}"
        for path in sorted(RECEIPTS.rglob("*.py"))
        for line, module in _imports(path, RECEIPTS)
        if module == "till" or module.startswith("till.")
    ]
    assert bad == []


def test_textual_only_in_the_screens() -> None:
    bad = [
        f"{path.relative_to(TILL.parent)}:{line} imports {module}"
        for path in _sources()
        if TILL / "tui" not in path.parents
        for line, module in _imports(path)
        if module == "textual" or module.startswith("textual.")
    ]
    assert bad == []


def _imported_modules(path: Path, root: Path, known: set[str]) -> set[str]:
    """The project modules `path` imports. `from a import b` names the module `a.b` when there is
    one, else `a`; importing `a.b.c` also runs `a` and `a.b`, which count unless the importer
    lives inside them (a package's own `__init__` is not a circle with its modules)."""
    name = _module_name(path, root)
    package = _package(path, root)
    named: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            named |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            module = _from_module(node, package)
            for alias in node.names:
                sub = f"{module}.{alias.name}"
                named.add(sub if sub in known else module)
    found: set[str] = set()
    for module in named:
        parts = module.split(".")
        for i in range(1, len(parts) + 1):
            target = ".".join(parts[:i])
            inside = name == target or name.startswith(target + ".")
            if target in known and target != name and (i == len(parts) or not inside):
                found.add(target)
    return found


def _graph(paths: list[Path], root: Path = TILL) -> dict[str, set[str]]:
    """Module -> the project modules it imports, lazy and `TYPE_CHECKING` imports included."""
    names = {_module_name(p, root): p for p in paths}
    return {name: _imported_modules(path, root, set(names)) for name, path in names.items()}


def _circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in sorted(graph):
        if root in index:
            continue
        work: list[tuple[str, list[str]]] = [(root, sorted(graph[root]))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, todo = work[-1]
            if todo:
                nxt = todo.pop()
                if nxt not in index:
                    index[nxt] = low[nxt] = len(index)
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, sorted(graph[nxt])))
                elif nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component: list[str] = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_no_import_circle() -> None:
    """Every import counts, lazy and `TYPE_CHECKING` ones too: a circle is a circle to a reader."""
    assert _circles(_graph(_sources())) == []


def test_the_circle_check_sees_a_circle(tmp_path: Path) -> None:
    """A package importing its own module is no circle; a lazy import back through it is."""
    root = tmp_path / "till"
    (root / "a").mkdir(parents=True)
    (root / "__init__.py").write_text("")
    (root / "a" / "__init__.py").write_text("from till.a.x import X\n")
    (root / "a" / "x.py").write_text("X = 1\n")
    (root / "b.py").write_text("from till.a.x import X\n")
    (root / "c.py").write_text("def f():\n    from till import b\n")
    assert _circles(_graph(sorted(root.rglob("*.py")), root)) == []
    (root / "a" / "x.py").write_text("X = 1\ndef g():\n    from till.c import f\n")
    assert _circles(_graph(sorted(root.rglob("*.py")), root)) == [
        ["till.a", "till.a.x", "till.b", "till.c"]
    ]


def test_no_module_over_600_lines() -> None:
    big = {
        str(p.relative_to(TILL.parent)): n
        for p in _sources()
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES
    }
    assert big == {}


def test_no_function_over_80_lines() -> None:
    long: dict[str, int] = {}
    for path in _sources():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                lines = (node.end_lineno or node.lineno) - node.lineno + 1
                if lines > MAX_FUNCTION_LINES:
                    long[f"{path.relative_to(TILL.parent)}:{node.lineno} {node.name}"] = lines
    assert long == {}
