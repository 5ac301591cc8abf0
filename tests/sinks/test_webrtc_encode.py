"""The shared video encoder alone: one packet per frame on the 90 kHz clock, keyframes when
asked, frames skipped (not queued) when it falls behind, and packets a decoder reads back."""

import threading
from fractions import Fraction

import av
import numpy as np
import pytest

from livehost.errors import LivehostError
from livehost.sinks.webrtc_encode import MAX_IN_FLIGHT, AudioEncoder, VideoEncoder
from livehost.sinks.webrtc_media import AudioChunker


def face(n: int, size=(96, 128)) -> np.ndarray:
    """A moving gradient: something an encoder has to spend bits on."""
    y, x = np.mgrid[0 : size[0], 0 : size[1]]
    return np.stack([(x + 3 * n) % 256, (y * 2) % 256, np.full_like(x, 90)], -1).astype(np.uint8)


@pytest.fixture(params=["video/VP8", "video/H264"])
def encoder(request):
    enc = VideoEncoder(request.param, Fraction(25), 800_000)
    yield enc
    enc.close()


def test_one_packet_per_frame_with_its_pts_and_keyframes_when_asked(encoder):
    packets = []
    for n in range(12):
        if n == 8:
            encoder.request_keyframe()
        packets.append(encoder.submit(face(n), n * 3600).result(timeout=10))
    assert [len(p) for p in packets] == [1] * 12  # no lookahead: each frame out as it goes in
    assert [p[0].pts for p in packets] == [n * 3600 for n in range(12)]
    assert {p[0].time_base for p in packets} == {Fraction(1, 90_000)}
    assert [n for n, p in enumerate(packets) if p[0].is_keyframe] == [0, 8]
    assert (encoder.encoded, encoder.keyframes, encoder.skipped) == (12, 2, 0)


def test_packets_decode_back_to_the_picture(encoder):
    codec_name = {"video/vp8": "vp8", "video/h264": "h264"}[encoder.mime]
    decoder = av.CodecContext.create(codec_name, "r")
    decoded = []
    for n in range(5):
        for packet in encoder.submit(face(n), n * 3600).result(timeout=10):
            decoded += decoder.decode(packet)
    decoded += decoder.decode(None)
    assert len(decoded) == 5
    picture = decoded[-1].to_ndarray(format="rgb24").astype(int)
    assert picture.shape == (96, 128, 3)
    assert np.abs(picture - face(4)).mean() < 12  # lossy, but the same picture


def test_a_new_size_starts_over_with_a_keyframe(encoder):
    encoder.submit(face(0), 0).result(timeout=10)
    encoder.submit(face(1), 3600).result(timeout=10)
    (packet,) = encoder.submit(face(2, (64, 64)), 7200).result(timeout=10)
    assert packet.is_keyframe


def test_frames_beyond_the_ones_in_flight_are_skipped_not_queued():
    encoder = VideoEncoder("video/VP8", Fraction(25), 800_000)
    held = threading.Event()
    encoder._thread.submit(held.wait)  # the encoder thread is busy elsewhere
    try:
        taken = [encoder.submit(face(n), n * 3600) for n in range(MAX_IN_FLIGHT + 3)]
        assert [f is not None for f in taken] == [True] * MAX_IN_FLIGHT + [False] * 3
        assert encoder.skipped == 3
        held.set()
        assert all(f.result(timeout=10) for f in taken[:MAX_IN_FLIGHT])
        assert encoder.submit(face(9), 9 * 3600) is not None  # caught up: frames go in again
    finally:
        held.set()
        encoder.close()


def test_a_codec_without_a_shared_encoder_is_named():
    with pytest.raises(LivehostError, match="video/av1"):
        VideoEncoder("video/AV1", Fraction(25), 800_000)


def test_the_voice_is_one_opus_packet_per_chunk_on_the_channels_clock():
    encoder = AudioEncoder(48_000)
    tone = (0.3 * np.sin(2 * np.pi * 440 * np.arange(48_000) / 48_000)).astype(np.float32)
    chunks = AudioChunker(48_000).push(tone)
    packets = [encoder.encode(chunk) for chunk in chunks]
    assert all(len(p) <= 1 for p in packets) and sum(map(len, packets)) >= len(chunks) - 1
    stamped = [p[0] for p in packets if p]
    assert [p.pts for p in stamped] == [c.pts for c, p in zip(chunks, packets) if p]
    assert {p.time_base for p in stamped} == {Fraction(1, 48_000)}
    decoder = av.CodecContext.create("libopus", "r")
    mono = av.AudioResampler(format="flt", layout="mono", rate=48_000)
    heard = np.concatenate([m.to_ndarray().reshape(-1) for p in stamped for f in decoder.decode(p)
                            for m in mono.resample(f)])
    assert len(heard) >= 0.9 * len(tone)
    spectrum = np.abs(np.fft.rfft(heard))
    assert np.argmax(spectrum) * 48_000 / len(heard) == pytest.approx(440, abs=5)
