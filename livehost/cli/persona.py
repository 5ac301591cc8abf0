"""``livehost persona check PATH``: validate a persona and the files it names."""

from __future__ import annotations

import argparse


def register(subparsers) -> None:
    p = subparsers.add_parser("persona", help="work with personas")
    sub = p.add_subparsers(dest="persona_command", required=True, metavar="ACTION")
    check = sub.add_parser("check", help="validate a persona (id or folder)")
    check.add_argument("persona", help="persona id or path")
    check.set_defaults(func=run_check)


def run_check(args: argparse.Namespace) -> int:
    from livehost.errors import LivehostError
    from livehost.face.portrait import load_portrait
    from livehost.persona import PERSONA_FILE, load_persona
    from livehost.voice.engines import check_voice

    persona = load_persona(args.persona)
    image = load_portrait(persona.portrait_path)
    try:
        check_voice(persona.voice, persona)
    except LivehostError as exc:
        raise LivehostError(f"{persona.folder / PERSONA_FILE}: {exc}") from None
    print(f"persona {persona.id}: {persona.name} ({persona.language})")
    print(f"  portrait   {persona.portrait_path} ({image.shape[1]}x{image.shape[0]})")
    print(f"  voice      {persona.voice.engine}/{persona.voice.voice} rate {persona.voice.rate} pitch {persona.voice.pitch:+g}")
    print(f"  style      {persona.style}")
    print(f"  knowledge  {len(persona.knowledge)} file(s)")
    print("ok")
    return 0
