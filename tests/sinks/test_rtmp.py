"""RTMP push: key handling and backoff (fast), then a real nginx-rtmp server read back with
PyAV: frames, 2 s keyframes, A/V offset of the sync pattern, and recovery from a restart."""

from __future__ import annotations

import logging
import os
import random
import statistics
import subprocess
import sys
import threading
import time

import numpy as np
import pytest
from loopback import wait_for
from push_probe import SPEC, feed_realtime, ffmpeg_children, free_port

from livehost.bench.sinks.nginx import NginxRtmp, available
from livehost.bench.sinks.reader import Reader
from livehost.errors import LivehostError
from livehost.sinks.ffmpeg_push import Backoff, EncoderSettings, ffmpeg_command, preset_text
from livehost.sinks.rtmp import RtmpSink, rtmp_target
from livehost.sinks.specs import parse_sink

KEY = "live_12345_SeCrEtKeY"
needs_nginx = pytest.mark.skipif(not available(), reason="needs nginx + libnginx-mod-rtmp (apt)")


def test_key_comes_from_the_environment_and_is_masked(monkeypatch):
    monkeypatch.setenv("TEST_STREAM_KEY", KEY)
    target = rtmp_target("rtmp://live.example.com/app/${TEST_STREAM_KEY}")
    assert target.url == f"rtmp://live.example.com/app/{KEY}"
    assert target.shown == "rtmp://live.example.com/app/****"
    assert KEY not in repr(target) + str(target)
    assert target.mask(f"[rtmp] {target.url}: Connection refused; key {KEY}") == (
        "[rtmp] rtmp://live.example.com/app/****: Connection refused; key ****")
    assert isinstance(parse_sink(f"rtmp://127.0.0.1/live/{KEY}"), RtmpSink)


def test_ffmpeg_gets_the_key_through_its_preset_pipe_not_its_arguments(monkeypatch):
    monkeypatch.setenv("TEST_STREAM_KEY", KEY)
    target = rtmp_target("rtmp://live.example.com:1935/app/${TEST_STREAM_KEY}?bandwidthtest=true")
    command = ffmpeg_command(target, SPEC, audio_fd=4, settings=EncoderSettings(), preset_fd=5)
    assert KEY not in " ".join(command) and "bandwidthtest" not in " ".join(command)
    assert command[-5:] == ["-fpre", "/dev/fd/5", "-f", "flv", "rtmp://live.example.com:1935/app"]
    assert preset_text(target.private) == f"rtmp_playpath={KEY}?bandwidthtest=true\n".encode()


def test_bad_specs_name_the_problem_without_the_key(monkeypatch):
    monkeypatch.delenv("NO_SUCH_KEY_VAR", raising=False)
    with pytest.raises(LivehostError, match=r"NO_SUCH_KEY_VAR is not set") as err:
        rtmp_target("rtmp://live.example.com/app/${NO_SUCH_KEY_VAR}")
    assert "rtmp://live.example.com/app/****" in str(err.value)
    with pytest.raises(LivehostError, match=r"give rtmp://HOST/APP/KEY"):
        rtmp_target("rtmp://live.example.com/app")


def test_backoff_doubles_with_jitter_up_to_the_cap():
    backoff = Backoff(base=0.5, cap=10.0, rng=random.Random(7))
    delays = [backoff.next_delay() for _ in range(8)]
    ceilings = [0.5, 1, 2, 4, 8, 10, 10, 10]
    assert all(c / 2 <= d <= c for d, c in zip(delays, ceilings)), delays
    backoff.reset()
    assert backoff.next_delay() <= 0.5


@pytest.fixture
def nginx(tmp_path):
    server = NginxRtmp(tmp_path / "nginx", free_port())
    server.start()
    yield server
    server.stop()


@pytest.mark.slow
@needs_nginx
def test_the_key_is_not_on_ffmpegs_command_line(nginx, monkeypatch):
    monkeypatch.setenv("TEST_STREAM_KEY", KEY)
    sink = RtmpSink(f"rtmp://127.0.0.1:{nginx.port}/live/${{TEST_STREAM_KEY}}?bandwidthtest=true")
    sink.open(SPEC)
    try:
        children = wait_for(ffmpeg_children, 5, "the sink's ffmpeg")
        feed_realtime(sink, 1.0)
        (cmdline,) = children.values()
        assert f"rtmp://127.0.0.1:{nginx.port}/live " in cmdline + " " and "-fpre /dev/fd/" in cmdline
        assert KEY not in cmdline and "bandwidthtest" not in cmdline
        wait_for(lambda: sink.state == "live", 10, "the push to be live")
    finally:
        sink.close()
    # nginx got the key as the stream's name: the push was published under it
    log = (nginx.root / "logs/error.log").read_text()
    assert f"publish: name='{KEY}' args='bandwidthtest=true'" in log, log[-1500:]


@pytest.mark.slow
@needs_nginx
def test_push_reaches_nginx_in_sync_and_survives_a_restart(nginx, caplog):
    caplog.set_level(logging.DEBUG, logger="livehost.sinks")
    url = f"rtmp://127.0.0.1:{nginx.port}/live/{KEY}"
    reader = Reader(url, 6.5)
    reader.start()
    sink = RtmpSink(url)
    sink.open(SPEC)
    stop = threading.Event()
    feeder = threading.Thread(target=feed_realtime, args=(sink, 30.0, stop))
    feeder.start()
    try:
        got = reader.wait(25)
        assert got.error is None and len(got.frame_times) >= 150
        gaps = np.diff(got.keyframe_times)
        assert len(gaps) >= 2 and np.allclose(gaps, 2.0, atol=0.05), got.keyframe_times
        offsets = got.av_offsets()
        assert len(offsets) >= 3 and abs(statistics.median(offsets)) <= 0.040, offsets

        restarts = sink.restarts
        nginx.stop()
        down_at = time.monotonic()
        nginx.start()
        again = Reader(url, 4.5)
        again.start()
        while not (sink.restarts > restarts and sink.state == "live") and time.monotonic() - down_at < 10:
            time.sleep(0.02)
        back_after = time.monotonic() - down_at
        assert sink.state == "live" and back_after < 5, (sink.state, back_after)
        got = again.wait(20)
        assert got.error is None and len(got.frame_times) >= 75 and got.av_offsets()
    finally:
        stop.set()
        feeder.join()
        sink.close()
    assert sink.stats.error is None and sink.stats.written > 0
    logged = caplog.text + sink.state
    assert KEY not in logged and "rtmp://127.0.0.1" in logged
    print(f"median A/V offset {statistics.median(offsets) * 1000:.1f} ms, keyframes every "
          f"{gaps.mean():.3f} s, back {back_after:.2f} s after the restart, {sink.stats}")


@pytest.mark.slow
def test_refused_push_drops_counted_and_never_blocks(caplog):
    port = free_port()  # nothing listens there
    sink = RtmpSink(f"rtmp://127.0.0.1:{port}/live/{KEY}", backoff=Backoff(base=0.4, cap=0.8))
    sink.open(SPEC)
    started = time.monotonic()
    offered = feed_realtime(sink, 3.0)
    assert time.monotonic() - started < 3.5  # offer() never waited on the dead server
    sink.close()
    assert sink.restarts >= 2
    assert sink.state.startswith("retrying:") and "Connection refused" in sink.state
    # "written" = taken by an ffmpeg pipe (a few per attempt); every other tick is counted dropped
    assert sink.stats.written + sink.stats.dropped == offered and sink.stats.dropped > offered // 3
    assert "was down at close" in sink.stats.error  # honest: it ended while disconnected
    assert KEY not in caplog.text + sink.state + sink.stats.error


@pytest.mark.slow
@needs_nginx
def test_livehost_run_streams_the_sync_pattern_to_nginx(nginx, tmp_path):
    url = f"rtmp://127.0.0.1:{nginx.port}/live/"
    reader = Reader(url + KEY, 6.5, timeout=60)
    reader.start()
    run = subprocess.run(
        [sys.executable, "-m", "livehost", "run", "--sink", url + "${E2E_STREAM_KEY}", "--pattern", "sync",
         "--no-console", "--duration", "12", "--size", "320x180", "--api", f"127.0.0.1:{free_port()}"],
        capture_output=True, text=True, timeout=90, cwd=tmp_path, check=False,
        env={**os.environ, "E2E_STREAM_KEY": KEY},
    )
    assert run.returncode == 0, run.stderr[-2000:]
    got = reader.wait(30)
    assert got.error is None and len(got.frame_times) >= 150
    offsets = got.av_offsets()
    assert len(offsets) >= 3 and abs(statistics.median(offsets)) <= 0.040, offsets
    assert KEY not in run.stdout + run.stderr
    print(f"livehost run: median A/V offset {statistics.median(offsets) * 1000:.1f} ms over {len(offsets)} flashes")
