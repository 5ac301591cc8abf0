"""``livehost bench chat``: each chat platform on its local server: parsing, arrival, a soak.

Twitch, YouTube, Bilibili, Douyin and signed webhooks, each against its local protocol server
(``livehost.bench.chat.<platform>``). Per platform: the messages a second its parser takes on
one core; the time from the server writing a message to the source's emit (the real source
under the real supervisor); and a soak — a steady trickle of chat while, every ``every_s``,
the servers drop every connection for ``down_s``: the time to reconnect once a server is
back, and messages lost of those sent while the source was connected. Push platforms hold no
connection: their soak is the API server taking a signed post after another (accepted,
received, reply time).

The sources and the API server run in a child process, the host's side, so the memory
figures are theirs alone and not the local servers' (which keep all they ever sent)."""

from __future__ import annotations

import dataclasses
import logging
import multiprocessing
import os
import queue
import secrets
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn, Self

import numpy as np

from livehost.bench.common import progress, single_core
from livehost.heap import rss_mb

PULL = ("twitch", "youtube", "bilibili")  # the source connects to the platform
PUSH = ("douyin", "webhook")  # the platform posts to the API server
PLATFORMS = PULL + PUSH
TARGETS = {"reconnect_max_s": 10.0, "lost": 0, "rss_growth_mb": 10.0}
# Credentials the local servers do not know: one set in this shell must not reach a source.
FOREIGN_CREDENTIALS = ("TWITCH_OAUTH_TOKEN", "TWITCH_NICK", "YOUTUBE_OAUTH_TOKEN",
                       "BILIBILI_TOKEN", "BILIBILI_UID")
RECONNECT_GRACE_S = 30.0  # after the soak, how long a source still dropped may take to return
ARRIVAL_GRACE_S = 5.0  # after the last message, how long stragglers may take (YouTube polls)


def now() -> float:
    """CLOCK_MONOTONIC: one clock for both processes, so a send here and an emit in the
    host's process can be subtracted."""
    return time.clock_gettime(time.CLOCK_MONOTONIC)


def add_arguments(parser) -> None:
    add = parser.add_argument
    add("--soak-s", type=float, default=600.0, help="seconds of soak (default 600)")
    add("--every-s", type=float, default=30.0, help="an outage this often (default 30 s)")
    add("--down-s", type=float, default=3.0, help="how long each outage lasts (default 3 s)")
    add("--rate", type=float, default=5.0, help="soak messages a second per platform")
    add("--arrival-n", type=int, default=200, help="messages per platform timed for arrival")
    add("--arrival-rate", type=float, default=20.0, help="their rate, per second")
    add("--parse-n", type=int, default=20_000, help="messages per parse-rate run")
    add("--plot", type=Path, help="write a PNG of reconnect times and memory over the soak")


# -- the host's side (the child process) -------------------------------------------------------


class _HooksOnly:
    """The API server's host in this bench: only the platform hooks are served."""

    def __init__(self, supervisor) -> None:
        self.supervisor = supervisor

    def _refuse(self, *_args) -> NoReturn:
        from livehost.errors import LivehostError

        raise LivehostError("the chat bench serves only the platform hooks")

    post_chat = say = interrupt = _refuse

    def status(self) -> dict:
        return {"sources": self.supervisor.status()}


def host_side(specs: list[str], env: dict[str, str], out, stop,
              status_every_s: float = 0.5) -> None:
    """The child: ``specs``' sources under the supervisor, the API server for the hooks.
    Sends up ("api", url), ("got", platform, text, monotonic, wall) for each message emitted,
    ("status", {name: SourceStatus fields}) every ``status_every_s`` and once at the end,
    then ("done",); ("failed", why) if it could not start."""
    # The soak's outages would log a warning each: its figures count them instead.
    logging.basicConfig(level=logging.ERROR, format="%(levelname)s %(name)s: %(message)s")
    from livehost.errors import LivehostError
    from livehost.media.events import EventBus
    from livehost.media.frames import ChatMessage
    from livehost.server import ServerThread, create_app
    from livehost.sources.base import HookSource
    from livehost.sources.specs import parse_chat
    from livehost.sources.supervisor import SourceSupervisor

    try:
        for name in FOREIGN_CREDENTIALS:
            os.environ.pop(name, None)
        os.environ.update(env)
        sources = [parse_chat(spec) for spec in specs]

        def emit(item) -> None:
            at, wall = now(), time.time()
            if isinstance(item, ChatMessage):
                out.put(("got", item.platform, item.text, at, wall))

        supervisor = SourceSupervisor(sources, emit)
        hooks = [s for s in sources if isinstance(s, HookSource)]
        server = ServerThread(create_app(_HooksOnly(supervisor), secrets.token_hex(16), EventBus(),
                                         hooks=hooks), "127.0.0.1", 0)
        supervisor.start()
        server.start()
    except LivehostError as exc:  # a spec refused, the API server's port...
        out.put(("failed", str(exc)))
        return

    def statuses() -> dict:
        return {name: dataclasses.asdict(s) for name, s in supervisor.status().items()}

    out.put(("api", server.url))
    while not stop.wait(status_every_s):
        out.put(("status", statuses()))
    server.stop()
    supervisor.stop()
    out.put(("status", statuses()))
    out.put(("done",))


# -- this side: the servers, and what each message did -------------------------------------------


def text_of(seq: int) -> str:
    return f"bench message #{seq}"


def seq_of(text: str) -> int | None:
    head, _, digits = text.rpartition("#")
    return int(digits) if head == "bench message " and digits.isdigit() else None


class Tally:
    """One platform's messages by sequence number: when each was sent (monotonic), whether it
    is counted (sent while the source was connected, or a post the API accepted), and when it
    was emitted (NaN: not yet; monotonic, and wall time to set against YouTube's page times).
    Preallocated: the bookkeeping does not grow during the soak."""

    def __init__(self, capacity: int) -> None:
        self.sent = np.full(capacity, np.nan)
        self.counted = np.zeros(capacity, bool)
        self.got = np.full(capacity, np.nan)
        self.got_wall = np.full(capacity, np.nan)
        self.n = 0
        self.duplicates = 0
        self.strays = 0  # emitted, but not a message this bench sent
        self._lock = threading.Lock()

    def next(self) -> int:
        with self._lock:
            self.n += 1
            return self.n - 1

    def arrived(self, text: str, at: float, wall: float) -> None:
        seq = seq_of(text)
        with self._lock:
            if seq is None or seq >= self.n:
                self.strays += 1
            elif not np.isnan(self.got[seq]):
                self.duplicates += 1
            else:
                self.got[seq], self.got_wall[seq] = at, wall

    def missing(self, seqs: range) -> int:
        """Of ``seqs``, the messages that count and have not arrived."""
        part = slice(seqs.start, seqs.stop)
        return int(np.sum(self.counted[part] & np.isnan(self.got[part])))


@dataclass
class Outage:
    dropped_at: float  # seconds into the soak
    back_at: float  # when the server took connections again
    reconnected_at: float | None = None  # when it saw the source's new connection


def wait_until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit(f"bench chat: {what} did not happen within {timeout:.0f} s")
        time.sleep(0.05)


class Bench:
    def __init__(self, args) -> None:
        from livehost.bench.chat import bilibili, douyin, twitch, webhook, youtube

        self.args = args
        self.modules = {"twitch": twitch, "youtube": youtube, "bilibili": bilibili,
                        "douyin": douyin, "webhook": webhook}
        capacity = args.arrival_n + int((args.soak_s + RECONNECT_GRACE_S + 5) * args.rate) + 16
        self.tallies = {p: Tally(capacity) for p in PLATFORMS}
        self.servers: dict = {}
        self.status: dict = {}  # the host side's latest, by source name
        self._child: multiprocessing.Process | None = None
        self._stop = self._events = None
        self._done = threading.Event()

    # lifecycle

    def __enter__(self) -> Self:
        try:
            self._start()
        except BaseException:
            self.__exit__()
            raise
        return self

    def _start(self) -> None:
        m = self.modules
        pull = {"twitch": m["twitch"].Server(), "youtube": m["youtube"].Server(),
                "bilibili": m["bilibili"].Server()}
        for server in pull.values():
            server.start()
        self.servers.update(pull)
        secret = {"DOUYIN_WEBHOOK_SECRET": secrets.token_hex(16),
                  "LIVEHOST_WEBHOOK_SECRET": secrets.token_hex(16)}
        specs = [s.spec for s in pull.values()] + ["douyin", "webhook"]
        context = multiprocessing.get_context("spawn")
        events, stop = context.Queue(), context.Event()
        self._events, self._stop = events, stop
        child = context.Process(target=host_side, args=(
            specs, {**pull["youtube"].env, **secret}, events, stop), daemon=True)
        child.start()
        self._child = child
        first = self._first_report()
        threading.Thread(target=self._read, name="bench-chat-events", daemon=True).start()
        push = {"douyin": m["douyin"].Server(first[1], secret["DOUYIN_WEBHOOK_SECRET"]),
                "webhook": m["webhook"].Server(first[1], secret["LIVEHOST_WEBHOOK_SECRET"])}
        for server in push.values():
            server.start()
        self.servers.update(push)
        # YouTube's first page is the backlog the source skips: send only once it was served.
        wait_until(lambda: all(s.connections for s in pull.values()), 30, "every source connecting")
        wait_until(lambda: len(self.status) == len(PLATFORMS)
                   and all(s["up"] for s in self.status.values()), 30, "every source being up")

    def __exit__(self, *_exc) -> None:
        if self._child is not None:
            self._stop.set()
            self._done.wait(15)
            self._child.join(10)
            if self._child.is_alive():
                self._child.kill()
        for server in self.servers.values():
            server.stop()

    def _first_report(self, timeout: float = 60.0) -> tuple:
        """("api", url) once the host's side is up; its reason, or its death, ends the bench."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                first = self._events.get(timeout=0.5)
            except queue.Empty:
                if not self._child.is_alive():
                    raise SystemExit(f"bench chat: the host's side exited with "
                                     f"{self._child.exitcode} (its error is above)") from None
                continue
            if first[0] != "api":
                raise SystemExit(f"bench chat: the host's side did not start: {first[-1]}")
            return first
        raise SystemExit(f"bench chat: the host's side did not start within {timeout:.0f} s")

    def _read(self) -> None:
        """The host side's reports, until it is done (or gone)."""
        while True:
            try:
                event = self._events.get(timeout=1.0)
            except queue.Empty:
                if not self._child.is_alive():
                    break
                continue
            if event[0] == "got":
                self.tallies[event[1]].arrived(*event[2:])
            elif event[0] == "status":
                self.status = event[1]
            elif event[0] == "done":
                break
        self._done.set()

    def platform_status(self, platform: str) -> dict:
        return next(s for name, s in self.status.items() if name.split(":")[0] == platform)

    def send(self, platform: str, seq: int) -> object:
        self.tallies[platform].sent[seq] = now()
        return self.servers[platform].send_chat(f"viewer{seq % 50}", text_of(seq), f"bench-{seq}")

    def post(self, platform: str, seq: int) -> float | None:
        """A push platform's message: seconds to the reply when the API accepted it, else None."""
        import httpx

        try:
            reply = self.send(platform, seq)
        except httpx.HTTPError:
            return None
        took = now() - self.tallies[platform].sent[seq]
        self.tallies[platform].counted[seq] = reply.status_code == 200
        return took if reply.status_code == 200 else None

    # the figures

    def arrival(self) -> dict:
        """``arrival_n`` messages per platform at ``arrival_rate``, every platform at once."""
        n, period = self.args.arrival_n, 1.0 / self.args.arrival_rate
        print(f"arrival: {n} messages per platform, {self.args.arrival_rate:g}/s", file=sys.stderr)

        def trickle(platform: str) -> None:
            start = now()
            tally = self.tallies[platform]
            for i in range(1, n + 1):
                seq = tally.next()
                if platform in PUSH:
                    self.post(platform, seq)
                else:
                    tally.counted[seq] = True
                    self.send(platform, seq)
                time.sleep(max(0.0, start + i * period - now()))

        threads = [threading.Thread(target=trickle, args=(p,), daemon=True) for p in PLATFORMS]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        self._wait_arrivals(dict.fromkeys(PLATFORMS, 0))
        return {p: self._arrival_figures(p, range(n)) for p in PLATFORMS}

    def _wait_arrivals(self, firsts: dict[str, int]) -> None:
        """Until every counted message from ``firsts`` on has arrived, or the grace is up."""
        deadline = time.monotonic() + ARRIVAL_GRACE_S
        while time.monotonic() < deadline and any(
                t.missing(range(firsts[p], t.n)) for p, t in self.tallies.items()):
            time.sleep(0.05)

    def _arrival_figures(self, platform: str, seqs: range) -> dict:
        tally = self.tallies[platform]
        part = slice(seqs.start, seqs.stop)
        delays = (tally.got[part] - tally.sent[part])[tally.counted[part]]
        delays = delays[~np.isnan(delays)] * 1000
        figures = {"n": len(seqs), "arrived": len(delays), **_percentiles(delays)}
        if platform == "youtube":  # the rest of the wait is the poll interval
            server = self.servers["youtube"]
            served = np.array([server.served_at.get(f"bench-{seq}", np.nan) for seq in seqs])
            written = (tally.got_wall[part] - served) * 1000
            figures["from_page_ms"] = _percentiles(written[~np.isnan(written)])
        return figures

    def soak(self) -> tuple[dict, dict]:
        """Per platform figures, and the host side's memory over the soak."""
        args = self.args
        firsts = {p: t.n for p, t in self.tallies.items()}
        outages = {p: [] for p in PULL}
        replies = {p: [] for p in PUSH}  # seconds to each accepted post's reply
        start = now()
        ended = threading.Event()
        drivers = [threading.Thread(target=self._pull, args=(p, start, outages[p]), daemon=True)
                   for p in PULL]
        drivers += [threading.Thread(target=self._push, args=(p, start, replies[p], ended),
                                     daemon=True) for p in PUSH]
        pid = self._child.pid
        samples = [(0.0, rss_mb(pid))]
        print(f"soak: {args.soak_s:g} s, an outage of {args.down_s:g} s every {args.every_s:g} s, "
              f"{args.rate:g} messages/s per platform", file=sys.stderr)
        for driver in drivers:
            driver.start()
        for second in progress(range(1, int(args.soak_s) + 1), "soak"):
            time.sleep(max(0.0, start + second - now()))
            samples.append((now() - start, rss_mb(pid)))
        ended.set()
        for driver in drivers:
            driver.join()
        self._wait_arrivals(firsts)
        samples.append((now() - start, rss_mb(pid)))
        figures = {}
        for p in PULL:
            figures[p] = self._pull_figures(p, range(firsts[p], self.tallies[p].n), outages[p])
        for p in PUSH:
            figures[p] = self._push_figures(p, range(firsts[p], self.tallies[p].n), replies[p])
        rss = [mb for _, mb in samples]
        half = rss[len(rss) // 2]  # growth that keeps on, not start-up's, shows in the 2nd half
        memory = {"start_mb": round(rss[0], 1), "end_mb": round(rss[-1], 1),
                  "growth_mb": round(rss[-1] - rss[0], 1),
                  "second_half_growth_mb": round(rss[-1] - half, 1), "max_mb": round(max(rss), 1)}
        return figures, {"memory": memory, "samples": samples, "outages": outages}

    def _pull(self, platform: str, start: float, outages: list[Outage]) -> None:
        """Sends the trickle and makes the outages, on one thread: an outage starts halfway
        between two messages, so none is on the wire when the connection goes."""
        args, server, tally = self.args, self.servers[platform], self.tallies[platform]
        period = 1.0 / args.rate
        next_send, next_drop = start, start + args.every_s + period / 2
        end = start + args.soak_s
        seen = server.connections  # the source is connected while the server has seen more
        outage: Outage | None = None
        while True:
            t = now()
            if outage is not None and outage.reconnected_at is None and server.connections > seen:
                outage.reconnected_at = t - start
            connected = outage is None or outage.reconnected_at is not None
            if t >= end and (connected or t >= end + RECONNECT_GRACE_S):
                return
            if next_drop <= t and next_drop < end:
                seen = server.connections
                server.drop(args.down_s)
                outage = Outage(round(t - start, 3), round(t - start + args.down_s, 3))
                outages.append(outage)
                next_drop += args.every_s
                continue
            if next_send <= t:
                seq = tally.next()
                tally.counted[seq] = connected
                self.send(platform, seq)
                next_send += period
            time.sleep(max(0.0, min(next_send, next_drop, t + 0.02) - now()))

    def _push(self, platform: str, start: float, replies: list[float],
              ended: threading.Event) -> None:
        period, k = 1.0 / self.args.rate, 0
        while not ended.is_set():
            took = self.post(platform, self.tallies[platform].next())
            if took is not None:
                replies.append(took)
            k += 1
            ended.wait(max(0.0, start + k * period - now()))

    def _pull_figures(self, platform: str, seqs: range, outages: list[Outage]) -> dict:
        tally, part = self.tallies[platform], slice(seqs.start, seqs.stop)
        counted, arrived = tally.counted[part], ~np.isnan(tally.got[part])
        times = [o.reconnected_at - o.back_at for o in outages if o.reconnected_at is not None]
        return {
            "sent_connected": int(counted.sum()),
            "received_connected": int((counted & arrived).sum()),
            "lost": int((counted & ~arrived).sum()),
            "sent_down": int((~counted).sum()), "received_down": int((~counted & arrived).sum()),
            "duplicates": tally.duplicates, "strays": tally.strays,
            "outages": len(outages), "reconnected": len(times),
            "reconnect_s": {"median": _round(np.median(times)) if times else None,
                            "max": _round(max(times)) if times else None,
                            "each": [_round(t) for t in times]},
        }

    def _push_figures(self, platform: str, seqs: range, replies: list[float]) -> dict:
        tally, part = self.tallies[platform], slice(seqs.start, seqs.stop)
        accepted, arrived = tally.counted[part], ~np.isnan(tally.got[part])
        return {
            "sent": len(seqs), "accepted": int(accepted.sum()),
            "received": int((accepted & arrived).sum()), "lost": int((accepted & ~arrived).sum()),
            "duplicates": tally.duplicates, "strays": tally.strays,
            "reply_ms": _percentiles(np.array(replies) * 1000),
        }


def _round(value: float) -> float:
    return round(float(value), 3)


def _percentiles(values_ms: np.ndarray) -> dict:
    if not len(values_ms):
        return {"p50": None, "p95": None, "max": None}
    p50, p95 = np.percentile(values_ms, [50, 95])
    return {"p50": _round(p50), "p95": _round(p95), "max": _round(np.max(values_ms))}


def parse_rates(n: int) -> dict[str, int]:
    import importlib

    rates = {}
    with single_core():
        for platform in progress(PLATFORMS, "parse"):
            module = importlib.import_module(f"livehost.bench.chat.{platform}")
            rates[platform] = round(module.parse_throughput(n))
    return rates


def run(args) -> dict:
    for name in ("soak_s", "every_s", "rate", "arrival_rate"):
        if not getattr(args, name) > 0:
            raise SystemExit(f"bench chat: --{name.replace('_', '-')} must be more than 0")
    if not 0 < args.down_s < args.every_s:
        raise SystemExit("bench chat: --down-s must be more than 0 and less than --every-s")
    figures: dict = {"cpus": os.cpu_count(), "soak_s": args.soak_s, "every_s": args.every_s,
                     "down_s": args.down_s, "rate_per_s": args.rate, "targets": TARGETS}
    parse = parse_rates(args.parse_n)
    with Bench(args) as bench:
        arrival = bench.arrival()
        soak, over_time = bench.soak()
    for platform in PULL:  # the host side's last status, sent as it stopped
        soak[platform]["restarts"] = bench.platform_status(platform)["restarts"]
    for platform in PLATFORMS:
        figures[platform] = {"parse_per_s": parse[platform], "arrival_ms": arrival[platform],
                             "soak": soak[platform]}
    figures["memory"] = over_time["memory"]
    reconnects = [soak[p]["reconnect_s"]["max"] for p in PULL]
    figures["met"] = {
        "reconnect": all(soak[p]["reconnected"] == soak[p]["outages"] for p in PULL)
        and all(r is None or r <= TARGETS["reconnect_max_s"] for r in reconnects),
        "lost": all(soak[p]["lost"] <= TARGETS["lost"] for p in PLATFORMS),
        "push_accepted": all(soak[p]["accepted"] == soak[p]["sent"] for p in PUSH),
        "memory_flat": figures["memory"]["growth_mb"] <= TARGETS["rss_growth_mb"],
    }
    if args.plot is not None:
        plot(over_time, args, args.plot)
    return figures


def plot(over_time: dict, args, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (top, bottom) = plt.subplots(2, 1, figsize=(9, 7), sharex=True)
    for platform, marker in zip(PULL, "os^", strict=True):
        done = [o for o in over_time["outages"][platform] if o.reconnected_at is not None]
        top.plot([o.back_at for o in done], [o.reconnected_at - o.back_at for o in done],
                 marker=marker, linestyle="-", label=platform)
    top.axhline(TARGETS["reconnect_max_s"], color="k", linestyle="--", linewidth=1,
                label=f"target {TARGETS['reconnect_max_s']:g} s")
    top.set_ylabel("reconnect after the server is back (s)")
    top.set_title(f"{args.down_s:g} s outage every {args.every_s:g} s, "
                  f"{args.rate:g} messages/s per platform")
    top.legend(fontsize=8)
    samples = np.array(over_time["samples"])
    bottom.plot(samples[:, 0], samples[:, 1], color="#80b1d3")
    for outage in over_time["outages"]["twitch"]:
        bottom.axvline(outage.dropped_at, color="#dddddd", linewidth=0.8, zorder=0)
    memory = over_time["memory"]
    bottom.set_title(f"host side RSS: {memory['start_mb']} → {memory['end_mb']} MB "
                     f"({memory['growth_mb']:+} MB)")
    bottom.set_ylabel("RSS (MB)")
    bottom.set_xlabel("seconds into the soak (grey: outages)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
