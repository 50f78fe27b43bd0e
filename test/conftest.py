"""Session-wide test settings shared by every test directory."""

import os


def pytest_configure(config):
    # DDS discovery crosses process boundaries: a private domain, limited to this machine, keeps
    # this run's processes from seeing those of another run (or a robot's) and vice versa.
    os.environ["ROS_DOMAIN_ID"] = os.environ.get(
        "FACE_ANALYSIS_TEST_DOMAIN_ID", str(1 + os.getpid() % 100)
    )
    os.environ["ROS_AUTOMATIC_DISCOVERY_RANGE"] = "LOCALHOST"
