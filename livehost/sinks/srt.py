"""SRT push: MPEG-TS over SRT (ffmpeg's libsrt), e.g. ``srt://127.0.0.1:9000?mode=listener``
for an OBS Media Source that opens ``srt://127.0.0.1:9000?mode=caller``. A listener waits for
its caller (ticks meanwhile are dropped and counted) and listens again when it leaves.
``passphrase`` and ``streamid`` are masked everywhere they could be shown, and reach ffmpeg
as protocol options, not in its address (see ffmpeg_push)."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit

from livehost.errors import LivehostError

from .ffmpeg_push import FfmpegPushSink, PushTarget
from .rtmp import expand_env

_SECRET_PARAMS = ("passphrase", "streamid")


def srt_target(spec: str) -> PushTarget:
    parts = urlsplit(spec)
    params = parse_qsl(parts.query, keep_blank_values=True)
    shown_query = "&".join(f"{k}={'****' if k in _SECRET_PARAMS else v}" for k, v in params)
    shown = f"srt://{parts.netloc}" + (f"?{shown_query}" if shown_query else "")
    if not parts.hostname or parts.port is None:
        raise LivehostError(f"sink {shown}: give srt://HOST:PORT, e.g. srt://127.0.0.1:9000?mode=listener")
    mode = dict(params).get("mode", "caller")
    if mode not in ("caller", "listener", "rendezvous"):
        raise LivehostError(f"sink {shown}: mode must be caller, listener or rendezvous, not {mode!r}")
    url, env_secrets = expand_env(spec, shown)
    expanded = urlsplit(url)
    query = parse_qsl(expanded.query, keep_blank_values=True)
    private = tuple((k, v) for k, v in query if k in _SECRET_PARAMS and v)
    public = urlencode([(k, v) for k, v in query if k not in _SECRET_PARAMS], safe=":/,")
    address = f"srt://{expanded.netloc}" + (f"?{public}" if public else "")
    return PushTarget(url=url, shown=shown, muxer="mpegts", secrets=(*(v for _, v in private), *env_secrets),
                      address=address, private=private, listens=mode == "listener")


class SrtSink(FfmpegPushSink):
    def __init__(self, spec: str, **kwargs) -> None:
        super().__init__("srt", srt_target(spec), **kwargs)
