#!/usr/bin/env bash
# Creates .venv (ROS 2 Kilted from PyPI wheels, colcon, onnxruntime, OpenCV, PyTorch CPU) from the
# pinned requirements.lock, installs the launch/ros2cli wheels of ../shared/ros2-extra, and builds
# the package with colcon into install/. Idempotent: a second run checks a stamp and rebuilds
# incrementally, in seconds. With ROS_DISTRO=jazzy the same from requirements-jazzy.lock and
# ../shared/ros2-extra-jazzy into .venv-jazzy, build-jazzy, install-jazzy (scripts/distro.sh).
#   [ROS_DISTRO=jazzy] bash scripts/setup_env.sh [--quiet]
# Environment: PYTHON (default python3.11, else python3), FACE_ANALYSIS_SHARED (default ../shared).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=distro.sh
source "$ROOT/scripts/distro.sh" || exit 1
fa_forget_environments "$ROOT"  # from a shell that sourced env.sh of another distribution
VENV="$ROOT/.venv$FA_SUFFIX"
SHARED=${FACE_ANALYSIS_SHARED:-$ROOT/../shared}
EXTRA="$SHARED/$FA_EXTRA"
LOCK="$ROOT/$FA_LOCK"
BUILD="$ROOT/build$FA_SUFFIX" INSTALL="$ROOT/install$FA_SUFFIX" LOG="$ROOT/log$FA_SUFFIX"
QUIET=0
[[ "${1:-}" == "--quiet" ]] && QUIET=1

say() { [[ $QUIET == 1 ]] || echo "[setup] $*"; }
fail() { echo "[setup] ERROR: $*" >&2; exit 1; }

# --- Python: the ROS 2 Kilted and Jazzy wheels exist for CPython 3.11 only (cp311).
PYTHON=${PYTHON:-$(command -v python3.11 || command -v python3 || true)}
[[ -n "$PYTHON" ]] || fail "no python3 found. Install Python 3.11 (Debian 12: apt-get install python3.11 python3.11-venv) or set PYTHON=/path/to/python3.11."
PYVER=$("$PYTHON" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
[[ "$PYVER" == "3.11" ]] || fail "$PYTHON is Python $PYVER, but the ROS 2 $FA_DISTRO wheels on PyPI are built for CPython 3.11 only. Install Python 3.11 (Debian 12: apt-get install python3.11 python3.11-venv) and rerun, or point PYTHON=/path/to/python3.11."
"$PYTHON" -c 'import venv, ensurepip' 2>/dev/null || fail "$PYTHON lacks the venv/ensurepip modules (Debian: apt-get install python3.11-venv)."
[[ -d "$EXTRA" ]] || fail "$EXTRA not found: the launch/ros2cli wheels live in the project's shared folder. Clone next to ../shared or set FACE_ANALYSIS_SHARED=/path/to/shared."

# --- A stale .venv (moved checkout, other Python, broken interpreter) is reported, not patched.
if [[ -d "$VENV" ]]; then
  stale=""
  if ! "$VENV/bin/python" -c 'import sys' 2>/dev/null; then
    stale="its interpreter does not run (was the Python it was made from removed?)"
  elif [[ $("$VENV/bin/python" -c 'import sys; print("%d.%d" % sys.version_info[:2])') != "3.11" ]]; then
    stale="it was made with Python $("$VENV/bin/python" -V 2>&1), not 3.11"
  elif ! grep -qF "VIRTUAL_ENV=\"$VENV\"" "$VENV/bin/activate" 2>/dev/null \
       && ! grep -qF "VIRTUAL_ENV='$VENV'" "$VENV/bin/activate" 2>/dev/null; then
    stale="it was created at another path (the checkout was moved or copied)"
  fi
  [[ -z "$stale" ]] || fail "$(basename "$VENV") is stale: $stale. Fix: rm -rf '$VENV' '$BUILD' '$INSTALL' '$LOG' and rerun this script."
fi

# --- Install, unless the stamp says this exact lock and these extra wheels are already in.
stamp_value=$( (cat "$LOCK"; ls "$EXTRA"/*.whl; echo "$PYVER") | sha256sum | cut -d' ' -f1)
STAMP="$VENV/.face_analysis_stamp"
if [[ ! -f "$STAMP" || $(cat "$STAMP") != "$stamp_value" ]]; then
  [[ -d "$VENV" ]] || { say "creating $VENV with $PYTHON"; "$PYTHON" -m venv "$VENV"; }
  say "installing pinned packages from $FA_LOCK (first time: a few minutes)"
  log=$(mktemp)
  # A .venv from before mediapipe joined the lock has opencv-python-headless, which would share
  # one cv2 folder with mediapipe's opencv-contrib-python.
  "$VENV/bin/python" -m pip uninstall -y -q opencv-python-headless opencv-python >/dev/null 2>&1 || true
  if ! "$VENV/bin/python" -m pip install --disable-pip-version-check -r "$LOCK" >"$log" 2>&1 \
     || ! "$VENV/bin/python" -m pip install --disable-pip-version-check --no-deps "$EXTRA"/*.whl >>"$log" 2>&1; then
    if grep -qiE "NewConnectionError|Max retries|Temporary failure in name resolution|Network is unreachable|ConnectTimeout|ProxyError|SSLError" "$log"; then
      fail "pip could not reach the package index (network, proxy or PIP_INDEX_URL). Check the connection and rerun. Last lines of pip's log:
$(tail -n 5 "$log")"
    fi
    fail "pip install failed; last lines of its log ($log):
$(tail -n 15 "$log")"
  fi
  rm -f "$log"
  echo "$stamp_value" >"$STAMP"
else
  say "packages up to date ($VENV)"
fi

# --- Third-party weights (data, not ours; git-ignored): YuNet with its LICENSE and provenance into
# models/yunet/, which colcon installs into share/ with the rest of models/. The package checks
# the file's sha256 against models/MANIFEST.json when it loads it.
YUNET_SRC="$SHARED/models/yunet"
[[ -f "$YUNET_SRC/yunet_s_dynamic.onnx" ]] || fail "$YUNET_SRC/yunet_s_dynamic.onnx not found: the YuNet detector's weights live in the project's shared folder (upstream: github.com/ShiqiYu/libfacedetection.train, onnx/yunet_s_dynamic.onnx)."
mkdir -p "$ROOT/models/yunet"
for f in yunet_s_dynamic.onnx LICENSE README.md; do
  cmp -s "$YUNET_SRC/$f" "$ROOT/models/yunet/$f" || install -m 644 "$YUNET_SRC/$f" "$ROOT/models/yunet/$f"
done

# --- Build: colcon against the wheels (AMENT/CMAKE prefix = the venv), symlinked Python sources.
# shellcheck disable=SC1091
source "$VENV/bin/activate"
export AMENT_PREFIX_PATH="$VIRTUAL_ENV" CMAKE_PREFIX_PATH="$VIRTUAL_ENV"
say "building with colcon"
cd "$ROOT"; mkdir -p "$BUILD"
if ! colcon --log-base "$LOG" build --symlink-install --build-base "$BUILD" --install-base "$INSTALL" \
      --cmake-args -DFACE_ANALYSIS_PIP_ROS=ON -DBUILD_TESTING=ON >"$BUILD/colcon_build.txt" 2>&1; then
  fail "colcon build failed; see $BUILD/colcon_build.txt (last lines below)
$(tail -n 20 "$BUILD/colcon_build.txt")"
fi
say "ready. In a shell: ${ROS_DISTRO:+export ROS_DISTRO=$ROS_DISTRO; }source scripts/env.sh, then e.g. 'ros2 launch face_analysis robot.launch.py' or 'face-analysis image PHOTO.jpg'"
