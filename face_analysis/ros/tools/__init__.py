"""Processes around the graph rather than in it: image_publisher (a camera from still images),
bag_player (behind `face-analysis play`), result_recorder (what the demo records)."""
