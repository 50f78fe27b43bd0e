"""Our processes get the large-data Fast DDS profile under both variable names: Fast DDS 3
(Kilted) reads FASTDDS_DEFAULT_PROFILES_FILE, Fast DDS 2 (Jazzy, Humble) only
FASTRTPS_DEFAULT_PROFILES_FILE; with one name only, best-effort camera frames between processes
were lost on Jazzy (test_robot_launch's best-effort cases)."""

import pytest
from launch_helpers import SHARE, robot_launch_module

from face_analysis.ros.tools import bag_player
from launch import LaunchContext

NAMES = ("FASTDDS_DEFAULT_PROFILES_FILE", "FASTRTPS_DEFAULT_PROFILES_FILE")


def environment_after_launch(monkeypatch, profile: str) -> dict:
    """The environment robot.launch.py's actions give the processes it starts afterwards (the
    launch context's environment is the process's own, restored by monkeypatch)."""
    for name in NAMES:
        monkeypatch.delenv(name, raising=False)
    context = LaunchContext()
    context.launch_configurations["fastdds_profile"] = profile
    for action in robot_launch_module().fastdds_profile(context):
        action.visit(context)
    return {name: context.environment.get(name) for name in NAMES}


def test_robot_launch_sets_the_profile_for_both_fast_dds_versions(monkeypatch):
    profile = "/profiles/large.xml"
    assert environment_after_launch(monkeypatch, profile) == dict.fromkeys(NAMES, profile)
    # fastdds_profile:= (empty) sets none
    assert environment_after_launch(monkeypatch, "") == dict.fromkeys(NAMES)


def test_bag_player_sets_the_installed_profile_for_both(monkeypatch):
    for name in NAMES:
        monkeypatch.delenv(name, raising=False)
    profile = str(SHARE / "config" / "fastdds_large_data.xml")
    assert bag_player.use_large_data_profile() == profile
    assert [bag_player.os.environ.get(name) for name in NAMES] == [profile, profile]


@pytest.mark.parametrize("given", NAMES)
def test_bag_player_keeps_the_users_profile_under_either_name(monkeypatch, given):
    for name in NAMES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv(given, "/robot/profile.xml")
    assert bag_player.use_large_data_profile() == "/robot/profile.xml"
    assert [bag_player.os.environ.get(name) for name in NAMES] == ["/robot/profile.xml"] * 2
