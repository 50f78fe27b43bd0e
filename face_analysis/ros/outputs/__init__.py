"""What the nodes publish: core results as messages (conversions), faces/detections(_2d)
(detection_output), faces/overlay and faces/markers (overlay_output), and the optional REP-155
topics (hri_faces, built by hri_option; with identity, candidate_matches)."""
