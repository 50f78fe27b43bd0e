"""Thin rclpy adapters over face_analysis.core: messages in, one core call, messages out."""
