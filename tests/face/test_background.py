"""Background option: the photo's own, a colour or an image behind the moving person."""

from __future__ import annotations

import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest
import skimage.data
from PIL import Image

from livehost.errors import LivehostError
from livehost.face import topology as T
from livehost.face.background import Background, parse_background
from livehost.face.portrait import fit_cover
from livehost.face.renderer import RigRenderer
from livehost.media.frames import FaceState
from livehost.persona import load_persona

DEMO = Path(__file__).resolve().parents[2] / "personas" / "demo"
GREEN = (0, 255, 0)
POSES = [FaceState(), FaceState(yaw=15, jaw=1), FaceState(yaw=-15, pitch=10, roll=8, blink_l=1)]


@pytest.fixture(scope="module")
def green(astronaut, rig) -> RigRenderer:
    return RigRenderer(astronaut, rig, (512, 512), Background(colour=GREEN))


def _far_from_edge(renderer: RigRenderer) -> tuple[np.ndarray, np.ndarray]:
    """Pixels well clear of the person's outline (a quarter of the face height: as far as
    the head moves at the pose extremes): (deep inside the person, far outside it)."""
    person = (renderer.framing.crop(renderer.rig.person) > 0).astype(np.uint8)
    kernel = np.ones((int(0.25 * renderer.face_h) * 2 + 1,) * 2, np.uint8)
    return cv2.erode(person, kernel).astype(bool), ~cv2.dilate(person, kernel).astype(bool)


def test_the_person_is_segmented_as_one_solid_silhouette(rig):
    person = rig.person > 127
    oval = np.zeros(person.shape, np.uint8)
    cv2.fillPoly(oval, [np.round(rig.mesh[list(T.FACE_OVAL), :2]).astype(np.int32)], 1)
    assert person[oval.astype(bool)].mean() > 0.99  # the whole face
    assert person[-20:, 100:400].mean() > 0.9  # the shoulders at the bottom
    assert not person[:60, 400:].any()  # the sky-grey backdrop at the top right
    assert cv2.connectedComponents(person.astype(np.uint8))[0] == 2  # one blob (+ background)


@pytest.mark.parametrize("state", POSES, ids=["neutral", "yaw+15,jaw1", "yaw-15,pitch,roll"])
def test_colour_background_is_exact_far_from_the_person(green, state):
    _, far = _far_from_edge(green)
    assert far.mean() > 0.15
    frame = green.render(state)
    assert (frame[far] == GREEN).all()


def test_the_person_is_unchanged_by_the_background(green, renderer):
    inside, _ = _far_from_edge(green)
    assert inside.mean() > 0.2
    for state in POSES:
        diff = green.render(state)[inside].astype(int) - renderer.render(state)[inside]
        assert np.abs(diff).max() <= 1  # remap rounds 3- and 4-channel images a hair apart


@pytest.mark.slow
@pytest.mark.parametrize("state", [FaceState(), FaceState(yaw=15)], ids=["neutral", "yaw+15"])
def test_identity_holds_on_green(distance_to_astronaut, green, renderer, state):
    """The same likeness as on the photo's own background (the bounds of test_quality)."""
    on_photo = distance_to_astronaut(renderer.render(state))
    assert distance_to_astronaut(green.render(state)) <= on_photo + 0.03


def test_image_background_covers_the_frame_and_holds_still(tmp_path, astronaut, rig):
    path = tmp_path / "room.png"
    Image.fromarray(skimage.data.coffee()).save(path)  # 600x400: cropped to cover 720p
    renderer = RigRenderer(astronaut, rig, (1280, 720), parse_background(str(path), tmp_path))
    _, far = _far_from_edge(renderer)
    expected = fit_cover(skimage.data.coffee(), (1280, 720))
    for state in (FaceState(), FaceState(yaw=-15, roll=-8, jaw=1)):
        assert np.array_equal(renderer.render(state)[far], expected[far])


def test_parse_background(tmp_path):
    assert not parse_background("photo", tmp_path).replaced
    assert parse_background("#00FF00", tmp_path).colour == GREEN
    assert parse_background("#00ff00", tmp_path).spec == "#00ff00"
    (tmp_path / "bg.jpg").write_bytes(b"x")
    assert parse_background("bg.jpg", tmp_path).image == tmp_path / "bg.jpg"


@pytest.mark.parametrize("value, words", [
    ('"#0f0"', "not a colour"), ('"#gg0000"', "not a colour"), ("green", "neither 'photo'"),
    ("missing.jpg", "does not exist"),
])
def test_bad_background_names_the_field_and_file(tmp_path, value, words):
    folder = tmp_path / "p"
    folder.mkdir()
    shutil.copy(DEMO / "portrait.jpg", folder / "portrait.jpg")
    (folder / "persona.yaml").write_text(f"name: A\nportrait: portrait.jpg\nbackground: {value}\n")
    with pytest.raises(LivehostError) as err:
        load_persona(folder)
    message = str(err.value)
    assert f"{folder / 'persona.yaml'}: background: " in message and words in message
    assert "\n" not in message


def test_unreadable_background_image_is_named(tmp_path, astronaut, rig):
    bad = tmp_path / "bg.jpg"
    bad.write_text("not a picture")
    with pytest.raises(LivehostError, match="background image .*bg.jpg is not a readable image"):
        RigRenderer(astronaut, rig, (512, 512), parse_background("bg.jpg", tmp_path))
