"""package.xml names every ROS package that the package and its launch files import, so that
`rosdep install` on a robot brings them (which key each distribution releases them under:
docs/distributions.md)."""

import ast

from ament_index_python.packages import get_packages_with_prefixes
from catkin_pkg.package import parse_package
from paths import REPO


def imported_top_level_modules(folders) -> set[str]:
    modules = set()
    for folder in folders:
        for path in (REPO / folder).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(), str(path))):
                if isinstance(node, ast.Import):
                    modules.update(alias.name.split(".")[0] for alias in node.names)
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    modules.add(node.module.split(".")[0])
    return modules


def test_every_imported_ros_package_is_a_dependency():
    ros_packages = set(get_packages_with_prefixes()) - {"face_analysis"}
    imported = imported_top_level_modules(["face_analysis", "launch"]) & ros_packages
    package = parse_package(str(REPO / "package.xml"))
    declared = {d.name for d in package.exec_depends + package.build_depends}
    assert imported, "no ROS import found: the ament index is not the one of the environment"
    assert sorted(imported - declared) == [], "imported but not in package.xml"
