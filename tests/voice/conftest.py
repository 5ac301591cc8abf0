import subprocess
import sys
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


@pytest.fixture
def run_cli():
    def run(*args: str, timeout: float = 600, **kwargs):
        return subprocess.run([sys.executable, "-m", "livehost", *args], capture_output=True,
                              text=True, timeout=timeout, cwd=REPO, **kwargs)

    return run
