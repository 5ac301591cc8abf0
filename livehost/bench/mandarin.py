"""``livehost bench mandarin``: does the host speak Mandarin offline? Kokoro-82M through
misaki's Chinese G2P, on every stock style, heard back by the multilingual Whisper base:
character error rate per style and sentence, with espeak-ng's Mandarin phonemes (what the
other languages go through) as the baseline, and the same recognizer on the real Mandarin
recordings as the yardstick (its own errors on human speech); real-time factor."""

from __future__ import annotations

import statistics
import time

import numpy as np

from .common import SPEECH, progress

RECORDINGS = {  # the shared data's transcripts (AISHELL-1)
    "zh_aishell1-BAC009S0724W0121.wav": "广州市房地产中介协会分析",
    "zh_aishell1-BAC009S0764W0121.wav": "甚至出现交易几乎停滞的情况",
}
# What a Chinese shop host says: greetings, prices, stock, shipping, small talk.
SENTENCES = (
    "大家好，欢迎来到我们的直播间。",
    "这款蓝色搪瓷水壶售价三十四块九。",
    "我们今天有很多新产品。",
    "订单满五十欧元就免运费。",
    "这个杯子现在还有十二个库存。",
    "谢谢你的关注，记得点赞哦！",
    "这把刀很锋利，适合切菜和切肉。",
    "有什么问题都可以在评论区问我。",
    "下单以后两到四天就能收到。",
    "今天晚上我们一起聊聊厨房用品。",
)


def add_arguments(parser) -> None:
    parser.add_argument("--sentences", type=int, default=len(SENTENCES), help="sentences per style")
    parser.add_argument("--baseline", action="store_true", help="also time espeak-ng's Mandarin phonemes")


def run(args) -> dict:
    from livehost.voice.intelligibility import Transcriber, character_error_rate
    from livehost.voice.kokoro_engine import KokoroEngine
    from livehost.voice.kokoro_model import SAMPLE_RATE, load_stock_voices, shared_model
    from livehost.voice.reference import decode

    ears = Transcriber(threads=2, language="zh")
    recordings = {}
    for name, truth in progress(RECORDINGS.items(), "real recordings"):
        pcm, rate = decode(SPEECH / name)
        recordings[name] = round(character_error_rate(truth, ears.transcribe(pcm, rate)), 3)
    model, sentences = shared_model(), SENTENCES[: args.sentences]
    routes = {"misaki": model, **({"espeak": _EspeakPhonemes(model)} if args.baseline else {})}
    styles: dict[str, dict] = {}
    synth_s = audio_s = 0.0
    for style, table in load_stock_voices().items():
        for route, phonemizing in routes.items():
            engine = KokoroEngine(phonemizing, table, lang="zh")
            rates, heard = [], []
            for text in progress(sentences, f"{style} ({route})"):
                started = time.perf_counter()
                pcm = np.concatenate([c.pcm for c in engine.synthesize(text)])
                if route == "misaki":
                    synth_s += time.perf_counter() - started
                    audio_s += len(pcm) / SAMPLE_RATE
                said = ears.transcribe(pcm, SAMPLE_RATE)
                rates.append(character_error_rate(text, said))
                heard.append(said)
            styles.setdefault(style, {})[route] = {"cer": round(statistics.mean(rates), 3),
                                                   "worst": round(max(rates), 3), "heard": heard[:3]}
    cer = [s["misaki"]["cer"] for s in styles.values()]
    return {
        "asr": "whisper-base (multilingual), int8",
        "recordings_cer": recordings,
        "sentences": len(sentences),
        "styles": styles,
        "cer_mean": round(statistics.mean(cer), 3), "cer_best": min(cer), "cer_worst": max(cer),
        **({"espeak_cer_mean": round(statistics.mean(s["espeak"]["cer"] for s in styles.values()), 3)}
           if args.baseline else {}),
        "rtf": round(synth_s / max(audio_s, 1e-9), 3),
    }


class _EspeakPhonemes:
    """The model with espeak-ng's Mandarin phonemes in front instead of the G2P (the baseline)."""

    def __init__(self, model) -> None:
        self._model = model

    def phonemize(self, text: str, lang: str) -> str:
        return " ".join(self._model._tokenizer.phonemize(text, "cmn").split())

    def __getattr__(self, name):
        return getattr(self._model, name)
