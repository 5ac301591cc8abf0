import numpy as np
import pytest

from livehost.media.audio import StreamResampler, chunks, dbfs, resample, rms, to_float32, to_int16


def test_int16_roundtrip():
    pcm = np.array([0, 16384, -32768, 32767], dtype=np.int16)
    f = to_float32(pcm)
    assert f.dtype == np.float32
    assert f[2] == pytest.approx(-1.0)
    assert np.array_equal(to_int16(f)[[0, 3]], [0, 32767])


def test_unsigned_8bit_is_centred():
    assert to_float32(np.array([128], dtype=np.uint8))[0] == pytest.approx(0.0)


def test_stereo_is_downmixed():
    stereo = np.stack([np.ones(10), -np.ones(10)], axis=1).astype(np.float32)
    assert np.allclose(to_float32(stereo), 0.0)
    loud_left = np.stack([np.full(4, 16384), np.zeros(4)], axis=1).astype(np.int16)
    assert np.allclose(to_float32(loud_left), 0.25)


def test_resample_keeps_duration_and_pitch():
    sr_in, sr_out = 22_050, 48_000
    t = np.arange(sr_in) / sr_in
    tone = np.sin(2 * np.pi * 440 * t).astype(np.float32)
    out = resample(tone, sr_in, sr_out)
    assert abs(len(out) - sr_out) <= 2
    spectrum = np.abs(np.fft.rfft(out))
    assert np.fft.rfftfreq(len(out), 1 / sr_out)[spectrum.argmax()] == pytest.approx(440, abs=2)


def test_stream_resampler_matches_whole_signal_length():
    rng = np.random.default_rng(0)
    signal = rng.normal(0, 0.1, 22_050).astype(np.float32)
    stream = StreamResampler(22_050, 48_000)
    parts = [stream.push(c) for c in chunks(signal, 1000)] + [stream.push(np.zeros(0, np.float32), last=True)]
    assert abs(sum(len(p) for p in parts) - 48_000) <= 2


def test_levels():
    assert rms(np.zeros(100, np.float32)) == 0
    assert dbfs(np.zeros(10, np.float32)) == -120.0
    assert dbfs(np.ones(10, np.float32)) == pytest.approx(0.0)


def test_chunks_rejects_zero():
    with pytest.raises(ValueError):
        list(chunks(np.zeros(3), 0))
