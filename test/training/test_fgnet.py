"""training.fgnet: FG-NET's file names, and real runs on a handful of FG-NET photos through the
default pipeline (the shipped age head from the command line, and a head that always says 31
years, whose every figure is known)."""

import json
import re
import shutil

import numpy as np
import pytest
from paths import DATA, model_path, require_data

from training import data as D
from training import fgnet

# Children, teenagers, adults in their 40s and 60s; three grey photos; two photos of one person at
# one age (43a, 43b); five people.
SAMPLE = (
    "001A02.jpg",
    "001A05.jpg",
    "001A43a.jpg",
    "001A43b.jpg",
    "002A15.jpg",
    "003A60.jpg",
    "004A62.jpg",
    "009A16a.jpg",
)
SAMPLE_AGES = np.array([2, 5, 43, 43, 15, 60, 62, 16], float)
SAMPLE_PEOPLE = np.array([1, 1, 1, 1, 2, 3, 4, 9])


@pytest.mark.parametrize(
    "name, expected",
    [
        ("001A02.jpg", (1, 2)),
        ("082A69.jpg", (82, 69)),
        ("001A43a.jpg", (1, 43)),
        ("009A16b.jpg", (9, 16)),
        ("010a07.jpg", (10, 7)),
        ("065a07b.JPG", (65, 7)),
    ],
)
def test_parse_name(name, expected):
    assert fgnet.parse_name(name) == expected


@pytest.mark.parametrize(
    "name", ["001B02.jpg", "01A02.jpg", "001A2.jpg", "001A02c.jpg", "001A02.png", "x001A02.jpg"]
)
def test_a_bad_name_raises_naming_it(name):
    with pytest.raises(D.DatasetError, match=re.escape(name)):
        fgnet.parse_name(name)


@pytest.fixture(scope="module")
def sample_dir(tmp_path_factory):
    source = require_data(DATA / "fgnet")
    folder = tmp_path_factory.mktemp("fgnet")
    for name in SAMPLE:
        shutil.copy(source / name, folder / name)
    return folder


def test_load_photos_names_the_file_it_cannot_parse(sample_dir, tmp_path):
    shutil.copy(sample_dir / SAMPLE[0], tmp_path / SAMPLE[0])
    shutil.copy(sample_dir / SAMPLE[0], tmp_path / "portrait_02.jpg")
    with pytest.raises(D.DatasetError, match="portrait_02.jpg"):
        fgnet.load_photos(tmp_path)


def test_load_photos(sample_dir):
    photos = fgnet.load_photos(sample_dir)
    assert [p.name for p in photos] == sorted(SAMPLE)
    by_name = {p.name: p for p in photos}
    assert by_name["001A43b.jpg"].age == 43 and by_name["009A16a.jpg"].person == 9
    assert [p.name for p in photos if p.grey] == ["001A02.jpg", "001A05.jpg", "002A15.jpg"]
    assert all(p.image.ndim == 3 and p.image.shape[2] == 3 for p in photos)


@pytest.fixture(scope="module")
def shipped_run(sample_dir, tmp_path_factory):
    """The command line on the sample with the shipped age head: (result, its JSON, out dir)."""
    out = tmp_path_factory.mktemp("fgnet_out")
    utk = require_data(DATA / "utkface_gray64.npz")
    argv = ["--data-dir", sample_dir, "--utk-data", utk, "--json", out / "fgnet.json"]
    result = fgnet.main([str(a) for a in [*argv, "--model", model_path("age"), "--out-dir", out]])
    return result, json.loads((out / "fgnet.json").read_text()), out


def test_report_of_the_shipped_head(shipped_run):
    result, written, out = shipped_run
    assert written == json.loads(json.dumps(result))
    assert (result["photos"], result["people"], result["grey_photos"]) == (8, 5, 3)
    assert result["no_face"] == []
    pipeline = result["pipeline"]
    assert list(pipeline) == ["all", "0-9", "10-19", "40-49", "60-69"]
    assert [pipeline[k]["n"] for k in pipeline] == [8, 2, 2, 2, 2]
    assert pipeline["all"]["people"] == 5 and pipeline["60-69"]["people"] == 2
    photos = result["per_photo"]
    order = np.argsort(SAMPLE)
    assert photos["age"] == SAMPLE_AGES[order].tolist()
    pred, std = np.array(photos["pred"]), np.array(photos["std"])
    assert np.all((pred > 0) & (pred < 100) & (std > 0) & (std < 30)), (pred, std)
    assert np.all(np.abs(pred - SAMPLE_AGES[order]) < 30), pred  # a sane head, not a broken one
    assert 0 < pipeline["all"]["mae"] < 15
    assert (out / "age_fgnet_error_by_decade.png").stat().st_size > 10_000


def test_diagnosis_rows(shipped_run):
    result = shipped_run[0]
    diagnosis = result["diagnosis"]
    assert len([k for k in diagnosis if k.startswith("(b)")]) == 4
    # the head alone at the model's margins cuts the pipeline's own crop: the same ages
    shipped, alone = diagnosis["(a) pipeline as shipped"], diagnosis[fgnet.MODEL_FRAMING]
    assert alone["mae"] == pytest.approx(shipped["mae"], abs=1e-4)
    assert alone["bias"] == pytest.approx(shipped["bias"], abs=1e-4)
    quality = {k.removeprefix("(c) "): v["n"] for k, v in diagnosis.items() if k.startswith("(c)")}
    assert quality == {
        "grey photos": 3,
        "colour photos": 5,
        "grey, ages 0-19": 3,
        "colour, ages 0-19": 1,
        "blurrier half of each decade": 4,  # one of each decade's two photos
        "sharper half of each decade": 4,
    }
    photos = result["per_photo"]
    age, pred, sharp = (np.array(photos[k]) for k in ("age", "pred", "sharpness"))
    blurrier = [sharp[i] < sharp[age // 10 == age[i] // 10].max() for i in range(len(age))]
    expected = (pred - age)[blurrier].mean()
    assert diagnosis["(c) blurrier half of each decade"]["bias"] == pytest.approx(
        expected, abs=0.01
    )
    template = np.array(result["framing"]["utkface_chip_landmarks"])
    assert template.shape == (5, 2) and np.all((template > 0) & (template < 1))
    assert template[0, 0] < template[1, 0] and template[:2, 1].max() < template[3:, 1].min()
    utk = result["utkface"]
    assert sum(utk[name]["train_share"] for name, _, _ in fgnet.DECADES) == pytest.approx(1)
    assert utk["10-19"]["train_n"] > 0 and utk["0-9"]["val_n"] > 0
    assert utk["degradation"]["contrast_factor"] > 0


def test_a_constant_head_gives_the_known_figures(sample_dir, constant_age_onnx):
    """A head that says 31 for every face: every error is 31 minus the age in the file name."""
    utk = require_data(DATA / "utkface_gray64.npz")
    utk = D.load_utk_age(utk)
    utk = utk.subset(np.arange(len(utk)) % 20 == 0)
    result = fgnet.evaluate(fgnet.load_photos(sample_dir), str(constant_age_onnx), utk, 30)
    error = 31 - SAMPLE_AGES
    row = result["pipeline"]["all"]
    assert row["mae"] == pytest.approx(np.abs(error).mean(), abs=0.01)
    assert row["bias"] == pytest.approx(error.mean(), abs=0.01)
    assert row["cs5"] == 0
    per_person = [np.abs(error[SAMPLE_PEOPLE == p]).mean() for p in np.unique(SAMPLE_PEOPLE)]
    assert row["person_mae"] == pytest.approx(np.mean(per_person), abs=0.01)
    teens = result["pipeline"]["10-19"]
    assert teens["bias"] == pytest.approx(31 - 15.5, abs=0.01)
    section = fgnet.card_lines(result, "age")
    heading, lines = section[0], section[2:]
    assert heading.startswith("## Age outside UTKFace")
    assert lines[0].startswith("| FG-NET age, default pipeline | N | people | MAE")
    assert lines[2].startswith(f"| all | 8 | 5 | {np.abs(error).mean():.2f} |")
    assert [line.split(" | ")[0] for line in lines[3:7]] == [
        "| 0-9",
        "| 10-19",
        "| 40-49",
        "| 60-69",
    ]
    assert "FG-NET" in lines[-1] and "MAE per person" in lines[-1]
