# Source this file (bash/zsh) to use the built package: activates .venv and the colcon install.
#   source scripts/env.sh
_fa_root=$(cd "$(dirname "${BASH_SOURCE[0]:-$0}")/.." && pwd)
if [ ! -f "$_fa_root/install/setup.sh" ]; then
  echo "face_analysis is not built yet: run 'bash scripts/setup_env.sh' first" >&2
  return 1 2>/dev/null || exit 1
fi
# colcon's and venv's scripts read unset variables: allow that even under `set -u`.
case $- in *u*) _fa_nounset=1; set +u ;; *) _fa_nounset=0 ;; esac
. "$_fa_root/.venv/bin/activate"
export AMENT_PREFIX_PATH="$VIRTUAL_ENV" CMAKE_PREFIX_PATH="$VIRTUAL_ENV"
# colcon's setup.sh reads the workspace path from a variable it also unsets.
COLCON_CURRENT_PREFIX="$_fa_root/install" . "$_fa_root/install/setup.sh"
[ "$_fa_nounset" = 1 ] && set -u
unset _fa_root _fa_nounset
