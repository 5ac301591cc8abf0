"""Enrollment: caching, and a clear message for every unusable portrait."""

from __future__ import annotations

import io

import cv2
import numpy as np
import pytest
import skimage.data
from PIL import Image

from livehost.errors import LivehostError
from livehost.face.enroll import enroll
from livehost.face.landmarks import FaceMesher


def save(path, array, **kwargs):
    Image.fromarray(array).save(path, **kwargs)
    return path


def test_enroll_caches_by_pixels_and_reuses_the_rig(tmp_path, astronaut, mesher):
    cache = tmp_path / ".cache"
    first = save(tmp_path / "a.png", astronaut)
    _, rig = enroll(first, cache, mesher=mesher, progress=len)
    assert len(list(cache.glob("rig-*.npz"))) == 1

    class NoModels(FaceMesher):
        def detect(self, image):
            raise AssertionError("the cached rig should have been used")

    renamed = save(tmp_path / "b.png", astronaut)  # same pixels, another file
    _, again = enroll(renamed, cache, mesher=NoModels(), progress=len)
    np.testing.assert_array_equal(again.points, rig.points)
    np.testing.assert_array_equal(again.shapes, rig.shapes)


def test_enroll_reports_progress(tmp_path, astronaut, mesher):
    said = []
    enroll(save(tmp_path / "a.png", astronaut), None, mesher=mesher, progress=said.append)
    assert any("face" in line for line in said) and len(said) >= 3


def _two(astronaut, scale_second):
    small = cv2.resize(astronaut, None, fx=scale_second, fy=scale_second, interpolation=cv2.INTER_AREA)
    canvas = np.full((512, 1024, 3), 200, np.uint8)
    canvas[:, :512] = astronaut
    canvas[: small.shape[0], 512 : 512 + small.shape[1]] = small
    return canvas


@pytest.mark.parametrize(
    "make, words",
    [
        (lambda a: skimage.data.coffee(), "no face"),
        (lambda a: _two(a, 1.0), "faces of similar size"),
        # Too small for the detector (test_tiny_face_names_its_size: found, too small to animate).
        (lambda a: np.pad(cv2.resize(a, (96, 96), interpolation=cv2.INTER_AREA), ((208, 208), (208, 208), (0, 0)), constant_values=128), "no face found"),
    ],
    ids=["no-face", "two-equal-faces", "tiny-face"],
)
def test_unusable_portraits_get_a_message_naming_the_problem(tmp_path, astronaut, mesher, make, words):
    path = save(tmp_path / "p.png", make(astronaut))
    with pytest.raises(LivehostError) as err:
        enroll(path, None, mesher=mesher, progress=len)
    message = str(err.value)
    assert str(path) in message and words in message
    assert "use" in message or "crop" in message  # says what to do


def test_tiny_face_names_its_size(tmp_path, astronaut, mesher):
    # Big enough for the detector, too small to animate.
    small = cv2.resize(astronaut, (300, 300), interpolation=cv2.INTER_AREA)
    canvas = np.pad(small, ((100, 100), (100, 100), (0, 0)), mode="edge")
    with pytest.raises(LivehostError, match=r"only \d+ px wide"):
        enroll(save(tmp_path / "p.png", canvas), None, mesher=mesher, progress=len)


def test_a_much_smaller_second_face_is_ignored_and_said(tmp_path, astronaut, mesher):
    said = []
    _, rig = enroll(save(tmp_path / "p.png", _two(astronaut, 0.7)), None, mesher=mesher, progress=said.append)
    assert any("using the largest" in line for line in said)
    assert rig.face_box[2] < 512  # the face on the left, the big one


def test_not_an_image(tmp_path, mesher):
    path = tmp_path / "portrait.jpg"
    path.write_text("this is not a picture")
    with pytest.raises(LivehostError, match="not a readable image"):
        enroll(path, None, mesher=mesher, progress=len)


def _variants(astronaut):
    gray = cv2.cvtColor(astronaut, cv2.COLOR_RGB2GRAY)
    rgba = np.dstack([astronaut, np.full(astronaut.shape[:2], 255, np.uint8)])
    deep = (gray.astype(np.uint16) * 257)
    return {
        "gray": (gray, {}),
        "rgba": (rgba, {}),
        "16-bit": (deep, {}),
        "noisy-dark": (np.clip(astronaut * 0.5 + np.random.default_rng(0).normal(0, 8, astronaut.shape), 0, 255).astype(np.uint8), {}),
        "crop": (astronaut[:360, 60:420], {}),
    }


@pytest.mark.parametrize("name", ["gray", "rgba", "16-bit", "noisy-dark", "crop"])
def test_variants_of_a_good_portrait_enroll(tmp_path, astronaut, mesher, rig, name):
    array, kwargs = _variants(astronaut)[name]
    path = save(tmp_path / "p.png", array, **kwargs)
    _, got = enroll(path, None, mesher=mesher, progress=len)
    # The same face: its width within 10% of the original's.
    width = lambda r: r.face_box[2] - r.face_box[0]  # noqa: E731
    assert abs(width(got) - width(rig)) < 0.1 * width(rig)


def test_exif_rotated_portrait_enrolls_upright(tmp_path, astronaut, mesher, rig):
    sideways = np.ascontiguousarray(np.rot90(astronaut))  # stored rotated, EXIF says turn it back
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: rotate 90° clockwise to view
    buffer = io.BytesIO()
    Image.fromarray(sideways).save(buffer, format="JPEG", exif=exif, quality=95)
    path = tmp_path / "p.jpg"
    path.write_bytes(buffer.getvalue())
    _, got = enroll(path, None, mesher=mesher, progress=len)
    np.testing.assert_allclose(got.face_box, rig.face_box, atol=6)  # upright, where it was
