"""The layer order of the architecture (README, design.md), checked statically on every module's imports.

    units → errors → _checks → (tables, _guard, _lookup, _lazy) → hardware → workloads → systolic → kernels
    → memory | scalesim → perf → cost → viz | grading | cli → explore

Imports point down this list only (a module may import its own layer). Models import no matplotlib or ipywidgets;
figures (viz) import no ipywidgets. Every import statement counts, including those inside functions: a lazy import
that points up is still a cycle waiting to happen. Parsing with ``ast`` checks the whole package in well under a
second, without starting an interpreter per module.
"""

import ast
from pathlib import Path

import pytest

import chiplab

PACKAGE = Path(__file__).resolve().parents[1] / "chiplab"

# The layers, bottom first; names on one line share a layer. A package not listed here fails the test below, so a
# new subpackage (``kernels/`` was one) has to be placed in the order before it can be added.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("units",),
    ("errors",),
    ("_checks",),
    ("tables", "_guard", "_lookup", "_lazy"),
    ("hardware",),
    ("workloads",),
    ("systolic",),
    ("kernels",),
    ("memory", "scalesim"),
    ("perf",),
    ("cost",),
    ("viz", "grading", "cli"),
    ("explore",),
    ("__init__", "__main__"),  # the front door: lazy names (``from chiplab import Gemm`` counts as workloads)
)
RANK = {name: rank for rank, names in enumerate(LAYERS) for name in names}
PLOTTING_OR_WIDGETS = {"matplotlib", "ipywidgets"}
_LAZY_NAMES: dict[str, str] = chiplab._LAZY_NAMES  # ``from chiplab import Gemm`` imports chiplab.workloads
MAY_PLOT = {"viz", "explore"}
MAY_USE_WIDGETS = {"explore"}


def _top_name(path: Path) -> str:
    """The layer a file belongs to: its subpackage, or the top-level module's name."""
    parts = path.relative_to(PACKAGE).with_suffix("").parts
    return parts[0]


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> list[tuple[int, str]]:
    """(line, absolute module name) of every import in ``path``; relative imports resolved."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = _module_name(path) if path.name == "__init__.py" else _module_name(path).rpartition(".")[0]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            # A bare ``import chiplab`` (e.g. to find the installed package's folder) loads only chiplab.errors:
            # the package's names are lazy (chiplab/__init__.py), so it is an import of the bottom layer.
            found += [(node.lineno, "chiplab.errors" if alias.name == "chiplab" else alias.name)
                      for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            if module == "chiplab":  # ``from chiplab import units`` imports chiplab.units; ``Gemm``, workloads
                found += [(node.lineno, f"chiplab.{alias.name}" if alias.name in RANK
                           else _LAZY_NAMES.get(alias.name, "chiplab.errors")) for alias in node.names]
            else:
                found.append((node.lineno, module))
    return found


def _target_layer(module: str) -> str | None:
    parts = module.split(".")
    if parts[0] != "chiplab":
        return None
    return parts[1] if len(parts) > 1 else "__init__"


SOURCES = sorted(PACKAGE.rglob("*.py"))


def _problems() -> list[str]:
    problems = []
    for path in SOURCES:
        layer = _top_name(path)
        where = path.relative_to(PACKAGE.parent)
        if layer not in RANK:
            problems.append(f"{where}: {layer!r} has no place in LAYERS (tests/test_layering.py); add it")
            continue
        for line, module in _imports(path):
            top = module.split(".")[0]
            if top in PLOTTING_OR_WIDGETS and layer not in MAY_PLOT:
                problems.append(f"{where}:{line} imports {module}: models draw nothing (figures live in viz)")
            if top == "ipywidgets" and layer not in MAY_USE_WIDGETS:
                problems.append(f"{where}:{line} imports {module}: widgets belong to explore only")
            target = _target_layer(module)
            if target is None or target == "data":
                continue
            if target not in RANK:
                problems.append(f"{where}:{line} imports {module}, which has no place in LAYERS")
            elif RANK[target] > RANK[layer] or (target == "__init__" and layer != "__main__"):
                problems.append(f"{where}:{line} imports {module}: {layer} may not import {target} (it is above)")
    return problems


def test_every_import_points_down_the_layers():
    problems = _problems()
    assert not problems, "\n".join(problems)


def test_every_package_has_a_layer():
    packages = {path.name for path in PACKAGE.iterdir() if (path / "__init__.py").is_file()}
    assert packages - set(RANK) == set(), "place these packages in LAYERS"
    assert {"hardware", "systolic", "perf", "cost", "explore"} <= packages   # the check looks where the code is


@pytest.mark.parametrize(("source", "expected"), [
    ("import matplotlib.pyplot as plt\n", "models draw nothing"),
    ("from chiplab.explore import cost_explorer\n", "hardware may not import explore"),
    ("def f():\n    from ..cost import price_for\n", "hardware may not import cost"),
    ("from chiplab import Gemm\n", "hardware may not import workloads"),
])
def test_the_check_can_fail(tmp_path, monkeypatch, source, expected):
    """A planted upward import in a copy of the layout is reported (so the real run's silence means something)."""
    fake = tmp_path / "chiplab"
    (fake / "hardware").mkdir(parents=True)
    (fake / "hardware" / "__init__.py").write_text("")
    (fake / "hardware" / "bad.py").write_text(source)
    monkeypatch.setitem(globals(), "PACKAGE", fake)
    monkeypatch.setitem(globals(), "SOURCES", sorted(fake.rglob("*.py")))
    assert any(expected in problem for problem in _problems()), _problems()
