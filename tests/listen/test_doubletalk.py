"""Double-talk detection on real speech: the piper host voice through simulated rooms, with
every recording in the shared data as the person talking over it. A canceller that has lost the
echo passes the host's voice (share >= 0.91 here in every room); a person over a cancelled echo
is not the host (share <= 0.19) — the threshold, 0.3, sits between them (on a real PulseAudio
path, whose delay drifts, a half-lost echo measured 0.44-0.48 and a person 0.02-0.06)."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
import soxr

from livehost.listen.doubletalk import DoubleTalkDetector, echo_share
from livehost.listen.listener import ListenConfig

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))
import measure_echo as sim  # the simulated room, shared with the measurement

RATE = 16_000
BEFORE = int(0.55 * RATE)  # played audio kept before a window, for the echo's delay
ROOMS = {"near": sim.EchoPath(delay_ms=20, rt60_ms=100), "far": sim.EchoPath(delay_ms=120, rt60_ms=300),
         "big": sim.EchoPath(delay_ms=250, rt60_ms=500)}
PEOPLE = sorted(p.name for p in sim.SPEECH.iterdir() if p.suffix in (".wav", ".flac"))
THRESHOLD = ListenConfig().echo_share_max


@pytest.fixture(scope="module")
def played() -> np.ndarray:
    far, rate = sim.host_voice()
    return soxr.resample(far, rate, RATE).astype(np.float32)


def _windows(voice: np.ndarray, length: int):
    """Starts of the 1-s windows (half overlapping) where ``voice`` speaks."""
    for start in range(BEFORE, length - RATE, RATE // 2):
        if np.sqrt(np.mean(voice[start:start + RATE] ** 2)) > 0.03:
            yield start


@pytest.mark.parametrize("room", ROOMS)
def test_the_hosts_voice_let_through_is_the_host(played, room):
    path = ROOMS[room]
    echo = path.echo(played) + path.noise(len(played))
    shares = [echo_share(echo[s:s + RATE], played[s - BEFORE:s + RATE]) for s in _windows(played, len(played))]
    assert len(shares) >= 20 and min(shares) >= 0.8, np.round(shares, 2)


@pytest.mark.parametrize("person", PEOPLE)
def test_a_person_over_the_cancelled_host_is_not(played, person):
    near = sim.recording(person)  # peaking at -6 dBFS, and at -12 over the host
    for room, path in ROOMS.items():
        leak = 0.1 * path.echo(played)  # 20 dB cancelled
        shares = [echo_share(0.5 * near[s:s + RATE] + leak[s:s + RATE], played[s - BEFORE:s + RATE])
                  for s in _windows(near, min(len(near), len(played)))]
        assert shares and max(shares) < THRESHOLD, (room, np.round(shares, 2))


def test_nothing_played_or_too_little_heard_is_no_echo(played):
    heard = played[BEFORE:BEFORE + RATE]
    assert echo_share(heard, np.zeros(BEFORE + RATE, np.float32)) == 0.0
    assert echo_share(heard[:1000], played[:BEFORE + 1000]) == 0.0  # under two segments
    assert echo_share(np.zeros(RATE, np.float32), played[:BEFORE + RATE]) == 0.0


def test_the_detector_keeps_the_last_seconds_fed_frame_by_frame(played):
    path = ROOMS["far"]
    echo = path.echo(played)
    detector = DoubleTalkDetector(history_s=1.5)
    end = 6 * RATE
    for i in range(0, end, 160):
        detector.push(echo[i:i + 160], played[i:i + 160])
    direct = echo_share(echo[end - RATE:end], played[end - RATE - BEFORE:end])
    assert detector.echo_share(RATE) == pytest.approx(direct, abs=1e-6) and direct > 0.8
    assert detector.echo_share(10 * RATE) == pytest.approx(  # no more than it keeps
        echo_share(echo[end - 24_000:end], played[end - 24_000 - BEFORE:end]), abs=1e-6)
