# Source this file (bash/zsh) to use the built package: activates .venv and the colcon install, or
# with ROS_DISTRO=jazzy exported .venv-jazzy and install-jazzy (scripts/distro.sh).
#   [export ROS_DISTRO=jazzy;] source scripts/env.sh
_fa_root=$(cd "$(dirname "${BASH_SOURCE[0]:-$0}")/.." && pwd)
. "$_fa_root/scripts/distro.sh" || { unset _fa_root FA_DISTRO; return 1 2>/dev/null || exit 1; }
_fa_install="$_fa_root/install$FA_SUFFIX"
if [ ! -f "$_fa_install/setup.sh" ]; then
  echo "face_analysis is not built for $FA_DISTRO yet: run '${ROS_DISTRO:+ROS_DISTRO=$ROS_DISTRO }bash scripts/setup_env.sh' first" >&2
  unset _fa_root _fa_install FA_DISTRO FA_SUFFIX FA_LOCK FA_EXTRA
  unset -f fa_forget_environments
  return 1 2>/dev/null || exit 1
fi
# colcon's and venv's scripts read unset variables: allow that even under `set -u`.
case $- in *u*) _fa_nounset=1; set +u ;; *) _fa_nounset=0 ;; esac
fa_forget_environments "$_fa_root"
. "$_fa_root/.venv$FA_SUFFIX/bin/activate"
export ROS_DISTRO="$FA_DISTRO" AMENT_PREFIX_PATH="$VIRTUAL_ENV" CMAKE_PREFIX_PATH="$VIRTUAL_ENV"
# colcon's setup.sh reads the workspace path from a variable it also unsets.
COLCON_CURRENT_PREFIX="$_fa_install" . "$_fa_install/setup.sh"
[ "$_fa_nounset" = 1 ] && set -u
unset _fa_root _fa_install _fa_nounset FA_DISTRO FA_SUFFIX FA_LOCK FA_EXTRA
unset -f fa_forget_environments
