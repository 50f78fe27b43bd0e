"""Thin rclpy adapters over face_analysis.core: messages in, one core call, messages out.

nodes/  the lifecycle nodes (one executable each) and their parts; start at nodes/base_node.py
tools/  image_publisher, bag_player, result_recorder: processes around the graph
params.py  every ROS parameter, once; api_docs.py  docs/ros-api.md's tables generated from the code
"""
