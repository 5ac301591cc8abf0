"""``livehost bench motion``: motion's cost per tick, lip-sync lag and correlation (commanded
jaw, and the mouth re-measured on rendered frames, against the audio's loudness), and the
smoothness of the filtered vs unfiltered head."""

from __future__ import annotations

import time

import numpy as np

from .common import progress

TEXT = (
    "Welcome back to the stream, everyone! Today we are looking at the *new* kettle, and it "
    "boils a full litre in under *three* minutes. Are you *sure* about that? Unfortunately "
    "the blue one is sold out. We open at *nine* tomorrow morning, and the first fifty orders "
    "ship for free."
)
MAX_LAG_S = 0.2  # lip-sync lags searched: ±200 ms


def add_arguments(parser) -> None:
    parser.add_argument("--persona", default="demo")
    parser.add_argument("--style", help="motion style (default: the persona's)")
    parser.add_argument("--render-seconds", type=float, default=8.0,
                        help="seconds of rendered frames to re-measure the mouth on (0: skip)")
    parser.add_argument("--plot", help="also draw the tracks into this PNG")


class _TimedMotion:
    """Wraps a motion and counts the time spent inside it."""

    def __init__(self, motion) -> None:
        self.motion, self.seconds, self.speech_calls = motion, 0.0, []

    def on_speech(self, scheduled) -> None:
        started = time.perf_counter()
        self.motion.on_speech(scheduled)
        elapsed = time.perf_counter() - started
        self.seconds += elapsed
        self.speech_calls.append(elapsed)

    def on_interrupt(self, t: float) -> None:
        self.motion.on_interrupt(t)

    def state_at(self, t, audio, speaking):
        started = time.perf_counter()
        face = self.motion.state_at(t, audio, speaking)
        self.seconds += time.perf_counter() - started
        return face


def _speeches(persona, sample_rate: int):
    from livehost.brain.sentences import sentences_from_text
    from livehost.voice.engines import create_engine
    from livehost.voice.worker import join_chunks

    engine = create_engine(persona.voice, persona)
    return [join_chunks(s, list(engine.synthesize(s.text)), sample_rate)
            for s in progress(sentences_from_text(TEXT), "synthesis")]


def _play(speeches, motion, settings, tail_s: float = 1.0):
    """Every tick of the speeches played back to back through the real render loop."""
    from livehost.face.static import StaticPortrait
    from livehost.loop import RenderLoop
    from livehost.media.clock import MediaClock
    from livehost.media.timeline import SpeechTimeline

    clock = MediaClock(settings.audio.sample_rate, settings.video.fps)
    timeline = SpeechTimeline(settings.audio.sample_rate)
    for speech in speeches:
        timeline.push(speech)
    timed = _TimedMotion(motion)
    loop = RenderLoop(clock, timeline, timed, StaticPortrait(np.zeros((16, 16, 3), np.uint8), (16, 16)))
    seconds = sum(s.duration for s in speeches) + tail_s
    ticks = [loop.tick() for _ in progress(range(int(seconds * float(clock.fps))), "motion")]
    return ticks, timed


def best_lag(signal: np.ndarray, reference: np.ndarray, fps: float) -> tuple[float, float]:
    """(correlation, lag in ms) at the lag that best aligns ``signal`` with ``reference``;
    lag > 0: the signal comes after the reference. Refined between ticks by a parabola."""
    max_k = max(1, int(MAX_LAG_S * fps))
    lags = np.arange(-max_k, max_k + 1)
    corr = np.array([_corr_at(signal, reference, int(k)) for k in lags])
    i = int(np.nanargmax(corr))
    offset = 0.0
    if 0 < i < len(corr) - 1:
        a, b, c = corr[i - 1], corr[i], corr[i + 1]
        denominator = a - 2 * b + c
        offset = 0.5 * (a - c) / denominator if denominator < 0 else 0.0
    return float(corr[i]), float((lags[i] + offset) * 1000.0 / fps)


def _corr_at(signal: np.ndarray, reference: np.ndarray, k: int) -> float:
    x, y = (signal[k:], reference[: len(reference) - k]) if k >= 0 else (signal[:k], reference[-k:])
    if len(x) < 3 or x.std() == 0 or y.std() == 0:
        return float("nan")
    return float(np.corrcoef(x, y)[0, 1])


def mean_jerk(pose: np.ndarray, dt: float) -> float:
    """Mean magnitude of the third derivative of the head angles, degrees per second³."""
    return float(np.linalg.norm(np.diff(pose, 3, axis=0), axis=1).mean() / dt**3)


def _pose(ticks) -> np.ndarray:
    return np.array([(t.face.pitch, t.face.yaw, t.face.roll) for t in ticks])


def _envelope(ticks) -> np.ndarray:
    from livehost.media.audio import rms

    return np.array([rms(t.audio) for t in ticks])


def _rendered_mouth(persona, settings, ticks, seconds: float) -> dict:
    """Render the faces, find the face mesh on each frame again, and measure how far the
    inner lips are apart (in face heights)."""
    from livehost.face import topology as T
    from livehost.face.landmarks import FaceMesher
    from livehost.stages import build_renderer

    renderer = build_renderer(persona, settings)
    mesher = FaceMesher()
    frames = ticks[: int(seconds * float(settings.video.fps))]
    upper, lower = list(T.LIPS_INNER_UPPER[3:8]), list(T.LIPS_INNER_LOWER[3:8])
    opening, started = [], time.perf_counter()
    for tick in progress(frames, "render + re-measure"):
        image = np.asarray(renderer.render(tick.face))
        faces = mesher.detect(image)
        if not faces:
            opening.append(np.nan)
            continue
        mesh, _ = mesher.mesh(image, faces[0])
        height = np.ptp(mesh[list(T.FACE_OVAL), 1])
        opening.append(float(np.mean(mesh[lower, 1] - mesh[upper, 1])) / height)
    opening = np.array(opening)
    found = ~np.isnan(opening)
    opening = np.where(found, opening, np.nanmedian(opening))
    corr, lag = best_lag(opening, _envelope(frames), float(settings.video.fps))
    jaw_corr = float(np.corrcoef(opening, [t.face.jaw for t in frames])[0, 1])
    return {
        "rendered_frames": len(frames),
        "rendered_face_found": round(float(found.mean()), 3),
        "rendered_mouth_corr": round(corr, 3),
        "rendered_mouth_lag_ms": round(lag, 1),
        "rendered_mouth_vs_jaw_corr": round(jaw_corr, 3),
        "render_and_measure_ms_per_frame": round((time.perf_counter() - started) / len(frames) * 1000, 2),
    }


def run(args) -> dict:
    from livehost.config import load_settings
    from livehost.motion.expressive import ExpressiveMotion
    from livehost.motion.styles import NoFilterConfig, load_style
    from livehost.persona import load_persona

    settings = load_settings()
    persona = load_persona(args.persona)
    style = load_style(args.style or persona.style, persona.folder, region=persona.region)
    fps = float(settings.video.fps)
    speeches = _speeches(persona, settings.audio.sample_rate)

    ticks, timed = _play(speeches, ExpressiveMotion(style, fps, seed=1), settings)
    raw_ticks, _ = _play(speeches, ExpressiveMotion(style.model_copy(update={"filter": NoFilterConfig()}), fps, seed=1), settings)
    envelope, jaw = _envelope(ticks), np.array([t.face.jaw for t in ticks])
    corr, lag = best_lag(jaw, envelope, fps)
    dt = 1.0 / fps
    jerk, raw_jerk = mean_jerk(_pose(ticks), dt), mean_jerk(_pose(raw_ticks), dt)
    figures = {
        "style": style.name,
        "filter": style.filter.kind,
        "fps": fps,
        "speech_s": round(sum(s.duration for s in speeches), 2),
        "ticks": len(ticks),
        "ms_per_tick": round(timed.seconds / len(ticks) * 1000.0, 4),
        "on_speech_ms_max": round(max(timed.speech_calls) * 1000.0, 3),
        "jaw_envelope_corr": round(corr, 3),
        "jaw_envelope_lag_ms": round(lag, 1),
        "jaw_envelope_corr_at_0": round(_corr_at(jaw, envelope, 0), 3),
        "head_jerk_filtered": round(jerk, 1),
        "head_jerk_unfiltered": round(raw_jerk, 1),
        "head_jerk_ratio": round(jerk / raw_jerk, 3),
    }
    if args.render_seconds > 0:
        figures.update(_rendered_mouth(persona, settings, ticks, args.render_seconds))
    if args.plot:
        from .motion_plot import plot_tracks

        plot_tracks(args.plot, ticks, raw_ticks, envelope)
    return figures
