"""Enrollment: a portrait file becomes a rig, once. Every way a photo can be unusable is
reported here, naming the problem and what to do; the rig is cached beside the persona,
keyed by the hash of the decoded pixels (so a re-saved or renamed file hits the cache)."""

from __future__ import annotations

import hashlib
import logging
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np

from livehost.errors import LivehostError

from .landmarks import FaceMesher
from .portrait import MIN_FACE_PX, load_portrait
from .pose import angles, head_rotation
from .rig import Rig, build_rig
from .segment import PersonSegmenter

log = logging.getLogger(__name__)

MAX_TURN = 35.0  # degrees; beyond this the hidden side of the face would be invented
TWIN_RATIO = 0.6  # a second face this large (by area) makes "which one?" ambiguous


def _stderr(message: str) -> None:
    print(f"enroll: {message}", file=sys.stderr, flush=True)


def image_hash(image: np.ndarray) -> str:
    digest = hashlib.sha256(np.ascontiguousarray(image).tobytes())
    digest.update(str(image.shape).encode())
    return digest.hexdigest()[:16]


def enroll(path: Path, cache_dir: Path | None = None, *, mesher: FaceMesher | None = None,
           segmenter: PersonSegmenter | None = None, progress: Callable[[str], None] = _stderr,
           force: bool = False) -> tuple[np.ndarray, Rig]:
    """The portrait (RGB uint8) and its rig, from the cache when it holds one."""
    portrait = load_portrait(path)
    key = image_hash(portrait)
    cached = cache_dir / f"rig-{key}.npz" if cache_dir is not None else None
    if cached is not None and not force and (rig := Rig.load(cached)) is not None:
        return portrait, rig
    progress(f"{path.name}: finding the face")
    rig = rig_from_image(portrait, path, mesher or FaceMesher(), progress, segmenter)
    if cached is not None:
        try:
            rig.save(cached)
            progress(f"rig cached in {cached}")
        except OSError as exc:  # a read-only persona still works, just slower to start
            log.warning("could not cache the face rig in %s: %s", cached, exc)
    return portrait, rig


def rig_from_image(portrait: np.ndarray, path: Path, mesher: FaceMesher,
                   progress: Callable[[str], None], segmenter: PersonSegmenter | None = None) -> Rig:
    faces = mesher.detect(portrait)
    if not faces:
        raise LivehostError(
            f"portrait {path}: no face found; use a well-lit photo of one person facing the camera"
        )
    if len(faces) > 1:
        if faces[1].area > TWIN_RATIO * faces[0].area:
            raise LivehostError(
                f"portrait {path}: {len(faces)} faces of similar size; crop the photo to the one person to animate"
            )
        progress(f"{len(faces)} faces found; using the largest")
    face = faces[0]
    if face.width < MIN_FACE_PX:
        raise LivehostError(
            f"portrait {path}: the face is only {face.width:.0f} px wide; use a photo where it is at "
            f"least {MIN_FACE_PX} px wide (200 px or more looks best)"
        )
    progress("fitting the face mesh")
    mesh, confidence = mesher.mesh(portrait, face)
    if confidence < 0.5:
        raise LivehostError(
            f"portrait {path}: the face is not clear enough to map (confidence {confidence:.2f}); "
            "use a sharper, evenly lit photo"
        )
    _, yaw, roll = angles(head_rotation(mesh))
    if abs(yaw) > MAX_TURN:
        raise LivehostError(
            f"portrait {path}: the face is turned {abs(yaw):.0f}° from the camera; use a photo facing "
            f"the camera (within ±{MAX_TURN - 5:.0f}°)"
        )
    progress("finding the irises and the person's outline, building the rig")
    irises = mesher.irises(portrait, mesh)
    person = (segmenter or PersonSegmenter()).mask(portrait, tuple(mesh[:, :2].mean(0)))
    h, w = portrait.shape[:2]
    return build_rig((w, h), mesh, irises, person)
