"""Mandarin offline: Kokoro-82M through misaki's Chinese G2P, heard back by the multilingual
Whisper base — on every stock style, and the recognizer itself checked on the two real
Mandarin recordings (AISHELL-1) it must also understand as a listener."""

from __future__ import annotations

import json
import statistics

import numpy as np
import pytest

from livehost.bench.mandarin import RECORDINGS, SPEECH
from livehost.bench.mandarin import SENTENCES as BENCH_SENTENCES
from livehost.persona import load_persona
from livehost.voice.intelligibility import Transcriber, character_error_rate, character_errors, hanzi
from livehost.voice.mandarin import is_chinese, mandarin_phonemes

from conftest import REPO

SENTENCES = BENCH_SENTENCES[:4]


def test_mandarin_phonemes_carry_the_four_tones_and_numbers_are_read_out():
    phonemes = mandarin_phonemes("妈麻马骂，34块")
    assert {"→", "↗", "↓", "↘"} <= set(phonemes), phonemes
    assert not any(c.isdigit() for c in phonemes)
    assert is_chinese("zh") and is_chinese("zh-CN") and is_chinese("cmn") and not is_chinese("en-us")


def test_character_error_rate_reads_arabic_numbers_as_characters():
    assert hanzi("售价34块") == list("售价三十四块")
    assert character_error_rate("售价三十四块", "售价34块") == 0.0
    assert character_error_rate("我们今天", "我们明天") == 0.25
    assert character_errors("我们今天", "我们明天啊") == (2, 4)  # counts, for a rate over many sentences


@pytest.mark.parametrize("args, says", [
    (["--language", "zh", "--reference", "clip.wav"], "only with --clone-only"),
    (["--language", "zh", "--clone-only", "--reference", "clip.wav", "--sentences", "11"], "give 10 to 10"),
])
def test_the_mandarin_clone_bench_refuses_what_it_cannot_measure(livehost_cli, args, says):
    result = livehost_cli("bench", "voice", "--json", *args, timeout=120)
    assert result.returncode != 0 and says in result.stderr, result.stderr[-1000:]


@pytest.fixture(scope="module")
def chinese_ears():
    return Transcriber(threads=2, language="zh")


@pytest.mark.slow
def test_the_recognizer_understands_real_mandarin(chinese_ears):
    from livehost.voice.reference import decode

    rates = {}
    for name, truth in RECORDINGS.items():
        pcm, rate = decode(SPEECH / name)
        rates[name] = character_error_rate(truth, chinese_ears.transcribe(pcm, rate))
    assert max(rates.values()) <= 0.25, rates  # measured 0.17 and 0.08


@pytest.mark.slow
def test_every_stock_style_speaks_intelligible_mandarin(chinese_ears):
    from livehost.voice.engines import create_engine
    from livehost.voice.kokoro_model import load_stock_voices

    persona = load_persona(REPO / "personas" / "xiaomei")
    rates = {}
    for style in load_stock_voices():
        voice = persona.voice.model_copy(update={"voice": style})
        engine = create_engine(voice, persona)
        heard = []
        for text in SENTENCES:
            pcm = np.concatenate([chunk.pcm for chunk in engine.synthesize(text)])
            heard.append(character_error_rate(text, chinese_ears.transcribe(pcm, 24000)))
        rates[style] = statistics.mean(heard)
    # measured (bench mandarin, 10 sentences): 0.19-0.27 by style, 0.86 through espeak-ng's phonemes
    assert max(rates.values()) <= 0.45 and statistics.mean(rates.values()) <= 0.35, rates


@pytest.mark.slow
def test_a_mandarin_speaker_clones_and_the_clone_speaks_mandarin(tmp_path, chinese_ears, livehost_cli):
    """The clone search probes in English, but what it finds is a voice: cloned from a real
    AISHELL-1 speaker, the persona speaks Chinese at her pitch and is still understood."""
    from livehost.voice.engines import create_engine

    folder = tmp_path / "zhubo"
    folder.mkdir()
    (folder / "persona.yaml").write_text(
        f"name: 主播\nlanguage: zh\nportrait: {REPO / 'personas' / 'demo' / 'portrait.jpg'}\nvoice:\n  engine: kokoro\n")
    reference = SPEECH / "zh_aishell1-BAC009S0724W0121.wav"
    result = livehost_cli("voice", "clone", "--persona", str(folder), "--reference", str(reference),
                          "--budget-s", "30", "--json")
    assert result.returncode == 0, result.stderr[-2000:]
    report = json.loads(result.stdout)
    assert report["pitch_ok"] and abs(report["pitch_offset_st"]) <= 1.5, report
    assert report["similarity_after"] >= report["similarity_before"] - 1e-6

    persona = load_persona(folder)
    assert persona.voice.voice == "voice-clone.npy"
    engine = create_engine(persona.voice, persona)
    heard = []
    for text in SENTENCES:
        pcm = np.concatenate([chunk.pcm for chunk in engine.synthesize(text)])
        heard.append(character_error_rate(text, chinese_ears.transcribe(pcm, 24000)))
    assert statistics.mean(heard) <= 0.45, heard  # the stock styles' bound above
