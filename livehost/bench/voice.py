"""``livehost bench voice``: engines (real-time factor on one core; first-audio latency: a
sentence handed to the voice worker, as the channel does, to its first audio on the timeline) and
cloning (similarity to the reference before/after, word error rate, time to clone) on a
reference made from a stock voice and, with --reference, on a real recording."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import numpy as np

from livehost.persona import VoiceSpec

from .common import ms, progress, single_core

SENTENCES = [
    "Welcome back to the stream, everyone.",
    "Today we are looking at the new kettle, and it boils water in under three minutes.",
    "Are you sure about that?",
    "Thanks so much for the follow, it really means a lot!",
    "We open at nine tomorrow morning, and the first orders ship for free.",
    "The blue model is the lightest one we sell.",
    "Please keep your questions coming in the chat.",
    "I will read out the winners at the end of the show.",
    "This jacket is waterproof and it folds into its own pocket.",
    "Let me check the price for you right now.",
    "Our support team answers every email within a day.",
    "The battery lasts about ten hours on a single charge.",
    "You can return anything within thirty days.",
    "That is a great question, and I love that you asked it.",
    "The red one is back in stock this morning.",
    "We ship to most countries in Europe and Asia.",
    "Remember to grab the coupon before it runs out.",
    "Good evening, and thank you for joining us tonight.",
    "The lamp has three brightness levels and a warm light.",
    "See you all tomorrow at the same time!",
]
# Stock-voice reference: piper's joe three semitones up, a voice none of the stock voices has.
STOCK_REFERENCE = VoiceSpec(engine="piper", voice="joe", pitch=3.0)
STOCK_REFERENCE_TEXT = ("Hello there, my name is Joe and I will be your host for today. "
                        "Please ask me anything about the products in the chat.")


def add_arguments(parser) -> None:
    parser.add_argument("--reference", type=Path, help="a real recording to clone as well")
    parser.add_argument("--clone-only", action="store_true",
                        help="only clone --reference: no engine figures, no stock-voice reference")
    parser.add_argument("--budget-s", type=float, default=240.0, help="search budget per clone")
    parser.add_argument("--sentences", type=int,
                        help=f"held-out sentences the clone speaks (10 to all: {len(SENTENCES)} English, "
                             "10 Mandarin; the stock voices half as many)")
    parser.add_argument("--language", choices=("en", "zh"), default="en",
                        help="what the clone speaks on the held-out sentences: English (word error rate) "
                             "or Mandarin (character error rate, by the multilingual Whisper)")
    parser.add_argument("--plot", type=Path, help="write a PNG of the searches and similarities")


def bench_engine(spec: VoiceSpec) -> dict:
    with single_core():
        return _bench_engine(spec)


def _bench_engine(spec: VoiceSpec) -> dict:
    from livehost.voice.engines import create_engine

    started = time.perf_counter()
    engine = create_engine(spec)
    load_s = time.perf_counter() - started
    list(engine.synthesize("Warm up."))
    synth_s, audio_s, timed = 0.0, 0.0, 0
    for text in progress(SENTENCES, f"engine {spec.engine}"):
        started = time.perf_counter()
        for chunk in engine.synthesize(text):
            audio_s += len(chunk.pcm) / chunk.sample_rate
            timed += bool(chunk.phonemes or chunk.words)
        synth_s += time.perf_counter() - started
    first = _first_audio(engine, progress(SENTENCES, f"first audio {spec.engine}"))
    return {"load_s": round(load_s, 3), "rtf_one_core": round(synth_s / audio_s, 4),
            "first_audio_ms": ms(np.median(first)), "first_audio_ms_max": ms(max(first)),
            "has_timings": timed > 0}


def _first_audio(engine, texts) -> list[float]:
    """Seconds from a sentence handed to the voice worker (as the channel does) to its first
    audio on the timeline, ready to play."""
    from livehost.media.frames import Sentence
    from livehost.media.timeline import SpeechTimeline
    from livehost.motion.align import ensure_timings
    from livehost.voice.worker import VoiceWorker

    timeline = SpeechTimeline(48000)
    worker = VoiceWorker(engine, timeline, prepare=ensure_timings)
    first = []
    try:
        for text in texts:
            started = time.perf_counter()
            worker.say(Sentence(text))
            if not timeline.wait_for(1, timeout=60):
                raise RuntimeError(f"{engine.name}: no audio within 60 s")
            first.append(time.perf_counter() - started)
            if not worker.wait_idle(timeout=60):
                raise RuntimeError(f"{engine.name}: a sentence took over 60 s")
            timeline.flush()  # nothing has played: the next sentence starts on an empty timeline
    finally:
        worker.close()
    return first


def _render(engine, texts) -> list[tuple[np.ndarray, int]]:
    out = []
    for text in texts:
        chunks = list(engine.synthesize(text))
        out.append((np.concatenate([c.pcm for c in chunks]), chunks[0].sample_rate))
    return out


def _held_out(language: str, transcriber):
    """(sentences, Kokoro's language, a recognizer for it, its error count, the figure's name)."""
    from livehost.voice.intelligibility import Transcriber, character_errors, word_errors

    if language == "zh":
        from .mandarin import SENTENCES as MANDARIN

        return list(MANDARIN), "zh", Transcriber(threads=2, language="zh"), character_errors, "cer"
    return SENTENCES, "en-us", transcriber, word_errors, "wer"


def bench_clone(name: str, reference: Path, budget_s: float, tools, sentences: int = len(SENTENCES),
                language: str = "en") -> dict:
    from livehost.voice.clone import VoiceSearch
    from livehost.voice.engines import create_engine
    from livehost.voice.kokoro_engine import KokoroEngine
    from livehost.voice.kokoro_model import load_stock_voices
    from livehost.voice.profile import profile
    from livehost.voice.reference import load_reference
    from livehost.voice.speaker import similarity

    model, encoder, transcriber = tools
    started = time.perf_counter()
    clip = load_reference(reference)
    search = VoiceSearch(clip, load_stock_voices(), model, encoder, transcriber)
    trace = []
    bar = progress(None, f"clone {name}", total=int(budget_s))

    def tick(state) -> None:
        bar.n = min(int(state.elapsed_s), bar.total)
        bar.refresh()
        if not trace or trace[-1][1] != round(state.best_similarity, 4):
            trace.append((round(state.elapsed_s, 1), round(state.best_similarity, 4)))

    result = search.run(budget_s, tick)
    bar.close()
    clone_s = time.perf_counter() - started
    target = search.target

    def similarities(audio: list[tuple[np.ndarray, int]]) -> tuple[float, float]:
        """(mean over sentences, of the speaker's mean embedding): per-sentence embeddings of
        short sentences are noisy; their mean is what resemblyzer calls a speaker embedding."""
        embeddings = [encoder.embed(pcm, sr) for pcm, sr in audio]
        return (float(np.mean([similarity(e, target) for e in embeddings])),
                similarity(np.mean(embeddings, axis=0), target))

    def spoken(audio: list[tuple[np.ndarray, int]]):
        return profile(np.concatenate([pcm for pcm, _ in audio]), audio[0][1])

    texts, lang, ears, errors_of, error_name = _held_out(language, transcriber)
    clone_engine = KokoroEngine(model, result.table, rate=result.speed, pitch=result.pitch, lang=lang)
    held_out = texts[:sentences]
    clone_audio = _render(clone_engine, progress(held_out, f"held-out {name}"))
    clone_sim, clone_speaker = similarities(clone_audio)
    clone_voice = spoken(clone_audio)
    errors = units = 0
    for text, (pcm, sr) in zip(held_out, clone_audio):
        e, n = errors_of(text, ears.transcribe(pcm, sr))
        errors, units = errors + e, units + n
    stock, stock_envelope = {}, {}
    some = texts[:max(5, sentences // 2)]  # fewer for the stock voices: they are only the baseline
    engines = {f"kokoro/{voice}": KokoroEngine(model, search.stock[search.names.index(voice)], lang=lang)
               for voice in search.names}
    if language == "en":  # piper's joe speaks English only
        engines["piper/joe"] = create_engine(VoiceSpec())
    for key, engine in progress(list(engines.items()), f"stock voices {name}"):
        audio = _render(engine, some)
        stock[key] = similarities(audio)
        stock_envelope[key] = search.target_profile.envelope_distance(spoken(audio))
    best = max(stock, key=lambda k: stock[k][0])
    best_speaker = max(stock, key=lambda k: stock[k][1])
    ref_pitch, clone_pitch = search.target_pitch, clone_voice.pitch
    offset = None if ref_pitch is None or clone_pitch is None else clone_pitch.median_st - ref_pitch.median_st
    return {
        "reference_seconds": round(clip.seconds, 2),
        "speech_seconds": round(clip.speech_seconds, 2),
        "snr_db": round(clip.snr_db, 1),
        "warnings": list(clip.warnings),
        "similarity_clone": round(clone_sim, 4),
        "similarity_best_stock": round(stock[best][0], 4),
        "best_stock_voice": best,
        "margin_over_stock": round(clone_sim - stock[best][0], 4),
        "speaker_similarity_clone": round(clone_speaker, 4),
        "speaker_similarity_best_stock": round(stock[best_speaker][1], 4),
        "speaker_margin_over_stock": round(clone_speaker - stock[best_speaker][1], 4),
        "similarity_stock": {k: round(v[0], 4) for k, v in stock.items()},
        "reference_f0_hz": None if ref_pitch is None else round(ref_pitch.median_hz, 1),
        "reference_f0_range_st": None if ref_pitch is None else round(ref_pitch.range_st, 2),
        "clone_f0_hz": None if clone_pitch is None else round(clone_pitch.median_hz, 1),
        "clone_f0_range_st": None if clone_pitch is None else round(clone_pitch.range_st, 2),
        "f0_offset_st": None if offset is None else round(offset, 2),
        "envelope_distance_clone": round(search.target_profile.envelope_distance(clone_voice), 3),
        "envelope_distance_best_stock": round(stock_envelope[best], 3),
        "pitch_ok": result.pitch_ok,
        "search_similarity_before": round(result.similarity_before, 4),
        "search_similarity_start": round(result.similarity_start, 4),
        "search_similarity_after": round(result.similarity_after, 4),
        "language": language,
        "held_out_sentences": len(held_out),
        error_name: round(errors / max(units, 1), 4),
        "clone_s": round(clone_s, 1),
        "evaluations": result.evaluations,
        "rejected": {"unintelligible": result.rejected, "pitch": result.rejected_pitch,
                     "envelope": result.rejected_envelope},
        "speed": round(result.speed, 3),
        "pitch_semitones": round(result.pitch, 2),
        "trace": trace,
    }


def make_stock_reference(folder: Path) -> Path:
    from livehost.voice.engines import create_engine
    from livehost.voice.wav_stream import encode_wav

    chunks = list(create_engine(STOCK_REFERENCE).synthesize(STOCK_REFERENCE_TEXT))
    path = folder / "joe-plus3.wav"
    path.write_bytes(encode_wav(np.concatenate([c.pcm for c in chunks]), chunks[0].sample_rate))
    return path


def plot(figures: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    clones = figures["clone"]
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
    for name, f in clones.items():
        t, s = zip(*f["trace"]) if f["trace"] else ((), ())
        left.step(t, s, where="post", label=name)
    left.set(xlabel="search time (s)", ylabel="probe similarity", title="search progress")
    left.legend()
    names = list(clones)
    x = np.arange(len(names))
    right.bar(x - 0.2, [clones[n]["similarity_best_stock"] for n in names], 0.4, label="best stock voice")
    right.bar(x + 0.2, [clones[n]["similarity_clone"] for n in names], 0.4, label="clone")
    right.set_xticks(x, names)
    right.set(ylabel="similarity to reference (held-out sentences)", ylim=(0, 1), title="clone vs stock")
    right.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)


def run(args) -> dict:
    from livehost.errors import LivehostError
    from livehost.voice.intelligibility import Transcriber
    from livehost.voice.kokoro_model import KokoroModel
    from livehost.voice.speaker import SpeakerEncoder

    from .mandarin import SENTENCES as MANDARIN

    most = len(SENTENCES) if args.language == "en" else len(MANDARIN)
    sentences = most if args.sentences is None else args.sentences
    if not 10 <= sentences <= most:
        raise LivehostError(f"--sentences: give 10 to {most} for --language {args.language}")
    if args.language != "en" and not args.clone_only:
        raise LivehostError("--language zh: only with --clone-only (the engine figures are English)")
    if args.clone_only and args.reference is None:
        raise LivehostError("--clone-only: give the recording to clone with --reference FILE")
    figures: dict = {}
    if not args.clone_only:
        figures["engines"] = {
            "piper": bench_engine(VoiceSpec(engine="piper", voice="joe")),
            "kokoro": bench_engine(VoiceSpec(engine="kokoro", voice="jf_alpha")),
        }
    tools = (KokoroModel(threads=2), SpeakerEncoder(), Transcriber())
    figures["clone"] = {}
    with tempfile.TemporaryDirectory() as tmp:
        references = {} if args.clone_only else {"stock_joe_plus3": make_stock_reference(Path(tmp))}
        if args.reference is not None:
            references["recording"] = args.reference
        for name, path in references.items():
            figures["clone"][name] = bench_clone(name, path, args.budget_s, tools, sentences, args.language)
    if args.plot is not None:
        plot(figures, args.plot)
    return figures
