"""``livehost bench face``: the face's figures — render cost per frame on one core at
512x512 and 1280x720 (and at 512x512 on a green screen: the background replaced),
enrollment time, and per portrait the dlib identity distance between
the photo and frames at the pose extremes (≤ 0.35 is the target) and the control figures
(landmarks re-detected on frames at 512x512 and 1080x1920: jaw and yaw correlations, the
blink's eye-aspect-ratio drop)."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from livehost.errors import LivehostError
from livehost.face.background import Background
from livehost.face.enroll import rig_from_image
from livehost.face.landmarks import FaceMesher
from livehost.face.portrait import load_portrait
from livehost.face.quality import Identity, control
from livehost.face.renderer import RigRenderer
from livehost.media.frames import FaceState

from .common import ms, progress, single_core

EXTREMES = {"yaw+15": FaceState(yaw=15), "yaw-15": FaceState(yaw=-15), "pitch+10": FaceState(pitch=10),
            "pitch-10": FaceState(pitch=-10), "roll+8": FaceState(roll=8), "roll-8": FaceState(roll=-8),
            "jaw1": FaceState(jaw=1.0), "neutral": FaceState()}
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp", ".bmp", ".tif", ".tiff"}


def add_arguments(parser) -> None:
    parser.add_argument("--portraits", type=Path, help="folder of portraits (default: the demo persona's)")
    parser.add_argument("--frames", type=int, default=200, help="frames per timing")
    parser.add_argument("--plot", type=Path, help="also write a PNG plot of the figures")


def _portraits(folder: Path | None) -> list[Path]:
    if folder is None:
        from livehost.persona import load_persona

        return [load_persona("demo").portrait_path]
    found = sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
    if not found:
        raise LivehostError(f"no images in {folder}")
    return found


def _speech_like(frames: int) -> list[FaceState]:
    """Every frame different (no cache hit), with talking-range values."""
    t = np.arange(frames) / 25.0
    return [FaceState(jaw=0.3 + 0.3 * np.sin(9 * x), mouth_w=0.3 + 0.2 * np.sin(5 * x), smile=0.2,
                      blink_l=max(0.0, np.sin(2 * x)) ** 8, blink_r=max(0.0, np.sin(2 * x)) ** 8,
                      brow=0.3 * np.sin(x), gaze_x=0.3 * np.sin(0.7 * x), pitch=4 * np.sin(1.3 * x),
                      yaw=8 * np.sin(0.9 * x), roll=3 * np.sin(0.5 * x), breath=np.sin(1.6 * x)) for x in t]


def _ms_per_frame(renderer: RigRenderer, states: list[FaceState], label: str) -> float:
    renderer.render(states[-1])
    times = np.empty(len(states))
    for i, state in enumerate(progress(states, label)):
        started = time.perf_counter()
        renderer.render(state)
        times[i] = time.perf_counter() - started
    return ms(np.median(times))


def run(args) -> dict:
    paths = _portraits(args.portraits)
    identity = Identity()
    states = _speech_like(args.frames)
    figures: dict = {"portraits": {}}
    with single_core():
        for path in paths:
            started = time.perf_counter()  # from the file, models loaded cold, to the rig
            portrait = load_portrait(path)
            mesher = FaceMesher()
            rig = rig_from_image(portrait, path, mesher, lambda _: None)
            enroll_s = time.perf_counter() - started
            renderers = {key: RigRenderer(portrait, rig, size, background) for key, size, background in (
                ("512", (512, 512), Background()), ("720p", (1280, 720), Background()),
                ("512_green", (512, 512), Background(colour=(0, 255, 0))))}
            entry = {"enroll_s": round(enroll_s, 3)}
            for key, renderer in renderers.items():
                entry[f"ms_per_frame_{key}"] = _ms_per_frame(renderer, states, f"{path.name} {key}")
            reference = identity.descriptor(portrait)
            entry["identity"] = {
                name: round(float(np.linalg.norm(identity.descriptor(np.asarray(renderers["512"].render(s))) - reference)), 3)
                for name, s in progress(EXTREMES.items(), f"{path.name} identity", total=len(EXTREMES))
            }
            entry["identity_worst"] = max(entry["identity"].values())
            entry["control"] = {"512": control(renderers["512"].render, mesher),
                                "1080x1920": control(RigRenderer(portrait, rig, (1080, 1920)).render, mesher)}
            figures["portraits"][path.name] = entry
    per = list(figures["portraits"].values())
    for key in ("ms_per_frame_512", "ms_per_frame_720p", "ms_per_frame_512_green", "enroll_s"):
        figures[key] = round(float(np.median([p[key] for p in per])), 3)
    figures["identity_worst"] = max(p["identity_worst"] for p in per)
    for key in ("jaw_corr", "yaw_corr", "blink_ear_drop"):  # the worst over portraits and sizes
        figures[f"{key}_min"] = min(c[key] for p in per for c in p["control"].values())
    if args.plot:
        _plot(figures, args.plot)
    return figures


def _plot(figures: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
    names = list(figures["portraits"])
    for name in names:
        ident = figures["portraits"][name]["identity"]
        right.plot(list(ident), list(ident.values()), marker="o", label=name)
    right.axhline(0.35, color="red", linestyle="--", label="target")
    right.set_ylabel("dlib distance to the photo")
    right.tick_params(axis="x", rotation=45)
    right.legend(fontsize=7)
    bars = {"512x512": figures["ms_per_frame_512"], "1280x720": figures["ms_per_frame_720p"]}
    left.bar(list(bars), list(bars.values()), color=["tab:blue", "tab:orange"])
    for x, target in enumerate((8, 20)):
        left.hlines(target, x - 0.4, x + 0.4, colors="red", linestyles="--")
    left.set_ylabel("ms per frame, one core (median)")
    fig.suptitle(f"livehost face — enroll {figures['enroll_s']} s")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
