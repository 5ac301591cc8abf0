import os
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


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
