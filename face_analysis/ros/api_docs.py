"""Keeps the ROS API page's tables generated from the code, so they cannot drift:

    python -m face_analysis.ros.api_docs docs/ros-api.md           # rewrite the generated tables
    python -m face_analysis.ros.api_docs docs/ros-api.md --check   # exit 1 if they are out of date

Generated blocks sit between `<!-- generated:NAME -->` and `<!-- end:NAME -->` markers.
"""

from __future__ import annotations

import argparse
import importlib.util
import re
import sys
from pathlib import Path

from .params import markdown_table, renamed_table

LAUNCH_FILE = Path(__file__).resolve().parents[2] / "launch" / "robot.launch.py"


def launch_arguments_table(launch_file: Path = LAUNCH_FILE) -> str:
    spec = importlib.util.spec_from_file_location("robot_launch", launch_file)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    rows = ["| argument | default | description |", "|---|---|---|"]
    for name, default, text in module.ARGUMENTS:
        if name in ("params_file", "fastdds_profile"):
            default = "share/face_analysis/config/" + Path(default).name
        rows.append(f"| `{name}` | `{default}` | {text} |")
    return "\n".join(rows)


BLOCKS = {
    "parameters": markdown_table,
    "renamed-parameters": renamed_table,
    "launch-arguments": launch_arguments_table,
}


def render(text: str) -> str:
    for name, make in BLOCKS.items():
        pattern = re.compile(rf"(<!-- generated:{name} -->\n)(?:.*?\n)?(<!-- end:{name} -->)", re.S)
        if not pattern.search(text):
            raise SystemExit(f"marker <!-- generated:{name} --> ... <!-- end:{name} --> missing")
        table = make()  # a function as replacement: the table's backslashes stay literal
        text = pattern.sub(lambda m, table=table: m.group(1) + table + "\n" + m.group(2), text)
    return text


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("page", type=Path, help="the Markdown page, docs/ros-api.md")
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args(argv)
    current = args.page.read_text()
    wanted = render(current)
    if args.check:
        if wanted != current:
            print(
                f"{args.page}: ROS API tables are out of date; run "
                f"python -m face_analysis.ros.api_docs {args.page}",
                file=sys.stderr,
            )
            return 1
        return 0
    args.page.write_text(wanted)
    return 0


if __name__ == "__main__":
    sys.exit(main())
