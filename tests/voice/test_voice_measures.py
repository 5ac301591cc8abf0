"""The measures cloning is judged by: robust F0 (octave errors folded), the stationary-noise
step with its SNR estimate, the long-term spectral envelope, the pitch verdict, the summary."""

import numpy as np
import pytest

from livehost.cli.voice import summary
from livehost.voice.clone import Verification
from livehost.voice.denoise import denoise
from livehost.voice.profile import profile
from livehost.voice.prosody import Pitch, fold_octaves, pitch

SR = 16000


def harmonic(f0: float, seconds: float, rng) -> np.ndarray:
    t = np.arange(int(seconds * SR)) / SR
    freq = f0 * (1 + 0.03 * np.sin(2 * np.pi * 3 * t))  # a little intonation
    phase = 2 * np.pi * np.cumsum(freq) / SR
    return (sum(np.sin(k * phase) / k for k in range(1, 9)) * 0.2).astype(np.float32)


def test_octave_errors_fold_back_onto_the_speakers_cluster():
    rng = np.random.default_rng(0)
    voice = 12.0 + rng.normal(0, 1.5, 600)  # a man around 110 Hz
    errors = np.concatenate([voice[:150] - 12, voice[150:250] + 12, [36.5, 29.0]])  # sub/harmonic, 2 octaves, noise
    folded = fold_octaves(np.concatenate([voice, errors]))
    assert np.median(folded) == pytest.approx(np.median(voice), abs=0.3)
    assert np.all(np.abs(folded - 12) < 9) 
    assert len(voice) + 235 <= len(folded) <= len(voice) + 251  # 29 st: no octave of 12, dropped
    assert len(fold_octaves(np.zeros(0))) == 0


def test_pitch_of_a_noisy_harmonic_voice():
    rng = np.random.default_rng(1)
    tone = harmonic(110.0, 2.0, rng)
    noisy = tone + rng.normal(0, 0.3 * np.sqrt(np.mean(tone**2)), len(tone)).astype(np.float32)
    found = pitch(noisy, SR)
    assert found.median_st == pytest.approx(12 * np.log2(110 / 55), abs=0.5)
    assert found.median_hz == pytest.approx(110, rel=0.03) and found.range_st < 3
    assert pitch(np.zeros(SR, np.float32), SR) is None


def test_stationary_noise_is_reduced_and_its_level_estimated():
    rng = np.random.default_rng(2)
    tone = np.concatenate([np.zeros(SR, np.float32), harmonic(200.0, 2.0, rng), np.zeros(SR, np.float32)])
    speech = np.zeros(len(tone), bool)
    speech[SR: 3 * SR] = True
    level = np.mean(tone[speech] ** 2)
    noise = rng.normal(0, np.sqrt(level / 10 ** 1.0), len(tone)).astype(np.float32)  # 10 dB below the voice
    out = denoise(tone + noise, speech)
    assert out.snr_db == pytest.approx(10.0, abs=1.5)
    pause = slice(0, SR - 512)
    assert np.mean(out.pcm[pause] ** 2) < 0.2 * np.mean(noise[pause] ** 2)  # 9 dB less noise measured
    kept = np.corrcoef(out.pcm[speech], tone[speech])[0, 1]
    assert kept > 0.95  # the voice itself stays
    assert denoise(tone + 1e-5 * noise, speech).snr_db > 60


def test_the_envelope_tells_voices_apart():
    rng = np.random.default_rng(3)
    low, high = harmonic(110.0, 2.0, rng), harmonic(220.0, 2.0, rng)
    bright = np.diff(low, prepend=0).astype(np.float32) * 4  # the same voice, another spectral tilt
    a, b, c = profile(low, SR), profile(high, SR), profile(bright, SR)
    assert a.envelope_distance(a) == 0.0
    assert a.envelope_distance(c) > 1.0
    assert a.pitch_offset(b) == pytest.approx(12.0, abs=0.5)


def test_a_clone_off_the_references_pitch_fails_verification():
    reference = Pitch(20.0, 6.0)
    assert Verification(Pitch(21.2, 7.0), 3.0, 0.0).pitch_ok(reference)
    assert not Verification(Pitch(18.2, 6.0), 3.0, 0.0).pitch_ok(reference)  # 1.8 st low
    assert not Verification(Pitch(20.0, 11.0), 3.0, 0.0).pitch_ok(reference)  # another range
    assert not Verification(None, 3.0, 0.0).pitch_ok(reference)
    assert Verification(None, 3.0, 0.0).pitch_ok(None)


def test_the_summary_is_one_aligned_block():
    report = {"reference_seconds": 5.9, "speech_seconds": 5.1, "snr_db": 12.4, "warnings": ["noisy"],
              "similarity_before": 0.65, "similarity_start": 0.6, "similarity_after": 0.81, "best_stock_voice": "jm_kumo", "wer": 0.0,
              "speed": 0.87, "pitch_semitones": 2.9, "seconds": 118.0, "evaluations": 40,
              "rejected_unintelligible": 1, "rejected_pitch": 0, "rejected_envelope": 2,
              "reference_pitch": {"median_st": 12.5, "median_hz": 113.2, "range_st": 7.5},
              "clone_pitch": {"median_st": 12.05, "median_hz": 110.3, "range_st": 8.1},
              "pitch_offset_st": -0.45, "pitch_ok": True, "envelope_distance": 9.75, "verified_on": 4}
    lines = summary(report).splitlines()
    assert [line.split()[0] for line in lines] == ["reference", "similarity", "pitch", "envelope", "words", "voice",
                                                   "search", "warning"]
    assert len({line.index(line.split()[1]) for line in lines}) == 1  # values start in one column
    assert "110 Hz" in lines[2] and "113 Hz" in lines[2] and "-0.5 st, within 1.5 st" in lines[2]
    assert "+0.160" in lines[1] and "12 dB above the noise" in lines[0]
    assert "OFF: not kept" in summary({**report, "pitch_ok": False})
