"""Regenerates a distribution's lock file from its working venv (see scripts/distro.sh):

    env -u PYTHONPATH .venv/bin/python scripts/freeze_lock.py > requirements.lock
    env -u PYTHONPATH .venv-jazzy/bin/python scripts/freeze_lock.py jazzy > requirements-jazzy.lock

Pins every distribution pip installed from an index. Left out: the ../shared/ros2-extra* wheels
(installed from files by setup_env.sh) and the metadata of ROS packages that the ros-* wheels
carry inside them (no INSTALLER record; not installable on their own)."""

import importlib.metadata as metadata
import json
import sys

HEADER = """\
# Pinned environment for scripts/setup_env.sh (Python 3.11{distro}), made by scripts/freeze_lock.py.
# The launch/ros2cli wheels come from ../shared/ros2-extra{suffix} (installed with --no-deps).
# torch==2.13.0 resolves to the CPU build; any other torch spec pulls GBs of CUDA wheels.
# mediapipe 0.10.14 (BlazeFace) needs protobuf<5 (so onnx 1.22) and brings opencv-contrib-python
# as the one cv2 (it has the Haar cascades too); opencv-python-headless must not be beside it."""


def from_index(dist) -> bool:
    if (dist.read_text("INSTALLER") or "").strip() != "pip":
        return False
    direct = json.loads(dist.read_text("direct_url.json") or "{}")
    return not direct.get("url", "").startswith("file://")


def main(distro: str = "kilted"):
    pins = {}
    for dist in metadata.distributions():
        if from_index(dist) and dist.metadata["Name"] not in ("pip", "setuptools", "wheel"):
            version = dist.version.split("+")[0]  # torch 2.13.0+cpu: the spec that takes it
            pins[dist.metadata["Name"].lower()] = f"{dist.metadata['Name']}=={version}"
    if distro == "kilted":  # the default: its files carry no suffix
        print(HEADER.format(distro="", suffix=""))
    else:
        print(HEADER.format(distro=f", ROS_DISTRO={distro}", suffix=f"-{distro}"))
        print(f"# The ros-{distro}-* meta wheels pin the {distro} builds of the ros-* wheels.")
    print("\n".join(pins[name] for name in sorted(pins)))


if __name__ == "__main__":
    main(*sys.argv[1:])
