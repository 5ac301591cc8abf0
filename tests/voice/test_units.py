"""Fast unit tests: style tables, piece splitting, WAV streams, WER, persona voice rewrite."""

import io
import wave

import numpy as np
import pytest
import yaml

from livehost.errors import LivehostError
from livehost.persona import RemoteVoice, VoiceSpec
from livehost.voice.intelligibility import normalize, word_error_rate
from livehost.voice.kokoro_engine import split_pieces
from livehost.voice.persona_voice import write_voice
from livehost.voice.styles import SHAPE, blend, load_table, parse_blend, save_table
from livehost.voice.wav_stream import PCMStream, WavStream, encode_wav


def test_blend_normalizes_weights_and_rejects_unknown_voices():
    stock = {"a": np.zeros(SHAPE, np.float32), "b": np.ones(SHAPE, np.float32)}
    assert blend(stock, parse_blend("a:1+b:3", ["a", "b"]))[0, 0, 0] == pytest.approx(0.75)
    assert blend(stock, parse_blend("b", ["a", "b"]))[0, 0, 0] == 1.0
    with pytest.raises(LivehostError, match="stock voice"):
        parse_blend("a:0.5+zz:0.5", ["a", "b"])
    with pytest.raises(LivehostError, match="sum to zero"):
        blend(stock, {"a": 1.0, "b": -1.0})


def test_style_tables_round_trip_and_are_checked(tmp_path):
    table = np.random.default_rng(0).normal(size=SHAPE).astype(np.float32)
    save_table(tmp_path / "v.npy", table)
    assert np.array_equal(load_table(tmp_path / "v.npy"), table)
    np.save(tmp_path / "flat.npy", table[:, 0, :])
    assert load_table(tmp_path / "flat.npy").shape == SHAPE
    np.save(tmp_path / "bad.npy", np.zeros((3, 256)))
    with pytest.raises(LivehostError, match="shape"):
        load_table(tmp_path / "bad.npy")
    (tmp_path / "junk.npy").write_bytes(b"not numpy")
    with pytest.raises(LivehostError, match="cannot read"):
        load_table(tmp_path / "junk.npy")


def test_pieces_are_clauses_and_keep_every_word():
    phonemes = "tədˈeɪ wiː ɑːɹ lˈʊkɪŋ æt ðə nˈuː kˈɛɾəl, ænd ɪt bˈɔɪlz ɐ fˈʊl lˈiːɾɚ."
    assert split_pieces(phonemes) == [phonemes[: phonemes.index(",") + 1], phonemes[phonemes.index(",") + 2:]]
    assert split_pieces("oʊ, ɐ bˈɔɪlz.") == ["oʊ, ɐ bˈɔɪlz."]  # too short a clause joins the next
    long = " ".join(["lˈʊkɪŋ"] * 60)
    assert all(len(p) <= 160 for p in split_pieces(long)) and " ".join(split_pieces(long)) == long
    assert split_pieces("ɐ") == ["ɐ"]


def test_pcm_stream_keeps_odd_bytes_for_the_next_feed():
    samples = (np.arange(100, dtype=np.int16) * 100).astype("<i2").tobytes()
    stream = PCMStream(24000)
    out = np.concatenate([stream.feed(samples[:51]), stream.feed(samples[51:])])
    assert np.allclose(out * 32768, np.arange(100) * 100)


def test_wav_stream_decodes_a_header_split_anywhere_and_stereo():
    pcm = np.sin(np.linspace(0, 20, 800)).astype(np.float32) * 0.5
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as w:
        w.setnchannels(2)
        w.setsampwidth(2)
        w.setframerate(22050)
        w.writeframes(np.repeat((pcm * 32767).astype("<i2"), 2).tobytes())
    data = buffer.getvalue()
    for cut in (3, 20, 44, 45, 1000):
        stream = WavStream()
        out = np.concatenate([stream.feed(data[:cut]), stream.feed(data[cut:])])
        assert stream.sample_rate == 22050
        assert np.allclose(out, pcm, atol=1e-4)
    assert np.allclose(WavStream().feed(encode_wav(pcm, 16000)), pcm, atol=1e-4)
    with pytest.raises(LivehostError, match="not a WAV"):
        WavStream().feed(b"ID3" + b"\0" * 40)


def test_word_error_rate_normalizes_case_punctuation_numbers_and_spelling():
    assert normalize("It boils 3 litres, in 21 minutes!") == ["it", "boils", "three", "litres", "in", "twenty", "one", "minutes"]
    assert word_error_rate("A full litre.", "a full liter") == 0.0
    assert word_error_rate("one two three four", "one two four") == 0.25
    assert word_error_rate("one two", "one two three four") == 1.0
    assert word_error_rate("mister quilter and doctor watson", "Mr. Quilter and Dr. Watson") == 0.0


def test_write_voice_replaces_only_the_voice_block(tmp_path):
    file = tmp_path / "persona.yaml"
    file.write_text("# keep me\nname: Nova\nvoice:\n  engine: piper\n  voice: joe  # old\nstyle: calm  # keep\n")
    write_voice(file, VoiceSpec(engine="remote", voice="v1", remote=RemoteVoice(url="http://127.0.0.1:9/v1")))
    text = file.read_text()
    assert text.startswith("# keep me\nname: Nova\n") and "style: calm  # keep" in text
    data = yaml.safe_load(text)
    assert data["voice"] == {"engine": "remote", "voice": "v1", "remote": {"url": "http://127.0.0.1:9/v1"}}
    (tmp_path / "p2.yaml").write_text("name: X\n")
    write_voice(tmp_path / "p2.yaml", VoiceSpec(engine="kokoro", voice="jm_kumo"))
    assert yaml.safe_load((tmp_path / "p2.yaml").read_text())["voice"]["voice"] == "jm_kumo"
