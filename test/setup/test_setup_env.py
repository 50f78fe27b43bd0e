"""scripts/setup_env.sh stops with a message that says what is wrong and how to fix it: a wrong
Python version, a stale .venv, no network to the package index, a ROS_DISTRO it does not set up.
Each case runs the real script in a scratch copy of the repository's scripts."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from paths import REPO


@pytest.fixture
def scratch_repo(tmp_path):
    """A repository skeleton: the scripts, one-line locks, and shared/ros2-extra(-jazzy)."""
    repo = tmp_path / "repo"
    (repo / "scripts").mkdir(parents=True)
    for script in ("setup_env.sh", "distro.sh", "env.sh"):
        shutil.copy(REPO / "scripts" / script, repo / "scripts")
    for suffix in ("", "-jazzy"):
        (repo / f"requirements{suffix}.lock").write_text("face-analysis-no-such-package==1.0\n")
        extra = tmp_path / "shared" / f"ros2-extra{suffix}"
        extra.mkdir(parents=True)
        (extra / "placeholder-0-py3-none-any.whl").write_text("")
    return repo


def run_setup(repo, distro="kilted", **env):
    """The set-up script for `distro` (None: ROS_DISTRO unset), whatever this suite runs on."""
    environment = {k: v for k, v in os.environ.items() if k != "ROS_DISTRO"}
    return subprocess.run(
        ["bash", str(repo / "scripts" / "setup_env.sh")],
        capture_output=True,
        text=True,
        timeout=300,
        env={**environment, **env, **({"ROS_DISTRO": distro} if distro else {})},
    )


def fake_python(path: Path, version: str) -> str:
    path.write_text(f"#!/bin/sh\necho {version}\n")
    path.chmod(0o755)
    return str(path)


def test_wrong_python_version_is_named_with_the_fix(scratch_repo, tmp_path):
    result = run_setup(scratch_repo, PYTHON=fake_python(tmp_path / "python3.12", "3.12"))
    assert result.returncode == 1
    assert "is Python 3.12" in result.stderr and "CPython 3.11 only" in result.stderr
    assert "PYTHON=/path/to/python3.11" in result.stderr


@pytest.mark.parametrize("distro, suffix", [(None, ""), ("kilted", ""), ("jazzy", "-jazzy")])
def test_stale_venv_is_reported_with_the_command_to_remove_it(scratch_repo, distro, suffix):
    """Each distribution has its own environment: Kilted the plain names, Jazzy -jazzy ones."""
    venv_bin = scratch_repo / f".venv{suffix}" / "bin"
    venv_bin.mkdir(parents=True)
    (venv_bin / "python").symlink_to("/nonexistent/python3.11")  # its interpreter is gone
    result = run_setup(scratch_repo, distro, PYTHON=sys.executable)
    assert result.returncode == 1
    assert f".venv{suffix} is stale" in result.stderr
    removed = [f"'{scratch_repo}/{name}{suffix}'" for name in (".venv", "build", "install", "log")]
    assert f"rm -rf {' '.join(removed)} and rerun" in result.stderr


def test_an_unsupported_ros_distro_names_the_supported_ones_and_the_way_out(scratch_repo):
    """A shell with ROS 2 from apt sourced has ROS_DISTRO set (e.g. humble)."""
    result = run_setup(scratch_repo, "humble", PYTHON=sys.executable)
    assert result.returncode == 1
    assert "ROS_DISTRO=humble is not one these scripts set up" in result.stderr
    assert "supported: kilted (the default) and jazzy" in result.stderr
    assert "'ROS_DISTRO=jazzy bash scripts/setup_env.sh'" in result.stderr
    assert not (scratch_repo / ".venv").exists() and not (scratch_repo / ".venv-humble").exists()


def test_env_sh_of_a_distribution_not_built_yet_says_how_to_build_it(scratch_repo):
    (scratch_repo / "install" / "setup.sh").parent.mkdir()
    (scratch_repo / "install" / "setup.sh").write_text("")  # Kilted built, Jazzy not
    result = subprocess.run(
        ["bash", "-c", f"source '{scratch_repo}/scripts/env.sh'"],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "ROS_DISTRO": "jazzy"},
    )
    assert result.returncode == 1
    assert "not built for jazzy yet: run 'ROS_DISTRO=jazzy bash scripts/setup_env.sh'" in (
        result.stderr
    )


def test_no_network_to_the_package_index_is_named(scratch_repo):
    offline = {
        "PIP_CONFIG_FILE": os.devnull,
        "PIP_INDEX_URL": "http://127.0.0.1:9/simple",
        "PIP_EXTRA_INDEX_URL": "",
        "PIP_FIND_LINKS": "",
        "PIP_RETRIES": "1",
        "PIP_TIMEOUT": "2",
    }
    result = run_setup(scratch_repo, PYTHON=sys.executable, **offline)
    assert result.returncode == 1
    assert "could not reach the package index" in result.stderr, result.stderr[-2000:]
