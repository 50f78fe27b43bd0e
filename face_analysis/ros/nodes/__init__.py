"""The lifecycle nodes, one executable module each (face_detector, face_classifier, face_overlay,
face_analysis_pipeline, hri_face_classifier), and their parts. Start reading at base_node.py."""
