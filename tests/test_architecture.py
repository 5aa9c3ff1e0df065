"""The apps' layers, checked from the source (docs/architecture.md explains them).

An app may import the apps below it, never one above it, so the app graph has no cycle. Imports
inside functions count: deferring an import hides a cycle from Python, not from the design.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# Bottom to top. `config` wires everything together and sits above them all.
LAYERS = [
    "core",
    "accounts",
    "borrowers",
    "webhooks",
    "cases",
    "contacts",
    "compliance",
    "repayment_plans",
    "portal",
    "outreach",
    "supervision",
    "operations",
    "workspace",
    "demo",
    "config",
]
RANK = {app: i for i, app in enumerate(LAYERS)}


@dataclass(frozen=True)
class Import:
    path: Path
    line: int
    module: str
    deferred: bool
    text: str

    @property
    def app(self) -> str:
        return self.path.relative_to(ROOT).parts[0]

    @property
    def target(self) -> str:
        return self.module.split(".")[0]


def _sources(app: str) -> list[Path]:
    return [p for p in sorted((ROOT / app).rglob("*.py")) if "migrations" not in p.parts]


def _imports(path: Path) -> list[Import]:
    source = path.read_text(encoding="utf-8")
    tree = ast.parse(source)
    lines = source.splitlines()
    inside_functions = {
        id(node)
        for func in ast.walk(tree)
        if isinstance(func, ast.FunctionDef | ast.AsyncFunctionDef)
        for node in ast.walk(func)
    }
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            modules = [node.module]
        else:
            continue
        for module in modules:
            found.append(Import(path, node.lineno, module, id(node) in inside_functions, lines[node.lineno - 1]))
    return found


def _project_imports() -> list[Import]:
    return [imp for app in LAYERS for path in _sources(app) for imp in _imports(path) if imp.target in RANK]


def app_graph(imports: list[Import]) -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {app: set() for app in LAYERS}
    for imp in imports:
        if imp.target != imp.app:
            graph[imp.app].add(imp.target)
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str]:
    """One cycle of the graph as a path (first node repeated at the end), or [] when it has none."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str]:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt) :], nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        stack.pop()
        state[node] = 2
        return []

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return []


def test_every_app_has_a_layer():
    apps = {p.parent.name for p in ROOT.glob("*/apps.py")} | {"config"}
    assert apps == set(LAYERS)


def test_no_app_imports_an_app_above_it():
    upward = [
        f"{imp.path.relative_to(ROOT)}:{imp.line} {imp.app} -> {imp.target}: {imp.text.strip()}"
        for imp in _project_imports()
        if RANK[imp.target] > RANK[imp.app]
    ]
    assert upward == []


def test_the_app_graph_has_no_cycle():
    assert find_cycle(app_graph(_project_imports())) == []


def test_the_cycle_finder_finds_cycles_through_deferred_imports(tmp_path):
    """The checker itself: an import inside a function is an edge like any other."""
    module = tmp_path / "cases" / "services.py"
    module.parent.mkdir()
    module.write_text("def f():\n    from workspace.views import x\n")
    imp = _imports(module)[0]
    assert imp.deferred and imp.module == "workspace.views"
    graph = {"cases": {"workspace"}, "workspace": {"cases"}}
    assert find_cycle(graph) == ["cases", "workspace", "cases"]
    assert find_cycle({"cases": {"borrowers"}, "borrowers": set()}) == []


def test_deferred_project_imports_say_why():
    """An import inside a function only where a cycle inside an app or Django's app loading needs it,
    with the reason on the line (AppConfig.ready() connecting receivers says it in its noqa)."""
    silent = [
        f"{imp.path.relative_to(ROOT)}:{imp.line}: {imp.text.strip()}"
        for imp in _project_imports()
        if imp.deferred and "#" not in imp.text
    ]
    assert silent == []


def test_no_import_error_fallback_around_project_code():
    """A missing project module must fail loudly, never silently mean 'no screening' or 'no gate'."""
    fallbacks = []
    for app in LAYERS:
        for path in _sources(app):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if not isinstance(node, ast.Try):
                    continue
                catches = {ast.unparse(h.type) for h in node.handlers if h.type is not None}
                if not catches & {"ImportError", "ModuleNotFoundError"}:
                    continue
                tried = [i.module for s in node.body for i in [s] if isinstance(i, ast.ImportFrom) and i.module]
                tried += [a.name for s in node.body if isinstance(s, ast.Import) for a in s.names]
                if any(m.split(".")[0] in RANK for m in tried):
                    fallbacks.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert fallbacks == []


def test_no_empty_modules():
    """A module holds something: no placeholder urls.py with an empty urlpatterns, no empty stubs."""
    empty = []
    for app in LAYERS:
        for path in _sources(app):
            if path.name == "__init__.py":
                continue
            body = [
                node
                for node in ast.parse(path.read_text(encoding="utf-8")).body
                if not isinstance(node, ast.Import | ast.ImportFrom)
                and not (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant))
            ]
            placeholder = all(
                isinstance(node, ast.AnnAssign | ast.Assign) and ast.unparse(node.value or ast.Constant(None)) == "[]"
                for node in body
            )
            if not body or placeholder:
                empty.append(str(path.relative_to(ROOT)))
    assert empty == []


@pytest.mark.parametrize("app", [a for a in LAYERS if a != "config"])
def test_no_module_is_named_for_the_work_that_produced_it(app):
    """Files are named for what they hold: no `workspace_views.py` beside `views.py`, no
    `plan_services.py` beside `services.py`."""
    names = {p.stem for p in (ROOT / app).glob("*.py")}
    kinds = ("views", "services", "selectors", "forms", "urls", "api", "serializers", "admin")
    paired = sorted(n for n in names for k in kinds if n != k and n.endswith("_" + k) and n != "api_urls")
    assert paired == []


def test_the_documented_layers_are_the_checked_ones():
    doc = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    match = re.search(r"<!-- layers -->\s*`([^`]+)`", doc)
    assert match, "docs/architecture.md states the layer order after a <!-- layers --> marker"
    assert [name.strip() for name in match.group(1).split("<")] == LAYERS
