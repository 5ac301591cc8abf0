"""``livehost run``: the live host — chat in, the persona answering on every output, until
stopped (SIGINT/SIGTERM finish the sentence playing and close every output cleanly)."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
from pathlib import Path

from livehost.cli.say import add_pattern_argument
from livehost.config import load_settings, parse_size
from livehost.errors import LivehostError

log = logging.getLogger("livehost.run")


def register(subparsers) -> None:
    p = subparsers.add_parser("run", help="host live: answer chat on every output until stopped")
    p.add_argument("--persona", help="persona id or folder (default: demo)")
    p.add_argument("--chat", action="append", metavar="SPEC",
                   help="a chat source: console, twitch:CHANNEL, youtube:VIDEO_ID, bilibili:ROOM, douyin, webhook (the API is always on); repeat for more")
    p.add_argument("--sink", action="append", metavar="SPEC",
                   help="an output: webrtc (the viewer page), record:FILE.mp4, rtmp://HOST/APP/KEY, "
                   "srt://HOST:PORT?mode=listener, virtualcam[:DEVICE], virtualmic[:NAME]; repeat for more "
                   "(default: webrtc)")
    p.add_argument("--mic", nargs="?", const="default", metavar="DEVICE",
                   help="listen and answer by voice: a sounddevice index or name, or a PulseAudio source "
                   "(pactl list sources); no value: the default input")
    p.add_argument("--listen-mode", choices=("headset", "speaker"),
                   help="headset (default): the mic never hears the host; speaker: cancel the host's own voice")
    p.add_argument("--barge-in", metavar="always|never|words:N",
                   help="stop talking when talked over: always (default), never, or after N words")
    p.add_argument("--open", action="store_true", help="open the viewer page in the default browser")
    p.add_argument("--api", metavar="HOST:PORT", help="where the API listens (default 127.0.0.1:8765)")
    p.add_argument("--trace", type=Path, help="write the per-tick trace and live events (JSON lines)")
    p.add_argument("--duration", type=float, metavar="SECONDS", help="stop after this much media time")
    p.add_argument("--llm", help="language model: embedded[:GGUF], openai:URL?model=M&key_env=VAR, transformers:PATH")
    p.add_argument("--no-console", action="store_true", help="do not read chat from stdin")
    add_pattern_argument(p)
    p.add_argument("--fps", type=float, help="frames per second (default 25)")
    p.add_argument("--size", help="WxH or square, 720p, portrait (default 512x512)")
    p.add_argument("--config", type=Path, help="settings YAML (a host: section holds what these flags hold)")
    p.set_defaults(func=run)


def settings_from(args: argparse.Namespace):
    overrides: dict = {"video.fps": args.fps, "host.persona": args.persona, "host.api": args.api,
                       "host.trace": str(args.trace) if args.trace else None, "host.duration": args.duration,
                       "host.llm": args.llm, "host.chat": args.chat, "host.sinks": args.sink,
                       "host.console": False if args.no_console else None, "host.pattern": args.pattern,
                       "host.listen.mic": args.mic, "host.listen.mode": args.listen_mode}
    if args.barge_in:
        mode, _, words = args.barge_in.partition(":")
        overrides["host.listen.barge_in"] = mode
        if words:
            overrides["host.listen.barge_in_words"] = words
    if args.size:
        overrides["video.width"], overrides["video.height"] = parse_size(args.size)
    return load_settings(args.config, overrides)


def listener_from(section: dict | None):
    """The listener for the settings' listen section; None when it is absent (no --mic)."""
    if section is None:
        return None
    from livehost.listen.listener import ListenConfig, Listener

    try:
        config = ListenConfig.model_validate(section)
    except Exception as exc:
        raise LivehostError(f"settings host.listen: {exc}") from None
    if config.mode == "speaker":
        from livehost.listen.echo import EchoCanceller

        EchoCanceller("speaker")  # a missing canceller is said now, not after the model loads
    from livehost.listen.capture import resolve_mic

    try:
        resolve_mic(config.mic)
    except LivehostError as exc:  # perhaps not yet (a call app started later): keep trying
        log.warning("%s; listening for it", exc)
    return Listener(config)


def api_address(text: str) -> tuple[str, int]:
    host, _, port = text.rpartition(":")
    if not 0 <= int(port) <= 65535:
        raise LivehostError(f"api {text!r}: port must be 0..65535")
    return host, int(port)


def run(args: argparse.Namespace) -> int:
    from livehost.brain.build import build_brain
    from livehost.host import LiveHost
    from livehost.persona import load_persona
    from livehost.server import ServerThread, create_app
    from livehost.server.token import resolve_api_token
    from livehost.sinks.specs import DEFAULT_SINKS, parse_sinks
    from livehost.sinks.trace import TraceSink
    from livehost.sources.base import HookSource
    from livehost.sources.queue import QueueConfig
    from livehost.sources.specs import parse_chat
    from livehost.stages import build_stages
    from livehost.voice.cache import persona_speech_cache

    settings = settings_from(args)
    config = settings.host
    persona = load_persona(config.persona)
    host_addr, port = api_address(config.api)
    console = config.console if config.console is not None else sys.stdin.isatty()
    chat_specs = list(config.chat) + (["console"] if console and "console" not in config.chat else [])
    sources = [source for spec in chat_specs if (source := parse_chat(spec)) is not None]
    sinks = parse_sinks(config.sinks or DEFAULT_SINKS)
    try:
        queue_config = QueueConfig.model_validate({"mention_names": [persona.name], **config.queue})
    except Exception as exc:
        raise LivehostError(f"settings host.queue: {exc}") from None
    listener = listener_from(config.listen)
    trace = TraceSink(config.trace, overflow="drop") if config.trace else None
    token, generated = resolve_api_token()
    print(f"livehost: loading {persona.name} ({persona.id})…", file=sys.stderr)
    stages = build_stages(persona, settings)
    cache = persona_speech_cache(persona, stages.engine, settings.audio.sample_rate)
    brain = build_brain(persona, config.llm, cache=cache)
    host = LiveHost(settings, persona, stages, brain, sinks, sources, queue_config, trace, speech_cache=cache,
                    pattern=config.pattern, listener=listener)
    webrtc = next((sink for sink in sinks if sink.name == "webrtc"), None)
    hooks = [source for source in sources if isinstance(source, HookSource)]
    server = ServerThread(create_app(host, token, host.events, webrtc=webrtc, hooks=hooks), host_addr, port)
    server.start()
    print(f"livehost: API on http://{host_addr}:{server.port}  (Authorization: Bearer …)", file=sys.stderr)
    if webrtc is not None:
        print(f"livehost: viewer page on {server.url}/  (OBS: a Browser Source on this URL)", file=sys.stderr)
        if args.open:
            import webbrowser

            webbrowser.open(f"{server.url}/")  # quietly nothing on a machine without a browser
    if generated:
        print(f"livehost: new API token (saved, shown once): {token}", file=sys.stderr)
    for sink in (s for s in sinks if s is not webrtc):
        # push targets print masked (no stream key); recordings print their file
        shown = getattr(sink, "target", None) or getattr(getattr(sink, "output", None), "target", "")
        print(f"livehost: output {sink.name}: {shown}", file=sys.stderr)

    def on_signal(signum, frame):
        print(f"livehost: {signal.Signals(signum).name}: finishing the sentence and closing", file=sys.stderr)
        signal.signal(signum, signal.SIG_DFL)  # a second signal ends it at once
        host.stop()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    try:
        host.run(duration=config.duration)
    finally:
        server.stop()
    errors = host.channel.sink_errors()
    stats = host.channel.loop.stats
    print(f"livehost: stopped after {host.channel.clock.now:.1f} s ({stats.ticks} frames, {stats.late_ticks} late)", file=sys.stderr)
    if errors:
        raise LivehostError("; ".join(errors))
    return 0
