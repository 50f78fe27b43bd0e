"""Regenerates requirements.lock from a working .venv:

    env -u PYTHONPATH .venv/bin/python scripts/freeze_lock.py > requirements.lock

Pins every distribution pip installed from an index. Left out: the ../shared/ros2-extra wheels
(installed from files by setup_env.sh) and the metadata of ROS packages that the ros-* wheels
carry inside them (no INSTALLER record; not installable on their own)."""

import importlib.metadata as metadata
import json

HEADER = """\
# Pinned environment for scripts/setup_env.sh (Python 3.11), made by scripts/freeze_lock.py.
# The launch/ros2cli wheels come from ../shared/ros2-extra (installed with --no-deps).
# torch==2.13.0 resolves to the CPU build; any other torch spec pulls GBs of CUDA wheels.
# mediapipe 0.10.14 (BlazeFace) needs protobuf<5 (so onnx 1.22) and brings opencv-contrib-python
# as the one cv2 (it has the Haar cascades too); opencv-python-headless must not be beside it."""


def from_index(dist) -> bool:
    if (dist.read_text("INSTALLER") or "").strip() != "pip":
        return False
    direct = json.loads(dist.read_text("direct_url.json") or "{}")
    return not direct.get("url", "").startswith("file://")


def main():
    pins = {}
    for dist in metadata.distributions():
        if from_index(dist) and dist.metadata["Name"] not in ("pip", "setuptools", "wheel"):
            version = dist.version.split("+")[0]  # torch 2.13.0+cpu: the spec that takes it
            pins[dist.metadata["Name"].lower()] = f"{dist.metadata['Name']}=={version}"
    print(HEADER)
    print("\n".join(pins[name] for name in sorted(pins)))


if __name__ == "__main__":
    main()
