"""The layers point only down (docs/architecture.md §Layers), checked on the source.

Every ``import`` and ``from ... import`` of every module is read from its syntax tree,
function bodies included (a lazy import inside a function is still an arrow), and checked
against the layer order core < present < ui < entry points (explorer/, pages/, app.py).
Imports inside one layer must not form a cycle between modules either.
"""
import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LAYERS = {"core": 0, "present": 1, "ui": 2, "explorer": 3, "pages": 3, "app": 3}
# Third-party packages a layer must not use: the engine draws nothing, presentation and the
# entry points run without a Streamlit server (the app is the only Streamlit user).
FORBIDDEN = {"core": {"streamlit", "altair", "vl_convert"}, "present": {"streamlit"},
             "explorer": {"streamlit"}}


def modules():
    """(layer, dotted module name, path) of every first-party module."""
    out = []
    for package in ("core", "present", "ui", "explorer"):
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            out.append((package, name, path))
    out += [("pages", f"pages.{p.stem}", p) for p in sorted((ROOT / "pages").glob("*.py"))]
    out.append(("app", "app", ROOT / "app.py"))
    return out


def imported_names(path, module):
    """Every module name an ``import`` statement anywhere in the file names (relative
    imports resolved against ``module``), with its line number."""
    tree = ast.parse(path.read_text(), filename=str(path))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[:len(package.split(".")) - node.level + 1]
                base = ".".join(parent + ([base] if base else []))
            found.append((base, node.lineno))
            found += [(f"{base}.{alias.name}", node.lineno) for alias in node.names]
    return found


ALL = modules()
NAMES = {name for _, name, _ in ALL}


def first_party(name):
    """The module of ours ``name`` refers to (a package's submodule or the package), or
    None for third-party code and for names that are attributes, not modules."""
    while name and name not in NAMES:
        name = name.rpartition(".")[0]
    return name or None


@pytest.mark.parametrize("layer,module,path", ALL, ids=[m for _, m, _ in ALL])
def test_imports_point_down(layer, module, path):
    bad = []
    for name, line in imported_names(path, module):
        top = name.split(".")[0]
        if top in FORBIDDEN.get(layer, ()):
            bad.append(f"line {line}: {name} (not in {layer})")
        target = first_party(name)
        if target is not None and LAYERS[target.split(".")[0]] > LAYERS[layer]:
            bad.append(f"line {line}: {name} is above {layer}")
    assert not bad, f"{path.relative_to(ROOT)} imports against the layers: " + "; ".join(bad)


def test_no_import_cycles_between_modules():
    graph = {}
    for _, module, path in ALL:
        targets = {first_party(name) for name, _ in imported_names(path, module)}
        # a package's __init__ is not an arrow to its own submodules' importers
        graph[module] = {t for t in targets if t and t != module
                         and not module.startswith(t + ".")}
    state, cycles = {}, []

    def visit(node, stack):
        state[node] = "open"
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == "open":
                cycles.append(stack[stack.index(nxt):] + [nxt])
            elif nxt not in state:
                visit(nxt, stack + [nxt])
        state[node] = "done"

    for node in sorted(graph):
        if node not in state:
            visit(node, [node])
    assert not cycles, "import cycles: " + "; ".join(" -> ".join(c) for c in cycles)


def test_the_checker_sees_an_import_inside_a_function(tmp_path):
    """The walk reaches function bodies (the old check only saw what loads at import)."""
    source = tmp_path / "probe.py"
    source.write_text("def f():\n    from present.slides import make_deck\n")
    names = [n for n, _ in imported_names(source, "core.probe")]
    assert "present.slides" in names and first_party("present.slides.make_deck") == \
        "present.slides"
