"""A contact sheet of the face in poses, visemes, blinks and gaze, to judge it at a glance."""

from __future__ import annotations

import cv2
import numpy as np

from livehost.media.frames import FaceState

from .base import FaceRenderer

SHEET: tuple[tuple[str, FaceState], ...] = (
    ("neutral", FaceState()),
    ("jaw .5", FaceState(jaw=0.5)),
    ("jaw 1", FaceState(jaw=1.0)),
    ("oo", FaceState(jaw=0.25, mouth_round=1.0)),
    ("ee", FaceState(jaw=0.2, mouth_w=1.0)),
    ("mm", FaceState(lip_press=1.0)),
    ("smile", FaceState(smile=1.0, jaw=0.15)),
    ("brow", FaceState(brow=1.0)),
    ("yaw -15", FaceState(yaw=-15)),
    ("yaw +15", FaceState(yaw=15)),
    ("pitch +10", FaceState(pitch=10)),
    ("pitch -10", FaceState(pitch=-10)),
    ("roll -8", FaceState(roll=-8)),
    ("roll +8", FaceState(roll=8)),
    ("blink", FaceState(blink_l=1.0, blink_r=1.0)),
    ("half blink", FaceState(blink_l=0.5, blink_r=0.5)),
    ("gaze left", FaceState(gaze_x=-1.0)),
    ("gaze right", FaceState(gaze_x=1.0)),
    ("gaze up", FaceState(gaze_y=1.0)),
    ("talking, turned", FaceState(jaw=0.6, yaw=10, pitch=5, brow=0.5)),
)


def contact_sheet(renderer: FaceRenderer, tile: int = 256, columns: int = 5) -> np.ndarray:
    """RGB image: one labelled tile per entry of SHEET."""
    width, height = renderer.size
    tile_h = round(tile * height / width)
    tiles = []
    for label, state in SHEET:
        image = cv2.resize(np.asarray(renderer.render(state)), (tile, tile_h), interpolation=cv2.INTER_AREA)
        cv2.putText(image, label, (6, tile_h - 8), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (0, 0, 0), 3, cv2.LINE_AA)
        cv2.putText(image, label, (6, tile_h - 8), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (255, 255, 255), 1, cv2.LINE_AA)
        tiles.append(image)
    rows = [np.hstack(tiles[i : i + columns]) for i in range(0, len(tiles), columns)]
    return np.vstack(rows)
