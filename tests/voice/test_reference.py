"""Reference clips: any format and rate, stereo, trimmed; bad clips get clear messages."""

import numpy as np
import pytest
from voice_media import encode_audio

from livehost.errors import LivehostError
from livehost.media.audio import resample
from livehost.voice.reference import MAX_SPEECH_S, load_reference

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("suffix,rate,channels", [(".wav", 44100, 2), (".flac", 22050, 1),
                                                  (".mp3", 44100, 2), (".ogg", 48000, 1)])  # ogg: Opus
def test_formats_rates_and_stereo_load_and_silence_is_trimmed(tmp_path, speech, suffix, rate, channels):
    pcm, sr = speech
    padded = np.concatenate([np.zeros(2 * sr, np.float32), pcm, np.zeros(3 * sr, np.float32)])
    path = encode_audio(tmp_path / f"clip{suffix}", resample(padded, sr, rate), rate, channels)
    clip = load_reference(path)
    plain = load_reference(encode_audio(tmp_path / "plain.wav", pcm, sr))
    assert clip.source_seconds == pytest.approx(len(padded) / sr, abs=0.15)
    assert clip.seconds == pytest.approx(plain.seconds, abs=0.3)  # the 5 s of silence are gone
    assert not clip.warnings
    assert clip.wav_bytes()[:4] == b"RIFF"
    assert clip.speech_seconds == pytest.approx(plain.speech_seconds, abs=0.3) and clip.speech_seconds >= 3.0


def test_too_short_silent_music_and_missing_are_errors(tmp_path, speech):
    pcm, sr = speech
    with pytest.raises(LivehostError, match="only 1.[0-9] s of speech"):
        load_reference(encode_audio(tmp_path / "short.wav", pcm[int(0.6 * sr): int(2.2 * sr)], sr))
    with pytest.raises(LivehostError, match="silent"):
        load_reference(encode_audio(tmp_path / "silent.wav", np.zeros(5 * sr, np.float32), sr))
    t = np.arange(8 * sr) / sr
    chords = sum(0.08 * np.sin(2 * np.pi * f * t) * (1 + np.sin(2 * np.pi * 1.5 * t)) for f in (220, 277, 330, 440))
    drums = 0.3 * np.random.default_rng(0).normal(size=len(t)) * (np.mod(t, 0.5) < 0.03)
    with pytest.raises(LivehostError, match="no speech"):
        load_reference(encode_audio(tmp_path / "music.ogg", (chords + drums).astype(np.float32), sr))
    with pytest.raises(LivehostError, match="does not exist"):
        load_reference(tmp_path / "nope.wav")
    (tmp_path / "text.mp3").write_text("not audio at all")
    with pytest.raises(LivehostError, match="cannot decode|no audio"):
        load_reference(tmp_path / "text.mp3")


def test_clipped_and_too_long_clips_warn(tmp_path, speech):
    pcm, sr = speech
    loud = np.clip(pcm * 6.0, -1.0, 1.0)
    assert any("clipped" in w for w in load_reference(encode_audio(tmp_path / "loud.wav", loud, sr)).warnings)
    long = np.concatenate([pcm] * 10)  # ~40 s of speech
    clip = load_reference(encode_audio(tmp_path / "long.flac", long, sr))
    assert any("using the first" in w for w in clip.warnings)
    assert MAX_SPEECH_S <= clip.seconds < clip.source_seconds - 5  # speech kept up to the limit, pauses too


def test_noise_is_estimated_reduced_and_warned_about(tmp_path, speech):
    pcm, sr = speech
    rng = np.random.default_rng(0)
    clean = load_reference(encode_audio(tmp_path / "clean.wav", pcm, sr))
    hum = 0.02 * np.sin(2 * np.pi * 100 * np.arange(len(pcm) + 2 * sr) / sr)
    noisy_pcm = np.concatenate([np.zeros(sr), pcm, np.zeros(sr)]) + hum + rng.normal(0, 0.02, len(pcm) + 2 * sr)
    noisy = load_reference(encode_audio(tmp_path / "noisy.flac", noisy_pcm.astype(np.float32), sr))
    assert clean.snr_db > 25 and noisy.snr_db < 15
    assert any("dB above the noise" in w for w in noisy.warnings) and not clean.warnings
    # the noise step: to the speaker encoder the cleaned speech is much closer to the clean
    # recording than the noisy clip is (0.91 against 0.75 measured)
    from livehost.voice.speaker import SpeakerEncoder, similarity

    encoder = SpeakerEncoder()
    target = encoder.embed(clean.voice, sr)
    raw, cleaned = (similarity(encoder.embed(x, sr), target) for x in (noisy.pcm, noisy.voice))
    assert cleaned > 0.85 and cleaned > raw + 0.1
    assert noisy.path.read_bytes() == (tmp_path / "noisy.flac").read_bytes()  # the user's clip as it was
