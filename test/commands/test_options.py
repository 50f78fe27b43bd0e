"""The shared command-line options are the analyzer's settings: one option per setting, named and
described as the core describes it (core/config.py), each reaching its AnalyzerConfig field; the
renamed options still work for one release, with a warning naming the new one."""

import pytest

from face_analysis.cli import build_parser, main
from face_analysis.commands.options import RENAMED, common_options, config_from_args, option
from face_analysis.core.config import HEADS_SETTING, SETTINGS, AnalyzerConfig
from face_analysis.core.detect import DETECTOR_SETTINGS

# The settings that are not one option of their name, and why.
NOT_ONE_OPTION = {"detector_settings": "--detector-setting KEY=VALUE, once per setting"}


def options() -> dict:
    """Option string -> its argparse action, of the shared options."""
    return {name: a for a in common_options()._actions for name in a.option_strings}


def test_every_setting_is_an_option_of_its_name_and_description():
    actions = options()
    assert set(NOT_ONE_OPTION) == {s.name for s in SETTINGS if option(s.name) not in actions}
    for setting in (HEADS_SETTING, *SETTINGS):
        if setting.name in NOT_ONE_OPTION:
            continue
        action = actions[option(setting.name)]
        expected = list(setting.default) if isinstance(setting.default, tuple) else setting.default
        assert action.default == expected, setting.name
        assert setting.description.replace("%", "%%") in action.help, setting.name
        if setting.range:
            assert f"[{setting.range[0]}, {setting.range[1]}]" in action.help, setting.name
    detector_help = actions["--detector-setting"].help
    for settings in DETECTOR_SETTINGS.values():
        assert all(f"{s.name}={s.default}" in detector_help for s in settings)


def changed(setting) -> tuple[list[str], object]:
    """Command-line arguments that set `setting` to a value other than its default, and the
    value the config should then hold."""
    default = setting.default
    if isinstance(default, bool):
        return [option(setting.name) if not default else "--no-" + option(setting.name)[2:]], (
            not default
        )
    if setting.choices:
        other = next(choice for choice in setting.choices if choice != default)
        return [option(setting.name), other], other
    if isinstance(default, (int, float)):
        value = type(default)(setting.range[1])
        return [option(setting.name), str(value)], value
    if isinstance(default, tuple):  # providers
        return [option(setting.name), "CUDAExecutionProvider,CPUExecutionProvider"], [
            "CUDAExecutionProvider",
            "CPUExecutionProvider",
        ]
    return [
        option(setting.name),
        f"/elsewhere/{setting.name}.onnx",
    ], f"/elsewhere/{setting.name}.onnx"


def test_every_option_reaches_its_field():
    argv, expected = ["image", "photo.jpg", "--detector-setting", "downscale=2"], {}
    for setting in SETTINGS:
        if setting.name not in NOT_ONE_OPTION:
            args, expected[setting.name] = changed(setting)
            argv += args
    config = config_from_args(build_parser().parse_args(argv))
    for name, value in expected.items():
        assert getattr(config, name) == value, name
    assert config.detector_settings == {"downscale": 2}
    assert all(value != getattr(AnalyzerConfig(), name) for name, value in expected.items())


@pytest.mark.parametrize("old, new", RENAMED.items())
def test_renamed_option_warns_and_sets_the_new_one(capsys, old, new):
    value = "0.25" if new != "--intra-op-threads" else "3"
    args = build_parser().parse_args(["image", "photo.jpg", old, value])
    dest = new[2:].replace("-", "_")
    assert getattr(args, dest) == type(getattr(AnalyzerConfig(), dest))(value)
    assert f"warning: {old} is deprecated and will be removed; use {new}" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["image", "--help"])
    assert old not in capsys.readouterr().out.split()  # hidden
