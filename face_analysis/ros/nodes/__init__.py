"""The lifecycle nodes, one executable module each: face_detector, face_classifier, face_overlay,
face_analysis_pipeline, hri_face_classifier. Their machinery and intake are in ../runtime/ (start
reading at runtime/base_node.py: the path of one frame), their messages in ../outputs/."""
