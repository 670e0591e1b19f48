"""The layers contract (issue 33): no import circle among the project's modules, and each layer
imports only those below it. Read from the source with `ast`, so nothing is imported to check.

Every import counts: at module level, inside functions (a deferred import is still a
dependency, only hidden), and under `if TYPE_CHECKING:` too. A type named from a layer above
means the lower layer knows about the upper one, and circles through such imports are how the
old ones hid (`bot/middlewares/counting` named a workflow's type, the workflow imported the
middlewares' helpers). Importing `a.b.c` also runs the `__init__` of `a` and `a.b`, so it counts
as importing those packages too (from outside them: a package's own modules are not counted as
importing its `__init__`, which runs first anyway).

The layers, top to bottom (what each may import is below, `ALLOWED`):
bot (the composition root) -> handlers, web -> scheduler -> workflows -> views ->
infrastructure -> services -> models. Nothing imports `bot`; `services` and `models` import no
aiogram; `sandbox` and `migrations` stand apart (the emulator imports nothing of fanbot).
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = (
    "bot", "infrastructure", "handlers", "web", "scheduler", "workflows", "views", "services",
    "models", "migrations", "sandbox",
)  # fmt: skip

# What each package may import of the others (its own modules always).
ALLOWED = {
    "bot": set(PACKAGES) - {"bot"},
    "handlers": {"scheduler", "workflows", "views", "infrastructure", "services", "models"},
    "web": {"scheduler", "workflows", "views", "infrastructure", "services", "models"},
    "scheduler": {"workflows", "infrastructure", "services", "models"},
    "workflows": {"views", "infrastructure", "services", "models"},
    "views": {"infrastructure", "services", "models"},
    "infrastructure": {"services", "models"},
    "services": {"models"},
    "models": set(),
    "migrations": {"models"},
    "sandbox": set(),
}
# Rules written as they hold today, with the one import each allows beyond the layer above.
EXCEPTIONS = {
    # /console hands out a login link signed as the web checks it (pure, no aiohttp).
    ("handlers", "web"): {"web", "web.auth"},
}
NO_AIOGRAM = ("services", "models")


def modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


def imported_names(module: str, path: Path) -> set[str]:
    """Every dotted name the module imports, wherever the import statement stands."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                parts = parts[: len(parts) - node.level + 1]
                base = ".".join([*parts, base] if base else parts)
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return names


def graph() -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """(module -> the project's modules it imports, module -> every name it imports)."""
    known = modules()

    def resolve(name: str) -> str | None:
        while name and name not in known:
            name = name.rpartition(".")[0]
        return name or None

    edges: dict[str, set[str]] = {}
    names: dict[str, set[str]] = {}
    for module, path in known.items():
        names[module] = imported_names(module, path)
        targets: set[str] = set()
        for name in names[module]:
            target = resolve(name)
            if target is None:
                continue
            parts = target.split(".")
            for depth in range(1, len(parts) + 1):  # the packages' __init__ run first
                step = ".".join(parts[:depth])
                # A module's own packages are not edges, unless it names one itself
                # (`from handlers import shop_admin` runs handlers/__init__ for its names).
                own = (module + ".").startswith(step + ".")
                if step in known and (not own or step == name):
                    targets.add(step)
        targets.discard(module)
        edges[module] = targets
    return edges, names


def circles(edges: dict[str, set[str]]) -> list[tuple[set[str], list[str]]]:
    """Each strongly connected group of more than one module, with one circle through it."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[set[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(edges[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.add(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(group)

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return [(group, path_through(group, edges)) for group in groups]


def path_through(group: set[str], edges: dict[str, set[str]]) -> list[str]:
    """One circle inside a strongly connected group: from its first module back to it."""
    start = min(group)
    paths = {start: [start]}
    queue = [start]
    while queue:
        node = queue.pop(0)
        for nxt in sorted(edges[node] & group):
            if nxt == start:
                return [*paths[node], start]
            if nxt not in paths:
                paths[nxt] = [*paths[node], nxt]
                queue.append(nxt)
    return sorted(group)


def test_no_import_circle() -> None:
    edges, _ = graph()
    found = [path for _group, path in circles(edges)]
    assert found == [], "import circles: " + "; ".join(" -> ".join(c) for c in found)


def test_each_layer_imports_only_those_below_it() -> None:
    edges, _ = graph()
    wrong = []
    for module, targets in sorted(edges.items()):
        layer = module.partition(".")[0]
        for target in sorted(targets):
            other = target.partition(".")[0]
            if other == layer or other in ALLOWED[layer]:
                continue
            if target in EXCEPTIONS.get((layer, other), set()):
                continue
            wrong.append(f"{module} -> {target}")
    assert wrong == [], "imports against the layers: " + "; ".join(wrong)


def test_the_domain_imports_no_aiogram() -> None:
    _, names = graph()
    wrong = sorted(
        f"{module} -> {name}"
        for module, imported in names.items()
        if module.partition(".")[0] in NO_AIOGRAM
        for name in imported
        if name.partition(".")[0] in {"aiogram", "aiohttp"}
    )
    assert wrong == [], "the domain imports aiogram: " + "; ".join(wrong)


def test_the_contract_sees_what_it_checks() -> None:
    """The checks above would pass on an empty graph: make sure they read the tree."""
    edges, _ = graph()
    assert "bot.app" in edges
    assert "infrastructure.transactions" in edges
    assert "infrastructure.transactions" in edges["workflows.rights"]
    loop = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert circles(loop) == [({"a", "b", "c"}, ["a", "b", "c", "a"])]
