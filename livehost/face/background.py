"""What shows behind the person: the photo's own background, a flat colour (green for a
chroma key), or an image. The person's mask is warped with the face each frame, so the new
background holds perfectly still while the head moves in front of it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from livehost.errors import LivehostError

from .portrait import fit_cover, load_image

PHOTO = "photo"
_COLOUR = re.compile(r"#([0-9a-fA-F]{6})")


@dataclass(frozen=True, slots=True)
class Background:
    """The photo's own background when neither field is set."""

    colour: tuple[int, int, int] | None = None
    image: Path | None = None

    @property
    def replaced(self) -> bool:
        return self.colour is not None or self.image is not None

    @property
    def spec(self) -> str:
        """As written in a persona: photo, #rrggbb, or the image's absolute path."""
        if self.colour is not None:
            return "#" + "".join(f"{c:02x}" for c in self.colour)
        return str(self.image.resolve()) if self.image is not None else PHOTO


def parse_background(value: str, folder: Path) -> Background:
    """``photo``, ``#rrggbb``, or an image file (relative to ``folder``); anything else is a
    LivehostError saying what is wrong (the caller names the field)."""
    value = value.strip()
    if value == PHOTO:
        return Background()
    if value.startswith("#"):
        if not (match := _COLOUR.fullmatch(value)):
            raise LivehostError(f"{value!r} is not a colour: write it #rrggbb, e.g. \"#00ff00\" for green screen")
        hex_ = match.group(1)
        return Background(colour=tuple(int(hex_[i : i + 2], 16) for i in (0, 2, 4)))
    path = Path(value).expanduser()
    path = path if path.is_absolute() else folder / path
    if not path.is_file():
        raise LivehostError(f"{value!r} is neither {PHOTO!r}, a #rrggbb colour, nor an image file ({path} does not exist)")
    return Background(image=path)


def backdrop(background: Background, size: tuple[int, int]) -> np.ndarray:
    """The background as an RGB frame of ``size`` (width, height); images cover the frame."""
    if background.image is not None:
        return fit_cover(load_image(background.image, "background image"), size)
    return np.full((size[1], size[0], 3), background.colour, np.uint8)


def composite(person: np.ndarray, behind: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """``person`` over ``behind`` by the uint8 ``alpha``; exact where alpha is 0 or 255."""
    a = cv2.merge([alpha, alpha, alpha])
    front = cv2.multiply(person, a, scale=1 / 255)
    back = cv2.multiply(behind, cv2.bitwise_not(a), scale=1 / 255)
    return cv2.add(front, back)
