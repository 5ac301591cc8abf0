"""``livehost bench sinks``: the sync-pattern analysis on known signals (fast), then a short
run of the whole bench against its real receivers, its JSON figures checked for sense."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from livehost.bench.sinks.bench import missing
from livehost.bench.sinks.sync import FlashDetector, OnsetDetector, offset_figures, pair_offsets
from livehost.media.clock import MediaClock
from livehost.media.pattern import SyncPattern

SR = 48_000


def pattern_audio(seconds: float, fps: int = 25) -> np.ndarray:
    clock = MediaClock(SR, fps)
    pattern = SyncPattern((64, 64), clock)
    return np.concatenate([pattern.audio(i) for i in range(round(seconds * fps))])


@pytest.mark.parametrize("chunk", [1024, 1920, 7])
def test_beep_onsets_are_found_on_the_sample_whatever_the_chunking(chunk):
    pcm = pattern_audio(7.0)
    detector = OnsetDetector()
    start = 10.0  # a stream's timestamps need not start at 0
    for i in range(0, len(pcm), chunk):
        detector.feed(start + i / SR, pcm[i : i + chunk], SR)
    # the beep is a sine from phase 0: its first sample above 0.1 is 1.6 samples in
    expected = [start + t + 2 / SR for t in (0.0, 2.0, 4.0, 6.0)]
    assert np.allclose(detector.onsets, expected, atol=1.5 / SR), detector.onsets


def test_flashes_are_rising_edges():
    detector = FlashDetector()
    for t, luma in [(0.0, 64), (0.04, 255), (0.08, 250), (0.12, 64), (2.0, 255)]:
        detector.feed(t, luma)
    assert detector.flashes == [0.04, 2.0]


def test_offsets_pair_each_flash_with_its_nearest_beep_within_the_window():
    flashes = [0.0, 2.0, 4.0, 6.0]
    beeps = [0.03, 1.95, 4.6, 6.01, 7.0]
    pairs = pair_offsets(flashes, beeps, 0.5)
    assert [f for f, _ in pairs] == [0.0, 2.0, 6.0]
    assert [o for _, o in pairs] == pytest.approx([0.03, -0.05, 0.01])


def test_drift_is_the_last_windows_median_minus_the_firsts():
    # 10 minutes of flashes every 2 s whose sound slips 1 ms a minute, one outlier
    pairs = [(t, 0.020 + t / 60 * 0.001) for t in np.arange(0, 600, 2.0)]
    pairs[100] = (pairs[100][0], 0.250)
    figures = offset_figures(pairs)
    assert figures["flashes"] == 300 and figures["drift_window_s"] == 60
    assert figures["worst_ms"] == 250.0
    assert figures["first_window_ms"] == pytest.approx(20.5, abs=0.05)
    assert figures["drift_ms"] == pytest.approx(9.0, abs=0.1)
    short = offset_figures(pairs[:10])  # 18 s: windows of a third of the run
    assert short["drift_window_s"] == 6.0
    assert offset_figures([])["median_ms"] is None


@pytest.mark.slow
@pytest.mark.skipif(bool(missing()), reason="; ".join(missing()) or "-")
def test_a_short_bench_reports_every_figure(tmp_path):
    plot = tmp_path / "offsets.png"
    run = subprocess.run(
        [sys.executable, "-m", "livehost", "bench", "sinks", "--json", "--minutes", "0.25", "--sizes", "512x512",
         "--viewers", "1", "--cpu-s", "3", "--plot", str(plot)],
        capture_output=True, text=True, timeout=400, cwd=tmp_path, check=False)
    assert run.returncode == 0, run.stderr[-3000:]
    figures = json.loads(run.stdout)
    assert "bench sinks" in run.stderr and figures["fps"] == 25

    cpu = figures["cpu"]["512x512"]
    assert set(cpu) == {"channel", "record", "rtmp", "srt", "webrtc"}
    for name, used in cpu.items():
        assert 2.0 <= used["media_s"] <= 8.0, (name, used)
        assert 0.0 < used["cpu_s_per_media_s"] < 4.0, (name, used)  # 2 cores at most... and some
    for name in ("record", "rtmp", "srt"):  # an H.264 encoder costs more than the pattern alone
        assert cpu[name]["cpu_s_per_media_s"] > cpu["channel"]["cpu_s_per_media_s"], cpu

    glass = figures["glass_to_glass"]["512x512"]
    assert glass["flashes"] >= 1 and 20.0 < glass["median_ms"] < 1000.0, glass

    offsets = figures["av_offset"]
    for receiver in ("webrtc", "rtmp", "srt"):
        got = offsets[receiver]
        assert got["flashes"] >= 3 and got["fps"] > 15, (receiver, got)
        assert abs(got["median_ms"]) <= 150 and abs(got["worst_ms"]) >= abs(got["median_ms"]), (receiver, got)
        assert got["drift_ms"] is not None
    at_track = offsets["webrtc"]["at_audio_track"]  # the same beeps before Web Audio's buffer
    assert at_track["flashes"] >= 3 and abs(at_track["median_ms"]) <= 150, at_track
    played = offsets["webrtc"]["as_played"]  # ...plus the delay the audio output reports
    assert played["flashes"] == at_track["flashes"] and played["drift_ms"] is not None, played
    assert played["median_ms"] == pytest.approx(at_track["median_ms"] + at_track["output_delay_ms"], abs=0.2), (
        played, at_track)
    for receiver in ("rtmp", "srt"):  # the encoder stamps by counting: exact at a stream reader
        assert abs(offsets[receiver]["median_ms"]) <= 40 and offsets[receiver]["error"] is None, offsets

    reconnect = figures["rtmp_reconnect"]
    assert reconnect["restarts"] >= 1 and 0 < reconnect["live_again_after_s"] < 10, reconnect
    assert reconnect["player_frames_after_s"] is not None and reconnect["player_error"] is None, reconnect

    viewers = figures["webrtc_viewers"]
    run1 = viewers["runs"]["1"]
    assert len(run1["viewer_fps"]) == 1 and run1["viewer_fps"][0] > 10, viewers
    assert len(run1["decoded_fps"]) == 1 and run1["decoded_fps"][0] >= run1["viewer_fps"][0] - 1, viewers
    assert len(run1["sent_fps"]) == 1 and run1["sent_fps"][0] > 10, viewers  # what the host sent it
    assert 0 < run1["cpu_s_per_media_s"] <= run1["machine_busy_cores"] <= os.cpu_count(), run1
    assert viewers["most_viewers_at_25_fps"] in (0, 1)
    assert plot.stat().st_size > 10_000
