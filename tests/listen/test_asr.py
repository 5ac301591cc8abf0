"""Whisper tiny.en on the real recordings, through the short encoder window."""

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import soxr

from livehost.bench.listen import RECORDINGS
from livehost.errors import LivehostError
from livehost.listen.asr import (
    SpeechRecognizer,
    Transcript,
    collapse_repeats,
    whisper_folder,
    window_frames,
)
from livehost.voice.intelligibility import word_error_rate

SPEECH = Path(__file__).resolve().parents[3] / "shared" / "data" / "speech"


@pytest.fixture(scope="module")
def recognizer():
    return SpeechRecognizer()


def load(name):
    audio, rate = sf.read(SPEECH / name, dtype="float32")
    return soxr.resample(audio if audio.ndim == 1 else audio.mean(axis=1), rate, 16000)


def test_windows_hold_the_speech_plus_silence_within_whisper_limits():
    assert window_frames(100) == 1000 and window_frames(1200) == 1700 and window_frames(2900) == 3000


def test_a_repeated_clause_is_said_once():
    assert collapse_repeats("do you ship to germany? Do You ship to Germany") == "do you ship to germany?"
    assert collapse_repeats("one, two, three.") == "one, two, three."


@pytest.mark.skipif(not SPEECH.is_dir(), reason="needs the shared test recordings")
def test_clean_recordings_are_transcribed_within_ten_percent_word_errors(recognizer):
    import re

    errors = {}
    for name, truth, clean in RECORDINGS:
        text = recognizer.transcribe(load(name)).text
        errors[name] = word_error_rate(truth, " ".join(re.findall(r"[a-z']+", text.lower())))
    clean = [errors[name] for name, _, is_clean in RECORDINGS if is_clean]
    assert np.mean(clean) <= 0.10, errors
    assert errors["en_female_noisy-reverb_voices-rm1-babble-farmic_sp0083.wav"] <= 0.5, errors


def test_silence_and_noise_are_not_usable_turns(recognizer):
    rng = np.random.default_rng(0)
    for audio in (np.zeros(16000, np.float32), (rng.standard_normal(16000) * 0.05).astype(np.float32)):
        assert not recognizer.transcribe(audio).usable


def test_hallucinated_thanks_are_unusable():
    assert not Transcript("Thank you.", "en", 0.2, -0.3, 1.0).usable
    assert Transcript("Thank you for the kettle tip", "en", 0.2, -0.3, 1.0).usable


def test_a_folder_without_a_model_is_named(tmp_path):
    with pytest.raises(LivehostError, match="not a CTranslate2 Whisper folder"):
        whisper_folder(tmp_path)
    with pytest.raises(LivehostError, match="English-only"):
        SpeechRecognizer(language="zh")
