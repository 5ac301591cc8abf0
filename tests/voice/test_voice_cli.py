"""``livehost voice list`` and ``livehost voice say`` through the real CLI."""

import numpy as np

from livehost.voice.reference import decode


def test_voice_list_names_the_engines_and_their_voices(livehost_cli):
    result = livehost_cli("voice", "list")
    assert result.returncode == 0, result.stderr
    assert "joe" in result.stdout and "jm_kumo" in result.stdout and "remote" in result.stdout


def test_voice_say_writes_the_whole_sentence_to_a_wav(livehost_cli, tmp_path):
    out = tmp_path / "hello.wav"
    result = livehost_cli("voice", "say", "--persona", "demo", "--text", "Hello there, welcome to the stream.",
                          "--out", str(out))
    assert result.returncode == 0, result.stderr
    pcm, rate = decode(out)
    assert 1.0 < len(pcm) / rate < 5.0 and np.abs(pcm).max() > 0.1
    assert [p.name for p in tmp_path.iterdir()] == ["hello.wav"]  # no partial left behind


def test_voice_say_into_a_missing_folder_is_one_line_exit_2(livehost_cli, tmp_path):
    result = livehost_cli("voice", "say", "--text", "Hi.", "--out", str(tmp_path / "missing" / "x.wav"))
    assert result.returncode == 2
    assert "does not exist" in result.stderr and len(result.stderr.strip().splitlines()) == 1
