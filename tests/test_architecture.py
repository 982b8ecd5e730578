"""The apps' import graph, read from the source with `ast` (DESIGN section 2): dependencies point
one way, so each app can be read, tested and changed knowing only what is below it."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Ours: the apps, the shared package, the demo data and the project (which wires them all).
PACKAGES = [
    "accounts", "notifications", "common", "bulkjobs", "ledger", "orders", "qc", "refunds", "tickets", "evidence",
    "demo", "ops", "cssbuy_qc",
]  # fmt: skip


def _imported(path: Path) -> set[str]:
    """The modules of ours that a file imports by absolute name; TYPE_CHECKING imports count too."""
    modules = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            modules |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            modules |= {f"{node.module}.{alias.name}" for alias in node.names} | {node.module}
    return {module for module in modules if module.split(".")[0] in PACKAGES}


def _source_files(package: str) -> list[Path]:
    return [path for path in (ROOT / package).rglob("*.py") if "migrations" not in path.parts]


def _graph() -> dict[str, set[str]]:
    """package -> the other packages of ours it imports."""
    return {
        package: {module.split(".")[0] for path in _source_files(package) for module in _imported(path)} - {package}
        for package in PACKAGES
    }


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of the graph, as the packages along it, or None."""
    done: set[str] = set()

    def visit(package: str, path: list[str]) -> list[str] | None:
        if package in path:
            return [*path[path.index(package) :], package]
        if package in done:
            return None
        for imported in sorted(graph[package]):
            found = visit(imported, [*path, package])
            if found:
                return found
        done.add(package)
        return None

    return next((found for package in PACKAGES if (found := visit(package, []))), None)


def test_the_import_graph_has_no_cycle():
    graph = _graph()
    print("\n".join(f"{package} -> {', '.join(sorted(graph[package])) or '-'}" for package in PACKAGES))
    assert _cycle(graph) is None, " -> ".join(_cycle(graph) or [])


def test_the_bottom_of_the_graph_imports_no_app_of_ours():
    graph = _graph()
    # accounts reads the shared package's locale helpers (a user's language and time zone).
    assert graph["accounts"] <= {"common"}
    # The shared package is not an app: the notifications' outbox publishes through it.
    assert graph["notifications"] <= {"common"}
    assert graph["common"] == set()
    assert graph["bulkjobs"] <= {"accounts", "common"}
    # The ledger knows orders only as the lazy "orders.Order"; it types users with accounts.User.
    assert graph["ledger"] <= {"accounts", "common"}


def test_sibling_apps_do_not_import_each_other():
    graph = _graph()
    assert "qc" not in graph["tickets"] and "tickets" not in graph["qc"]
    assert "refunds" not in graph["qc"] | graph["tickets"] | graph["orders"]
    assert {"qc", "refunds", "tickets"}.isdisjoint(graph["orders"])  # orders is the core


def test_only_the_project_the_demo_operations_and_evidence_sit_on_top():
    """The evidence pack reads qc, orders and tickets at once, so it sits on top of them all."""
    graph = _graph()
    top = {"cssbuy_qc", "demo", "ops", "evidence"}
    importers = {package for package, imported in graph.items() if imported & top}
    assert importers <= top


def test_no_app_imports_a_view_of_another_app():
    crossing = [
        f"{path.relative_to(ROOT)} imports {module}"
        for package in PACKAGES
        if package != "cssbuy_qc"  # the project wires URLs to views
        for path in _source_files(package)
        for module in _imported(path)
        if module.split(".")[0] != package and module.split(".")[1:2] == ["views"]
    ]
    assert crossing == []
