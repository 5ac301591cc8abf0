"""Settings: defaults, then a YAML file, then command-line overrides (pydantic-validated)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from livehost.errors import LivehostError

SIZE_PRESETS = {"square": (512, 512), "720p": (1280, 720), "landscape": (1280, 720),
                "1080p": (1920, 1080), "portrait": (1080, 1920), "phone": (1080, 1920)}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class VideoSettings(_Strict):
    fps: Annotated[float, Field(gt=0, le=60)] = 25.0
    width: Annotated[int, Field(ge=64, le=3840)] = 512
    height: Annotated[int, Field(ge=64, le=3840)] = 512

    @field_validator("width", "height")
    @classmethod
    def _even(cls, value: int) -> int:
        if value % 2:
            raise ValueError("must be even (H.264 yuv420p)")
        return value

    @property
    def size(self) -> tuple[int, int]:
        return (self.width, self.height)


class AudioSettings(_Strict):
    sample_rate: int = 48_000

    @field_validator("sample_rate")
    @classmethod
    def _known_rate(cls, value: int) -> int:
        if value not in (16_000, 22_050, 24_000, 32_000, 44_100, 48_000):
            raise ValueError("must be one of 16000, 22050, 24000, 32000, 44100, 48000")
        return value


class HostSettings(_Strict):
    """``livehost run``: everything its flags hold (the flags win). Secrets never go here,
    only the names of the environment variables that hold them."""

    persona: str = "demo"
    chat: list[str] = Field(default_factory=list)  # chat specs: console, twitch:CHANNEL, ...
    sinks: list[str] = Field(default_factory=list)  # sink specs: record:FILE.mp4, ...
    api: Annotated[str, Field(pattern=r"^[^\s:]+:\d{1,5}$")] = "127.0.0.1:8765"
    trace: Path | None = None
    duration: Annotated[float, Field(gt=0)] | None = None
    llm: str | None = None  # as --llm; default: the persona's llm section
    console: bool | None = None  # console chat; default: when stdin is a terminal
    pattern: Literal["sync"] | None = None  # the A/V sync test pattern instead of the face
    queue: dict[str, Any] = Field(default_factory=dict)  # the chat queue's rules (sources.queue.QueueConfig)
    listen: dict[str, Any] | None = None  # the microphone (listen.listener.ListenConfig); None: deaf


class Settings(_Strict):
    video: VideoSettings = VideoSettings()
    audio: AudioSettings = AudioSettings()
    max_text_chars: Annotated[int, Field(ge=100)] = 20_000
    host: HostSettings = HostSettings()


def parse_size(text: str) -> tuple[int, int]:
    """'WxH' or a preset name (square, 720p, portrait, ...)."""
    if text.lower() in SIZE_PRESETS:
        return SIZE_PRESETS[text.lower()]
    try:
        w, h = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise LivehostError(
            f"size {text!r} is not WxH (e.g. 512x512) or one of {', '.join(SIZE_PRESETS)}"
        ) from None
    return w, h


def load_settings(path: Path | None = None, overrides: dict[str, Any] | None = None) -> Settings:
    """``overrides`` uses dotted keys: {"video.fps": 30}."""
    data: dict[str, Any] = {}
    path = path or (Path(os.environ["LIVEHOST_CONFIG"]) if os.environ.get("LIVEHOST_CONFIG") else None)
    if path is not None:
        try:
            data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise LivehostError(f"settings {path}: {exc}") from None
        if not isinstance(data, dict):
            raise LivehostError(f"settings {path}: expected a mapping")
    for key, value in (overrides or {}).items():
        if value is None:
            continue
        node = data
        *parents, leaf = key.split(".")
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = value
    try:
        return Settings.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"])
        where = f"{path}: " if path else ""
        raise LivehostError(f"{where}setting {field}: {first['msg']} (got {first.get('input')!r})") from None
