"""Thin rclpy adapters over face_analysis.core: messages in, one core call, messages out.

nodes/  the lifecycle nodes, one executable each
runtime/  what they run on: parameters, camera input, newest-frame worker, diagnostics; start at
          runtime/base_node.py (the path of one frame)
outputs/  what they publish: messages, overlay, REP-155 topics
tools/  image_publisher, bag_player, result_recorder: processes around the graph
params.py  ROS-only parameters and which node takes which setting (core/config.py describes the
           analyzer's); api_docs.py  docs/ros-api.md's tables; launch_support.py  robot.launch.py's
           helpers
"""
