"""The package reads top to bottom: sources -> parse -> store -> views (engines beside them)
-> ingest -> diagnoses -> reports -> the session -> CLI. An import that runs back up a layer
makes a lower layer depend on a higher one; at most two are allowed (listed below, with why),
and no module imports itself round a circle."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "s3sleuth"

# Module (dotted, without `s3sleuth.`) prefix -> layer; the longest matching prefix wins.
LAYERS: dict[str, int] = {
    "errors": 0,
    "values": 0,
    "fields": 0,
    "schema": 0,
    "sql": 0,
    "window": 0,
    "memory": 0,
    "lean": 0,
    "limits": 0,
    "sources": 1,
    "parse": 2,
    "store": 3,
    "events": 4,
    "views": 5,
    "engines": 6,
    "athena": 6,
    "spark.schema": 6,
    "spark.session": 6,
    "pipeline": 7,
    "spark": 7,
    "diagnose": 8,
    "cost": 8,
    "audit": 8,
    "detect": 8,
    "output": 9,
    "reports": 9,
    "session": 10,
    "cli": 11,
    "docs": 11,
    "synth": 11,
    "samples": 11,
    "__init__": 11,
    "__main__": 11,
}
# The one import that runs back up today: a parsed block keeps the runs of rows of one
# (date, bucket) partition, which is the store's notion; moving it down is a small follow-up.
KNOWN_UPWARD = {("parse.block", "store.partitions")}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__" and len(parts) > 1:
        parts.pop()
    return ".".join(parts)


def layer(module: str) -> int:
    best = max((p for p in LAYERS if module == p or module.startswith(p + ".")), key=len)
    return LAYERS[best]


def imports(path: Path) -> set[str]:
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("s3sleuth"):
            base = node.module.removeprefix("s3sleuth").lstrip(".")
            for alias in node.names:  # `from s3sleuth.x import y` may import module x.y
                candidate = f"{base}.{alias.name}" if base else alias.name
                if (SRC / candidate.replace(".", "/")).with_suffix(".py").exists() or (
                    SRC / candidate.replace(".", "/")
                ).is_dir():
                    out.add(candidate)
                elif base:
                    out.add(base)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("s3sleuth."):
                    out.add(alias.name.removeprefix("s3sleuth."))
    return out


def graph() -> dict[str, set[str]]:
    modules = {module_name(p): p for p in SRC.rglob("*.py")}
    return {name: imports(path) & set(modules) for name, path in modules.items()}


def test_every_module_has_a_layer() -> None:
    for module in graph():
        assert layer(module) >= 0, module


def test_at_most_two_imports_run_back_up() -> None:
    upward = {
        (module, target)
        for module, targets in graph().items()
        for target in targets
        if layer(target) > layer(module) and module != "__init__"
    }
    assert len(upward) <= 2, sorted(upward)
    assert upward == KNOWN_UPWARD, sorted(upward)  # a new one is a decision: list it here


def test_no_circles_between_modules() -> None:
    edges = graph()
    state: dict[str, int] = {}

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for target in edges.get(node, ()):
            assert state.get(target) != 1, " -> ".join([*trail, node, target])
            if target not in state:
                visit(target, [*trail, node])
        state[node] = 2

    for node in edges:
        if node not in state:
            visit(node, [])
