"""Deterministic, fully populated messages shared by test processes and the tests that check
them. Floats are dyadic (exact in float32), so a round trip over DDS compares equal."""

from face_analysis.msg import FaceAnalysis, FaceAnalysisArray, FaceDetection

EMOTIONS = ["angry", "disgust", "fear", "happy", "sad", "surprise", "neutral"]
GENDERS = ["male", "female"]


def sample_analysis_array() -> FaceAnalysisArray:
    msg = FaceAnalysisArray()
    msg.header.stamp.sec = 1_700_000_123
    msg.header.stamp.nanosec = 456_789_012
    msg.header.frame_id = "head_camera_rgb_optical_frame"
    msg.emotion_labels = list(EMOTIONS)
    msg.gender_labels = list(GENDERS)
    for i in range(3):
        face = FaceAnalysis()
        face.detection = FaceDetection(
            x_min=10.5 + 100 * i,
            y_min=20.25,
            x_max=74.75 + 100 * i,
            y_max=96.0,
            score=0.875 - 0.125 * i,
        )
        face.track_id = 7 + i
        gender = [0.75, 0.25] if i % 2 == 0 else [0.125, 0.875]
        face.gender_probabilities = gender
        face.gender = GENDERS[gender.index(max(gender))]
        face.gender_confidence = max(gender)
        emotion = [0.0625] * 7
        emotion[i + 2] = 1.0 - 6 * 0.0625
        face.emotion_probabilities = emotion
        face.emotion = EMOTIONS[i + 2]
        face.emotion_confidence = emotion[i + 2]
        msg.faces.append(face)
    return msg
