#!/usr/bin/env bash
# The main job on the bundled default input: the ROS 2 graph (bag player -> face_analysis nodes ->
# overlay) on samples/faces_demo; leaves overlay.mp4, frames.jsonl and summary.json in output/demo/.
# Extra arguments go to `face-analysis demo` (e.g. a bag path, -o DIR, --launch-arg single_process:=false).
# ROS_DISTRO=jazzy runs it on Jazzy (scripts/distro.sh).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bash "$ROOT/scripts/setup_env.sh" --quiet
# shellcheck disable=SC1091
source "$ROOT/scripts/env.sh"
cd "$ROOT"
# Keep the demo's DDS traffic on this machine.
export ROS_AUTOMATIC_DISCOVERY_RANGE=${ROS_AUTOMATIC_DISCOVERY_RANGE:-LOCALHOST}
exec face-analysis demo "$@"
