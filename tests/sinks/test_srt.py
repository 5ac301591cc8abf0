"""SRT push: a listener the way OBS's Media Source reads it (``mode=caller``), read back with
PyAV over real libsrt: frames and the sync pattern's A/V offset, and a second caller after the
first one leaves."""

from __future__ import annotations

import socket
import statistics
import threading
import time

import pytest
from loopback import wait_for
from push_probe import SPEC, feed_realtime, ffmpeg_children, free_port

from livehost.bench.sinks.reader import read_srt
from livehost.errors import LivehostError
from livehost.sinks.ffmpeg_push import EncoderSettings, ffmpeg_command, preset_text
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


def test_passphrase_and_streamid_stay_off_ffmpegs_command_line():
    target = srt_target("srt://127.0.0.1:9000?mode=listener&passphrase=hunter2hunter2&latency=120000&streamid=k3y")
    command = " ".join(ffmpeg_command(target, SPEC, audio_fd=4, settings=EncoderSettings(), preset_fd=5))
    assert "hunter2" not in command and "k3y" not in command
    assert command.endswith("-fpre /dev/fd/5 -f mpegts srt://127.0.0.1:9000?mode=listener&latency=120000")
    assert preset_text(target.private) == b"passphrase=hunter2hunter2\nstreamid=k3y\n"
    with pytest.raises(LivehostError, match="passphrase must not hold a line break"):
        srt_target("srt://127.0.0.1:9000?mode=listener&passphrase=hunter2%0Ahunter2")


@pytest.mark.slow
def test_srt_listener_serves_callers_in_sync():
    port = free_port(socket.SOCK_DGRAM)
    sink = SrtSink(f"srt://127.0.0.1:{port}?mode=listener")
    sink.open(SPEC)
    stop = threading.Event()
    feeder = threading.Thread(target=feed_realtime, args=(sink, 40.0, stop))
    feeder.start()
    try:
        got = read_srt(port, 6.5, wait_s=15)
        assert got.error is None and len(got.frame_times) >= 150, got.error
        offsets = got.av_offsets()
        assert len(offsets) >= 3 and abs(statistics.median(offsets)) <= 0.040, offsets
        second = read_srt(port, 2.5, wait_s=15)  # the first caller left: the sink listens again
        assert len(second.frame_times) >= 50 and second.av_offsets()
        wait_for(lambda: sink.restarts >= 2, 10, "the sink to listen after the second caller")
    finally:
        stop.set()
        feeder.join()
        sink.close()
    assert sink.stats.error is None, "a caller hanging up is no failure, even at close"
    print(f"SRT: median A/V offset {statistics.median(offsets) * 1000:.1f} ms, {sink.stats}, "
          f"{sink.restarts} restarts")


@pytest.mark.slow
def test_the_passphrase_works_without_being_on_ffmpegs_command_line():
    port = free_port(socket.SOCK_DGRAM)
    sink = SrtSink(f"srt://127.0.0.1:{port}?mode=listener&passphrase=hunter2hunter2")
    sink.open(SPEC)
    stop = threading.Event()
    feeder = threading.Thread(target=feed_realtime, args=(sink, 20.0, stop))
    feeder.start()
    try:
        (cmdline,) = wait_for(ffmpeg_children, 5, "the sink's ffmpeg").values()
        assert "hunter2" not in cmdline and cmdline.endswith(f"srt://127.0.0.1:{port}?mode=listener ")
        got = read_srt(port, 2.0, wait_s=15, options="passphrase=hunter2hunter2")
        assert got.error is None and len(got.frame_times) >= 40, got.error
        # the sink listens again within a second: for 4 s a wrong passphrase is refused
        refused = read_srt(port, 1.0, wait_s=4, options="passphrase=wrongwrongwrong")
        assert not refused.frame_times and refused.error
    finally:
        stop.set()
        feeder.join()
        sink.close()


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
