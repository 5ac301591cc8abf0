"""Measure echo cancellers on a simulated speaker-to-mic path carrying real speech.

The far end is the host's own piper voice (played at piper's 22.05 kHz), the echo is that
voice through a synthetic room (direct path + exponentially decaying diffuse tail), delayed
and attenuated, plus a noise floor; a human recording talks over it in one double-talk
segment. Printed per library and path: ERLE in far-end-only time after convergence, how much
of the near-end talker survives double-talk, and CPU seconds per second of audio.

    .venv/bin/python scripts/measure_echo.py            # every library that imports
    .venv/bin/python scripts/measure_echo.py --only livehost   # the EchoCanceller end to end
    .venv/bin/python scripts/measure_echo.py --pulse    # ... on a real PulseAudio path

The libraries compared (pip): livekit, pywebrtc-audio, speexdsp-aec, speexdsp (built against
libspeexdsp-dev with swig), pyaec, webrtc-audio-processing (a source build, 8 minutes). The
simulation and the PulseAudio path are shared with tests/listen/test_echo.py.
"""

from __future__ import annotations

import argparse
import math
import os
import queue
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import soundfile as sf
import soxr

RATE = 16_000
FRAME = RATE // 100
REPO = Path(__file__).resolve().parent.parent
SPEECH = REPO.parent / "shared" / "data" / "speech"
NEAR_TALKER = "en_male_librispeech-1272-128104-0000.flac"

FAR_TEXT = (
    "Welcome back to the stream, everyone. Today we are going to talk about how sound "
    "travels around a room, and why a microphone hears the speakers next to it. "
    "Thanks for all the questions in chat so far, I will get to every one of them. "
    "First, a quick look at what happened last week, because a few of you missed it. "
    "We tried three different setups, and only one of them survived the whole evening. "
    "So tonight, let's keep it simple, and see how far we can get before the break."
)


@dataclass(frozen=True, slots=True)
class EchoPath:
    """Loudspeaker to microphone: ``delay_ms`` of travel and buffering, a room whose diffuse
    tail decays 60 dB in ``rt60_ms``, the echo ``gain_db`` below what was played, and a
    white noise floor at ``noise_dbfs``. ``drive`` > 0 soft-clips the loudspeaker (tanh)."""

    delay_ms: float = 60.0
    rt60_ms: float = 200.0
    gain_db: float = -6.0
    noise_dbfs: float = -65.0
    drive: float = 0.0
    seed: int = 0

    def rir(self) -> np.ndarray:
        rng = np.random.default_rng(self.seed)
        n = int(RATE * self.rt60_ms / 1000)
        t = np.arange(n) / RATE
        tail = rng.standard_normal(n) * 10 ** (-3 * t / (self.rt60_ms / 1000))
        tail[: int(0.003 * RATE)] = 0.0  # the first reflection comes a few ms after the direct
        rir = 0.35 * tail / np.sqrt(np.sum(tail**2))  # diffuse energy ~ -9 dB of the direct
        rir[0] = 1.0
        lead = np.zeros(int(RATE * self.delay_ms / 1000))
        return np.concatenate([lead, rir]) * 10 ** (self.gain_db / 20)

    def echo(self, played: np.ndarray) -> np.ndarray:
        """What the microphone hears of ``played`` (16 kHz float), same length."""
        x = np.tanh(self.drive * played) / self.drive if self.drive > 0 else played
        from scipy.signal import fftconvolve

        return fftconvolve(x, self.rir())[: len(played)].astype(np.float32)

    def noise(self, n: int) -> np.ndarray:
        rng = np.random.default_rng(self.seed + 1)
        return (rng.standard_normal(n) * 10 ** (self.noise_dbfs / 20)).astype(np.float32)


@dataclass(frozen=True, slots=True)
class Scene:
    """One recording session: ``far`` is what the channel played at ``far_rate``; ``mic`` is
    16 kHz echo + noise + ``near`` (the clean near-end talker, zero outside ``talk``)."""

    far: np.ndarray
    far_rate: int
    far16: np.ndarray
    near: np.ndarray
    mic: np.ndarray
    talk: slice

    def far_only(self, settle_s: float = 3.0, recover_s: float = 0.5) -> np.ndarray:
        """Mask of far-end-only samples, leaving out the first ``settle_s`` (convergence) and
        ``recover_s`` after double-talk."""
        mask = np.zeros(len(self.mic), bool)
        mask[int(settle_s * RATE) : self.talk.start] = True
        mask[self.talk.stop + int(recover_s * RATE) :] = True
        return mask


def make_scene(far: np.ndarray, far_rate: int, near: np.ndarray, path: EchoPath,
               talk_at_s: float, near_gain_db: float = -6.0) -> Scene:
    far16 = soxr.resample(far, far_rate, RATE).astype(np.float32)
    start = int(talk_at_s * RATE)
    stop = min(len(far16), start + len(near))
    talker = np.zeros_like(far16)
    talker[start:stop] = near[: stop - start] * 10 ** (near_gain_db / 20)
    mic = path.echo(far16) + path.noise(len(far16)) + talker
    return Scene(far, far_rate, far16, talker, np.clip(mic, -1, 1), slice(start, stop))


@lru_cache(maxsize=8)
def host_voice(seed: int = 0) -> tuple[np.ndarray, int]:
    """About 28 s of the host's stock piper voice, at piper's own rate. Piper draws its
    prosody's noise at random, so each ``seed`` is one reproducible reading of the text: the
    canceller's double-talk figures vary by a few hundredths between readings."""
    import onnxruntime

    from livehost import models
    from livehost.voice.piper_engine import PiperEngine

    onnxruntime.set_seed(seed)
    engine = PiperEngine(models.resolve("piper-joe").path)
    chunks = list(engine.synthesize(FAR_TEXT))
    pcm = np.concatenate([c.pcm for c in chunks]) * 0.5  # played at -6 dBFS peak
    return pcm.astype(np.float32), chunks[0].sample_rate


def recording(name: str) -> np.ndarray:
    path = SPEECH / name
    if not path.is_file():
        raise FileNotFoundError(f"speech recording missing: {path} (the shared data folder "
                                "beside the repo)")
    pcm, rate = sf.read(path, dtype="float32", always_2d=True)
    pcm = pcm.mean(axis=1)
    pcm = soxr.resample(pcm, rate, RATE) if rate != RATE else pcm
    return (pcm * (0.5 / np.max(np.abs(pcm)))).astype(np.float32)


def erle_db(mic: np.ndarray, out: np.ndarray, mask: np.ndarray) -> float:
    """Echo return loss enhancement: power removed from the mic where only echo was there."""
    return float(10 * np.log10(np.sum(mic[mask] ** 2) / max(np.sum(out[mask] ** 2), 1e-20)))


def preservation(out: np.ndarray, near: np.ndarray, region: slice) -> tuple[float, float]:
    """(correlation, SNR dB) of the output's short-time magnitude spectrum against the clean
    near-end talker's, over ``region``, 150 Hz - 7 kHz. Magnitudes, because what listens next
    (VAD, speech recognition) ignores phase, and WebRTC's cancellers add a high-pass filter and
    8 ms of latency (the best lag up to 16 ms is taken); SNR counts all that is not a scaled
    copy of the talker's spectrum (echo left, suppression, distortion) as noise; ``region``
    ends where ``out`` does."""
    lags = range(0, 257, 32)
    region = slice(region.start, min(region.stop, len(out) - lags[-1]))
    b = _magnitudes(near[region])
    best = (-1.0, -math.inf)
    for lag in lags:
        a = _magnitudes(out[region.start + lag : region.stop + lag])
        corr = float(np.corrcoef(a.ravel(), b.ravel())[0, 1])
        scale = np.sum(a * b) / np.sum(b * b)
        err = np.sum((a - scale * b) ** 2)
        best = max(best, (corr, float(10 * np.log10(np.sum((scale * b) ** 2) / max(err, 1e-20)))))
    return best


def _magnitudes(x: np.ndarray) -> np.ndarray:
    from scipy.signal import stft

    freqs, _, spec = stft(x, RATE, nperseg=512, noverlap=256)
    return np.abs(spec[(freqs >= 150) & (freqs <= 7000)])


# --- Candidates: each gets aligned 10 ms int16 frames (mic, what was played at that time). ---

Canceller = Callable[[np.ndarray, np.ndarray], np.ndarray]


def _livekit() -> Canceller:
    from livekit import rtc

    apm = rtc.AudioProcessingModule(echo_cancellation=True, high_pass_filter=True)
    apm.set_stream_delay_ms(0)

    def run(mic: np.ndarray, far: np.ndarray) -> np.ndarray:
        ref = rtc.AudioFrame(far.tobytes(), RATE, 1, FRAME)
        apm.process_reverse_stream(ref)
        frame = rtc.AudioFrame(mic.tobytes(), RATE, 1, FRAME)
        apm.process_stream(frame)
        return np.frombuffer(frame.data, np.int16).copy()

    return run


def _pywebrtc() -> Canceller:
    from pywebrtc_audio import AudioProcessor

    ap = AudioProcessor(sample_rate=RATE, echo_cancellation=True, stream_delay_ms=0)
    return lambda mic, far: ap.process(mic, far)


def _speexdsp_aec() -> Canceller:
    from speexdsp_aec import SpeexAec

    aec = SpeexAec(sample_rate=RATE, frame_ms=10, filter_tail_ms=400)
    return lambda mic, far: np.frombuffer(aec.process(mic, far), np.int16)


def _speexdsp() -> Canceller:
    from speexdsp import EchoCanceller

    ec = EchoCanceller.create(FRAME, RATE * 4 // 10, RATE)
    return lambda mic, far: np.frombuffer(ec.process(mic.tobytes(), far.tobytes()), np.int16)


def _pyaec() -> Canceller:
    from pyaec import Aec

    aec = Aec(FRAME, RATE * 4 // 10, RATE, False)
    return lambda mic, far: np.asarray(aec.cancel_echo(mic.tolist(), far.tolist()), np.int16)


def _webrtc_legacy() -> Canceller:
    import webrtc_audio_processing as wap

    ap = wap.AP(aec_type=2)  # the full AEC2 (1 is the mobile AECM)
    ap.set_stream_format(RATE, 1)
    ap.set_reverse_stream_format(RATE, 1)

    def run(mic: np.ndarray, far: np.ndarray) -> np.ndarray:
        ap.process_reverse_stream(far.tobytes())
        return np.frombuffer(ap.process_stream(mic.tobytes()), np.int16)

    return run


CANDIDATES: dict[str, tuple[Callable[[], Canceller], str]] = {
    "livekit": (_livekit, "Apache-2.0 (WebRTC AEC3: BSD-3-Clause)"),
    "pywebrtc-audio": (_pywebrtc, "Apache-2.0 (WebRTC AEC3: BSD-3-Clause)"),
    "speexdsp-aec": (_speexdsp_aec, "'Proprietary' in its metadata (libspeexdsp: BSD-3-Clause)"),
    "speexdsp": (_speexdsp, "BSD (libspeexdsp: BSD-3-Clause)"),
    "pyaec": (_pyaec, "none declared (a Rust port of speexdsp)"),
    "webrtc-audio-processing": (_webrtc_legacy, "BSD-3-Clause (WebRTC 2016, AEC2)"),
}


def to_int16(x: np.ndarray) -> np.ndarray:
    return (np.clip(x, -1, 1) * 32767).astype(np.int16)


def run_frames(canceller: Canceller, scene: Scene) -> tuple[np.ndarray, float]:
    """Cleaned mic (float) and CPU seconds it took."""
    mic, far = to_int16(scene.mic), to_int16(scene.far16)
    n = len(mic) // FRAME * FRAME
    out = np.zeros(len(mic), np.float32)
    start = time.process_time()
    for i in range(0, n, FRAME):
        out[i : i + FRAME] = canceller(mic[i : i + FRAME], far[i : i + FRAME]) / 32768.0
    return out, time.process_time() - start


def run_livehost(scene: Scene, chunk_s: float = 0.0137) -> tuple[np.ndarray, float]:
    """The EchoCanceller as the listener drives it, on a simulated clock: at each step the
    channel hands over the chunk starting to play now (at its own rate) and the listener the
    mic chunk captured since the last step."""
    from livehost.listen.echo import EchoCanceller

    now = [0.0]
    ec = EchoCanceller("speaker", clock=lambda: now[0])
    outs = []
    start = time.process_time()
    for k in range(int(np.ceil(len(scene.mic) / (chunk_s * RATE))) + 1):
        now[0] = k * chunk_s
        ec.played(scene.far[_edge(k, chunk_s, scene.far_rate) : _edge(k + 1, chunk_s,
                                                                      scene.far_rate)],
                  scene.far_rate)
        if k:
            outs.append(ec.process(scene.mic[_edge(k - 1, chunk_s, RATE) : _edge(k, chunk_s,
                                                                                 RATE)]))
    cpu = time.process_time() - start
    out = np.concatenate(outs)[ec.latency :]
    return np.pad(out, (0, len(scene.mic) - len(out))), cpu  # the last moment, unheard yet


def _edge(k: int, chunk_s: float, rate: int) -> int:
    return round(k * chunk_s * rate)


def scenes(paths: list[EchoPath]) -> Iterator[tuple[EchoPath, Scene]]:
    far, far_rate = host_voice()
    near = recording(NEAR_TALKER)
    for path in paths:
        yield path, make_scene(far, far_rate, near, path, talk_at_s=10.0)


@dataclass(frozen=True, slots=True)
class PulsePath:
    """Whatever plays on ``sink`` reaches the ``source`` a microphone reads."""

    sink: str
    source: str


@contextmanager
def pulse_path(folder: Path, latency_ms: int = 60) -> Iterator[PulsePath]:
    """A PulseAudio server of its own (tests/pulse.py) where a loopback carries a "played" null
    sink into a "mic" null sink ``latency_ms`` later: the speaker-to-mic path, minus the room."""
    sys.path.insert(0, str(REPO / "tests"))
    from pulse import pulse_server

    suffix = uuid.uuid4().hex[:8]
    with pulse_server(folder) as pulse:
        sink, mic = f"echo_played_{suffix}", f"echo_mic_{suffix}"
        pulse.null_sink(sink)
        source = pulse.null_sink(mic)
        pulse.pactl("load-module", "module-loopback", f"source={sink}.monitor", f"sink={mic}",
                    f"latency_msec={latency_ms}")
        yield PulsePath(sink, source)


def run_pulse(path: PulsePath, scene: Scene, tick_s: float = 0.04) -> tuple[np.ndarray, np.ndarray]:
    """Play ``scene.far`` through the path as livehost does: a channel thread hands a tick to
    the canceller every 40 ms of its own clock and queues it for the sink, a sounddevice output
    plays the queue on the path's sink, and a sounddevice input reads the path's source in 20 ms
    blocks and a listener-like loop cancels them in 32 ms steps. The near-end talker is added
    to what the mic reads (as another voice in the room would be). Returns (mic, cleaned),
    aligned."""
    import sounddevice as sd

    from livehost.listen.echo import EchoCanceller

    ec = EchoCanceller("speaker")
    tick = round(tick_s * scene.far_rate)
    sink: queue.Queue[np.ndarray] = queue.Queue()
    blocks: queue.Queue[tuple[np.ndarray, float]] = queue.Queue()
    stop = threading.Event()

    def channel() -> None:
        start = time.monotonic()
        for k in range(len(scene.far) // tick):
            if stop.wait(max(0.0, start + k * tick_s - time.monotonic())):
                return
            chunk = scene.far[k * tick : (k + 1) * tick]
            ec.played(chunk, scene.far_rate)
            sink.put(chunk)

    queued = [np.zeros(0, np.float32)]

    def play(outdata, frames, _time, _status) -> None:
        """A live sink: plays what the channel sent; more than 5 ticks behind it (the output
        takes a second or two to start), it skips to the last one."""
        while not sink.empty():
            queued[0] = np.concatenate([queued[0], sink.get_nowait()])
        if len(queued[0]) > 5 * tick:
            queued[0] = queued[0][-tick:]
        take = queued[0][:frames]
        outdata[:, 0] = np.pad(take, (0, frames - len(take)))
        queued[0] = queued[0][frames:]

    mics, outs, heard = [], [], 0
    pending = np.zeros(0, np.float32)
    with _environ(PULSE_SINK=path.sink, PULSE_SOURCE=path.source), \
            sd.InputStream(device="pulse", samplerate=RATE, channels=1, dtype="float32",
                           blocksize=RATE // 50,
                           callback=lambda x, *_: blocks.put((x[:, 0].copy(), time.monotonic()))), \
            sd.OutputStream(device="pulse", samplerate=scene.far_rate, channels=1, dtype="float32",
                            blocksize=tick, latency="high", callback=play):
        player = threading.Thread(target=channel, daemon=True)
        player.start()
        try:
            while heard < len(scene.mic):
                block, at = blocks.get(timeout=5)  # at: when its last sample came, as capture.py
                block = block[: len(scene.mic) - heard] + scene.near[heard : heard + len(block)]
                heard += len(block)
                pending = np.concatenate([pending, block])
                usable = len(pending) - len(pending) % 512  # as the listener's VAD steps
                mics.append(pending[:usable])
                outs.append(ec.process(pending[:usable], at=at - (len(pending) - usable) / RATE))
                pending = pending[usable:]
        finally:
            stop.set()
            player.join()
    mic, out = np.concatenate(mics), np.concatenate(outs)[ec.latency :]
    return mic[: len(out)], out


@contextmanager
def _environ(**values: str) -> Iterator[None]:
    """libpulse reads PULSE_SINK / PULSE_SOURCE as each stream opens."""
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


PATHS = [
    EchoPath(delay_ms=20, rt60_ms=100),
    EchoPath(delay_ms=60, rt60_ms=200),
    EchoPath(delay_ms=120, rt60_ms=300),
    EchoPath(delay_ms=60, rt60_ms=200, gain_db=0.0, drive=2.0),  # loud, clipping speaker
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", help="candidate names, or 'livehost'")
    parser.add_argument("--pulse", action="store_true",
                        help="the EchoCanceller on a real PulseAudio speaker-to-mic path")
    args = parser.parse_args()
    if args.pulse:
        return measure_pulse()
    names = args.only or [*CANDIDATES, "livehost"]
    print(f"{'canceller':24} {'path':28} {'ERLE':>6} {'first3s':>7} {'DTcorr':>6} "
          f"{'DTsnr':>6} {'cpu/s':>7}")
    for path, scene in scenes(PATHS):
        base_corr, base_snr = preservation(scene.mic, scene.near, scene.talk)
        label = f"d{path.delay_ms:.0f} rt{path.rt60_ms:.0f} g{path.gain_db:.0f} c{path.drive:g}"
        print(f"{'(mic, unprocessed)':24} {label:28} {'':>6} {'':>7} {base_corr:6.3f} "
              f"{base_snr:6.1f}")
        for name in names:
            try:
                if name == "livehost":
                    out, cpu = run_livehost(scene)
                else:
                    out, cpu = run_frames(CANDIDATES[name][0](), scene)
            except ImportError as exc:
                print(f"{name:24} not importable: {exc}")
                continue
            erle = erle_db(scene.mic, out, scene.far_only())
            first = np.zeros(len(out), bool)
            first[: 3 * RATE] = True
            corr, snr = preservation(out, scene.near, scene.talk)
            seconds = len(scene.mic) / RATE
            print(f"{name:24} {label:28} {erle:6.1f} {erle_db(scene.mic, out, first):7.1f} "
                  f"{corr:6.3f} {snr:6.1f} {cpu / seconds:7.4f}")
    print("\nlicences:")
    for name in names:
        if name in CANDIDATES:
            print(f"  {name}: {CANDIDATES[name][1]}")


def measure_pulse(seconds: float = 12.0, talk_at_s: float = 7.0, runs: int = 2) -> None:
    far, far_rate = host_voice()
    silent = EchoPath(gain_db=-120.0, noise_dbfs=-200.0)  # the mic hears only the path
    scene = make_scene(far[: int(seconds * far_rate)], far_rate, recording(NEAR_TALKER), silent,
                       talk_at_s)
    for latency_ms in (30, 60, 150):
        for _ in range(runs):
            with tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as folder, \
                    pulse_path(Path(folder), latency_ms) as path:
                mic, out = run_pulse(path, scene)
            erle = erle_db(mic, out, scene.far_only()[: len(out)])
            each = " ".join(f"{e:.0f}" for e in erle_per_second(mic, out))
            kept, raw = (preservation(x, scene.near, scene.talk)[0] for x in (out, mic))
            left, _ = preservation(out, mic - scene.near[: len(mic)], scene.talk)
            print(f"pulse loopback {latency_ms:3d} ms: ERLE {erle:5.1f} dB (each second: {each}), "
                  f"double-talk: talker {kept:.3f} (mic {raw:.3f}), echo {left:.3f}")


def erle_per_second(mic: np.ndarray, out: np.ndarray) -> list[float]:
    return [erle_db(mic[i : i + RATE], out[i : i + RATE], np.ones(RATE, bool))
            for i in range(0, len(out) - RATE + 1, RATE)]


if __name__ == "__main__":
    main()
