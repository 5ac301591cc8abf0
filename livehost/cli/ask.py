"""``livehost ask``: the brain's answer to a question, rendered like ``say`` or printed as JSON."""

from __future__ import annotations

import argparse
import json
import sys
import threading
from dataclasses import asdict
from pathlib import Path

from livehost.cli.say import validate_text
from livehost.config import load_settings, parse_size
from livehost.errors import LivehostError


def register(subparsers) -> None:
    p = subparsers.add_parser("ask", help="ask the persona a question: its spoken answer (MP4) or JSON")
    p.add_argument("--persona", default="demo", help="persona id or folder (default: demo)")
    what = p.add_mutually_exclusive_group(required=True)
    what.add_argument("--text", help="the question")
    what.add_argument("--questions", type=Path, help="a file of questions: one a line, or JSON lines with \"text\"")
    out = p.add_mutually_exclusive_group(required=True)
    out.add_argument("--out", type=Path, help="render the spoken answer into this video (.mp4)")
    out.add_argument("--json", action="store_true", help="print the answer as JSON (no rendering)")
    p.add_argument("--trace", type=Path, help="with --out: also write the per-tick trace")
    p.add_argument("--conversation", action="store_true",
                   help="keep the memory across --questions (default: each in a fresh conversation)")
    p.add_argument("--user", default="viewer", help="who asks (default: viewer)")
    p.add_argument("--llm", help="language model: embedded[:GGUF], openai:URL?model=M&key_env=VAR, "
                   "transformers:PATH (default: the persona's llm section)")
    p.add_argument("--fps", type=float, help="with --out: frames per second")
    p.add_argument("--size", help="with --out: WxH or square, 720p, portrait")
    p.add_argument("--config", type=Path, help="settings YAML")
    p.set_defaults(func=run)


def read_questions(path: Path) -> list[str]:
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()
    except OSError as exc:
        raise LivehostError(f"cannot read questions file {path}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise LivehostError(f"questions file {path} is not UTF-8 text") from None
    questions = []
    for number, line in enumerate(lines, 1):
        line = line.strip()
        if not line:
            continue
        if line.startswith("{"):
            try:
                item = json.loads(line)
            except json.JSONDecodeError as exc:
                raise LivehostError(f"{path}:{number}: not valid JSON ({exc.msg})") from None
            text = item.get("text") if isinstance(item, dict) else None
            if not isinstance(text, str) or not text.strip():
                raise LivehostError(f"{path}:{number}: a JSON line needs a non-empty \"text\"")
            line = text.strip()
        questions.append(line)
    if not questions:
        raise LivehostError(f"questions file {path} has no questions")
    return questions


def reply_record(question: str, reply) -> dict:
    return {
        "question": question,
        "reply": reply.text,
        "sentences": [s.text for s in reply.sentences],
        "source": reply.source.value,
        "reason": reply.reason,
        "timings": {k: None if v is None else round(v, 4) for k, v in asdict(reply.timings).items()},
    }


def run(args: argparse.Namespace) -> int:
    from livehost.brain.build import build_brain, message_from
    from livehost.persona import load_persona

    overrides = {"video.fps": args.fps}
    if args.size:
        overrides["video.width"], overrides["video.height"] = parse_size(args.size)
    settings = load_settings(args.config, overrides)
    questions = [validate_text(args.text, settings.max_text_chars)] if args.text else read_questions(args.questions)
    persona = load_persona(args.persona)
    if args.out is not None:
        return render(args, settings, persona, questions)
    brain = build_brain(persona, args.llm)
    brain.warm_up()
    try:
        for i, question in enumerate(questions):
            if i and not args.conversation:
                brain.forget()
            reply = brain.answer(message_from(question, args.user, i))
            for _ in reply:
                pass
            brain.remember(reply)
            if args.conversation:
                brain.prime()
            print(json.dumps(reply_record(question, reply), ensure_ascii=False), flush=True)
    finally:
        brain.close()
    return 0


def render(args, settings, persona, questions: list[str]) -> int:
    from livehost.brain.build import build_brain, message_from
    from livehost.channel import Channel
    from livehost.sinks.record import RecordSink
    from livehost.sinks.trace import TraceSink
    from livehost.stages import build_stages

    if args.out.suffix.lower() not in (".mp4", ".m4v", ".mov"):
        raise LivehostError(f"output {args.out}: use an .mp4 file name")
    sinks = [RecordSink(args.out)] + ([TraceSink(args.trace)] if args.trace else [])
    channel = Channel(settings, persona, build_stages(persona, settings), sinks)
    brain = build_brain(persona, args.llm, cache=channel.speech_cache)
    brain.warm_up()
    channel.open()
    ok = False
    try:
        for i, question in enumerate(questions):
            if i and not args.conversation:
                brain.forget()
            reply = brain.answer(message_from(question, args.user, i), threading.Event())
            for utterance in reply:
                channel.utter(utterance.sentence, utterance.speech)
            brain.remember(reply)
            print(json.dumps(reply_record(question, reply), ensure_ascii=False), file=sys.stderr)
        channel.render_until_quiet()
        ok = channel.voice.failures == 0
    finally:
        channel.close(discard=not ok)
        brain.close()
    if channel.voice.failures:
        raise LivehostError(f"{channel.voice.failures} sentence(s) could not be synthesized (see the log above)")
    if errors := channel.sink_errors():
        raise LivehostError("; ".join(errors))
    print(f"wrote {args.out} ({channel.clock.now:.2f} s, {channel.loop.stats.ticks} frames)", file=sys.stderr)
    return 0
