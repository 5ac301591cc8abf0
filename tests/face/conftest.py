"""Shared fixtures: the astronaut portrait, the models loaded once, a 512x512 renderer."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
import skimage.data

from livehost.face.enroll import rig_from_image
from livehost.face.landmarks import FaceMesher
from livehost.face.quality import Identity
from livehost.face.renderer import RigRenderer


@pytest.fixture(scope="session")
def astronaut() -> np.ndarray:
    return skimage.data.astronaut()


@pytest.fixture(scope="session")
def mesher() -> FaceMesher:
    return FaceMesher()


@pytest.fixture(scope="session")
def identity() -> Identity:
    return Identity()


@pytest.fixture(scope="session")
def distance_to_astronaut(astronaut, identity) -> Callable[[np.ndarray], float]:
    """dlib identity distance from a frame to the astronaut photo (its descriptor taken once)."""
    reference = identity.descriptor(astronaut)
    return lambda frame: float(np.linalg.norm(identity.descriptor(np.asarray(frame)) - reference))


@pytest.fixture(scope="session")
def rig(astronaut, mesher, tmp_path_factory):
    return rig_from_image(astronaut, tmp_path_factory.mktemp("p") / "a.png", mesher, len)


@pytest.fixture(scope="session")
def renderer(astronaut, rig) -> RigRenderer:
    return RigRenderer(astronaut, rig, (512, 512))


@pytest.fixture(scope="session")
def renderer_720p(astronaut, rig) -> RigRenderer:
    return RigRenderer(astronaut, rig, (1280, 720))
