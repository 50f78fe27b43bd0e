"""scripts/setup_env.sh stops with a message that says what is wrong and how to fix it: a wrong
Python version, a stale .venv, no network to the package index. Each case runs the real script in
a scratch copy of the repository's scripts."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from paths import REPO


@pytest.fixture
def scratch_repo(tmp_path):
    """A repository skeleton: the setup script, a one-line lock, and a shared/ros2-extra."""
    repo = tmp_path / "repo"
    (repo / "scripts").mkdir(parents=True)
    shutil.copy(REPO / "scripts" / "setup_env.sh", repo / "scripts")
    (repo / "requirements.lock").write_text("face-analysis-no-such-package==1.0\n")
    extra = tmp_path / "shared" / "ros2-extra"
    extra.mkdir(parents=True)
    (extra / "placeholder-0-py3-none-any.whl").write_text("")
    return repo


def run_setup(repo, **env):
    return subprocess.run(
        ["bash", str(repo / "scripts" / "setup_env.sh")],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, **env},
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


def test_stale_venv_is_reported_with_the_command_to_remove_it(scratch_repo):
    venv_bin = scratch_repo / ".venv" / "bin"
    venv_bin.mkdir(parents=True)
    (venv_bin / "python").symlink_to("/nonexistent/python3.11")  # its interpreter is gone
    result = run_setup(scratch_repo, PYTHON=sys.executable)
    assert result.returncode == 1
    assert ".venv is stale" in result.stderr and "rm -rf" in result.stderr


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
