"""``livehost face``: enroll a persona's portrait, or render a contact sheet of its face."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from livehost.errors import LivehostError


def register(subparsers) -> None:
    p = subparsers.add_parser("face", help="enroll a portrait or preview the animated face")
    sub = p.add_subparsers(dest="face_command", required=True, metavar="ACTION")
    enroll = sub.add_parser("enroll", help="find the face and build (and cache) its rig")
    enroll.add_argument("--persona", default="demo")
    enroll.add_argument("--force", action="store_true", help="rebuild even if a cached rig exists")
    enroll.set_defaults(func=run_enroll)
    preview = sub.add_parser("preview", help="a contact sheet of poses, visemes, blinks and gaze")
    preview.add_argument("--persona", default="demo")
    preview.add_argument("--out", type=Path, required=True, help="PNG file to write")
    preview.add_argument("--size", help="WxH or square, 720p, portrait (default 512x512)")
    add_background_argument(preview)
    preview.set_defaults(func=run_preview)


def add_background_argument(parser) -> None:
    parser.add_argument("--background", help='behind the person: photo, a colour "#rrggbb" '
                        "(#00ff00 for a chroma key) or an image file (default: the persona's)")


def with_background(persona, value: str | None):
    """The persona with ``--background`` in place of its own (an image path is taken
    relative to the current folder)."""
    if value is None:
        return persona
    from livehost.face.background import parse_background

    try:
        background = parse_background(value, Path.cwd())
    except LivehostError as exc:
        raise LivehostError(f"--background: {exc}") from None
    return persona.model_copy(update={"background": background.spec})


def _enroll(args, force: bool = False):
    from livehost.face.enroll import enroll
    from livehost.persona import load_persona

    persona = load_persona(args.persona)
    portrait, rig = enroll(persona.portrait_path, persona.folder / ".cache", force=force)
    return persona, portrait, rig


def run_enroll(args: argparse.Namespace) -> int:
    import time

    started = time.perf_counter()
    persona, _, rig = _enroll(args, force=args.force)
    x0, y0, x1, y1 = rig.face_box
    pitch, yaw, roll = rig.portrait_pose
    print(f"{persona.id}: face {x1 - x0:.0f}x{y1 - y0:.0f} px at ({x0:.0f}, {y0:.0f}); "
          f"head turned {yaw:+.1f}°, tilted {roll:+.1f}° (undone at rest); lips parted "
          f"{100 * rig.mouth_open:.1f}% of the face (closed at rest); "
          f"{len(rig.points)} control points; {time.perf_counter() - started:.2f} s")
    return 0


def run_preview(args: argparse.Namespace) -> int:
    from PIL import Image

    from livehost.config import Settings, parse_size
    from livehost.face.preview import contact_sheet
    from livehost.persona import load_persona
    from livehost.stages import build_renderer

    if args.out.suffix.lower() != ".png":
        raise LivehostError(f"output {args.out}: use a .png file name")
    persona = with_background(load_persona(args.persona), args.background)
    size = parse_size(args.size) if args.size else (512, 512)
    sheet = contact_sheet(build_renderer(persona, Settings(), size))
    try:
        Image.fromarray(sheet).save(args.out)
    except OSError as exc:
        raise LivehostError(f"cannot write {args.out}: {exc.strerror or exc}") from None
    print(f"wrote {args.out}", file=sys.stderr)
    return 0
