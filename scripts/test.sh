#!/usr/bin/env bash
# Runs ruff and every test (core, training, real ROS 2 processes, launch tests) after making sure the
# environment is set up and the package built. Extra arguments go to pytest.
#   bash scripts/test.sh [-k PATTERN] [-x] ...
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bash "$ROOT/scripts/setup_env.sh" --quiet
# shellcheck disable=SC1091
source "$ROOT/scripts/env.sh"
cd "$ROOT"
# Lint and format check first (a second or two; settings in ruff.toml): style drift fails CI too.
ruff check .
ruff format --check .
exec python -m pytest test "$@"
