"""pip install of the ROS-free part: the core library and the face-analysis command.

The ROS 2 build (messages, nodes, launch files) is ament_cmake: see CMakeLists.txt.
"""

from setuptools import setup

setup()
