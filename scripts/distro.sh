# Which ROS 2 distribution the scripts set up and use, from ROS_DISTRO (unset: kilted), and where
# its environment lives. Sourced by setup_env.sh and env.sh (bash or zsh, so plain sh here).
# Sets FA_DISTRO, FA_LOCK (lock file), FA_EXTRA (folder name in ../shared) and FA_SUFFIX, which
# names that distribution's .venv$FA_SUFFIX, build$FA_SUFFIX, install$FA_SUFFIX and log$FA_SUFFIX;
# Kilted keeps the plain names. An unsupported ROS_DISTRO: a message and status 1.
FA_DISTRO=${ROS_DISTRO:-kilted}
case "$FA_DISTRO" in
  kilted) FA_SUFFIX="" ;;
  jazzy) FA_SUFFIX="-jazzy" ;;
  *)
    # An apt install of ROS 2 (source /opt/ros/<distro>/setup.bash) exports ROS_DISTRO too.
    echo "face_analysis: ROS_DISTRO=$FA_DISTRO is not one these scripts set up; supported: kilted (the default) and jazzy, both from PyPI wheels. If your shell got ROS_DISTRO from an apt install of ROS 2, either build this package there with colcon (docs/distributions.md), or run e.g. 'ROS_DISTRO=jazzy bash scripts/setup_env.sh' (or 'env -u ROS_DISTRO ...' for kilted), best in a shell without /opt/ros sourced." >&2
    return 1
    ;;
esac
FA_LOCK="requirements$FA_SUFFIX.lock"
FA_EXTRA="ros2-extra$FA_SUFFIX"

# Drops this checkout's environments of every distribution (.venv*, install*) from the PATH-like
# variables, so that switching distributions in one shell leaves nothing of the other behind.
fa_forget_environments() {
  for _fa_var in PATH PYTHONPATH LD_LIBRARY_PATH AMENT_PREFIX_PATH CMAKE_PREFIX_PATH COLCON_PREFIX_PATH; do
    eval "_fa_value=\${$_fa_var:-}"
    [ -n "$_fa_value" ] || continue
    _fa_value=$(printf '%s' "$_fa_value" | awk -v RS=: -v ORS=: -v root="$1/" \
      'index($0, root ".venv") != 1 && index($0, root "install") != 1')
    eval "$_fa_var=\${_fa_value%:}"
  done
  unset _fa_var _fa_value
}
