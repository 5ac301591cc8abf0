"""``livehost say``: render the persona saying a text into a video file (no LLM)."""

from __future__ import annotations

import argparse
import logging
import re
import sys
from pathlib import Path

from livehost.cli.face import add_background_argument, with_background
from livehost.config import load_settings, parse_size
from livehost.errors import LivehostError

log = logging.getLogger("livehost.say")
CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]")


def register(subparsers) -> None:
    p = subparsers.add_parser("say", help="render the persona saying a text into an MP4")
    p.add_argument("--persona", default="demo", help="persona id or folder (default: demo)")
    text = p.add_mutually_exclusive_group(required=True)
    text.add_argument("--text", help="what to say; *word* marks emphasis")
    text.add_argument("--text-file", type=Path, help="read the text from a UTF-8 file ('-' for stdin)")
    p.add_argument("--out", type=Path, required=True, help="output video (.mp4)")
    p.add_argument("--trace", type=Path, help="also write the per-tick trace (JSON lines)")
    p.add_argument("--fps", type=float, help="frames per second (default 25)")
    p.add_argument("--size", help="WxH or square, 720p, portrait (default 512x512)")
    p.add_argument("--emotion", help="emotion tag for every sentence (default: from the words)")
    p.add_argument("--style", help="motion style (lively, calm, business, friendly, serious, "
                   "or a user-defined one; default: the persona's)")
    p.add_argument("--config", type=Path, help="settings YAML")
    add_background_argument(p)
    add_pattern_argument(p)
    p.set_defaults(func=run)


def add_pattern_argument(p) -> None:
    p.add_argument("--pattern", choices=["sync"],
                   help="sync: instead of the face, a still frame that flashes white for one frame "
                   "every 2 s with a 1 kHz beep from that frame's first sample (to measure A/V sync "
                   "at any receiver)")


def read_text(args) -> str:
    if args.text is not None:
        return args.text
    if str(args.text_file) == "-":
        data = sys.stdin.buffer.read()
        source = "stdin"
    else:
        try:
            data = args.text_file.read_bytes()
        except OSError as exc:
            raise LivehostError(f"cannot read text file {args.text_file}: {exc.strerror}") from None
        source = str(args.text_file)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise LivehostError(f"{source} is not UTF-8 text (byte {exc.start})") from None


def validate_text(text: str, limit: int) -> str:
    if not text.strip():
        raise LivehostError("the text is empty: give something to say")
    if len(text) > limit:
        raise LivehostError(
            f"the text is {len(text)} characters; the limit for one render is {limit} "
            "(split it, or raise max_text_chars in the settings)"
        )
    return text


def warn_if_foreign_script(text: str, language: str) -> None:
    if CJK.search(text) and language.split("-")[0] not in ("zh", "ja", "ko", "yue", "cmn"):
        log.warning(
            "the text has Chinese/Japanese characters but the persona speaks %r: its voice will "
            "spell them out; use a persona with a matching language and voice", language
        )


def run(args: argparse.Namespace) -> int:
    from livehost.brain.sentences import sentences_from_text
    from livehost.channel import Channel
    from livehost.persona import load_persona
    from livehost.sinks.record import RecordSink
    from livehost.sinks.trace import TraceSink
    from livehost.stages import build_stages

    overrides = {"video.fps": args.fps}
    if args.size:
        overrides["video.width"], overrides["video.height"] = parse_size(args.size)
    settings = load_settings(args.config, overrides)
    text = validate_text(read_text(args), settings.max_text_chars)
    if args.out.suffix.lower() not in (".mp4", ".m4v", ".mov"):
        raise LivehostError(f"output {args.out}: use an .mp4 file name")
    persona = with_background(load_persona(args.persona), args.background)
    if args.style:
        from livehost.motion.styles import load_style

        load_style(args.style, persona.folder)  # an unknown style fails here, by name
        persona = persona.model_copy(update={"style": args.style})
    warn_if_foreign_script(text, persona.language)
    sentences = sentences_from_text(text, emotion=args.emotion)
    if not sentences:
        raise LivehostError("the text has no words to say")
    sinks = [RecordSink(args.out)]
    if args.trace is not None:
        sinks.append(TraceSink(args.trace))
    channel = Channel(settings, persona, build_stages(persona, settings), sinks, pattern=args.pattern)
    channel.open()
    ok = False
    try:
        channel.speak(sentences)
        channel.render_until_quiet()
        ok = channel.voice.failures == 0
    finally:
        channel.close(discard=not ok)
    if channel.voice.failures:
        raise LivehostError(
            f"{channel.voice.failures} sentence(s) could not be synthesized (see the log above)"
        )
    if errors := channel.sink_errors():
        raise LivehostError("; ".join(errors))
    print(f"wrote {args.out} ({channel.clock.now:.2f} s, {channel.loop.stats.ticks} frames)", file=sys.stderr)
    return 0
