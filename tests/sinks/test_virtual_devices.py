"""The virtual microphone through a real PulseAudio server (recorded back from its source), and
the virtual camera through a registered pyvirtualcam backend (v4l2loopback cannot load here)."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import threading
import time
from typing import ClassVar

import numpy as np
import pytest
from pulse import pulse_server
from push_probe import FPS, SIZE, SPEC, SR, feed_realtime

from livehost.errors import LivehostError
from livehost.media.frames import AVTick, FaceState
from livehost.sinks.specs import parse_sink, parse_sinks
from livehost.sinks.virtualcam import VirtualCamSink
from livehost.sinks.virtualmic import VirtualMicSink

needs_pulse = pytest.mark.skipif(shutil.which("pulseaudio") is None or shutil.which("parec") is None,
                                 reason="needs pulseaudio + pulseaudio-utils (apt)")


@pytest.fixture
def pulse(tmp_path):
    with pulse_server(tmp_path) as server:
        yield server.env


def _names(env: dict, kind: str) -> set[str]:
    out = subprocess.run(["pactl", "list", "short", kind], capture_output=True, text=True, env=env,
                         check=False).stdout
    return {line.split("\t")[1] for line in out.splitlines() if "\t" in line}


@contextlib.contextmanager
def _recording(env: dict, source: str):
    """What ``source`` delivers, as (time read, samples) chunks, recorded by parec."""
    recorder = subprocess.Popen(
        ["parec", "-d", source, "--format=s16le", f"--rate={SR}", "--channels=1", "--raw", "--latency-msec=20"],
        stdout=subprocess.PIPE, env=env)
    arrivals: list[tuple[float, np.ndarray]] = []
    reading = threading.Thread(target=lambda: arrivals.extend(
        (time.monotonic(), np.frombuffer(chunk, np.int16)) for chunk in iter(lambda: recorder.stdout.read(960), b"")))
    reading.start()
    try:
        yield arrivals
    finally:
        recorder.terminate()
        reading.join(5)


def _tone_tick(i: int, loud: bool, cut: bool = False) -> AVTick:
    t = np.arange(SR // FPS) / SR
    audio = (0.5 * np.sin(2 * np.pi * 440 * t) if loud else np.zeros_like(t)).astype(np.float32)
    return AVTick(i, i / FPS, np.zeros((SIZE[1], SIZE[0], 3), np.uint8), audio, SR, loud, FaceState(), cut=cut)


def test_virtualmic_without_a_server_says_so(tmp_path, monkeypatch):
    if shutil.which("pactl") is None:
        pytest.skip("needs pulseaudio-utils")
    monkeypatch.setenv("PULSE_RUNTIME_PATH", str(tmp_path / "nobody-here"))
    monkeypatch.setenv("PULSE_SERVER", f"unix:{tmp_path}/nobody-here/native")
    with pytest.raises(LivehostError, match=r"no PulseAudio/PipeWire server is running"):
        VirtualMicSink().open(SPEC)
    with pytest.raises(LivehostError, match=r"use letters, digits"):
        parse_sink("virtualmic:my mic")


@pytest.mark.slow
@needs_pulse
def test_virtualmic_beeps_arrive_on_the_source_with_the_right_period(pulse):
    sink = parse_sink("virtualmic:TestMic")
    assert isinstance(sink, VirtualMicSink)
    sink.open(SPEC)
    assert {"TestMic_out"} <= _names(pulse, "sinks") and "TestMic" in _names(pulse, "sources")
    with _recording(pulse, "TestMic") as arrivals:
        try:
            time.sleep(0.5)  # parec records from its start: the first beep would be cut short
            feed_realtime(sink, 11.0)
            last_flash = time.monotonic() - 1.0  # the flash tick at 10 s was offered 1 s ago
            reported = sink.latency_s  # what a camera beside it follows
            time.sleep(0.5)
            pcm = np.concatenate([chunk for _, chunk in arrivals]).astype(np.float32) / 32768
            heard_until = time.monotonic()
        finally:
            sink.close()
    assert sink.stats.error is None and sink.stats.written + sink.stats.dropped == 11 * FPS
    assert sink.skipped < FPS  # the stream is awake before the first tick: none is lost to its start
    # libpulse-simple's own reading grew a second per second on a null sink (a camera paired
    # with it would have fallen that far behind), and stuck at 80 ms after an underrun
    assert 0.0 <= reported < 0.2, reported
    assert "TestMic" not in _names(pulse, "sources") | _names(pulse, "sinks")  # its modules are gone
    loud = np.flatnonzero(np.abs(pcm) > 0.25)
    onsets = loud[np.insert(np.diff(loud) > SR // 2, 0, True)]
    assert len(onsets) == 6, onsets / SR  # beeps at 0, 2, 4, 6, 8 and 10 s
    periods = np.diff(onsets) / SR
    # within a tick: a loaded CPU can make the stream underrun (silence added) or skip a tick
    assert np.allclose(periods, 2.0, atol=1.1 / FPS), periods
    # heard at: when the recording reached the last beep's onset, in wall time
    latency = (heard_until - (len(pcm) - onsets[-1]) / SR) - last_flash
    assert latency < 0.25, latency  # the stream's 80 ms, the remap source and parec's 20 ms
    beep = pcm[onsets[1] : onsets[1] + SR // 20]
    freq = np.argmax(np.abs(np.fft.rfft(beep))) * SR / len(beep)
    assert abs(freq - 1000) <= 20, freq
    print(f"virtual mic: beep periods {np.round(periods, 4).tolist()} s, {freq:.0f} Hz, "
          f"latency ~{latency * 1000:.0f} ms, {sink.skipped} ticks skipped, {sink.stats}")


@pytest.mark.slow
@needs_pulse
def test_a_cut_tick_silences_the_virtualmic_at_once_not_a_buffer_later(pulse):
    """Barge-in: a tick that cuts the voice drops what the stream still holds. With 0.4 s of
    voice in the buffer, the voice must stop at the source well before that has played."""
    sink = VirtualMicSink("CutMic", latency_ms=400)
    sink.open(SPEC)
    with _recording(pulse, "CutMic") as arrivals:
        time.sleep(0.5)
        for i in range(10):  # 0.4 s of voice at once: the buffer holds it
            sink.offer(_tone_tick(i, loud=True))
        origin = time.monotonic()
        for i in range(10, 60):
            time.sleep(max(0.0, origin + (i - 10) / FPS - time.monotonic()))
            sink.offer(_tone_tick(i, loud=i < 40, cut=i == 40))
            if i == 40:
                cut_at = time.monotonic()
        time.sleep(0.6)
        sink.close()
    assert sink.stats.error is None and sink.flushed == 1
    loud_until = max(t for t, pcm in arrivals if np.abs(pcm).max() > 8000)
    # measured: 0.16 s (what the null sink had already taken); without the flush 0.42 s
    assert loud_until - cut_at < 0.25, loud_until - cut_at
    print(f"virtual mic: voice silent {1000 * (loud_until - cut_at):.0f} ms after the cut, 400 ms in the buffer")


class _TestCamera:
    """A pyvirtualcam backend that keeps what it is sent (v4l2loopback needs a kernel module)."""

    instances: ClassVar[list[_TestCamera]] = []

    def __init__(self, width: int, height: int, fps: float, fourcc, device: str | None = None, **kw) -> None:
        self.size, self.fps, self._device = (width, height), fps, device
        self.frames: list[tuple[float, np.ndarray]] = []
        self.closed = False
        _TestCamera.instances.append(self)

    def device(self) -> str:
        return self._device or "test-camera"

    def native_fourcc(self) -> None:
        return None

    def send(self, frame: np.ndarray) -> None:
        self.frames.append((time.monotonic(), frame.copy()))

    def close(self) -> None:  # pyvirtualcam closes again on garbage collection
        self.closed = True


def test_virtualcam_sends_each_frame_at_size_and_rate():
    import pyvirtualcam

    pyvirtualcam.register_backend("livehost-test", _TestCamera)
    _TestCamera.instances.clear()
    sink = VirtualCamSink("test-camera", backend="livehost-test")
    sink.open(SPEC)
    feed_realtime(sink, 2.0)
    sink.close()
    (camera,) = _TestCamera.instances
    assert sink.stats.written == 2 * FPS and sink.stats.error is None and camera.closed
    assert camera.size == SIZE and camera.fps == FPS
    times = np.array([t for t, _ in camera.frames])
    assert len(times) == 2 * FPS and abs(np.median(np.diff(times)) - 1 / FPS) < 0.005
    first = camera.frames[0][1].reshape(SIZE[1], SIZE[0], 3)  # pyvirtualcam hands backends flat RGB
    assert first.mean() > 200 and camera.frames[1][1].mean() < 100  # the flash, then the still


def test_a_camera_beside_a_microphone_holds_frames_back_by_its_latency():
    import pyvirtualcam

    pyvirtualcam.register_backend("livehost-test", _TestCamera)
    _TestCamera.instances.clear()
    cam, _, mic = parse_sinks(["virtualcam:test-camera", "record:x.mp4", "virtualmic:Mic"])
    assert (cam.name, mic.name) == ("virtualcam", "virtualmic")
    cam.backend = "livehost-test"
    mic.latency_s = 0.085  # about two ticks at 25 fps
    cam.open(SPEC)
    for i in range(10):
        tick = _tone_tick(i, loud=False)
        tick.image[:] = i
        cam.offer(tick)
        time.sleep(0.01)
    cam.close()
    (camera,) = _TestCamera.instances
    assert cam.stats.written == 10 and cam.delay_ticks == 2
    assert [int(frame[0]) for _, frame in camera.frames] == list(range(8))  # the last two still waiting


def test_virtualcam_without_a_device_names_the_module():
    if not os.path.exists("/sys/module/v4l2loopback"):
        with pytest.raises(LivehostError, match=r"modprobe v4l2loopback exclusive_caps=1 card_label=Livehost"):
            parse_sink("virtualcam").open(SPEC)


class _Both:
    def __init__(self, *sinks) -> None:
        self.sinks = sinks

    def offer(self, tick) -> None:
        for sink in self.sinks:
            sink.offer(tick)


@pytest.mark.slow
@needs_pulse
def test_camera_and_microphone_as_a_pair_arrive_together(pulse):
    """Zoom's view: the flash at the camera against the beep at the microphone's source, with
    the camera following the microphone's measured latency."""
    import pyvirtualcam

    pyvirtualcam.register_backend("livehost-test", _TestCamera)
    _TestCamera.instances.clear()
    cam, mic = parse_sinks(["virtualcam:test-camera", "virtualmic:PairMic"])
    cam.backend = "livehost-test"
    mic.open(SPEC)
    cam.open(SPEC)
    with _recording(pulse, "PairMic") as arrivals:
        time.sleep(0.5)
        feed_realtime(_Both(mic, cam), 9.0)
        time.sleep(0.5)
        for sink in (cam, mic):
            sink.close()
    (camera,) = _TestCamera.instances
    assert cam.stats.error is None and mic.stats.error is None
    frames = np.array([t for t, frame in camera.frames if frame.mean() > 200])
    flashes = frames[np.insert(np.diff(frames) > 1.0, 0, True)]
    # each sample's arrival: when its chunk was read, less what followed it in the chunk
    times = np.concatenate([t - (len(pcm) - np.arange(len(pcm))) / SR for t, pcm in arrivals])
    pcm = np.concatenate([pcm for _, pcm in arrivals])
    loud = times[np.abs(pcm) > 8000]
    beeps = loud[np.insert(np.diff(loud) > 1.0, 0, True)]
    assert len(flashes) == len(beeps) == 5, (flashes, beeps)  # at 0, 2, 4, 6 and 8 s
    offsets = beeps - flashes
    assert abs(np.median(offsets)) <= 0.04 and np.abs(offsets).max() <= 0.06, offsets
    print(f"virtual camera + mic: voice after face by {np.round(offsets * 1000).astype(int).tolist()} ms, "
          f"camera {cam.delay_ticks} tick(s) behind, mic latency {mic.latency_s * 1000:.0f} ms")
