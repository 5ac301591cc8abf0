"""A PulseAudio server of a test's own (its own runtime folder, so tests never share one),
with helpers to make sinks and play recordings into them — the real microphone path."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

needs_pulse = pytest.mark.skipif(shutil.which("pulseaudio") is None or shutil.which("paplay") is None,
                                 reason="needs pulseaudio + pulseaudio-utils (apt)")


class Pulse:
    def __init__(self, env: dict[str, str]) -> None:
        self.env = env

    def pactl(self, *args: str) -> str:
        done = subprocess.run(["pactl", *args], capture_output=True, text=True, env=self.env, timeout=20)
        if done.returncode != 0:
            raise AssertionError(f"pactl {' '.join(args)}: {done.stderr.strip()}")
        return done.stdout.strip()

    def null_sink(self, name: str) -> str:
        """A null sink; its monitor (``NAME.monitor``) is a source to record from."""
        self.pactl("load-module", "module-null-sink", f"sink_name={name}")
        return f"{name}.monitor"

    def names(self, kind: str) -> set[str]:
        return {line.split("\t")[1] for line in self.pactl("list", "short", kind).splitlines() if "\t" in line}

    def play(self, path: Path, sink: str) -> subprocess.Popen:
        return subprocess.Popen(["paplay", "-d", sink, str(path)], env=self.env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _up(env: dict) -> bool:
    return subprocess.run(["pactl", "info"], capture_output=True, env=env, check=False).returncode == 0


@contextmanager
def pulse_server(folder: Path) -> Iterator[Pulse]:
    """Started with no default modules but the native protocol and a null sink; this process
    (and its children: ``env``) talk to it while the block runs."""
    env = {**os.environ, "PULSE_RUNTIME_PATH": str(folder / "pulse"), "HOME": str(folder)}
    subprocess.run(["pulseaudio", "-D", "-n", "--exit-idle-time=-1", "--use-pid-file=yes",
                    "--load=module-native-protocol-unix", "--load=module-null-sink"],
                   env=env, check=True, capture_output=True, timeout=20)
    deadline = time.monotonic() + 10
    while not _up(env):
        assert time.monotonic() < deadline, "pulseaudio did not come up"
        time.sleep(0.1)
    old = os.environ.get("PULSE_RUNTIME_PATH")
    os.environ["PULSE_RUNTIME_PATH"] = env["PULSE_RUNTIME_PATH"]
    try:
        yield Pulse(env)
    finally:
        subprocess.run(["pulseaudio", "--kill"], env=env, capture_output=True, timeout=20, check=False)
        if old is None:
            os.environ.pop("PULSE_RUNTIME_PATH", None)
        else:
            os.environ["PULSE_RUNTIME_PATH"] = old
