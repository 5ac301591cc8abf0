"""Motion styles: named YAML templates of gesture gains, idle rates, filter and limits.

Shipped styles live in ``livehost/motion/styles/``; a user-defined one is ``NAME.yaml`` in the
persona's ``styles/`` folder or in ``./styles``, found first. A style may ``extends:`` another
and list only what differs. Unset fields take the defaults below: they are the "friendly"
style, whose file holds only its description.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal, get_args

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from livehost.errors import LivehostError

from .regions import AffirmGesture, affirm_gesture

SHIPPED = Path(__file__).resolve().parent / "styles"
# Absolute head limits (degrees): a style may narrow them, never widen them.
HARD_LIMITS = {"yaw": 15.0, "pitch": 12.0, "roll": 8.0}
GestureKind = Literal["nod", "question", "exclaim", "settle", "emotion", "affirm"]
GESTURES: tuple[GestureKind, ...] = get_args(GestureKind)
Unit = Annotated[float, Field(ge=0.0, le=1.0)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class OneEuroConfig(_Strict):
    kind: Literal["one_euro"] = "one_euro"
    min_cutoff: Annotated[float, Field(gt=0, le=30)] = 1.2  # Hz at rest: lower = smoother
    beta: Annotated[float, Field(ge=0, le=5)] = 0.05  # how fast the cutoff rises with speed
    d_cutoff: Annotated[float, Field(gt=0, le=30)] = 1.0


class EmaConfig(_Strict):
    kind: Literal["ema"] = "ema"
    time_constant: Annotated[float, Field(gt=0, le=5)] = 0.15  # seconds


class KalmanConfig(_Strict):
    kind: Literal["kalman"] = "kalman"
    process_noise: Annotated[float, Field(gt=0)] = 400.0  # acceleration variance, (deg/s²)²
    measurement_noise: Annotated[float, Field(gt=0)] = 0.25  # deg²


class EdgeConfig(_Strict):
    """For weak devices: move linearly toward the target, ignoring changes below a threshold."""

    kind: Literal["edge"] = "edge"
    threshold: Annotated[float, Field(ge=0, le=5)] = 0.4  # degrees
    speed: Annotated[float, Field(gt=0, le=200)] = 25.0  # degrees per second


class NoFilterConfig(_Strict):
    kind: Literal["none"] = "none"


FilterConfig = Annotated[
    OneEuroConfig | EmaConfig | KalmanConfig | EdgeConfig | NoFilterConfig,
    Field(discriminator="kind"),
]


class GestureConfig(_Strict):
    nod_deg: Annotated[float, Field(ge=0, le=8)] = 3.0  # depth of an emphasis nod at strength 1
    nod_spacing_s: Annotated[float, Field(ge=0.3, le=5)] = 0.5  # closer emphases share a nod
    question_raise_deg: Annotated[float, Field(ge=0, le=8)] = 4.0
    question_brow: Unit = 0.5
    exclaim_brow: Unit = 0.6
    exclaim_nod_deg: Annotated[float, Field(ge=0, le=6)] = 2.5
    affirm_deg: Annotated[float, Field(ge=0, le=6)] = 2.0
    emotion_gain: Annotated[float, Field(ge=0, le=2)] = 1.0
    allowed: tuple[GestureKind, ...] = GESTURES


class ProsodyConfig(_Strict):
    pitch_deg: Annotated[float, Field(ge=0, le=6)] = 1.5  # chin up per unit of raised F0
    yaw_deg: Annotated[float, Field(ge=0, le=8)] = 2.0
    roll_deg: Annotated[float, Field(ge=0, le=6)] = 1.0
    wander_s: Annotated[float, Field(ge=0.3, le=10)] = 1.6  # time scale of the head's drift
    settle_s: Annotated[float, Field(ge=0.2, le=5)] = 1.2  # return to centre after a statement


class IdleConfig(_Strict):
    blinks_per_min: Annotated[float, Field(ge=0, le=40)] = 16.0  # doubles count twice
    double_blink: Unit = 0.12
    blink_s: Annotated[float, Field(ge=0.1, le=0.6)] = 0.22
    listening_blinks: Annotated[float, Field(ge=0, le=2)] = 0.6  # rate factor while listening
    breath_hz: Annotated[float, Field(ge=0.1, le=0.5)] = 0.25
    gaze_range: Unit = 0.3
    gaze_interval_s: tuple[float, float] = (0.8, 3.5)
    sway_deg: Annotated[float, Field(ge=0, le=3)] = 0.6

    @model_validator(mode="after")
    def _interval(self) -> IdleConfig:
        low, high = self.gaze_interval_s
        if not 0.1 <= low <= high <= 30:
            raise ValueError("gaze_interval_s must be [low, high] with 0.1 <= low <= high <= 30")
        return self


class LipSyncConfig(_Strict):
    jaw_gain: Annotated[float, Field(ge=0, le=1.5)] = 1.0
    width_gain: Annotated[float, Field(ge=0, le=1.5)] = 1.0
    loudness_floor: Unit = 0.1  # share of a viseme's opening kept at low loudness


class LimitConfig(_Strict):
    yaw: Annotated[float, Field(gt=0, le=HARD_LIMITS["yaw"])] = HARD_LIMITS["yaw"]
    pitch: Annotated[float, Field(gt=0, le=HARD_LIMITS["pitch"])] = HARD_LIMITS["pitch"]
    roll: Annotated[float, Field(gt=0, le=HARD_LIMITS["roll"])] = HARD_LIMITS["roll"]
    max_velocity: Annotated[float, Field(gt=5, le=200)] = 90.0  # degrees per second


class Style(_Strict):
    name: str
    description: str = ""
    gestures: GestureConfig = GestureConfig()
    prosody: ProsodyConfig = ProsodyConfig()
    idle: IdleConfig = IdleConfig()
    lipsync: LipSyncConfig = LipSyncConfig()
    filter: FilterConfig = OneEuroConfig()
    limits: LimitConfig = LimitConfig()
    # How the head says "yes": a nod means "no" in some regions (see regions.py).
    affirm_gesture: AffirmGesture = "nod"

    def allows(self, gesture: str) -> bool:
        return gesture in self.gestures.allowed


def style_search_path(persona_folder: Path | None = None) -> list[Path]:
    paths = [persona_folder / "styles"] if persona_folder is not None else []
    return [*paths, Path.cwd() / "styles", SHIPPED]


def available_styles(persona_folder: Path | None = None) -> list[str]:
    return _style_names(style_search_path(persona_folder))


def _style_names(search: list[Path]) -> list[str]:
    return sorted({p.stem for d in search if d.is_dir() for p in d.glob("*.yaml")})


def load_style(name: str, persona_folder: Path | None = None, region: str = "") -> Style:
    """The named style, resolved through ``extends``, with the region's way of saying yes;
    one clear error naming the file."""
    raw = _resolve(name, style_search_path(persona_folder), seen=())
    if region:
        raw = {**raw, "affirm_gesture": affirm_gesture(region)}
    try:
        return Style.model_validate({**raw, "name": name})
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"])
        raise LivehostError(f"style {name!r}: {field}: {first['msg']}") from None


def _resolve(name: str, search: list[Path], seen: tuple[str, ...]) -> dict:
    if name in seen:
        raise LivehostError(f"style {name!r} extends itself ({' → '.join((*seen, name))})")
    file = next((d / f"{name}.yaml" for d in search if (d / f"{name}.yaml").is_file()), None)
    if file is None:
        raise LivehostError(f"no motion style named {name!r} (known: {', '.join(_style_names(search))})")
    try:
        raw = yaml.safe_load(file.read_text(encoding="utf-8")) or {}
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise LivehostError(f"style {file}: cannot read it ({exc})") from None
    if not isinstance(raw, dict):
        raise LivehostError(f"style {file}: expected a mapping of fields")
    parent = raw.pop("extends", None)
    if parent is None:
        return raw
    return _merge(_resolve(str(parent), search, (*seen, name)), raw)


def _merge(base: dict, over: dict) -> dict:
    merged = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict) and key != "filter":
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value  # a filter is replaced whole: its fields depend on its kind
    return merged
