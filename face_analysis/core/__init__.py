"""ROS-free inference core: nothing below this package imports rclpy or ROS messages."""
