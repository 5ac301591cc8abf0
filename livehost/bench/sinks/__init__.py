"""``livehost bench sinks``: every output measured at a real receiver.

CPU per output (the sync pattern into that output alone: record, RTMP into nginx, SRT read by
ffmpeg, WebRTC with one Chromium viewer), WebRTC glass-to-glass, the A/V offset at the
browser, the RTMP reader and the SRT reader over a long run with its drift, RTMP reconnect
after an nginx restart, and WebRTC viewers at 25 fps.

The receivers and servers here (the browser probe, nginx-rtmp, the stream reader, the
offset analysis) are the ones the output tests use."""

from __future__ import annotations

from pathlib import Path


def add_arguments(parser) -> None:
    parser.add_argument("--minutes", type=float, default=10.0,
                        help="length of the A/V offset run at the receivers (default 10)")
    parser.add_argument("--sizes", default="512x512,1280x720", help="frame sizes for the CPU figures")
    parser.add_argument("--viewers", default="1,2,4", help="WebRTC viewer counts to try at 512x512")
    parser.add_argument("--cpu-s", type=float, default=20.0, help="seconds of media per CPU figure")
    parser.add_argument("--plot", type=Path, help="write a PNG of the A/V offset over time per receiver")


def run(args) -> dict:
    from .bench import run_bench

    return run_bench(args)
