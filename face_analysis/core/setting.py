"""A setting described once: its name, meaning, default, unit and allowed values.

The analyzer's settings (config.py) and each detector's (detect.py, yunet.py) are described with
it; the ROS parameters, their YAML file and docs table, and the command-line options are generated
from these descriptions, and the core validates values against the same ranges."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any


@dataclass(frozen=True)
class Setting:
    name: str
    description: str
    default: Any = None
    unit: str = ""  # of a number: px, frames, degrees, threads, ...
    range: tuple | None = None  # inclusive (min, max) of a number
    choices: tuple | None = None  # allowed values of a string, or of each item of a list
    group: str = ""  # what it tunes: models, detection, tracking, head pose

    def check(self, value) -> str | None:
        """None if `value` is acceptable, else the reason."""
        if self.range is not None and not self.range[0] <= value <= self.range[1]:
            return f"{self.name}={value} is outside [{self.range[0]}, {self.range[1]}]"
        if self.choices is not None and isinstance(value, (list, tuple)):
            unknown = [v for v in value if v not in self.choices]
            if unknown:
                return f"{self.name}: {unknown} not among {list(self.choices)}"
        elif self.choices is not None and value not in self.choices:
            return f"{self.name}={value!r} is not one of {list(self.choices)}"
        return None


def keyword_settings(factory: Callable, *settings: Setting) -> tuple[Setting, ...]:
    """`settings` of `factory`'s keyword arguments, with the defaults of its signature, so that a
    description and the code can never disagree on a default."""
    parameters = inspect.signature(factory).parameters
    return tuple(replace(s, default=parameters[s.name].default) for s in settings)
