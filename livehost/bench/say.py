"""``livehost bench say``: the foundation's figures — speech synthesis real-time factor, the
render loop's own cost per tick, and MP4 encoding cost per frame at two sizes."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import numpy as np

from livehost.config import load_settings
from livehost.face.portrait import fit_cover, load_portrait
from livehost.face.static import StaticPortrait
from livehost.loop import RenderLoop
from livehost.media.clock import MediaClock
from livehost.media.frames import AVTick, FaceState, Sentence, Speech
from livehost.media.timeline import SpeechTimeline
from livehost.persona import load_persona
from livehost.sinks.base import StreamSpec
from livehost.sinks.record import RecordSink
from livehost.stages import build_motion
from livehost.voice.engines import create_engine
from livehost.voice.worker import join_chunks

from .common import ms, progress

SENTENCES = [
    "Welcome back to the stream, everyone.",
    "Today we are looking at the new kettle, and it boils a full litre in under three minutes.",
    "Are you sure about that?",
    "Thanks so much for the follow, it really means a lot!",
    "We open at nine tomorrow morning, and the first fifty orders ship for free.",
]


def add_arguments(parser) -> None:
    parser.add_argument("--persona", default="demo")
    parser.add_argument("--frames", type=int, default=100, help="frames per encode measurement")


def bench_synthesis(persona, sample_rate: int) -> dict:
    started = time.perf_counter()
    engine = create_engine(persona.voice, persona)
    load_s = time.perf_counter() - started
    list(engine.synthesize("Warm up."))
    synth_s = audio_s = 0.0
    for text in progress(SENTENCES, "synthesis"):
        started = time.perf_counter()
        speech = join_chunks(Sentence(text), list(engine.synthesize(text)), sample_rate)
        synth_s += time.perf_counter() - started
        audio_s += speech.duration
    return {"voice_load_s": round(load_s, 3), "synthesis_rtf": round(synth_s / audio_s, 4),
            "synthesized_audio_s": round(audio_s, 2)}


def bench_loop(persona, portrait: np.ndarray, settings, seconds: float = 20.0) -> dict:
    """The loop's own cost per tick with the persona's real motion: timeline, motion, tick
    assembly, fan-out. The face renderer is a still frame here; `bench face` times it."""
    clock = MediaClock(settings.audio.sample_rate, settings.video.fps)
    timeline = SpeechTimeline(settings.audio.sample_rate)
    rng = np.random.default_rng(0)
    speech = rng.normal(0, 0.1, int(seconds * clock.sample_rate)).astype(np.float32)
    timeline.push(Speech(Sentence("noise"), speech, clock.sample_rate))
    motion = build_motion(persona, settings)
    loop = RenderLoop(clock, timeline, motion, StaticPortrait(portrait, settings.video.size))
    ticks = int(seconds * float(clock.fps))
    for _ in progress(range(ticks), "render loop"):
        loop.tick()
    return {"loop_ms_per_tick": ms(loop.stats.busy_seconds / ticks)}


def bench_encode(portrait: np.ndarray, size: tuple[int, int], frames: int, fps: float, sample_rate: int) -> float:
    """Milliseconds per frame to encode and mux, measured on the encoder's own calls."""
    base = fit_cover(portrait, (size[0] + 16, size[1] + 16))
    with tempfile.TemporaryDirectory() as tmp:
        sink = RecordSink(Path(tmp) / "bench.mp4")
        spec = StreamSpec(size[0], size[1], MediaClock(sample_rate, fps).fps, sample_rate)
        sink.start(spec)
        samples = int(sample_rate / fps)
        rng = np.random.default_rng(1)
        elapsed = 0.0
        for i in progress(range(frames), f"encode {size[0]}x{size[1]}"):
            # A gently moving picture: a static one would flatter the encoder.
            dx, dy = 8 + round(6 * np.sin(i / 7)), 8 + round(6 * np.cos(i / 9))
            image = np.ascontiguousarray(base[dy : dy + size[1], dx : dx + size[0]])
            audio = rng.normal(0, 0.05, samples).astype(np.float32)
            tick = AVTick(i, i / fps, image, audio, sample_rate, True, FaceState())
            started = time.perf_counter()
            sink.write(tick)
            elapsed += time.perf_counter() - started
        started = time.perf_counter()
        sink.finish(True)
        elapsed += time.perf_counter() - started
    return round(elapsed / frames * 1000.0, 3)


def run(args) -> dict:
    settings = load_settings()
    persona = load_persona(args.persona)
    portrait = load_portrait(persona.portrait_path)
    figures = {"fps": settings.video.fps, "sample_rate": settings.audio.sample_rate}
    figures.update(bench_synthesis(persona, settings.audio.sample_rate))
    figures.update(bench_loop(persona, portrait, settings))
    for key, size in (("encode_ms_per_frame_512", (512, 512)), ("encode_ms_per_frame_720p", (1280, 720))):
        figures[key] = bench_encode(portrait, size, args.frames, settings.video.fps, settings.audio.sample_rate)
    return figures
