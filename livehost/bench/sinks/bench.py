"""The measurements of ``livehost bench sinks``, phase by phase: one host per output (so each
CPU figure is that output alone), then one host on three outputs for the long run.

CPU figures are the host's process CPU seconds (its encoder subprocesses included, its
receivers not) per second of media, over a window after start-up; ``output_cpu_s_per_media_s``
subtracts the channel alone (the pattern on an output nobody watches). The load average is
reported because the machine may be shared."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .browser import chromium, collect, frame_count, frame_rate, have_browser, open_viewer, reset
from .host import Host, running_host, usage
from livehost.bench.loopback import free_port, wait_for
from .nginx import NginxRtmp, available
from .reader import Reader, read_srt
from .sync import offset_figures

FPS = 25
VIEWER_SIZE = "512x512"
SETTLE_S = 2.0  # after start-up, before any figure
LIP_SYNC_S = 8.0  # Chromium's lip sync closes the gap it starts with (~100 ms) gradually
VIEWER_SETTLE_S = 3.0  # a new viewer's connection and its first frames
STREAM = "bench"  # the RTMP stream name (a key in real use)
PLAYED = "webrtc, as played"  # the plot's line: the beeps the <audio> element plays, not Web Audio's


_STARTED = time.monotonic()


def say(text: str) -> None:
    print(f"bench sinks [{time.monotonic() - _STARTED:5.0f} s]: {text}", file=sys.stderr, flush=True)


def missing() -> list[str]:
    needs = []
    if shutil.which("ffmpeg") is None:
        needs.append("ffmpeg (apt install ffmpeg)")
    if not available():
        needs.append("nginx with the RTMP module (apt install nginx libnginx-mod-rtmp)")
    if not have_browser():
        needs.append("Chromium and Playwright (apt install chromium; pip install playwright)")
    return needs


def settle(host: Host, seconds: float = SETTLE_S) -> None:
    wait_for(host.settled, 120, "the host to be ready with its speech cache warm", every=0.5)
    time.sleep(seconds)


def cpu_window(host: Host, seconds: float) -> dict:
    before = host.sample()
    time.sleep(seconds)
    return usage(before, host.sample())


def sink_state(host: Host, name: str) -> dict:
    return host.status()["sinks"][name]


def webrtc_phase(folder: Path, browser, size: str, cpu_s: float, viewer_counts: list[int]) -> dict:
    """The channel alone (a WebRTC output nobody watches does nothing), then with one Chromium
    viewer (CPU and glass-to-glass), then with more viewers (late ticks, each one's fps)."""
    out: dict = {}
    with running_host(folder, ["webrtc"], size=size, fps=FPS) as host:
        settle(host)
        say(f"{size}: the channel alone")
        out["channel"] = cpu_window(host, cpu_s)
        pages = [open_viewer(browser, f"{host.url}/")]
        time.sleep(LIP_SYNC_S)
        say(f"{size}: webrtc, one Chromium viewer")
        reset(pages[0])
        out["webrtc"] = cpu_window(host, cpu_s)
        measured = collect(pages[0])
        glass = measured.glass_to_glass_ms(host.media_epoch())
        out["glass_to_glass"] = {
            "median_ms": round(glass[len(glass) // 2], 1) if glass else None,
            "min_ms": round(glass[0], 1) if glass else None, "max_ms": round(glass[-1], 1) if glass else None,
            "flashes": len(glass), "viewer_fps": round(measured.fps, 2),
            "jitter_buffer_ms": {k: round(v, 1) for k, v in measured.jitter_buffer_ms.items()}}
        if viewer_counts:
            out["viewers"] = viewer_runs(host, browser, pages, cpu_s, viewer_counts)
        for page in pages:
            page.close()
    return out


def viewer_runs(host: Host, browser, pages: list, seconds: float, counts: list[int]) -> dict:
    """For each count, that many viewers at once (each page its own browser context, as
    separate machines would be): the channel's late ticks and every viewer's frame rate."""
    runs = {}
    for n in counts:
        while len(pages) < n:
            pages.append(open_viewer(browser, f"{host.url}/", probe=False))
        wait_for(lambda n=n: host.webrtc()["viewers"] >= n, 10, f"{n} viewers connected")
        time.sleep(VIEWER_SETTLE_S)
        say(f"webrtc: {n} viewer(s)")
        firsts = [frame_count(page) for page in pages[:n]]
        sent_before = host.webrtc()["peers"]
        used = cpu_window(host, seconds)
        lasts = [frame_count(page) for page in pages[:n]]
        fps = [round(frame_rate(first, last), 2) for first, last in zip(firsts, lasts)]
        decoded = [round(frame_rate(first, last, decoded=True), 2) for first, last in zip(firsts, lasts)]
        late_share = used["late_ticks"] / max(1, used["ticks"])
        sent = sent_rates(sent_before, host.webrtc()["peers"], used["media_s"])
        runs[str(n)] = {**used, "viewer_fps": fps, "decoded_fps": decoded, "sent_fps": sent,
                        "held_25_fps": late_share <= 0.01 and min(fps) >= FPS - 1}
    held = [int(n) for n, r in runs.items() if r["held_25_fps"]]
    return {"size": VIEWER_SIZE, "runs": runs, "most_viewers_at_25_fps": max(held) if held else 0,
            "criterion": f"late ticks <= 1 % and every viewer >= {FPS - 1} fps"}


def sent_rates(before: list[dict], after: list[dict], media_s: float) -> list[float]:
    """Video frames per second the host sent each viewer: what it kept up with, whatever the
    (local, CPU-sharing) browsers then managed to show."""
    was = {peer["id"]: peer["video_sent"] for peer in before}
    return [round((peer["video_sent"] - was[peer["id"]]) / media_s, 2)
            for peer in after if peer["id"] in was and media_s > 0]


def record_phase(folder: Path, size: str, cpu_s: float) -> dict:
    with running_host(folder, [f"record:{folder / f'bench-{size}.mp4'}"], size=size, fps=FPS) as host:
        settle(host)
        say(f"{size}: record")
        return cpu_window(host, cpu_s)


def rtmp_phase(folder: Path, nginx: NginxRtmp, size: str, cpu_s: float, reconnect: bool) -> tuple[dict, dict | None]:
    """RTMP into nginx (nobody playing: the server's own work is not the host's); then, when
    asked, nginx restarted: how soon the output is live again and a player gets frames."""
    with running_host(folder, [nginx.url + STREAM], size=size, fps=FPS) as host:
        settle(host)
        wait_for(lambda: sink_state(host, "rtmp")["state"] == "live", 20, "the RTMP push to be live")
        say(f"{size}: rtmp")
        used = cpu_window(host, cpu_s)
        return used, restart_nginx(host, nginx) if reconnect else None


def restart_nginx(host: Host, nginx: NginxRtmp) -> dict:
    say("rtmp: nginx restarted")
    restarts = sink_state(host, "rtmp")["restarts"]
    stopped = time.monotonic()
    nginx.stop()
    nginx.start()
    back = time.monotonic()
    player = Reader(nginx.url + STREAM, 1.0, timeout=20)  # waits on nginx for the publisher
    player.start()

    def live_again() -> bool:
        state = sink_state(host, "rtmp")
        return state["restarts"] > restarts and state["state"] == "live"

    wait_for(live_again, 30, "the RTMP push to be live again")
    live = time.monotonic() - back
    got = player.wait(40)
    return {"nginx_down_s": round(back - stopped, 2), "live_again_after_s": round(live, 2),
            "player_frames_after_s": None if got.first_frame_at is None else round(got.first_frame_at - back, 2),
            "restarts": sink_state(host, "rtmp")["restarts"] - restarts, "player_error": got.error}


def srt_phase(folder: Path, size: str, cpu_s: float) -> dict:
    """SRT listener, called and read by the system ffmpeg (the caller is the receiver: its
    work is not counted)."""
    port = free_port(socket.SOCK_DGRAM)
    with running_host(folder, [f"srt://127.0.0.1:{port}?mode=listener"], size=size, fps=FPS) as host:
        settle(host, 0.0)
        caller = Reader(port, cpu_s + 60, read=read_srt, wait_s=20)  # until the host ends
        caller.start()
        wait_for(lambda: sink_state(host, "srt")["state"] == "live", 30, "an SRT caller to connect")
        time.sleep(SETTLE_S)
        say(f"{size}: srt")
        used = cpu_window(host, cpu_s)
    caller.wait(30)
    return used


def long_run(folder: Path, browser, nginx: NginxRtmp, size: str, seconds: float) -> tuple[dict, dict]:
    """One host on WebRTC, RTMP and SRT at once, each read by its receiver for ``seconds``:
    the offsets over time. WebRTC twice: ``webrtc`` through Web Audio (the probe's listener),
    ``as_played`` the beeps as the audio track hands them on plus the delay the audio output
    reports, which is what the <audio> element plays (and OBS's Browser Source captures).
    Returns the figures and each receiver's (time, offset) pairs."""
    port = free_port(socket.SOCK_DGRAM)
    sinks = ["webrtc", nginx.url + STREAM, f"srt://127.0.0.1:{port}?mode=listener"]
    with running_host(folder, sinks, size=size, fps=FPS) as host:
        settle(host, 0.0)
        rtmp = Reader(nginx.url + STREAM, seconds, timeout=30)
        srt = Reader(port, seconds, read=read_srt, wait_s=20)
        rtmp.start()
        srt.start()
        page = open_viewer(browser, f"{host.url}/")
        time.sleep(LIP_SYNC_S)
        say(f"A/V offset at three receivers for {seconds / 60:.1f} min")
        reset(page)
        before = host.sample()
        time.sleep(seconds)
        measured = collect(page)
        host_usage = usage(before, host.sample())
        page.close()
        got = {"rtmp": rtmp.wait(120), "srt": srt.wait(120)}
    at_track, delay_ms = measured.pairs_s(at_track=True), measured.output_delay_ms
    # no delay reported: no played figure, rather than the track's passed off as one
    played = [] if delay_ms is None else [(t, o + delay_ms / 1000) for t, o in at_track]
    pairs = {"webrtc": measured.pairs_s(), PLAYED: played,
             **{name: received.pairs() for name, received in got.items()}}
    figures = {"size": size, "host": host_usage,
               "webrtc": {**offset_figures(pairs["webrtc"]), "fps": round(measured.fps, 2),
                          "at_audio_track": {**offset_figures(at_track), "output_delay_ms":
                                             None if delay_ms is None else round(delay_ms, 1)},
                          "as_played": offset_figures(played)}}
    for name, received in got.items():
        figures[name] = {**offset_figures(pairs[name]), "fps": round(received.fps, 2),
                         "frames": len(received.frame_times), "error": received.error}
    return figures, pairs


def run_bench(args) -> dict:
    needs = missing()
    if needs:
        raise SystemExit("livehost bench sinks needs " + "; ".join(needs))
    sizes = [s.strip() for s in args.sizes.split(",") if s.strip()]
    counts = sorted({int(n) for n in args.viewers.split(",") if n.strip()})
    viewer_size = VIEWER_SIZE if VIEWER_SIZE in sizes else sizes[0]
    figures: dict = {"cpus": os.cpu_count(), "load_avg": [round(x, 2) for x in os.getloadavg()],
                     "fps": FPS, "cpu_window_s": args.cpu_s, "minutes": args.minutes,
                     "ffmpeg": subprocess.run(["ffmpeg", "-version"], capture_output=True, text=True,
                                              check=False).stdout.split("\n", 1)[0]}
    cpu: dict = {}
    with tempfile.TemporaryDirectory(prefix="livehost-bench-sinks-") as tmp, chromium() as browser:
        folder = Path(tmp)
        with NginxRtmp(folder / "nginx", free_port()) as nginx:
            for n, size in enumerate(sizes):
                web = webrtc_phase(folder, browser, size, args.cpu_s, counts if size == viewer_size else [])
                channel = web["channel"]
                rtmp, reconnect = rtmp_phase(folder, nginx, size, args.cpu_s, reconnect=n == 0)
                by_sink = {"record": record_phase(folder, size, args.cpu_s), "rtmp": rtmp,
                           "srt": srt_phase(folder, size, args.cpu_s), "webrtc": web["webrtc"]}
                for used in by_sink.values():  # what the output itself costs
                    if used["cpu_s_per_media_s"] is not None and channel["cpu_s_per_media_s"] is not None:
                        used["output_cpu_s_per_media_s"] = round(
                            used["cpu_s_per_media_s"] - channel["cpu_s_per_media_s"], 3)
                cpu[size] = {"channel": channel, **by_sink}
                figures.setdefault("glass_to_glass", {})[size] = web["glass_to_glass"]
                if "viewers" in web:
                    figures["webrtc_viewers"] = web["viewers"]
                if reconnect is not None:
                    figures["rtmp_reconnect"] = reconnect
            figures["cpu"] = cpu
            figures["av_offset"], pairs = long_run(folder, browser, nginx, viewer_size, args.minutes * 60)
    figures["load_avg_end"] = [round(x, 2) for x in os.getloadavg()]
    if args.plot is not None:
        from .plot import plot_offsets

        shown = {**figures["av_offset"], PLAYED: figures["av_offset"]["webrtc"]["as_played"]}
        plot_offsets(pairs, shown, args.plot)
    return figures
