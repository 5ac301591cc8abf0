"""``livehost bench live``: chat questions posted over the API to a running host, timed from the
message's arrival to its answer's first audio leaving the channel (with the stage breakdown),
for each voice; then a chat flood: memory, frame rate, and whether every paid message was
answered or thanked."""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

from livehost.heap import TRIM_EVERY_S, rss_mb

from .common import progress

QUESTIONS = [
    "How much is the blue kettle?",
    "hi Nova, how are you today?",
    "Do you ship to Germany?",
    "Is the glass teapot in stock?",
    "what music do you like?",
    "Does the kettle work on induction?",
    "How long does delivery take?",
    "Do you sell toasters?",
    "I love this stream!",
    "What is the capacity of the blue kettle?",
    "Can I return something I bought?",
    "how much are the mugs?",
    "what do you do for fun?",
    "Is the cast iron pan heavy?",
    "Do you take PayPal?",
    "tell me something nice",
    "what time does the show end?",
    "How much is the chef's knife?",
    "where are you streaming from?",
    "Do you gift wrap?",
    "is the mug set dishwasher safe?",
    "good evening everyone!",
]
PAID_EVERY = 500  # one paid message in this many
STAGES = ("queue", "lookup", "first_token", "first_sentence", "first_audio", "left")
TARGETS = {"piper_p50_s": 0.6, "piper_p95_s": 1.0, "cloned_p50_s": 1.2, "flood_missed_ticks": 0, "flood_rss_mb": 20.0}
VOICES = {"piper": {"engine": "piper", "voice": "joe"}, "kokoro": {"engine": "kokoro", "voice": "jf_alpha"}}


def add_arguments(parser) -> None:
    parser.add_argument("--persona", default="demo")
    parser.add_argument("--questions", type=int, default=len(QUESTIONS), help="questions per voice")
    parser.add_argument("--voices", default="piper,kokoro",
                        help="voices to time: piper, kokoro (the engine voice clones run on)")
    parser.add_argument("--flood-s", type=float, default=60.0, help="seconds of flood (0: none)")
    parser.add_argument("--flood-rate", type=float, default=500.0, help="messages per second in the flood")
    parser.add_argument("--llm", help="language model spec (default: the persona's)")
    parser.add_argument("--plot", type=Path, help="write a PNG of the latency breakdown")


class RunningHost:
    """A LiveHost with its API on a free loopback port, in this process, recording to a
    temporary file (the encoder's load is part of what is measured)."""

    def __init__(self, persona, llm: str | None, folder: Path, sinks=None, listener=None) -> None:
        from livehost.brain.build import build_brain
        from livehost.config import load_settings
        from livehost.host import LiveHost
        from livehost.server import ServerThread, create_app
        from livehost.sinks.record import RecordSink
        from livehost.stages import build_stages
        from livehost.voice.cache import persona_speech_cache

        settings = load_settings(None, {})
        stages = build_stages(persona, settings)
        cache = persona_speech_cache(persona, stages.engine, settings.audio.sample_rate)
        brain = build_brain(persona, llm, cache=cache)
        if sinks is None:
            sinks = [RecordSink(folder / f"{persona.voice.engine}.mp4", overflow="drop")]
        self.host = LiveHost(settings, persona, stages, brain, sinks, speech_cache=cache, listener=listener)
        self.token = "bench-" + os.urandom(8).hex()
        self.server = ServerThread(create_app(self.host, self.token, self.host.events), "127.0.0.1", 0)
        self.events = self.host.events.subscribe(max_queue=10_000)
        self._thread = threading.Thread(target=self.host.run, name="bench-host", daemon=True)

    def __enter__(self) -> RunningHost:
        self.server.start()
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.host.stop()
        self._thread.join(timeout=30)
        self.server.stop()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.port}"

    def wait_event(self, match, timeout: float) -> dict | None:
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            event = self.events.get(timeout=min(left, 0.2))
            if event is not None and match(event):
                return event
        return None

    def wait_quiet(self, timeout: float = 30.0) -> None:
        """Until nothing is being said or prepared (the greeting, the last answer)."""
        deadline = time.monotonic() + timeout
        channel = self.host.channel
        while time.monotonic() < deadline and (channel.voice.busy or channel.timeline.playing
                                               or self.host.queue.depth):
            time.sleep(0.05)


def time_questions(running: RunningHost, questions: list[str]) -> list[dict]:
    import httpx

    headers = {"Authorization": f"Bearer {running.token}"}
    answers = []
    with httpx.Client(base_url=running.url, headers=headers, timeout=10) as client:
        for i, text in enumerate(progress(questions, f"questions ({running.host.persona.voice.engine})")):
            running.wait_quiet()
            response = client.post("/api/chat", json={"user": f"viewer{i}", "text": text})
            response.raise_for_status()
            message_id = response.json()["id"]
            event = running.wait_event(lambda e: e.get("event") == "answer" and e.get("to") == message_id, 30)
            if event is None:
                answers.append({"question": text, "source": "none", "latency": {}})
                continue
            answers.append({"question": text, "source": event["source"], "text": event["text"],
                            "latency": event["latency"]})
    return answers


def summary(answers: list[dict]) -> dict:
    def pct(values, q):
        return None if not values else round(float(np.percentile(values, q)), 3)

    lefts = [a["latency"]["left"] for a in answers if a["latency"].get("left") is not None]
    stages = {}
    for stage in STAGES:
        values = [a["latency"][stage] for a in answers if a["latency"].get(stage) is not None]
        stages[stage] = {"p50_s": pct(values, 50), "p95_s": pct(values, 95), "n": len(values)}
    by_source: dict[str, list[float]] = {}
    for a in answers:
        if a["latency"].get("left") is not None:
            by_source.setdefault(a["source"], []).append(a["latency"]["left"])
    return {
        "answered": len(lefts), "asked": len(answers),
        "p50_s": pct(lefts, 50), "p95_s": pct(lefts, 95), "max_s": pct(lefts, 100),
        "stages": stages,
        "by_source": {k: {"n": len(v), "p50_s": pct(v, 50), "p95_s": pct(v, 95)} for k, v in sorted(by_source.items())},
    }


async def _flood(url: str, token: str, seconds: float, rate: float) -> tuple[int, list[str], int]:
    """Post at ``rate`` messages a second for ``seconds``; 1 in PAID_EVERY paid. Returns
    (posted, paid ids, errors)."""
    import aiohttp

    headers = {"Authorization": f"Bearer {token}"}
    posted, errors, paid = 0, 0, []
    start = time.monotonic()
    async with aiohttp.ClientSession(url, headers=headers) as session:
        async def post(i: int) -> None:
            nonlocal posted, errors
            body = {"user": f"flood{i % 997}", "text": f"message number {i} from the flood"}
            if i % PAID_EVERY == 0:
                body.update(kind="superchat", amount=5.0, currency="EUR", id=f"paid-{i}",
                            text=f"paid message {i}, love the show")
            try:
                async with session.post("/api/chat", json=body) as response:
                    if response.status == 202:
                        posted += 1
                        if i % PAID_EVERY == 0:
                            paid.append(f"paid-{i}")
                    else:
                        errors += 1
            except aiohttp.ClientError:
                errors += 1

        tasks: set[asyncio.Task] = set()
        i = 0
        while (elapsed := time.monotonic() - start) < seconds:
            due = int(elapsed * rate)
            while i < due:
                task = asyncio.create_task(post(i))
                tasks.add(task)
                task.add_done_callback(tasks.discard)
                i += 1
            await asyncio.sleep(0.005)
        await asyncio.gather(*tasks)
    return posted, paid, errors


def _flood_process(url: str, token: str, seconds: float, rate: float, out) -> None:
    out.put(asyncio.run(_flood(url, token, seconds, rate)))


def flood_from_another_process(url: str, token: str, seconds: float, rate: float) -> tuple[int, list[str], int]:
    """The flood's client runs in a process of its own, as real chat does: in the host's, its
    work (and its memory) would be counted against the host."""
    import multiprocessing

    context = multiprocessing.get_context("spawn")
    out = context.Queue()
    child = context.Process(target=_flood_process, args=(url, token, seconds, rate, out), daemon=True)
    child.start()
    try:
        return out.get(timeout=seconds + 120)
    finally:
        child.join(timeout=10)


def flood(running: RunningHost, seconds: float, rate: float) -> dict:
    import gc

    running.wait_quiet()
    gc.collect()
    rss_before = rss_mb()
    stats = running.host.channel.loop.stats
    ticks0, late0, t0 = stats.ticks, stats.late_ticks, time.monotonic()
    print(f"flood: {rate:.0f} messages/s for {seconds:.0f} s", file=sys.stderr)
    # The bench's own event subscription is read as the events come (keeping only what it
    # needs), so its backlog is not counted as the host's memory.
    handled: set[str] = set()
    done = threading.Event()

    def collect() -> None:
        while not done.is_set():
            event = running.events.get(timeout=0.2)
            if event and event.get("event") == "answer":
                handled.update([event.get("to", ""), *event.get("ids", [])])

    collector = threading.Thread(target=collect, name="bench-events", daemon=True)
    collector.start()
    posted, paid, errors = flood_from_another_process(running.url, running.token, seconds, rate)
    wall = time.monotonic() - t0
    ticks, late = stats.ticks - ticks0, stats.late_ticks - late0
    # every paid message answered or thanked: wait for the queue to work through them
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and not set(paid) <= handled:
        time.sleep(0.2)
    done.set()
    collector.join(timeout=2)
    gc.collect()
    rss_peak = rss_mb()
    # the host hands freed heap back to the system once a minute: RSS as it stands after that
    trims = running.host.heap.trims
    deadline = time.monotonic() + TRIM_EVERY_S + 10
    while running.host.heap.trims == trims and time.monotonic() < deadline:
        time.sleep(0.5)
    rss_after = rss_mb()
    fps = float(running.host.channel.clock.fps)
    return {
        "seconds": round(wall, 2), "rate_asked": rate, "posted": posted, "post_errors": errors,
        "rate_achieved": round(posted / wall, 1),
        "ticks": ticks, "ticks_expected": round(wall * fps), "late_ticks": late,
        "rss_before_mb": round(rss_before, 1), "rss_after_mb": round(rss_after, 1),
        "rss_growth_mb": round(rss_after - rss_before, 1),
        "rss_growth_before_trim_mb": round(rss_peak - rss_before, 1),
        "paid": len(paid), "paid_answered_or_thanked": len(set(paid) & handled),
        "queue": running.host.queue.stats()["drops"],
    }


def persona_with_voice(persona, voice: str, folder: Path):
    """The persona in a scratch copy (its speech cache stays out of the real folder)."""
    copy = folder / f"persona-{voice}"
    shutil.copytree(persona.folder, copy, ignore=shutil.ignore_patterns(".cache"))
    rig = persona.folder / ".cache"
    if rig.is_dir():  # the face rig is the same: reuse it instead of enrolling again
        shutil.copytree(rig, copy / ".cache", ignore=shutil.ignore_patterns("speech"))
    from livehost.persona import load_persona

    loaded = load_persona(copy)
    return loaded.model_copy(update={"voice": loaded.voice.model_copy(update=VOICES[voice])})


def run(args) -> dict:
    from livehost.persona import load_persona

    persona = load_persona(args.persona)
    voices = [v.strip() for v in args.voices.split(",") if v.strip()]
    for voice in voices:
        if voice not in VOICES:
            raise SystemExit(f"unknown voice {voice!r}; known: {', '.join(VOICES)}")
    questions = (QUESTIONS * (1 + args.questions // len(QUESTIONS)))[: args.questions]
    figures: dict = {"cpus": os.cpu_count(), "questions": len(questions), "targets": TARGETS}
    with tempfile.TemporaryDirectory(prefix="livehost-bench-") as tmp:
        folder = Path(tmp)
        for n, voice in enumerate(voices):
            with RunningHost(persona_with_voice(persona, voice, folder), args.llm, folder) as running:
                running.host.ready.wait(120)
                running.wait_quiet(60)
                while running.host.channel.voice.warming:  # the cache ready, as when live
                    time.sleep(0.2)
                answers = time_questions(running, questions)
                figures[voice] = {**summary(answers), "llm": running.host.brain.backend.name
                                  if running.host.brain.backend else None,
                                  "answers": answers}
                if n == 0 and args.flood_s > 0:
                    figures["flood"] = flood(running, args.flood_s, args.flood_rate)
                figures[voice]["late_ticks"] = running.host.channel.loop.stats.late_ticks
    met = {}
    if "piper" in figures:
        met["piper_p50"] = (figures["piper"]["p50_s"] or 1e9) <= TARGETS["piper_p50_s"]
        met["piper_p95"] = (figures["piper"]["p95_s"] or 1e9) <= TARGETS["piper_p95_s"]
    if "kokoro" in figures:
        met["cloned_p50"] = (figures["kokoro"]["p50_s"] or 1e9) <= TARGETS["cloned_p50_s"]
    if "flood" in figures:
        f = figures["flood"]
        met["flood_missed_ticks"] = f["late_ticks"] <= TARGETS["flood_missed_ticks"]
        met["flood_rss"] = f["rss_growth_mb"] <= TARGETS["flood_rss_mb"]
        met["flood_paid"] = f["paid_answered_or_thanked"] == f["paid"]
    figures["met"] = met
    if args.plot is not None:
        plot(figures, voices, args.plot)
    return figures


def plot(figures: dict, voices: list[str], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(voices), figsize=(6 * len(voices), 4.5), squeeze=False)
    colors = {"queue": "#bbbbbb", "lookup": "#8dd3c7", "first_token": "#80b1d3",
              "first_sentence": "#fdb462", "first_audio": "#fb8072", "left": "#b3de69"}
    for ax, voice in zip(axes[0], voices):
        answers = [a for a in figures[voice]["answers"] if a["latency"].get("left") is not None]
        for i, answer in enumerate(answers):
            previous = 0.0
            for stage in STAGES:
                value = answer["latency"].get(stage)
                if value is None:
                    continue
                ax.barh(i, max(0.0, value - previous), left=previous, color=colors[stage],
                        label=stage if i == 0 or stage not in ax.get_legend_handles_labels()[1] else None)
                previous = max(previous, value)
        ax.set_yticks(range(len(answers)))
        ax.set_yticklabels([f"{a['source']}: {a['question'][:28]}" for a in answers], fontsize=7)
        target = TARGETS["piper_p50_s"] if voice == "piper" else TARGETS["cloned_p50_s"]
        ax.axvline(target, color="k", linestyle="--", linewidth=1, label=f"p50 target {target} s")
        ax.set_xlabel("seconds from the message's arrival")
        ax.set_title(f"{voice}: p50 {figures[voice]['p50_s']} s, p95 {figures[voice]['p95_s']} s")
        ax.invert_yaxis()
        ax.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
