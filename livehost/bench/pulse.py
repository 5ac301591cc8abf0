"""A PulseAudio server of one's own (its own runtime folder, so benchmarks and tests never
share one), with helpers to make sinks, route them and play recordings into them — the path a
real microphone takes."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def pulse_available() -> bool:
    return shutil.which("pulseaudio") is not None and shutil.which("paplay") is not None


class Pulse:
    def __init__(self, env: dict[str, str]) -> None:
        self.env = env

    def pactl(self, *args: str) -> str:
        done = subprocess.run(["pactl", *args], capture_output=True, text=True, env=self.env, timeout=20)
        if done.returncode != 0:
            raise RuntimeError(f"pactl {' '.join(args)}: {done.stderr.strip()}")
        return done.stdout.strip()

    def null_sink(self, name: str, channels: int = 1) -> str:
        """A null sink; its monitor (``NAME.monitor``) is a source to record from."""
        self.pactl("load-module", "module-null-sink", f"sink_name={name}", f"channels={channels}",
                   *(["channel_map=front-left,front-right"] if channels == 2 else []))
        return f"{name}.monitor"

    def loopback(self, source: str, sink: str, channel: str | None = None, latency_ms: int = 10) -> None:
        """Route ``source`` into ``sink`` (a speaker heard by a mic); ``channel`` (front-left,
        front-right) puts a mono source on one channel of a stereo sink."""
        mapping = ["channels=1", f"channel_map={channel}"] if channel else []
        self.pactl("load-module", "module-loopback", f"source={source}", f"sink={sink}",
                   f"latency_msec={latency_ms}", "source_dont_move=true", "sink_dont_move=true", *mapping)

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
        if time.monotonic() > deadline:
            raise RuntimeError("pulseaudio did not come up")
        time.sleep(0.1)
    old = os.environ.get("PULSE_RUNTIME_PATH")
    os.environ["PULSE_RUNTIME_PATH"] = env["PULSE_RUNTIME_PATH"]
    try:
        yield Pulse(env)
    finally:
        subprocess.run(["pulseaudio", "--kill"], env=env, capture_output=True, timeout=20, check=False)
        # --kill only signals: wait for the server to exit, or it writes into a folder being removed
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and subprocess.run(
                ["pulseaudio", "--check"], env=env, capture_output=True, check=False).returncode == 0:
            time.sleep(0.05)
        if old is None:
            os.environ.pop("PULSE_RUNTIME_PATH", None)
        else:
            os.environ["PULSE_RUNTIME_PATH"] = old
