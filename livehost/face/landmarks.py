"""Face detection, the 468-point face mesh and the irises, from MediaPipe's packaged .tflite
models run on LiteRT (no TensorFlow, no protobuf). Coordinates are image pixels; the mesh's
z is in the same pixel scale as x (smaller = nearer the camera)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import cv2
import numpy as np

from .litert import interpreter, run
from .topology import LEFT_EYE_CORNERS, RIGHT_EYE_CORNERS


@dataclass(frozen=True, slots=True)
class FaceBox:
    """A detected face: box corners (x0, y0, x1, y1) and the two eye centres."""

    box: np.ndarray
    eyes: np.ndarray  # (2, 2): image-left eye, image-right eye

    @property
    def width(self) -> float:
        return float(self.box[2] - self.box[0])

    @property
    def area(self) -> float:
        return float((self.box[2] - self.box[0]) * (self.box[3] - self.box[1]))


@dataclass(frozen=True, slots=True)
class _Detector:
    model: str
    size: int
    strides: tuple[int, ...]
    per_cell: tuple[int, ...]  # anchors per feature-map cell, one entry per distinct stride


_SHORT = _Detector("mediapipe-face-detection-short", 128, (8, 16), (2, 6))
_FULL = _Detector("mediapipe-face-detection-full", 192, (4,), (1,))


def _anchors(spec: _Detector) -> np.ndarray:
    out = []
    for stride, repeats in zip(spec.strides, spec.per_cell):
        cells = spec.size // stride
        ys, xs = np.mgrid[0:cells, 0:cells]
        centres = np.stack([(xs + 0.5) / cells, (ys + 0.5) / cells], -1).reshape(-1, 1, 2)
        out.append(np.repeat(centres, repeats, axis=1).reshape(-1, 2))
    return np.concatenate(out).astype(np.float32)


class FaceMesher:
    """Loads the models once; every call is pure (same image → same points)."""

    MIN_SCORE = 0.5

    @cached_property
    def _detectors(self):
        return [(spec, interpreter(spec.model), _anchors(spec)) for spec in (_SHORT, _FULL)]

    @cached_property
    def _mesh(self):
        return interpreter("mediapipe-face-mesh")

    @cached_property
    def _iris(self):
        return interpreter("mediapipe-iris")

    def detect(self, image: np.ndarray) -> list[FaceBox]:
        """All faces, largest first. Both detectors run (short range for close-ups, full
        range for small faces) and their boxes are merged."""
        found = [self._detect_with(spec, interp, anchors, image) for spec, interp, anchors in self._detectors]
        boxes, eyes, scores = (np.concatenate(part) for part in zip(*found))
        faces = []
        for idx in _weighted_nms(boxes, scores):
            w = scores[idx]
            faces.append(FaceBox(np.average(boxes[idx], 0, w), np.average(eyes[idx], 0, w)))
        return sorted(faces, key=lambda f: -f.area)

    def _detect_with(self, spec: _Detector, interp, anchors: np.ndarray, image: np.ndarray):
        """Candidate boxes (M, 4), eye pairs (M, 2, 2) and scores (M,) in image pixels."""
        h, w = image.shape[:2]
        side = max(h, w)
        # Letterbox into a square so the model sees undistorted faces.
        square = np.zeros((side, side, 3), np.uint8)
        ox, oy = (side - w) // 2, (side - h) // 2
        square[oy : oy + h, ox : ox + w] = image
        tensor = cv2.resize(square, (spec.size, spec.size), interpolation=cv2.INTER_AREA) / 127.5 - 1.0
        raw, logits = run(interp, tensor)
        raw = raw[0].reshape(-1, 8, 2) / spec.size
        scores = 1.0 / (1.0 + np.exp(-np.clip(logits[0, :, 0], -80, 80)))
        keep = scores > self.MIN_SCORE
        raw, scores, anchors = raw[keep], scores[keep], anchors[keep]
        shift = np.array([ox, oy])
        centre = raw[:, 0] + anchors
        boxes = np.concatenate([centre - raw[:, 1] / 2, centre + raw[:, 1] / 2], axis=1) * side - np.tile(shift, 2)
        eyes = (raw[:, 2:4] + anchors[:, None]) * side - shift
        return boxes, eyes, scores

    def mesh(self, image: np.ndarray, face: FaceBox) -> tuple[np.ndarray, float]:
        """468 points (x, y, z) in image pixels and the model's face confidence. The crop is
        rotated upright by the eye line, as MediaPipe does, so tilted heads work."""
        centre = (face.box[:2] + face.box[2:]) / 2
        size = 1.5 * max(face.box[2] - face.box[0], face.box[3] - face.box[1])
        (lx, ly), (rx, ry) = face.eyes
        angle = np.degrees(np.arctan2(ry - ly, rx - lx))
        crop, inverse = _rotated_crop(image, centre, size, angle, 192)
        data, flag = run(self._mesh, crop / 255.0)
        points = data.reshape(-1, 3)[:468].astype(np.float64)
        scale = size / 192.0
        xy = points[:, :2] @ inverse[:, :2].T + inverse[:, 2]
        confidence = float(1.0 / (1.0 + np.exp(-flag.ravel()[-1])))
        return np.column_stack([xy, points[:, 2] * scale]), confidence

    def irises(self, image: np.ndarray, mesh: np.ndarray) -> np.ndarray:
        """(2, 5, 2): per eye (image-left, image-right) the iris centre and four rim points."""
        return self.eyes(image, mesh)[1]

    def eyes(self, image: np.ndarray, mesh: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per eye (image-left, image-right): the iris model's 71 eye-region points (the first
        nine trace the lower lid corner to corner, the next seven the upper lid) and the 5
        iris points; its lids are more faithful than the face mesh's on closed eyes."""
        contours, irises = [], []
        # The model knows one eye; the other one is mirrored into it.
        for corners, flip in ((LEFT_EYE_CORNERS, False), (RIGHT_EYE_CORNERS, True)):
            a, b = mesh[corners[0], :2], mesh[corners[1], :2]
            angle = np.degrees(np.arctan2(b[1] - a[1], b[0] - a[0]))
            size = 2.3 * float(np.linalg.norm(b - a))
            crop, inverse = _rotated_crop(image, (a + b) / 2, size, angle, 64, flip)
            contour, iris = run(self._iris, crop / 255.0)
            for raw, out in ((contour, contours), (iris, irises)):
                xy = raw.reshape(-1, 3)[:, :2].astype(np.float64)
                out.append(xy @ inverse[:, :2].T + inverse[:, 2])
        return np.stack(contours), np.stack(irises)


def _rotated_crop(image, centre, size: float, angle: float, out: int, flip: bool = False):
    """A square crop of ``size`` px around ``centre``, rotated by ``angle`` degrees, resized to
    ``out``; returns it and the 2x3 affine that maps crop pixels back to the image."""
    forward = cv2.getRotationMatrix2D((float(centre[0]), float(centre[1])), angle, out / size)
    forward[:, 2] += out / 2 - np.asarray(centre, dtype=np.float64)
    if flip:
        forward = np.array([[-1.0, 0, out], [0, 1, 0]]) @ np.vstack([forward, [0, 0, 1]])
    crop = cv2.warpAffine(image, forward, (out, out), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    return crop.astype(np.float32), cv2.invertAffineTransform(forward)


def _weighted_nms(boxes: np.ndarray, scores: np.ndarray, threshold: float = 0.3) -> list[np.ndarray]:
    """Groups of overlapping detections, best first (BlazeFace averages each group)."""
    order = np.argsort(-scores)
    groups = []
    while order.size:
        first = boxes[order[0]]
        rest = boxes[order]
        inter = np.prod(np.clip(np.minimum(first[2:], rest[:, 2:]) - np.maximum(first[:2], rest[:, :2]), 0, None), axis=1)
        union = np.prod(first[2:] - first[:2]) + np.prod(rest[:, 2:] - rest[:, :2], axis=1) - inter
        overlap = inter / np.maximum(union, 1e-9) > threshold
        groups.append(order[overlap])
        order = order[~overlap]
    return groups
