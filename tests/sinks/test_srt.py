"""SRT push: a listener the way OBS's Media Source reads it (``mode=caller``), read back with
PyAV over real libsrt: frames and the sync pattern's A/V offset, and a second caller after the
first one leaves."""

from __future__ import annotations

import socket
import statistics
import threading
import time

import pytest
from push_probe import SPEC, feed_realtime, free_port, read_srt

from livehost.errors import LivehostError
from livehost.sinks.specs import parse_sink
from livehost.sinks.srt import SrtSink, srt_target


def test_srt_spec_masks_passphrase_and_streamid():
    target = srt_target("srt://127.0.0.1:9000?mode=listener&passphrase=hunter2hunter2&latency=120000&streamid=k3y")
    assert target.muxer == "mpegts"
    assert target.shown == "srt://127.0.0.1:9000?mode=listener&passphrase=****&latency=120000&streamid=****"
    assert "hunter2" not in target.mask(f"failed: {target.url} (hunter2hunter2)")
    assert isinstance(parse_sink("srt://127.0.0.1:9000?mode=listener"), SrtSink)
    with pytest.raises(LivehostError, match=r"give srt://HOST:PORT"):
        srt_target("srt://127.0.0.1?mode=listener")
    with pytest.raises(LivehostError, match=r"mode must be caller, listener or rendezvous"):
        srt_target("srt://127.0.0.1:9000?mode=server")


def _read_when_listening(port: int, seconds: float):
    """Call the listener until it answers (it starts listening once ffmpeg is up)."""
    deadline = time.monotonic() + 15
    while True:
        got = read_srt(port, seconds)
        if got.frame_times or time.monotonic() > deadline:
            return got
        time.sleep(0.2)


@pytest.mark.slow
def test_srt_listener_serves_callers_in_sync():
    port = free_port(socket.SOCK_DGRAM)
    sink = SrtSink(f"srt://127.0.0.1:{port}?mode=listener")
    sink.open(SPEC)
    stop = threading.Event()
    feeder = threading.Thread(target=feed_realtime, args=(sink, 40.0, stop))
    feeder.start()
    try:
        got = _read_when_listening(port, 6.5)
        assert got.error is None and len(got.frame_times) >= 150, got.error
        offsets = got.av_offsets()
        assert len(offsets) >= 3 and abs(statistics.median(offsets)) <= 0.040, offsets
        second = _read_when_listening(port, 2.5)  # the first caller left: the sink listens again
        assert len(second.frame_times) >= 50 and second.av_offsets()
    finally:
        stop.set()
        feeder.join()
        sink.close()
    assert sink.restarts >= 1 and sink.stats.error is None
    print(f"SRT: median A/V offset {statistics.median(offsets) * 1000:.1f} ms, {sink.stats}, "
          f"{sink.restarts} restarts")


@pytest.mark.slow
def test_close_returns_when_no_caller_ever_came():
    sink = SrtSink(f"srt://127.0.0.1:{free_port(socket.SOCK_DGRAM)}?mode=listener")
    sink.open(SPEC)
    offered = feed_realtime(sink, 1.5)  # ffmpeg waits for a caller; its pipes fill up
    assert sink.state == "connecting" and sink.stats.dropped > 0
    started = time.monotonic()
    sink.close(grace_s=1.0)
    assert time.monotonic() - started < 4.0
    assert sink.stats.written + sink.stats.dropped == offered
    assert "was down at close" in sink.stats.error
