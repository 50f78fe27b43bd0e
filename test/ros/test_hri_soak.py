"""REP-155 publisher mode under faces coming and going: hundreds of face ids, each new (never
reused), while the node's publisher count and memory stay bounded."""

import cv2
import numpy as np
import psutil
from hri_msgs.msg import IdsList
from paths import TEST_PHOTO
from sensor_msgs.msg import Image

from face_analysis.core.analyzer import FaceAnalyzer
from face_analysis.core.config import AnalyzerConfig
from face_analysis.core.image_codec import encode_image

APPEARANCES = 100


def two_face_frame() -> np.ndarray:
    """640x480 view of the photo around its two leftmost faces."""
    photo = cv2.imread(str(TEST_PHOTO))
    detector = FaceAnalyzer(AnalyzerConfig(emotion_model=None, gender_model=None, age_model=None))
    a, b = sorted(detector.detect(photo), key=lambda box: box.x_min)[:2]
    x0, y0 = min(a.x_min, b.x_min), min(a.y_min, b.y_min)
    x1, y1 = max(a.x_max, b.x_max), max(a.y_max, b.y_max)
    width = max(x1 - x0, (y1 - y0) * 4 / 3) * 1.6
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    view = photo[
        int(cy - width * 3 / 8) : int(cy + width * 3 / 8), int(cx - width / 2) : int(cx + width / 2)
    ]
    frame = cv2.resize(view, (640, 480), interpolation=cv2.INTER_AREA)
    assert len(detector.detect(frame)) == 2
    return frame


def test_face_ids_come_and_go_with_bounded_publishers_and_memory(
    ros_processes, ros_probe, start_pipeline
):
    tracked = ros_probe.collect(IdsList, "/humans/faces/tracked")
    proc = start_pipeline(
        "-p",
        "hri_publish:=true",
        "-p",
        "max_missed:=0",
        "-p",
        "image_qos:=reliable",
        "-r",
        "image:=/soak/image",
    )
    camera = ros_probe.node.create_publisher(Image, "/soak/image", 10)
    ros_probe.spin_until(
        lambda: ros_probe.node.count_subscribers("/soak/image") > 0, 20, "the camera subscription"
    )
    frames = {
        True: encode_image(two_face_frame(), Image(), "bgr8"),
        False: encode_image(np.full((480, 640, 3), 128, np.uint8), Image(), "bgr8"),
    }

    def show(sec: int, faces: bool) -> list:
        msg = frames[faces]
        msg.header.stamp.sec = sec
        camera.publish(msg)
        ros_probe.spin_until(
            lambda: tracked and tracked[-1].header.stamp.sec == sec, 20, f"tracked for frame {sec}"
        )
        return list(tracked[-1].ids)

    seen, publishers, memory = [], [], []
    for i in range(APPEARANCES):
        ids = show(2 * i + 1, True)
        assert len(ids) == 2 and not set(ids) & set(seen), (ids, seen[-4:])
        seen += ids
        assert show(2 * i + 2, False) == []
        if i % 20 == 19:
            names = ros_probe.node.get_publisher_names_and_types_by_node(
                "face_analysis_pipeline", "/"
            )
            publishers.append(sum(1 for name, _ in names if name.startswith("/humans/faces/")))
            memory.append(psutil.Process(proc.pid).memory_info().rss / 2**20)

    assert len(set(seen)) == 2 * APPEARANCES
    # tracked + 6 per live face (roi, landmarks, cropped, aligned, expression, softbiometrics)
    assert max(publishers) <= 1 + 6 * 2, publishers
    assert memory[-1] - memory[0] < 25, f"RSS grew {memory} MiB"
    assert ros_processes.stop("pipeline") == 0
