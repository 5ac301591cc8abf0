import os
import sys
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parent.parent
SHARED_SPEECH = REPO.parent / "shared" / "data" / "speech"


@pytest.fixture
def livehost_cli():
    """Run the real CLI in a subprocess; returns CompletedProcess."""
    import subprocess

    def run(*args: str, timeout: float = 300, **kwargs):
        return subprocess.run(
            [sys.executable, "-m", "livehost", *args],
            capture_output=True, text=True, timeout=timeout, cwd=kwargs.pop("cwd", REPO),
            env={**os.environ, **kwargs.pop("env", {})}, **kwargs,
        )

    return run


@pytest.fixture
def astronaut() -> np.ndarray:
    from skimage import data

    return data.astronaut()
