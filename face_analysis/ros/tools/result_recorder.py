"""Records what a running pipeline publishes: `faces/analysis` (FaceAnalysisArray) as JSON lines
(the records of face_analysis.offline.records), `faces/overlay` (sensor_msgs/Image) as an mp4,
and at the end summary.json plus the same table `face-analysis evaluate` prints (one summary
implementation: face_analysis.offline.summary). Stops after --max-frames analysis messages,
after --idle-timeout seconds without any message, or on SIGINT (exit 0 in every case).

    python -m face_analysis.ros.tools.result_recorder -o OUTDIR [--max-frames N] [--ros-args ...]

Its fps is the rate at which analysis messages arrived, not a processing time."""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import cv2
import rclpy
from rclpy.executors import ExternalShutdownException
from rclpy.node import Node
from rclpy.qos import QoSProfile, ReliabilityPolicy
from rclpy.utilities import remove_ros_args
from sensor_msgs.msg import Image

from face_analysis.msg import FaceAnalysisArray

from ...core.errors import FaceAnalysisError
from ...core.image import to_bgr
from ...core.image_codec import decode_image
from ...offline.records import analysis_msg_record
from ...offline.summary import SummaryBuilder, format_table

FRAMES_FILE, SUMMARY_FILE, VIDEO_FILE = "frames.jsonl", "summary.json", "overlay.mp4"


class ResultRecorder(Node):
    def __init__(
        self,
        out_dir: Path,
        max_frames: int = 0,
        fps: float = 15.0,
        best_effort_overlay: bool = False,
    ):
        super().__init__("result_recorder")
        self.out_dir, self.max_frames, self.fps = out_dir, max_frames, fps
        out_dir.mkdir(parents=True, exist_ok=True)
        self.builder = SummaryBuilder()
        # Line-buffered: the file can be followed (tail -f) while the demo runs.
        self.log_file = (out_dir / FRAMES_FILE).open("w", buffering=1)
        self.video: cv2.VideoWriter | None = None
        self.video_size: tuple[int, int] | None = None
        self.overlay_frames, self.overlay_errors = 0, {}
        self.first_arrival: float | None = None
        self.last_arrival: float | None = None
        self.last_message = time.monotonic()  # any topic; for the idle timeout
        self.create_subscription(FaceAnalysisArray, "faces/analysis", self.on_analysis, 10)
        # A reliable subscription matches only reliable publishers; a best-effort one loses
        # large images between processes (see docs/ros2-from-pypi.md), so it is opt-in.
        overlay_qos = QoSProfile(
            depth=10,
            reliability=ReliabilityPolicy.BEST_EFFORT
            if best_effort_overlay
            else ReliabilityPolicy.RELIABLE,
        )
        self.create_subscription(Image, "faces/overlay", self.on_overlay, overlay_qos)

    @property
    def frames(self) -> int:
        return self.builder.frames

    @property
    def done(self) -> bool:
        return bool(self.max_frames) and self.frames >= self.max_frames

    def on_analysis(self, msg: FaceAnalysisArray) -> None:
        if self.done:
            return
        now = time.monotonic()
        self.first_arrival = self.first_arrival or now
        self.last_arrival = self.last_message = now
        record = analysis_msg_record(self.frames, msg)
        self.builder.add(record)
        self.log_file.write(json.dumps(record) + "\n")

    def on_overlay(self, msg: Image) -> None:
        self.last_message = time.monotonic()
        try:
            image = to_bgr(decode_image(msg))
        except FaceAnalysisError as exc:
            self.overlay_errors[str(exc)] = self.overlay_errors.get(str(exc), 0) + 1
            return
        size = (image.shape[1], image.shape[0])
        if self.video is None:
            path = str(self.out_dir / VIDEO_FILE)
            self.video = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*"mp4v"), self.fps, size)
            if not self.video.isOpened():
                raise FaceAnalysisError(f"{path}: cannot open a video writer")
            self.video_size = size
        if size != self.video_size:  # an mp4 has one frame size
            image = cv2.resize(image, self.video_size, interpolation=cv2.INTER_AREA)
        self.video.write(image)
        self.overlay_frames += 1

    def finish(self) -> dict:
        self.log_file.close()
        if self.video is not None:
            self.video.release()
        wall_s = (self.last_arrival - self.first_arrival) if self.first_arrival else None
        summary = self.builder.summary(wall_s)
        summary["overlay"] = {
            "frames": self.overlay_frames,
            "errors": self.overlay_errors,
            "video": str(self.out_dir / VIDEO_FILE) if self.video else None,
        }
        summary["outputs"] = {
            "frames": str(self.out_dir / FRAMES_FILE),
            "summary": str(self.out_dir / SUMMARY_FILE),
        }
        (self.out_dir / SUMMARY_FILE).write_text(json.dumps(summary, indent=2) + "\n")
        return summary


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="result_recorder", description=__doc__.split("\n\n")[0])
    parser.add_argument("-o", "--output-dir", required=True, metavar="OUTDIR")
    parser.add_argument(
        "--max-frames", type=int, default=0, help="stop after N analysis messages (0: no limit)"
    )
    parser.add_argument(
        "--idle-timeout",
        type=float,
        default=10.0,
        metavar="SECONDS",
        help="stop after this long without any message, 0: never (default: %(default)s)",
    )
    parser.add_argument(
        "--fps",
        type=float,
        default=15.0,
        help="frame rate written into the mp4 (default: %(default)s)",
    )
    parser.add_argument(
        "--best-effort-overlay",
        action="store_true",
        help="subscribe to the overlay best-effort (for a best-effort publisher)",
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parse_args(remove_ros_args(argv))
    rclpy.init(args=["result_recorder", *argv])
    recorder = ResultRecorder(
        Path(args.output_dir), args.max_frames, args.fps, args.best_effort_overlay
    )
    reason = "interrupted"
    try:
        while rclpy.ok():
            rclpy.spin_once(recorder, timeout_sec=0.1)
            if recorder.done:
                reason = f"{recorder.frames} frames recorded"
                break
            if args.idle_timeout and time.monotonic() - recorder.last_message > args.idle_timeout:
                reason = f"no message for {args.idle_timeout:g} s"
                break
    except (KeyboardInterrupt, ExternalShutdownException):
        pass
    finally:
        summary = recorder.finish()
        recorder.destroy_node()
        rclpy.try_shutdown()
    print(f"result_recorder: stopped ({reason})")
    print(format_table(summary))
    print(
        f"outputs: {args.output_dir}/{{{FRAMES_FILE}, {SUMMARY_FILE}"
        + (f", {VIDEO_FILE}" if summary["overlay"]["video"] else "")
        + "}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
