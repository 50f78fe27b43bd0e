"""The bundled sample recording: what samples/README.md says about it holds, and the command
given there rebuilds it."""

import os
import re
import shlex
from pathlib import Path

import numpy as np
from paths import DATA, REPO, require_data

from face_analysis.cli import main
from face_analysis.offline.bag_reader import ImageBag
from face_analysis.offline.ground_truth import read_ground_truth
from face_analysis.offline.typestore import COMPRESSED_IMAGE

SAMPLES = REPO / "samples"
START_NS = 1_795_435_200 * 10**9  # 2026-11-23T12:00:00Z


def sample_frames(path):
    with ImageBag(path) as bag:
        assert (bag.topic.name, bag.topic.msgtype) == (
            "/camera/image_raw/compressed",
            COMPRESSED_IMAGE,
        )
        assert not bag.problems
        return list(bag.frames())


def test_sample_is_small_and_stamped_as_documented():
    size = sum(p.stat().st_size for p in SAMPLES.rglob("*") if p.is_file())
    assert size < 5 * 2**20
    frames = sample_frames(SAMPLES / "faces_demo")
    assert len(frames) == 102
    assert [f.stamp_ns for f in frames] == [START_NS + k * 100_000_000 for k in range(102)]
    assert {f.frame_id for f in frames} == {"camera"}
    assert frames[0].image().shape == (480, 640, 3)
    truth = read_ground_truth(SAMPLES / "faces_demo_ground_truth.jsonl")
    assert sorted(truth) == [f.stamp_ns for f in frames[:68]]
    assert sum(len(t.faces) for t in truth.values()) == 821


def test_readme_command_rebuilds_the_sample(tmp_path, monkeypatch):
    readme = (SAMPLES / "README.md").read_text()
    command = re.search(r"```bash\n(face-analysis record .*?)\n```", readme, re.S).group(1)
    argv = shlex.split(command.replace("\\\n", " "))[1:]
    require_data(DATA / "demo")
    argv[argv.index("-o") + 1] = str(tmp_path / "faces_demo")
    # The README's inputs are ../shared/data/demo/...: take them from DATA wherever it is.
    argv = [
        str(DATA / "demo" / Path(a).name) if a.startswith("../shared/data/demo/") else a
        for a in argv
    ]
    monkeypatch.chdir(REPO)  # the README's paths are relative to the repository root
    assert main(argv + ["--no-progress"]) == 0

    rebuilt, shipped = sample_frames(tmp_path / "faces_demo"), sample_frames(SAMPLES / "faces_demo")
    assert [f.stamp_ns for f in rebuilt] == [f.stamp_ns for f in shipped]
    for new, old in zip(rebuilt[::10], shipped[::10]):
        # Equal bytes with the pinned OpenCV; another jpeg codec build may differ slightly.
        diff = np.abs(new.image().astype(int) - old.image().astype(int)).mean()
        assert diff < 1.0
    assert (tmp_path / "faces_demo_ground_truth.jsonl").read_text() == (
        SAMPLES / "faces_demo_ground_truth.jsonl"
    ).read_text()
    assert os.path.getsize(next((tmp_path / "faces_demo").glob("*.mcap"))) < 5 * 2**20
