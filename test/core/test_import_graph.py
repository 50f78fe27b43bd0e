"""The package's modules import each other without cycles (every import statement counts, lazy
ones inside functions too: a cycle means code sits in the wrong module), the ROS-free core
imports nothing from ros/, and ros/'s node folders depend one way: nodes/ on outputs/ and
runtime/, outputs/ on runtime/."""

import ast

from paths import REPO

PACKAGE = REPO / "face_analysis"
# Each may import the ones before it, never one after: what every node runs on, what they publish,
# and the executables, which no module imports.
ROS_LAYERS = ("face_analysis.ros.runtime", "face_analysis.ros.outputs", "face_analysis.ros.nodes")


def module_name(path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(path, modules: set[str]) -> set[str]:
    """The package modules that `path` imports (a `from X import y` counts X.y when y is one)."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            base = (
                package.split(".")[: len(package.split(".")) - node.level + 1] if node.level else []
            )
            target = ".".join(base + ([node.module] if node.module else []))
            candidates = [target] + [f"{target}.{alias.name}" for alias in node.names]
        elif isinstance(node, ast.Import):
            candidates = [alias.name for alias in node.names]
        else:
            continue
        found.update(c for c in candidates if c in modules and c != name)
    return found


def import_graph() -> dict[str, set[str]]:
    paths = {module_name(path): path for path in PACKAGE.rglob("*.py")}
    return {name: imported_modules(path, set(paths)) for name, path in paths.items()}


def find_cycle(graph: dict[str, set[str]]) -> list[str]:
    """One import cycle as a list of modules, or [] (depth-first search)."""
    state: dict[str, str] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str]:
        state[node] = "open"
        stack.append(node)
        for dep in sorted(graph[node]):
            if state.get(dep) == "open":
                return stack[stack.index(dep) :] + [dep]
            if dep not in state and (cycle := visit(dep)):
                return cycle
        state[node] = "done"
        stack.pop()
        return []

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return []


def test_no_import_cycle():
    graph = import_graph()
    assert len(graph) > 50  # the walk found the package
    assert find_cycle(graph) == []


def test_cycle_finder_finds_one():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == ["a", "b", "c", "a"]


def test_core_imports_nothing_from_ros():
    graph = import_graph()
    offenders = {
        name: sorted(dep for dep in deps if dep.startswith("face_analysis.ros"))
        for name, deps in graph.items()
        if name.startswith("face_analysis.core")
    }
    assert {name: deps for name, deps in offenders.items() if deps} == {}


def ros_layer(module: str) -> int:
    """The module's index in ROS_LAYERS; -1 outside them."""
    for index, folder in enumerate(ROS_LAYERS):
        if module == folder or module.startswith(folder + "."):
            return index
    return -1


def test_ros_folders_import_only_the_ones_before():
    graph = import_graph()
    nodes = len(ROS_LAYERS) - 1
    offenders = {
        name: sorted(
            dep for dep in deps if ros_layer(dep) == nodes or ros_layer(dep) > ros_layer(name) >= 0
        )
        for name, deps in graph.items()
    }
    assert {name: deps for name, deps in offenders.items() if deps} == {}
