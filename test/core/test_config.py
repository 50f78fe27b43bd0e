"""Every analyzer setting is described once, in the core: AnalyzerConfig's fields and each
detector's keyword settings have a description, a range where they are numbers and a default
inside it; AnalyzerConfig.validate() checks every range."""

import dataclasses
import inspect

import pytest

from face_analysis.core.config import GROUPS, HEADS_SETTING, SETTINGS, AnalyzerConfig, with_heads
from face_analysis.core.detect import DETECTOR_SETTINGS, DETECTORS
from face_analysis.core.errors import ConfigError


def is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def check_described(setting) -> None:
    assert setting.description.strip(), f"{setting.name} has no description"
    if is_number(setting.default):
        assert setting.range is not None, f"{setting.name} is a number without a range"
    else:
        assert setting.range is None, f"{setting.name} is not a number but has a range"
    assert setting.check(setting.default) is None, setting.name


def test_every_field_of_the_config_is_described():
    assert [s.name for s in SETTINGS] == [f.name for f in dataclasses.fields(AnalyzerConfig)]
    defaults = AnalyzerConfig()
    for setting in (HEADS_SETTING, *SETTINGS):
        check_described(setting)
        assert setting.group in GROUPS, setting.name
    for setting in SETTINGS:
        assert getattr(defaults, setting.name) == setting.default


def test_every_detector_setting_is_described_with_the_constructors_default():
    assert set(DETECTOR_SETTINGS) == set(DETECTORS)
    for name, settings in DETECTOR_SETTINGS.items():
        keywords = inspect.signature(DETECTORS[name]).parameters
        assert [s.name for s in settings] == list(keywords), name
        for setting in settings:
            check_described(setting)
            assert setting.default == keywords[setting.name].default


@pytest.mark.parametrize("setting", [s for s in SETTINGS if s.range], ids=lambda s: s.name)
def test_validate_checks_every_range(setting):
    low, high = setting.range
    step = 1 if isinstance(setting.default, int) else 0.001
    for fine in (low, high):
        AnalyzerConfig(**{setting.name: fine}).validate()
    for wrong in (low - step, high + step):
        with pytest.raises(ConfigError, match=f"{setting.name}={wrong} is outside"):
            AnalyzerConfig(**{setting.name: wrong}).validate()


def test_validate_checks_choices_and_allows_the_unset():
    with pytest.raises(ConfigError, match="detector='dlib' is not one of"):
        AnalyzerConfig(detector="dlib").validate()
    with_heads(AnalyzerConfig(detector=None), ()).validate()  # no detector, no models
    with pytest.raises(ConfigError, match=r"heads: \['mood'\] not among"):
        with_heads(AnalyzerConfig(), ["gender", "mood"])
