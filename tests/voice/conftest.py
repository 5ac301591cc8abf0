from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[2]
SPEECH = REPO.parent / "shared" / "data" / "speech" / "arctic_a0024.wav"


@pytest.fixture(scope="session")
def speech_path() -> Path:
    assert SPEECH.is_file(), f"test data missing: {SPEECH} (the shared data folder beside the repo)"
    return SPEECH


@pytest.fixture(scope="session")
def speech(speech_path) -> tuple[np.ndarray, int]:
    """The real recording: 16 kHz mono float32."""
    from livehost.voice.reference import decode

    return decode(speech_path)


@pytest.fixture(scope="session")
def transcriber():
    from livehost.voice.intelligibility import Transcriber

    return Transcriber()
