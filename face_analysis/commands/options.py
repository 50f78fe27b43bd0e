"""The options every analysing subcommand shares, generated from the analyzer's settings
(core/config.py: one option per setting, of the same name and description), and their mapping
onto AnalyzerConfig; the overlay's --privacy and the anonymiser built from a config."""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from collections.abc import Callable

import numpy as np

from ..core.analyzer import FaceAnalyzer
from ..core.anonymize import FrameAnonymizer, private_view
from ..core.config import GROUPS, HEADS_SETTING, SETTINGS, AnalyzerConfig, with_heads
from ..core.detect import DETECTOR_SETTINGS
from ..core.draw import draw_results
from ..core.setting import Setting

# Given as --detector-setting KEY=VALUE, one per setting of the chosen detector.
DETECTOR_SETTINGS_FIELD = "detector_settings"
# Renamed options (old -> new), still accepted for one release with a warning.
RENAMED = {
    "--min-score": "--min-detection-score",
    "--threads": "--intra-op-threads",
    "--alpha": "--smoothing-alpha",
}


def option(name: str) -> str:
    """The command-line option of a setting: --smoothing-alpha for smoothing_alpha."""
    return "--" + name.replace("_", "-")


def parse_setting(text: str) -> tuple[str, object]:
    """KEY=VALUE with VALUE read as JSON when it parses (numbers, true/false), else a string."""
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {text!r}")
    try:
        return key, json.loads(value)
    except json.JSONDecodeError:
        return key, value


def name_list(setting: Setting) -> Callable[[str], list[str]]:
    """A parser of a comma list of names for `setting` (empty: none), refusing names outside its
    choices."""

    def parse(text: str) -> list[str]:
        names = [name.strip() for name in text.split(",") if name.strip()]
        reason = setting.check(names)
        if reason:
            raise argparse.ArgumentTypeError(reason)
        return names

    return parse


parse_heads = name_list(HEADS_SETTING)


def _help(setting: Setting) -> str:
    """The description, range and unit, and the default."""
    text = setting.description
    if setting.range:
        text += f" Range [{setting.range[0]}, {setting.range[1]}]"
        text += f" {setting.unit}." if setting.unit else "."
    return text.replace("%", "%%") + " (default: %(default)s)"


def _add_setting(group, setting: Setting) -> argparse.Action:
    default = setting.default
    if isinstance(default, bool):  # --head-pose / --no-head-pose
        action = group.add_argument(
            option(setting.name), action=argparse.BooleanOptionalAction, default=default
        )
        action.help = _help(setting)  # set after: Python 3.10's adds its own default to help=
        return action
    if isinstance(default, (list, tuple)):
        return group.add_argument(
            option(setting.name),
            type=name_list(setting),
            default=list(default),
            metavar="NAME[,NAME...]",
            help=_help(setting).replace("%(default)s", ",".join(default) or "''"),
        )
    metavar = "PATH" if isinstance(default, str) else (setting.unit or type(default).__name__)
    return group.add_argument(
        option(setting.name),
        type=type(default),
        default=default,
        choices=setting.choices,
        metavar=None if setting.choices else metavar.upper(),
        help=_help(setting),
    )


def _detector_settings_help() -> str:
    listed = "; ".join(
        f"{detector}: " + ", ".join(f"{s.name}={s.default}" for s in settings)
        for detector, settings in DETECTOR_SETTINGS.items()
    )
    return (
        f"a setting of the chosen detector, repeatable, e.g. downscale=2 ({listed}; ranges and "
        "meanings: docs/ros-api.md, the parameters <detector>.<setting>)"
    )


class _Renamed(argparse.Action):
    """An old option name: warns, naming the new one, and stores the value as the new one does."""

    def __init__(self, option_strings, dest, new: str, **kwargs):
        super().__init__(option_strings, dest, **kwargs)
        self.new = new

    def __call__(self, parser, namespace, values, option_string=None):
        print(
            f"face-analysis: warning: {option_string} is deprecated and will be removed; "
            f"use {self.new}",
            file=sys.stderr,
        )
        setattr(namespace, self.dest, values)


def common_options() -> argparse.ArgumentParser:
    """A parent parser (argparse `parents=`) with the shared options: one per analyzer setting
    (core/config.py), named and described as the setting is."""
    common = argparse.ArgumentParser(add_help=False)
    groups = {name: common.add_argument_group(name) for name in GROUPS}
    actions = {}
    for setting in (HEADS_SETTING, *SETTINGS):
        if setting.name == DETECTOR_SETTINGS_FIELD:
            groups[setting.group].add_argument(
                "--detector-setting",
                type=parse_setting,
                action="append",
                default=[],
                metavar="KEY=VALUE",
                help=_detector_settings_help(),
            )
        else:
            actions[option(setting.name)] = _add_setting(groups[setting.group], setting)
    for old, new in RENAMED.items():
        common.add_argument(
            old,
            action=_Renamed,
            new=new,
            dest=actions[new].dest,
            type=actions[new].type,
            default=argparse.SUPPRESS,
            help=argparse.SUPPRESS,
        )
    return common


def add_privacy_option(parser: argparse.ArgumentParser) -> None:
    """--privacy for the subcommands that write an overlay (image, video)."""
    parser.add_argument(
        "--privacy",
        action="store_true",
        help="blur every face in the written overlay (boxes and labels are still drawn)",
    )


def overlay(args: argparse.Namespace, image: np.ndarray, results) -> np.ndarray:
    """The overlay of `results` on `image`; with --privacy, privacy mode's (faces blurred)."""
    if args.privacy:
        image, results = private_view(image, results)
    return draw_results(image, results)


def anonymizer_factory(config: AnalyzerConfig) -> Callable[[], FrameAnonymizer]:
    """New FrameAnonymizers (one per video stream) detecting and tracking as `config` says,
    without heads or identity: blurring needs neither."""
    config = dataclasses.replace(with_heads(config, ()), identity="off")
    return lambda: FrameAnonymizer(FaceAnalyzer(config))


def config_from_args(args: argparse.Namespace) -> AnalyzerConfig:
    values = {s.name: getattr(args, s.name) for s in SETTINGS if s.name != DETECTOR_SETTINGS_FIELD}
    config = AnalyzerConfig(**values, detector_settings=dict(args.detector_setting))
    return with_heads(config, args.heads)
