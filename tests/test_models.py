from pathlib import Path

import pytest

from livehost import models
from livehost.errors import LivehostError


@pytest.fixture
def card(tmp_path, monkeypatch):
    packaged = tmp_path / "pkg" / "tiny.onnx"
    packaged.parent.mkdir()
    packaged.write_bytes(b"p" * 10)
    card = models.ModelCard(name="tiny", job="test", license="MIT", filename="tiny.onnx",
                            package="tiny-pkg", locate=lambda: packaged, enables="testing")
    monkeypatch.setitem(models.MODELS, "tiny", card)
    monkeypatch.setenv("LIVEHOST_WEIGHTS", str(tmp_path / "weights"))
    return card


def test_package_is_the_last_resort(card, tmp_path):
    found = models.resolve("tiny")
    assert found.source == "package" and found.size_bytes == 10 and found.license == "MIT"


def test_weights_folder_beats_package(card, tmp_path):
    local = tmp_path / "weights" / "tiny" / "tiny.onnx"
    local.parent.mkdir(parents=True)
    local.write_bytes(b"w" * 20)
    found = models.resolve("tiny")
    assert (found.source, found.path, found.size_bytes) == ("weights", local, 20)


def test_explicit_path_beats_everything(card, tmp_path):
    mine = tmp_path / "mine.onnx"
    mine.write_bytes(b"m" * 5)
    found = models.resolve("tiny", explicit=mine)
    assert (found.source, found.path) == ("path", mine)
    with pytest.raises(LivehostError, match="does not exist"):
        models.resolve("tiny", explicit=tmp_path / "absent.onnx")


def test_missing_model_says_how_to_get_it(card, monkeypatch):
    monkeypatch.setitem(models.MODELS, "tiny", models.ModelCard(
        name="tiny", job="test", license="MIT", filename="tiny.onnx", package="tiny-pkg",
        locate=lambda: Path("/nonexistent/tiny.onnx"), enables="testing"))
    with pytest.raises(LivehostError, match="pip install tiny-pkg"):
        models.resolve("tiny")
    with pytest.raises(LivehostError, match="unknown model"):
        models.resolve("no-such-model")


def test_embedded_voice_resolves_from_its_package():
    found = models.resolve("piper-joe")
    assert found.path.name == "en_US-joe-medium.onnx" and found.size_bytes > 10_000_000
