#!/usr/bin/env bash
# Runs ruff, the Python 3.10 check and every test (core, training, real ROS 2 processes, launch
# tests) after making sure the environment is set up and the package built; ROS_DISTRO=jazzy runs
# them on Jazzy (scripts/distro.sh). Extra arguments go to pytest.
#   [ROS_DISTRO=jazzy] bash scripts/test.sh [-k PATTERN] [-x] ...
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bash "$ROOT/scripts/setup_env.sh" --quiet
# shellcheck disable=SC1091
source "$ROOT/scripts/env.sh"
cd "$ROOT"
# Lint and format check first (a second or two; settings in ruff.toml): style drift fails CI too.
ruff check .
ruff format --check .
# Humble's Python is 3.10: ruff.toml flags newer syntax in the package and its launch files,
# vermin newer standard-library modules and names (datetime.UTC, typing.Self, tomllib, ...).
vermin --target=3.10- --violations --eval-annotations --no-tips --quiet face_analysis launch
echo "[test] ROS 2 $ROS_DISTRO, rclpy $(python -c 'import importlib.metadata as m; print(m.version("ros-rclpy"))')"
exec python -m pytest test "$@"
