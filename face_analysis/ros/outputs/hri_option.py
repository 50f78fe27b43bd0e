"""hri_publish: REP-155 output as an option, so nodes run without hri_msgs installed."""

from __future__ import annotations

from ...core.errors import ConfigError


def hri_publisher(node, values: dict):
    """A HriFacesPublisher when hri_publish is set, else None."""
    if not values["hri_publish"]:
        return None
    try:
        from .hri_faces import HriFacesPublisher
    except ImportError as exc:
        raise ConfigError(
            "hri_publish needs the hri_msgs messages (on a robot: apt install "
            f"ros-$ROS_DISTRO-hri-msgs): {exc}"
        ) from exc
    return HriFacesPublisher(
        node,
        values["hri_face_width"],
        values["hri_face_height"],
        values["heads"],
        values["privacy"],
        identity=values["identity"] != "off",
    )


def alive_tracks(analyzer) -> list[int]:
    return [track.track_id for track in analyzer.tracker.tracks]
