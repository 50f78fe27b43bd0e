"""Our processes get the large-data Fast DDS profile under the variable name their distribution's
Fast DDS reads: Fast DDS 2 (Jazzy, Humble) only FASTRTPS_DEFAULT_PROFILES_FILE (with the new name
only, best-effort camera frames between processes were lost on Jazzy: test_robot_launch's
best-effort cases); Fast DDS 3 (Kilted) FASTDDS_DEFAULT_PROFILES_FILE, and given both it loads the
file twice, with XML parser errors in every process's log (the last test)."""

import subprocess
import sys

import pytest
from launch_helpers import SHARE

from face_analysis.ros.compat import fastdds_profile_variables
from face_analysis.ros.launch_support import fastdds_profile
from face_analysis.ros.tools import bag_player
from launch import LaunchContext

NAMES = ("FASTDDS_DEFAULT_PROFILES_FILE", "FASTRTPS_DEFAULT_PROFILES_FILE")
PROFILE = str(SHARE / "config" / "fastdds_large_data.xml")
# Which name each distribution's Fast DDS reads, the unset ROS_DISTRO both.
EXPECTED = {"kilted": NAMES[:1], "rolling": NAMES[:1], "jazzy": NAMES[1:], "humble": NAMES[1:]}


def clear(monkeypatch, distribution: str | None):
    for name in NAMES:
        # setenv first: monkeypatch then also restores a variable's absence, which the launch
        # actions below would otherwise leave set for the later tests' processes.
        monkeypatch.setenv(name, "")
        monkeypatch.delenv(name)
    if distribution is None:
        monkeypatch.delenv("ROS_DISTRO", raising=False)
    else:
        monkeypatch.setenv("ROS_DISTRO", distribution)


def environment_after_launch(monkeypatch, profile: str, distribution: str | None) -> dict:
    """The environment robot.launch.py's fastdds_profile actions (launch_support.py) give the
    processes it starts afterwards (the launch context's environment is the process's own,
    restored by monkeypatch)."""
    clear(monkeypatch, distribution)
    context = LaunchContext()
    context.launch_configurations["fastdds_profile"] = profile
    for action in fastdds_profile(context):
        action.visit(context)
    return {name: context.environment.get(name) for name in NAMES}


@pytest.mark.parametrize("distribution", [*EXPECTED, None])
def test_robot_launch_sets_the_profile_for_the_distributions_fast_dds(monkeypatch, distribution):
    wanted = EXPECTED.get(distribution, NAMES)
    assert environment_after_launch(monkeypatch, "/profiles/large.xml", distribution) == {
        name: "/profiles/large.xml" if name in wanted else None for name in NAMES
    }
    # fastdds_profile:= (empty) sets none
    assert environment_after_launch(monkeypatch, "", distribution) == dict.fromkeys(NAMES)


@pytest.mark.parametrize("distribution", ["kilted", "jazzy"])
def test_bag_player_sets_the_installed_profile(monkeypatch, distribution):
    clear(monkeypatch, distribution)
    assert bag_player.use_large_data_profile() == PROFILE
    assert [bag_player.os.environ.get(name) for name in NAMES] == [
        PROFILE if name in EXPECTED[distribution] else None for name in NAMES
    ]


@pytest.mark.parametrize("given", NAMES)
def test_bag_player_keeps_the_users_profile_under_either_name(monkeypatch, given):
    clear(monkeypatch, "jazzy")  # Fast DDS 2 reads the old name only: the profile gets it too
    monkeypatch.setenv(given, "/robot/profile.xml")
    assert bag_player.use_large_data_profile() == "/robot/profile.xml"
    assert bag_player.os.environ.get(NAMES[1]) == "/robot/profile.xml"
    clear(monkeypatch, "kilted")  # Fast DDS 3 reads either: nothing added
    monkeypatch.setenv(given, "/robot/profile.xml")
    assert bag_player.use_large_data_profile() == "/robot/profile.xml"
    assert [bag_player.os.environ.get(name) for name in NAMES].count(None) == 1


def test_a_node_starts_without_fast_dds_warnings_or_errors(monkeypatch):
    """A node of this distribution, given the profile as robot.launch.py gives it, logs nothing
    about it (given both names on Kilted: a deprecation warning, and parser errors in launches)."""
    env = dict(bag_player.os.environ)
    for name in NAMES:
        env.pop(name, None)
    env.update(dict.fromkeys(fastdds_profile_variables(), PROFILE))
    script = "import rclpy; rclpy.init(); rclpy.create_node('profile_probe'); rclpy.shutdown()"
    run = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60
    )
    assert run.returncode == 0, run.stderr
    assert "DEFAULT_PROFILES_FILE" not in run.stderr + run.stdout
    assert "Error" not in run.stderr + run.stdout
