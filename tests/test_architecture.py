"""The package's shape: no import cycle, the layers import-linter checks, modules a reader can hold."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import grimp
import pytest
from conftest import ROOT

PACKAGE = ROOT / "degtools"
#: the most lines a module may have (the aim is about 400).
MAX_MODULE_LINES = 500


def import_cycles(graph: grimp.ImportGraph) -> list[tuple[str, ...]]:
    """Every import cycle between degtools modules (imports inside functions included)."""
    modules = sorted(graph.modules)
    edges = {m: sorted(graph.find_modules_directly_imported_by(m) & set(modules)) for m in modules}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[tuple[str, ...]] = []
    counter = [0]

    def visit(node: str) -> None:  # Tarjan's strongly connected components
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for nxt in edges[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1 or node in edges[node]:
                cycles.append(tuple(sorted(component)))

    sys.setrecursionlimit(10_000)
    for module in modules:
        if module not in index:
            visit(module)
    return cycles


def test_cycle_finder_finds_a_planted_cycle(tmp_path: Path, monkeypatch):
    package = tmp_path / "planted"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("from planted import b\n")
    (package / "b.py").write_text("def later():\n    from planted import a\n")  # hidden in a function
    (package / "c.py").write_text("from planted import a\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert import_cycles(grimp.build_graph("planted", cache_dir=None)) == [("planted.a", "planted.b")]


def test_no_import_cycle_in_degtools():
    graph = grimp.build_graph("degtools", cache_dir=None)
    assert import_cycles(graph) == []


def test_import_linter_contracts_hold():
    linter = Path(sys.executable).with_name("lint-imports")
    if not linter.exists():
        pytest.skip("import-linter is not installed (pip install -e '.[dev]')")
    run = subprocess.run([str(linter), "--no-cache"], cwd=ROOT, capture_output=True, text=True)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    assert "0 broken" in run.stdout


def test_modules_stay_readable():
    long = {str(p.relative_to(ROOT)): n for p in PACKAGE.rglob("*.py")
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES}
    assert long == {}


def test_every_module_has_a_layer():
    import tomllib

    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    layers = config["tool"]["importlinter"]["contracts"][0]["layers"]
    placed = {name.strip() for layer in layers for name in layer.split("|")}
    graph = grimp.build_graph("degtools", cache_dir=None)
    unplaced = {m for m in graph.modules if m != "degtools" and not any(m == p or m.startswith(p + ".")
                                                                        for p in placed)}
    assert unplaced == set(), "add these modules to the layers in pyproject.toml"


def test_the_package_never_calls_plt_show():
    # plot functions return their Figure; the notebook's display functions show it with IPython's display()
    calls = [f"{p.relative_to(ROOT)}:{n}" for p in PACKAGE.rglob("*.py")
             for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1) if "plt.show(" in line]
    assert calls == []
