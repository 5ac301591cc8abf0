"""The person in the portrait: MediaPipe's selfie segmentation (run once, at enrollment),
cleaned to one solid silhouette and refined to the photo's own edges, so a colour or an
image can replace the background."""

from __future__ import annotations

from functools import cached_property

import cv2
import numpy as np

from .litert import interpreter, run

_INPUT = 256  # the model's square input; MediaPipe stretches the picture into it


class PersonSegmenter:
    @cached_property
    def _model(self):
        return interpreter("mediapipe-selfie-segmentation")

    def mask(self, image: np.ndarray, face_centre: tuple[float, float]) -> np.ndarray:
        """uint8 (H, W): 255 on the person, 0 on the background, soft along the outline."""
        h, w = image.shape[:2]
        tensor = cv2.resize(image, (_INPUT, _INPUT), interpolation=cv2.INTER_AREA) / 255.0
        prob = cv2.resize(run(self._model, tensor)[0][0, :, :, 0], (w, h), interpolation=cv2.INTER_LINEAR)
        solid = _silhouette(prob > 0.5, face_centre)
        # The model sees 256 px: its outline is blurred; a guided filter snaps it to the
        # photo's edges (hair, shoulders) over a radius of a couple of model pixels.
        radius = max(2, round(1.5 * max(h, w) / _INPUT))
        gray = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY).astype(np.float32) / 255.0
        alpha = _guided_filter(gray, solid.astype(np.float32), radius, 1e-3)
        # Exact 0 and 1 away from the outline (far background takes the new colour exactly),
        # the edge pulled in a little so no rim of the old background shows.
        alpha = np.clip((alpha - 0.2) / 0.75, 0.0, 1.0)
        return np.round(alpha * 255).astype(np.uint8)


def _silhouette(person: np.ndarray, face_centre: tuple[float, float]) -> np.ndarray:
    """The blob holding the face, its holes filled (a dark jacket or a logo read as
    background); stray blobs elsewhere dropped."""
    count, labels = cv2.connectedComponents(person.astype(np.uint8), connectivity=8)
    x, y = (round(v) for v in face_centre)
    label = labels[np.clip(y, 0, person.shape[0] - 1), np.clip(x, 0, person.shape[1] - 1)]
    if label == 0:  # the model missed the face itself: keep its biggest blob
        sizes = np.bincount(labels.ravel(), minlength=count)[1:]
        label = 1 + int(np.argmax(sizes)) if sizes.size else 0
    blob = (labels == label).astype(np.uint8) if label else np.zeros_like(person, np.uint8)
    # Holes: background pixels the border cannot reach.
    outside = np.pad(1 - blob, 1, constant_values=1)
    flood = outside.copy()
    cv2.floodFill(flood, None, (0, 0), 2)
    return (blob | (flood[1:-1, 1:-1] != 2) & (outside[1:-1, 1:-1] == 1)).astype(bool)


def _guided_filter(guide: np.ndarray, src: np.ndarray, radius: int, eps: float) -> np.ndarray:
    """He et al.'s edge-preserving filter: ``src`` smoothed but following ``guide``'s edges."""
    box = lambda x: cv2.boxFilter(x, -1, (2 * radius + 1, 2 * radius + 1))
    mean_g, mean_s = box(guide), box(src)
    cov = box(guide * src) - mean_g * mean_s
    var = box(guide * guide) - mean_g * mean_g
    a = cov / (var + eps)
    b = mean_s - a * mean_g
    return box(a) * guide + box(b)
