"""Sink specs from the command line or a config file (``record:FILE.mp4``, ...) to sinks."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from livehost.errors import LivehostError

from .base import Sink

DEFAULT_SINKS = ("webrtc",)  # the viewer page: nothing grows on disk in a 24/7 run
AVAILABLE = ("record:FILE.mp4", "rtmp://HOST/APP/KEY", "srt://HOST:PORT?mode=listener", "virtualmic[:NAME]",
             "virtualcam[:DEVICE]", "webrtc")


def parse_sinks(specs: Iterable[str]) -> list[Sink]:
    """The live sinks for ``specs``; a virtual camera beside a virtual microphone follows the
    microphone's latency, so a call gets face and voice together."""
    sinks = [parse_sink(spec) for spec in specs]
    mic = next((sink for sink in sinks if sink.name == "virtualmic"), None)
    if mic is not None:
        for cam in (sink for sink in sinks if sink.name == "virtualcam"):
            cam.follow(lambda: mic.latency_s)
    return sinks


def parse_sink(spec: str, live: bool = True) -> Sink:
    """A sink for ``spec``; live sinks drop their own frames when they fall behind."""
    from .record import RecordSink

    kind, _, rest = spec.partition(":")
    if kind == "record":
        if not rest:
            raise LivehostError(f"sink {spec!r}: give a file, e.g. record:show.mp4")
        path = Path(rest).expanduser()
        if path.suffix.lower() not in (".mp4", ".m4v", ".mov"):
            raise LivehostError(f"sink {spec!r}: record to an .mp4 file")
        return RecordSink(path, overflow="drop" if live else "block")
    if kind in ("rtmp", "rtmps"):
        from .rtmp import RtmpSink

        return RtmpSink(spec)
    if kind == "srt":
        from .srt import SrtSink

        return SrtSink(spec)
    if kind == "virtualmic":
        from .virtualmic import VirtualMicSink

        return VirtualMicSink(rest or "LivehostMic")
    if kind == "virtualcam":
        from .virtualcam import VirtualCamSink

        return VirtualCamSink(rest or None)
    if spec == "webrtc" or spec.startswith("webrtc?"):
        from .webrtc import WebRTCSink, parse_webrtc_spec

        return WebRTCSink(parse_webrtc_spec(spec))
    raise LivehostError(f"unknown sink {spec!r}; available: {', '.join(AVAILABLE)}")
