"""``livehost bench listen``: spoken questions through a real mic path, timed at a probe.

Everything goes through a PulseAudio server of the benchmark's own: questions are played into
a null sink (the room) whose monitor the host listens to (``--mic``), the host speaks into its
virtual microphone, and a probe records both onto one stereo stream — the user on the left,
the host on the right — so every latency is measured at the receiver, on one clock.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

from livehost.bench.common import SPEECH, progress

QUESTIONS = [
    "How much is the blue enamel kettle?",
    "Do you ship to Germany?",
    "Is the glass teapot in stock?",
    "Does the kettle work on induction?",
    "How long does delivery take?",
    "What is the capacity of the blue kettle?",
    "Can I return something I bought?",
    "How much are the mugs?",
    "Is the cast iron skillet heavy?",
    "Do you take PayPal?",
    "How much is the chef's knife?",
    "Is the mug set dishwasher safe?",
    "Do you gift wrap?",
    "How much is the oak cutting board?",
    "Is the chef's knife in stock?",
    "What is the teapot made of?",
    "Do you sell toasters?",
    "How much is the cast iron skillet?",
    "Hi Nova, how are you today?",
    "What do you do for fun?",
]
LONG_LINE = ("Let me tell you the story of our little shop. It opened many years ago in a small town by "
             "the sea, where my grandmother sold kettles, pans and teapots to the fishermen's families, "
             "and every one of them came back for more.")
# (file, transcript, clean): the real recordings, for word errors
RECORDINGS = [
    ("en_male_librispeech-1272-128104-0000.flac",
     "mister quilter is the apostle of the middle classes and we are glad to welcome his gospel", True),
    ("en_female_librispeech-1995-1837-0001.wav",
     "it was the first great sorrow of his life it was not so much the loss of the cotton itself but the "
     "fantasy the hopes the dreams built around it", True),
    ("en_female_librispeech-2412-153948-0000.flac",
     "if the reader will excuse me i will say nothing of my antecedents nor of the circumstances which led "
     "me to leave my native country the narrative would be tedious to him and painful to myself", True),
    ("en_male_us_cmuarctic-aew-a0002.wav", "not at this particular case tom apologized whittemore", True),
    ("en_male_nonnative-mandarin-L1_speechocean762-096260017.wav", "he had no idea what people would say", False),
    ("en_female_noisy-reverb_voices-rm1-babble-farmic_sp0083.wav",
     "fruit shook off the branches of the tree it grows upon by the motion of the water as those in our "
     "gardens are by that of the wind the lobster trees appeared the richest but the crab and oysters "
     "were the tallest", False),
]
TARGETS = {"p50_s": 1.0, "p95_s": 1.5, "barge_in_s": 0.25, "wer_clean": 0.10,
           "self_interruptions": 0, "own_words_heard": 0}
RATE = 16_000
HOP = 0.01  # seconds per loudness value


def add_arguments(parser) -> None:
    parser.add_argument("--persona", default="demo")
    parser.add_argument("--questions", type=int, default=len(QUESTIONS), help="spoken questions (default 20)")
    parser.add_argument("--barge-ins", type=int, default=5, help="times the host is talked over")
    parser.add_argument("--recordings", type=int, default=len(RECORDINGS), help="real recordings for word errors")
    parser.add_argument("--echo-s", type=float, default=300.0,
                        help="seconds of speaker-mode talk with the host's voice fed back into the mic (0: none)")
    parser.add_argument("--llm", help="language model spec (default: the persona's)")
    parser.add_argument("--plot", type=Path, help="write a PNG of the latency breakdown")


class Probe:
    """Records a stereo PulseAudio source in a thread; ``audio()`` is (N, 2) float32 and
    ``t0`` the monotonic time of its first sample (within the recorder's latency)."""

    def __init__(self, env: dict, source: str) -> None:
        self._process = subprocess.Popen(
            ["parec", "-d", source, "--format=s16le", f"--rate={RATE}", "--channels=2", "--raw",
             "--latency-msec=10"], stdout=subprocess.PIPE, env=env)
        self._chunks: list[bytes] = []
        self.t0: float | None = None
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        while chunk := self._process.stdout.read(640):
            if self.t0 is None:
                self.t0 = time.monotonic() - len(chunk) / 4 / RATE
            self._chunks.append(chunk)

    def now(self) -> float:
        """Seconds into the recording, now."""
        return time.monotonic() - (self.t0 or time.monotonic())

    def stop(self) -> np.ndarray:
        self._process.terminate()
        self._thread.join(5)
        data = b"".join(self._chunks)
        return np.frombuffer(data[: len(data) // 4 * 4], np.int16).reshape(-1, 2).astype(np.float32) / 32768


def loudness(channel: np.ndarray) -> np.ndarray:
    hop = int(RATE * HOP)
    frames = channel[: len(channel) // hop * hop].reshape(-1, hop)
    return 20 * np.log10(np.sqrt((frames ** 2).mean(axis=1)) + 1e-9)


def active_spans(db: np.ndarray, threshold_db: float = -45.0, bridge_s: float = 0.35) -> list[tuple[float, float]]:
    """(start, end) seconds where the channel is louder than ``threshold_db``, gaps shorter
    than ``bridge_s`` (pauses between words) bridged."""
    on = np.flatnonzero(db > threshold_db)
    if len(on) == 0:
        return []
    spans, start, last = [], on[0], on[0]
    for i in on[1:]:
        if (i - last) * HOP > bridge_s:
            spans.append((start * HOP, (last + 1) * HOP))
            start = i
        last = i
    spans.append((start * HOP, (last + 1) * HOP))
    return spans


def synthesize(persona, texts: list[str], folder: Path) -> list[Path]:
    from livehost.media.frames import Sentence
    from livehost.voice.engines import create_engine
    from livehost.voice.wav_stream import encode_wav
    from livehost.voice.worker import join_chunks

    engine = create_engine(persona.voice, persona)
    paths = []
    for i, text in enumerate(progress(texts, "synthesizing questions")):
        chunks = list(engine.synthesize(text))
        rate = chunks[0].sample_rate
        path = folder / f"q{i:02d}.wav"
        path.write_bytes(encode_wav(join_chunks(Sentence(text), chunks, rate).pcm, rate))
        paths.append(path)
    return paths


def _pct(values, q):
    return None if not values else round(float(np.percentile(values, q)), 3)


class _Session:
    """One host listening in the room, speaking into its virtual mic, plus the probe."""

    def __init__(self, persona, args, folder: Path, pulse, mode: str) -> None:
        from livehost.bench.live import RunningHost
        from livehost.listen.listener import ListenConfig, Listener
        from livehost.sinks.virtualmic import VirtualMicSink

        self.pulse = pulse
        self.listener = Listener(ListenConfig(mic="lh_room.monitor", mode=mode))
        self.running = RunningHost(persona, args.llm, folder, sinks=[VirtualMicSink("LhHost")],
                                   listener=self.listener)

    def __enter__(self) -> _Session:
        self.running.__enter__()
        host = self.running.host
        if not host.ready.wait(180):
            raise RuntimeError("the host did not go live within 180 s")
        deadline = time.monotonic() + 120
        while not self.listener.stats()["mic_up"] or host.channel.voice.warming:
            if time.monotonic() > deadline:
                raise RuntimeError("the mic did not come up")
            time.sleep(0.2)
        self.running.wait_quiet(60)
        return self

    def __exit__(self, *exc) -> None:
        self.running.__exit__(*exc)

    def play(self, path: Path) -> None:
        """Plays ``path`` into the room (returns when it ended); the events of what came
        before are dropped, so what is waited for next belongs to this playback."""
        self.running.events.drain()
        self.pulse.play(path, "lh_room").wait(60)

    def wait(self, match, timeout: float) -> dict | None:
        return self.running.wait_event(match, timeout)


def _questions(session: _Session, probe: Probe, paths: list[Path], texts: list[str]) -> list[dict]:
    rows = []
    for path, text in zip(progress(paths, "spoken questions"), texts):
        session.running.wait_quiet(60)
        time.sleep(0.5)
        start = probe.now()
        session.play(path)
        end = probe.now()
        heard = session.wait(lambda e: e.get("event") == "heard" and not e.get("partial"), 20)
        answer = session.wait(lambda e: e.get("event") == "answer" and str(e.get("to", "")).startswith("mic-"), 30)
        rows.append({"question": text, "window": (start, end), "heard": heard and heard["text"],
                     "endpoint_asr_s": heard and round(heard["t"] - heard["t1"], 3),
                     "answer": answer and answer["text"], "source": answer and answer["source"],
                     "latency": (answer or {}).get("latency", {})})
    return rows


def _barge_ins(session: _Session, probe: Probe, n: int, interrupter: Path) -> list[dict]:
    import httpx

    rows = []
    running = session.running
    with httpx.Client(base_url=running.url, headers={"Authorization": f"Bearer {running.token}"}) as client:
        for _ in progress(range(n), "barge-ins"):
            running.wait_quiet(90)
            time.sleep(0.5)
            client.post("/api/say", json={"text": LONG_LINE}).raise_for_status()
            deadline = time.monotonic() + 30
            while not running.host.channel.timeline.playing and time.monotonic() < deadline:
                time.sleep(0.02)
            time.sleep(1.5)
            start = probe.now()
            session.play(interrupter)
            event = session.wait(lambda e: e.get("event") == "interrupt" and e.get("reason") == "barge-in", 10)
            rows.append({"window": (start, probe.now()), "interrupted": event is not None})
            running.host.interrupt("bench")  # the interrupter's own answer is not timed
    return rows


def _word_errors(session: _Session, n: int) -> list[dict]:
    from livehost.voice.intelligibility import word_errors

    rows = []
    for name, truth, clean in progress(RECORDINGS[:n], "recordings"):
        session.running.wait_quiet(90)
        time.sleep(0.5)
        session.play(SPEECH / name)
        heard = []
        while event := session.wait(lambda e: e.get("event") == "heard" and not e.get("partial"), 4):
            heard.append(event["text"])  # a long recording may be heard as two turns
        text = " ".join(heard)
        errors, words = word_errors(truth, text)
        rows.append({"recording": name, "clean": clean, "heard": text, "errors": errors, "words": words,
                     "wer": round(errors / words, 3)})
        session.running.host.interrupt("bench")
    return rows


def _pooled_wer(rows: list[dict]) -> dict:
    """Word errors over all words of the clean recordings, as ASR benchmarks count them (a
    mean of per-recording rates would let one eight-word clip weigh as much as a 35-word one);
    the per-recording mean is kept beside it."""
    clean = [r for r in rows if r["clean"]]
    if not clean:
        return {"wer_clean": None, "wer_clean_mean_per_recording": None}
    return {"wer_clean": round(sum(r["errors"] for r in clean) / sum(r["words"] for r in clean), 3),
            "wer_clean_mean_per_recording": round(float(np.mean([r["wer"] for r in clean])), 3)}


def _echo(session: _Session, seconds: float) -> dict:
    """The host's own voice fed back into the mic while it talks on and on."""
    running = session.running
    heard, interrupts = [], 0
    session.pulse.loopback("LhHost_out.monitor", "lh_room")
    end = time.monotonic() + seconds
    with progress(None, "speaker-mode talk", total=int(seconds)) as bar:
        while time.monotonic() < end:
            if not running.host.channel.voice.busy and running.host.queue.depth == 0:
                running.host.say(LONG_LINE)
            event = running.wait_event(lambda e: e.get("event") in ("heard", "interrupt"), 1.0)
            if event is not None and event["event"] == "heard" and not event.get("partial"):
                heard.append(event["text"])
            elif event is not None and event["event"] == "interrupt" and event.get("reason") == "barge-in":
                interrupts += 1
            bar.n = int(seconds - max(0.0, end - time.monotonic()))
            bar.refresh()
    stats = session.listener.stats()
    return {"seconds": seconds, "self_interruptions": interrupts, "own_words_heard": len(heard),
            "heard": heard[:10], "echo_dropped": stats["echo_dropped"], "false_starts": stats["false_starts"]}


def analyse(audio: np.ndarray, questions: list[dict], barge_ins: list[dict]) -> tuple[list[dict], list[dict]]:
    """Receiver figures from the probe: user on the left, host on the right."""
    user, host = active_spans(loudness(audio[:, 0])), active_spans(loudness(audio[:, 1]))
    for row in questions:
        start, stop = row["window"]
        mine = [s for s in user if s[1] > start - 0.2 and s[0] < stop + 0.3]
        row["latency_s"] = None
        if mine:
            speech_end = mine[-1][1]
            after = [h for h in host if h[0] > speech_end - 0.05]
            row["speech_end_s"] = round(speech_end, 3)
            row["latency_s"] = round(after[0][0] - speech_end, 3) if after and row["answer"] else None
    for row in barge_ins:
        start, stop = row["window"]
        mine = [s for s in user if s[1] > start - 0.2 and s[0] < stop + 0.3]
        row["barge_in_s"] = None
        if mine and row["interrupted"]:
            onset = mine[0][0]
            talking = [h for h in host if h[0] <= onset < h[1] + 0.05]
            if talking:
                row["barge_in_s"] = round(max(0.0, talking[0][1] - onset), 3)
    return questions, barge_ins


def run(args) -> dict:
    from livehost.bench.pulse import pulse_available, pulse_server
    from livehost.persona import load_persona

    if not pulse_available():
        raise SystemExit("bench listen needs pulseaudio and pulseaudio-utils (apt)")
    persona = load_persona(args.persona)
    texts = (QUESTIONS * (1 + args.questions // len(QUESTIONS)))[: args.questions]
    figures: dict = {"cpus": os.cpu_count(), "targets": TARGETS}
    with tempfile.TemporaryDirectory(prefix="livehost-bench-") as tmp:
        folder = Path(tmp)
        paths = synthesize(persona, texts, folder)
        interrupter = paths[0] if paths else synthesize(persona, QUESTIONS[:1], folder)[0]
        with pulse_server(folder) as pulse:
            pulse.null_sink("lh_room")
            pulse.null_sink("lh_probe", channels=2)
            pulse.loopback("lh_room.monitor", "lh_probe", "front-left")
            with _Session(persona, args, folder, pulse, "headset") as session:
                pulse.loopback("LhHost_out.monitor", "lh_probe", "front-right")
                probe = Probe(pulse.env, "lh_probe.monitor")
                time.sleep(0.5)
                questions = _questions(session, probe, paths, texts)
                barge_ins = _barge_ins(session, probe, args.barge_ins, interrupter) if args.barge_ins else []
                words = _word_errors(session, args.recordings)
                audio = probe.stop()
            questions, barge_ins = analyse(audio, questions, barge_ins)
            figures["speech_to_audio"] = _latency_summary(questions)
            figures["questions"] = questions
            barge = [r["barge_in_s"] for r in barge_ins if r["barge_in_s"] is not None]
            figures["barge_in"] = {"n": len(barge_ins), "interrupted": sum(r["interrupted"] for r in barge_ins),
                                   "p50_s": _pct(barge, 50), "max_s": _pct(barge, 100), "each_s": barge}
            figures["asr"] = {**_pooled_wer(words), "recordings": words}
            if args.echo_s > 0:
                with _Session(persona, args, folder, pulse, "speaker") as session:
                    figures["echo"] = _echo(session, args.echo_s)
    figures["met"] = _met(figures)
    if args.plot is not None:
        plot(figures, args.plot)
    return figures


def _latency_summary(questions: list[dict]) -> dict:
    lat = [q["latency_s"] for q in questions if q.get("latency_s") is not None]
    stages = {"endpoint_asr": [q["endpoint_asr_s"] for q in questions if q.get("endpoint_asr_s") is not None]}
    for key in ("lookup", "first_sentence", "first_audio"):
        stages[key] = [q["latency"][key] for q in questions if q["latency"].get(key) is not None]
    return {"n": len(lat), "asked": len(questions), "p50_s": _pct(lat, 50), "p95_s": _pct(lat, 95),
            "max_s": _pct(lat, 100),
            "stages": {k: {"p50_s": _pct(v, 50), "p95_s": _pct(v, 95)} for k, v in stages.items()},
            "by_source": {s: _pct([q["latency_s"] for q in questions if q.get("source") == s
                                   and q.get("latency_s") is not None], 50)
                          for s in sorted({q.get("source") for q in questions if q.get("source")})}}


def _met(figures: dict) -> dict:
    lat, barge, asr = figures["speech_to_audio"], figures["barge_in"], figures["asr"]
    met = {"p50": (lat["p50_s"] or 1e9) <= TARGETS["p50_s"], "p95": (lat["p95_s"] or 1e9) <= TARGETS["p95_s"],
           "barge_in": barge["n"] == 0 or ((barge["max_s"] or 1e9) <= TARGETS["barge_in_s"]
                                           and barge["interrupted"] == barge["n"]),
           "wer_clean": asr["wer_clean"] is not None and asr["wer_clean"] <= TARGETS["wer_clean"]}
    if "echo" in figures:
        met["no_self_interruption"] = figures["echo"]["self_interruptions"] == 0
        met["no_own_words"] = figures["echo"]["own_words_heard"] == 0
    return met


def plot(figures: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = [q for q in figures["questions"] if q.get("latency_s") is not None]
    fig, ax = plt.subplots(figsize=(9, 4.5))
    x = np.arange(len(rows))
    endpoint = np.array([q["endpoint_asr_s"] or 0 for q in rows])
    voice = np.array([q["latency"].get("first_audio") or 0 for q in rows])
    rest = np.maximum(0, np.array([q["latency_s"] for q in rows]) - endpoint - voice)
    ax.bar(x, endpoint, label="endpointing + ASR", color="#80b1d3")
    ax.bar(x, voice, bottom=endpoint, label="brain + voice", color="#fdb462")
    ax.bar(x, rest, bottom=endpoint + voice, label="output path", color="#b3de69")
    ax.axhline(TARGETS["p50_s"], color="k", ls="--", lw=0.8, label="p50 target")
    ax.set_xlabel("spoken question")
    ax.set_ylabel("end of speech → first audio at the receiver (s)")
    ax.legend(loc="upper right", fontsize=8)
    ax.set_title(f"p50 {figures['speech_to_audio']['p50_s']} s, p95 {figures['speech_to_audio']['p95_s']} s")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
