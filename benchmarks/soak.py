"""Soak: robot.launch.py hri:=publish fed at 30 Hz for --duration seconds (default 10 minutes)
with faces appearing and leaving: the demo photos (../shared/data/demo) cycled, each for
--hold seconds, with a frame without faces between two photos, so every photo brings new face
ids and the empty frame ends them. Every --every seconds it samples each process of the launch
(RSS and CPU from psutil) and the REP-155 side: the ids on /humans/faces/tracked and the
per-face publishers (/humans/faces/<id>/...) in the graph.

Prints the table and a verdict:
- memory: RSS of every process at the end <= 1.1x its RSS at minute 1 (a leak grows);
- no death: every process of the launch has the pid it had at the first sample;
- no leftover publisher: no per-face publisher for an id that has not been on
  /humans/faces/tracked for LEFTOVER_S seconds (discovery may lag a sample by a few seconds).

    python benchmarks/soak.py [--duration 600] [--every 10] [--hold 2] [--json OUT.json]

Not a speed benchmark: there is no anchor, only ratios of a process against itself. The test
suite runs it for 60 s (test/launch/test_soak.py), where minute 1 is the end: the memory part
is then 1.0 by construction and not asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np
import psutil
import rclpy
from hri_msgs.msg import IdsList
from rclpy.executors import SingleThreadedExecutor
from timing import DEMO, machine_note

CAMERA_TOPIC = "/soak/image_raw"
RATE_HZ = 30.0
# A destroyed publisher leaves the graph once discovery has told this process, which on a loaded
# machine can take a few seconds; an id gone for longer is a leak.
LEFTOVER_S = 5.0
MEMORY_RATIO = 1.1
PER_FACE = re.compile(r"^/humans/faces/([^/]+)/[^/]+$")


def photos() -> list[Path]:
    found = sorted(p for p in DEMO.iterdir() if p.suffix.lower() in (".jpg", ".png"))
    if not found:
        sys.exit(f"soak: no photos in {DEMO}")
    return found


def camera_frames(folder: Path) -> list[str]:
    """The publisher's image list: every photo, each followed by an empty (gray) frame."""
    empty = folder / "no_face.png"
    cv2.imwrite(str(empty), np.full((480, 640, 3), 128, np.uint8))
    return [str(item) for photo in photos() for item in (photo, empty)]


class Graph:
    """The soak's view of the REP-155 output: tracked ids with the time last seen, and the
    per-face publishers in the graph."""

    def __init__(self):
        self.context = rclpy.Context()
        rclpy.init(context=self.context)
        self.node = rclpy.create_node("soak_probe", context=self.context)
        self.executor = SingleThreadedExecutor(context=self.context)
        self.executor.add_node(self.node)
        self.last_seen: dict[str, float] = {}
        self.tracked: list[str] = []
        self.node.create_subscription(IdsList, "/humans/faces/tracked", self._on_tracked, 10)

    def _on_tracked(self, msg: IdsList) -> None:
        now = time.monotonic()
        self.tracked = list(msg.ids)
        for face_id in msg.ids:
            self.last_seen[face_id] = now

    def spin_for(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            self.executor.spin_once(timeout_sec=0.05)

    def per_face_publishers(self) -> dict[str, int]:
        """face id -> number of per-face topics with a publisher."""
        counts: dict[str, int] = {}
        for topic, _ in self.node.get_topic_names_and_types():
            match = PER_FACE.match(topic)
            if match and self.node.count_publishers(topic) > 0:
                counts[match.group(1)] = counts.get(match.group(1), 0) + 1
        return counts

    def close(self) -> None:
        self.node.destroy_node()
        rclpy.shutdown(context=self.context)


def launch_processes(launch: subprocess.Popen) -> dict[int, psutil.Process]:
    """The launch process and every process below it (the nodes)."""
    root = psutil.Process(launch.pid)
    return {p.pid: p for p in [root, *root.children(recursive=True)]}


def process_name(proc: psutil.Process) -> str:
    try:
        cmd = proc.cmdline()
    except psutil.Error:
        return "?"
    if any("launch" == Path(part).name or part == "launch" for part in cmd[:3]):
        return "ros2 launch"
    return Path(next((part for part in cmd if "face_analysis" in part), cmd[0])).name


def soak(duration: float, every: float, hold: float) -> dict:
    workdir = Path(tempfile.mkdtemp(prefix="face_analysis_soak_"))
    env = dict(os.environ)
    launch = subprocess.Popen(
        [
            "ros2",
            "launch",
            "face_analysis",
            "robot.launch.py",
            "hri:=publish",
            f"camera_topic:={CAMERA_TOPIC}",
        ],
        stdout=open(workdir / "launch.log", "wb"),
        stderr=subprocess.STDOUT,
        env=env,
        start_new_session=True,
    )
    camera = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "face_analysis.ros.tools.image_publisher",
            *camera_frames(workdir),
            "--topic",
            CAMERA_TOPIC,
            "--rate",
            str(RATE_HZ),
            "--size",
            "640x480",
            "--repeat",
            str(max(1, round(hold * RATE_HZ))),
            "--wait-for-subscriber",
        ],
        stdout=open(workdir / "camera.log", "wb"),
        stderr=subprocess.STDOUT,
        env=env,
        start_new_session=True,
    )
    graph = Graph()
    rows, names, first_pids = [], {}, None
    try:
        deadline = time.monotonic() + 120
        while not graph.tracked and time.monotonic() < deadline:
            graph.spin_for(0.5)
        if not graph.tracked:
            raise RuntimeError(f"no face tracked within 120 s; see {workdir}/launch.log")
        start = time.monotonic()
        procs = launch_processes(launch)
        for proc in procs.values():
            proc.cpu_percent(None)  # starts each process's CPU count
        while True:
            elapsed = time.monotonic() - start
            graph.spin_for(max(0.0, len(rows) * every - elapsed))
            now, elapsed = time.monotonic(), time.monotonic() - start
            alive = launch.poll() is None
            current = launch_processes(launch) if alive else {}
            if first_pids is None:
                first_pids = set(current)
            for pid, proc in current.items():
                # One Process object per pid: cpu_percent counts from that object's last call.
                if pid not in procs:
                    procs[pid] = proc
                    proc.cpu_percent(None)
                names.setdefault(pid, process_name(proc))
            publishers = graph.per_face_publishers()
            leftover = sorted(
                face_id
                for face_id in publishers
                if now - graph.last_seen.get(face_id, -1e9) > LEFTOVER_S
            )
            sample = {}
            for pid in current:
                proc = procs[pid]
                try:
                    sample[str(pid)] = {
                        "rss_mib": proc.memory_info().rss / 2**20,
                        "cpu_percent": proc.cpu_percent(None),
                    }
                except psutil.Error:
                    pass
            rows.append(
                {
                    "t_s": round(elapsed),
                    "processes": sample,
                    "tracked": len(graph.tracked),
                    "ids_seen": len(graph.last_seen),
                    "per_face_publishers": sum(publishers.values()),
                    "leftover_ids": leftover,
                    "launch_alive": alive,
                }
            )
            if elapsed >= duration or not alive:
                break
    finally:
        graph.close()
        for proc in (camera, launch):
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGINT)
        for proc in (camera, launch):
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
    return {
        "rows": rows,
        "names": {str(pid): name for pid, name in names.items()},
        "verdict": verdict(rows, first_pids or set()),
        "log_dir": str(workdir),
    }


def verdict(rows: list[dict], first_pids: set[int]) -> dict:
    minute = next((row for row in rows if row["t_s"] >= 60), rows[-1])
    end = rows[-1]
    ratios = {
        pid: end["processes"][pid]["rss_mib"] / minute["processes"][pid]["rss_mib"]
        for pid in end["processes"]
        if pid in minute["processes"]
    }
    final_pids = {int(pid) for pid in end["processes"]}
    deaths = sorted(first_pids - final_pids) + ([] if end["launch_alive"] else ["launch"])
    leftovers = sorted({face_id for row in rows for face_id in row["leftover_ids"]})
    return {
        "rss_end_over_minute_1": ratios,
        "memory_ok": bool(ratios) and max(ratios.values()) <= MEMORY_RATIO,
        "died": deaths,
        "no_death": not deaths and final_pids == first_pids,
        "leftover_ids": leftovers,
        "no_leftover_publisher": not leftovers,
        "ids_seen": end["ids_seen"],
    }


def table(result: dict) -> str:
    pids = sorted(result["names"], key=int)
    head = ["t (s)"]
    for pid in pids:
        head += [f"{result['names'][pid]} RSS MiB", "CPU %"]
    head += ["tracked", "ids seen", "per-face publishers", "leftover ids"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for row in result["rows"]:
        cells = [str(row["t_s"])]
        for pid in pids:
            sample = row["processes"].get(pid)
            cells += (
                [f"{sample['rss_mib']:.1f}", f"{sample['cpu_percent']:.0f}"]
                if sample
                else ["-", "-"]
            )
        cells += [
            str(row["tracked"]),
            str(row["ids_seen"]),
            str(row["per_face_publishers"]),
            str(len(row["leftover_ids"])),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=600.0, help="seconds (default 600)")
    parser.add_argument("--every", type=float, default=10.0, help="sample period, s")
    parser.add_argument("--hold", type=float, default=2.0, help="seconds each frame is shown")
    parser.add_argument("--json", help="also write the samples and the verdict here")
    args = parser.parse_args()
    result = soak(args.duration, args.every, args.hold)
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=1))
    print(table(result))
    v = result["verdict"]
    ratios = ", ".join(
        f"{result['names'][pid]} {ratio:.3f}" for pid, ratio in v["rss_end_over_minute_1"].items()
    )
    print(
        f"\nverdict: RSS end / minute 1: {ratios} -> {'ok' if v['memory_ok'] else 'FAIL'} "
        f"(<= {MEMORY_RATIO}); deaths: {v['died'] or 'none'} -> "
        f"{'ok' if v['no_death'] else 'FAIL'}; leftover per-face publishers: "
        f"{v['leftover_ids'] or 'none'} -> {'ok' if v['no_leftover_publisher'] else 'FAIL'}; "
        f"{v['ids_seen']} face ids seen"
    )
    print(f"{machine_note()}; logs in {result['log_dir']}")
    ok = v["memory_ok"] and v["no_death"] and v["no_leftover_publisher"]
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
