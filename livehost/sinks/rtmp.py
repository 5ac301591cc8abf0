"""RTMP push (Twitch, YouTube, Bilibili, Douyin, nginx-rtmp): H.264 CBR + AAC-LC in FLV.

The stream key can stay out of config files and shell history: ``${VAR}`` in the spec is
replaced by the environment variable VAR, e.g. ``rtmp://live.twitch.tv/app/${TWITCH_STREAM_KEY}``
(single-quote it in a shell). The key never appears in logs, errors or status: they show
``rtmp://host/app/****``; ffmpeg gets ``rtmp://host/app`` and the key as ``rtmp_playpath``
(see ffmpeg_push).
"""

from __future__ import annotations

import os
import re
from urllib.parse import urlsplit

from livehost.errors import LivehostError

from .ffmpeg_push import FfmpegPushSink, PushTarget

_ENV = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


def expand_env(spec: str, shown: str) -> tuple[str, tuple[str, ...]]:
    """``spec`` with each ``${VAR}`` replaced; also returns the values (secrets to mask)."""
    values: list[str] = []

    def value(match: re.Match) -> str:
        name = match.group(1)
        if not os.environ.get(name):
            raise LivehostError(f"sink {shown}: environment variable {name} is not set")
        values.append(os.environ[name])
        return os.environ[name]

    return _ENV.sub(value, spec), tuple(values)


def rtmp_target(spec: str) -> PushTarget:
    parts = urlsplit(spec)
    app, _, key = parts.path.lstrip("/").partition("/")
    shown = f"{parts.scheme}://{parts.netloc}/{app}/****"
    if not parts.hostname or not app or not key:
        raise LivehostError(f"sink {shown}: give {parts.scheme}://HOST/APP/KEY")
    url, env_secrets = expand_env(spec, shown)
    expanded = urlsplit(url)
    app, _, path_key = expanded.path.lstrip("/").partition("/")
    secret = path_key + (f"?{expanded.query}" if expanded.query else "")
    # ffmpeg takes the app from an address without a stream name; the name, the key, is the
    # publish path (the query, as Twitch's ?bandwidthtest=true, belongs to it)
    return PushTarget(url=url, shown=shown, muxer="flv", secrets=(secret, key, *env_secrets),
                      address=f"{expanded.scheme}://{expanded.netloc}/{app}",
                      private=(("rtmp_playpath", secret),))


class RtmpSink(FfmpegPushSink):
    def __init__(self, spec: str, **kwargs) -> None:
        super().__init__("rtmp", rtmp_target(spec), **kwargs)
