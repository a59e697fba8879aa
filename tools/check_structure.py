"""Check the package's shape: no import cycles, cupy only in the backend, small files.

    python tools/check_structure.py            # exit 1 with a list of problems, if any
    python tools/check_structure.py --graph    # also print every module's imports

Imports are read from the source (every ``import`` statement, at module level or inside
a function: a lazy import is still an arrow), resolved to minigrad modules, and the
module graph is searched for strongly connected components (Tarjan). A package's
``__init__`` that re-exports its own submodules is the package itself, so those arrows
don't count as cycles. Run by .ci/run, so the shape holds.
"""
from __future__ import annotations

import argparse
import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "minigrad"
MAX_LINES = 600
# modules that may import cupy (the one place that knows about the GPU library)
CUPY_ALLOWED = {"minigrad.backend"}
# The layers of DESIGN.md, bottom up: an import may point to its own layer or below.
LAYERS = {
    "backend": 0, "backends": 0, "generator": 0, "_mt19937": 0, "_cpu_random": 0, "_cpu_normal": 0, "_cpu_libm": 0, "grad_mode": 1, "cuda": 1, "tensor": 2,
    "autograd": 3, "ops": 4, "factories": 4, "gradcheck": 4, "serialization": 4,
    "nn": 5, "data": 5, "optim": 6, "trace": 7, "viz": 7, "train": 8, "utils": 8,
}


def layer(module: str):
    parts = module.split(".")
    return LAYERS.get(parts[1]) if len(parts) > 1 else None


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _resolve(base: str, level: int, is_package: bool) -> str:
    parts = base.split(".")
    drop = level - 1 if is_package else level
    return ".".join(parts[: len(parts) - drop]) if drop else base


def imports_of(name: str, path: Path, known: dict[str, Path]):
    """(imported minigrad module, line) for each import in the file, and external roots."""
    tree = ast.parse(path.read_text(), filename=str(path))
    is_package = path.name == "__init__.py"
    found, external = [], []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "minigrad":
                    found.append((_longest_known(alias.name, known), node.lineno))
                else:
                    external.append((alias.name.split(".")[0], node.lineno))
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = _resolve(name, node.level, is_package)
                target = f"{base}.{node.module}" if node.module else base
            else:
                target = node.module or ""
            if target.split(".")[0] != "minigrad":
                external.append((target.split(".")[0], node.lineno))
                continue
            for alias in node.names:
                sub = f"{target}.{alias.name}"
                found.append((sub if sub in known else _longest_known(target, known), node.lineno))
    return [(m, line) for m, line in found if m and m != name], external


def _longest_known(dotted: str, known) -> str | None:
    parts = dotted.split(".")
    while parts:
        candidate = ".".join(parts)
        if candidate in known:
            return candidate
        parts.pop()
    return None


def _is_own_package(importer: str, imported: str) -> bool:
    """A package's __init__ importing its own submodules (or a submodule importing an
    ancestor package's __init__) is one unit, not an arrow between two."""
    return importer.startswith(imported + ".") or imported.startswith(importer + ".")


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index, low, on_stack, stack, result = {}, {}, set(), [], []
    counter = [0]
    for start in graph:
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = counter[0]
        counter[0] += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter[0]
                    counter[0] += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        result.append(sorted(component))
    return result


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--graph", action="store_true", help="print each module's minigrad imports")
    args = parser.parse_args(argv)
    known = modules()
    graph, problems = {m: set() for m in known}, []
    for name, path in known.items():
        found, external = imports_of(name, path, known)
        for target, line in found:
            if not _is_own_package(name, target):
                graph[name].add(target)
                low, high = layer(name), layer(target)
                if low is not None and high is not None and high > low:
                    problems.append(f"{path.relative_to(ROOT)}:{line}: imports {target}, a layer above it")
        for root, line in external:
            if root in ("cupy", "cupyx") and name not in CUPY_ALLOWED:
                problems.append(f"{path.relative_to(ROOT)}:{line}: imports {root}; only the backend may")
        lines = len(path.read_text().splitlines())
        if lines > MAX_LINES:
            problems.append(f"{path.relative_to(ROOT)}: {lines} lines, over the budget of {MAX_LINES}")
    for component in cycles(graph):
        problems.append("import cycle: " + " <-> ".join(component))
    if args.graph:
        for name in sorted(graph):
            print(f"{name}: {', '.join(sorted(graph[name])) or '-'}")
    for p in problems:
        print(p)
    print(f"check_structure: {len(known)} modules, {sum(map(len, graph.values()))} imports, "
          f"{len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
