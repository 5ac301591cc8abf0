"""Measuring rendered faces: identity (dlib's face embedding), and the mesh re-detected on a
frame — mouth opening, eye aspect ratio, head yaw — to check the face obeys its commands.
Used by the tests and ``livehost bench face``."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from livehost import models
from livehost.errors import LivehostError
from livehost.media.frames import FaceState

from . import topology as T
from .landmarks import FaceMesher
from .pose import angles, face_size, head_rotation


class Identity:
    """dlib's 128-d face descriptor; distances under 0.6 mean the same person."""

    @cached_property
    def _models(self):
        import dlib

        return (dlib.get_frontal_face_detector(),
                dlib.shape_predictor(str(models.resolve("dlib-shape-5").path)),
                dlib.face_recognition_model_v1(str(models.resolve("dlib-face-identity").path)))

    def descriptor(self, image: np.ndarray) -> np.ndarray:
        detector, shape, encoder = self._models
        faces = detector(image, 1)
        if not faces:
            raise LivehostError("dlib finds no face in the image")
        face = max(faces, key=lambda r: r.area())
        return np.asarray(encoder.compute_face_descriptor(image, shape(image, face), 1))

    def distance(self, a: np.ndarray, b: np.ndarray) -> float:
        return float(np.linalg.norm(self.descriptor(a) - self.descriptor(b)))


@dataclass(frozen=True, slots=True)
class Measure:
    mouth_open: float  # inner-lip gap / face height
    eye_ratio: float  # mean eye aspect ratio (lid gap / eye width) of both eyes
    pitch: float
    yaw: float
    roll: float


def _eye_ratio(contour: np.ndarray) -> float:
    """Lid gap over eye width, from the iris model's lid outline (9 lower, 7 upper points)."""
    lower, upper = contour[:9], contour[9:16]
    width = np.linalg.norm(lower[8] - lower[0])
    gap = np.mean(np.linalg.norm(lower[2:7] - upper[1:6], axis=1))
    return float(gap / width)


def measure(image: np.ndarray, mesher: FaceMesher) -> Measure:
    faces = mesher.detect(image)
    if not faces:
        raise LivehostError("no face found in the rendered frame")
    mesh, _ = mesher.mesh(image, faces[0])
    _, fh = face_size(mesh)
    gap = np.mean(mesh[list(T.LIPS_INNER_LOWER[3:-3]), 1] - mesh[list(T.LIPS_INNER_UPPER[3:-3]), 1])
    contours, _ = mesher.eyes(image, mesh)
    ear = float(np.mean([_eye_ratio(c) for c in contours]))
    return Measure(float(gap / fh), ear, *angles(head_rotation(mesh)))


def control(render, mesher: FaceMesher) -> dict[str, float]:
    """How the re-detected face follows its commands (``render``: FaceState → frame): mouth
    opening vs jaw and measured vs commanded yaw as correlations, and the eye aspect ratio's
    drop at a full blink (targets 0.95, 0.9 and 0.7)."""
    jaws, yaws = np.linspace(0, 1, 6), np.linspace(-15, 15, 7)
    opening = [measure(render(FaceState(jaw=j)), mesher).mouth_open for j in jaws]
    measured = [measure(render(FaceState(yaw=y)), mesher).yaw for y in yaws]
    open_ = measure(render(FaceState()), mesher).eye_ratio
    closed = measure(render(FaceState(blink_l=1, blink_r=1)), mesher).eye_ratio
    return {"jaw_corr": round(float(np.corrcoef(jaws, opening)[0, 1]), 3),
            "yaw_corr": round(float(np.corrcoef(yaws, measured)[0, 1]), 3),
            "blink_ear_drop": round(1 - closed / open_, 3)}
