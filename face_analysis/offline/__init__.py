"""ROS-free tools around recordings: writing rosbag2 bags of camera frames, reading them back
with clear errors, and evaluating the core pipeline over them. Bags are read and written with
the pure-Python `rosbags` package, so none of this needs a ROS installation."""
