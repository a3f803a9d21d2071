"""The layers of DESIGN.md section 2, checked on every module's syntax tree.

- No module of a lower layer imports a higher one, not even lazily inside a function; in
  particular nothing below ``catopt.interfaces`` imports it (display, plots and progress bars
  are attached from there).
- No module reads a private attribute (``obj._name``) of an object defined in another module.

Each test has a companion that feeds a deliberately bad module to the same checker.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1] / "catopt"

#: layer ranks, bottom up; a module may import its own rank and below
RANKS = {
    "errors": 0, "limits": 0, "fileio": 0, "validate": 0, "bulk": 0,
    "wiring": 1,
    "algebra": 2,
    "backends": 3,
    "program": 4,
    "problems": 5, "systems": 5, "category": 5,
    "functor": 6,
    "engines": 7,
    "sheaves": 8,
    "interfaces": 9,
}
#: old import paths kept working by re-exporting what moved up a layer, lazily (the issue
#: asks that documented paths keep working); they re-export and define nothing
SHIMS = {"wiring/__init__.py", "wiring/space.py", "wiring/gluing.py"}


def layer_of(module: str) -> str | None:
    """The layer of a dotted ``catopt.x.y`` name (None for the package root)."""
    parts = module.split(".")
    if parts[0] != "catopt" or len(parts) < 2:
        return None
    return parts[1]


def imported_modules(tree: ast.AST, package: str) -> list[tuple[int, str]]:
    """Every ``catopt`` module a syntax tree imports, anywhere in it (lazy imports too)."""
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                name = f"{base}.{node.module}" if node.module else base
            else:
                name = node.module or ""
            out.append((node.lineno, name))
            out += [(node.lineno, f"{name}.{a.name}") for a in node.names
                    if name == "catopt"]
    return [(ln, m) for ln, m in out if m == "catopt" or m.startswith("catopt.")]


def upward_imports(path: Path, source: str) -> list[str]:
    rel = path.relative_to(ROOT).as_posix()
    own = rel.split("/")[0].removesuffix(".py")
    if own not in RANKS or rel in SHIMS:
        return []
    package = "catopt." + ".".join(rel.removesuffix(".py").split("/")[:-1])
    bad = []
    for line, module in imported_modules(ast.parse(source), package.rstrip(".")):
        target = layer_of(module)
        if target is None or target not in RANKS:
            continue
        if RANKS[target] > RANKS[own]:
            bad.append(f"{rel}:{line} ({own}) imports {module} ({target})")
    return bad


#: reads of underscore names that are public API of the standard library, not another
#: module's private state (each justified)
STDLIB = {("os", "_exit"): "the documented way to end a process at once, from any thread"}


def private_reads(source: str, rel: str) -> list[str]:
    """``obj._name`` reads where ``_name`` is defined nowhere in this module. Names of the
    form ``_x_`` (IPython's ``_repr_mimebundle_`` protocol) are public protocol names."""
    tree = ast.parse(source)
    defined: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            defined.add(node.name)
        elif isinstance(node, ast.Name):
            defined.add(node.id)
        elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and \
                node.value.id in ("self", "cls"):
            defined.add(node.attr)
        elif isinstance(node, ast.arg):
            defined.add(node.arg)
    bad = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr.startswith("_") \
                and not node.attr.endswith("_"):
            v = node.value
            if isinstance(v, ast.Name) and (v.id in ("self", "cls") or (v.id, node.attr) in STDLIB):
                continue
            if node.attr not in defined:
                bad.append(f"{rel}:{node.lineno}: .{node.attr}")
    return bad


def private_imports(source: str, rel: str) -> list[str]:
    """``from catopt.x import _name``: another module's private name imported (aliasing a
    public name to a private one, ``import x as _x``, is fine)."""
    bad = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("catopt"):
            bad += [f"{rel}:{node.lineno}: {node.module}.{a.name}" for a in node.names
                    if a.name.startswith("_") and not a.name.endswith("__")]
    return bad


def modules() -> list[Path]:
    return sorted(p for p in ROOT.rglob("*.py") if "__pycache__" not in p.parts)


def test_no_layer_imports_a_higher_one() -> None:
    bad = [b for p in modules() for b in upward_imports(p, p.read_text(encoding="utf-8"))]
    assert bad == []


def test_nothing_below_interfaces_imports_it() -> None:
    bad = []
    for p in modules():
        rel = p.relative_to(ROOT).as_posix()
        if rel.split("/")[0] in ("interfaces", "__init__.py", "__main__.py"):
            continue
        for line, module in imported_modules(ast.parse(p.read_text(encoding="utf-8")), "catopt"):
            if module.startswith("catopt.interfaces"):
                bad.append(f"{rel}:{line} imports {module}")
    assert bad == []


def test_no_module_reads_another_modules_private_attributes() -> None:
    bad = [b for p in modules()
           for b in private_reads(p.read_text(encoding="utf-8"), p.relative_to(ROOT).as_posix())]
    assert bad == []


@pytest.mark.parametrize("source", [
    "def f():\n    from catopt.interfaces.draw import draw\n",
    "import catopt.engines.solve\n",
    "from catopt import engines\n",
])
def test_the_layer_check_catches_an_upward_import(source: str) -> None:
    fake = ROOT / "problems" / "fake.py"
    assert upward_imports(fake, source)


def test_no_module_imports_another_modules_private_names() -> None:
    bad = [b for p in modules()
           for b in private_imports(p.read_text(encoding="utf-8"), p.relative_to(ROOT).as_posix())]
    assert bad == []


def test_the_private_import_check_catches_one() -> None:
    assert private_imports("from catopt.functor.gradient import _natural, euler\n", "x.py")
    assert not private_imports("from catopt import errors as _errors\n"
                               "from __future__ import annotations\n", "x.py")


def test_the_private_read_check_catches_one() -> None:
    assert private_reads("def f(p):\n    return p._value_and_grad\n", "x.py")
    assert not private_reads("class A:\n    def _g(self):\n        return 1\n"
                             "def f(a):\n    return a._g()\n", "x.py")
