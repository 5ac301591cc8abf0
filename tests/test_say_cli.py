"""End to end through the real CLI: real piper speech, real H.264/AAC MP4."""

import numpy as np
import pytest

from media_probe import decode, read_trace

pytestmark = pytest.mark.slow


def test_say_writes_an_in_sync_mp4_and_trace(livehost_cli, tmp_path):
    out, trace = tmp_path / "hello.mp4", tmp_path / "hello.jsonl"
    result = livehost_cli("say", "--persona", "demo", "--text", "Hello there! Are you *sure* about that? We open at nine.",
                          "--out", str(out), "--trace", str(trace))
    assert result.returncode == 0, result.stderr
    media = decode(out)
    ticks, events = read_trace(trace)
    assert (media.video_codec, media.audio_codec, media.pix_fmt) == ("h264", "aac", "yuv420p")
    assert media.frames[0].shape == (512, 512, 3)
    assert media.video_fps == 25
    # One trace line per video frame, on a 40 ms grid.
    assert len(ticks) == len(media.frames)
    assert np.allclose(np.diff([t["t"] for t in ticks]), 0.04, atol=1e-3)
    # The video lasts the speech plus the short idle tail, within one frame.
    speech_end = events[-1]["t1"]
    assert [e["kind"] for e in events] == ["exclamation", "question", "statement"]
    assert events[1]["emphasis"][0]["word"] == "sure"
    assert events[1]["t0"] < events[1]["emphasis"][0]["t"] < events[1]["t1"]
    assert abs(media.video_seconds - (speech_end + 0.4)) <= 0.04 + 1e-6
    # Audio and video streams have the same length within one frame.
    assert abs(media.audio_seconds - media.video_seconds) <= 0.04 + 0.03  # + AAC padding
    # Speech is audible while the trace says speaking, and silent in the idle tail.
    sr = media.sample_rate
    for record in ticks:
        window = media.audio[int(record["t"] * sr): int((record["t"] + 0.04) * sr)]
        if record["t"] > speech_end + 0.08:
            assert np.abs(window).max() < 0.01, record
    speaking = [np.sqrt(np.mean(media.audio[int(t["t"] * sr): int((t["t"] + 0.04) * sr)] ** 2))
                for t in ticks if t["speaking"]]
    assert np.mean(speaking) > 0.02
    assert any(t["jaw"] > 0.1 for t in ticks if t["speaking"])
    assert all(t["jaw"] == 0 for t in ticks if t["t"] > speech_end + 0.2)


def test_say_chinese_text_file_and_options(livehost_cli, tmp_path):
    text = tmp_path / "zh.txt"
    text.write_text("大家好！Welcome, 欢迎。", encoding="utf-8")
    out = tmp_path / "zh.mp4"
    trace = tmp_path / "zh.jsonl"
    result = livehost_cli("say", "--text-file", str(text), "--out", str(out), "--trace", str(trace),
                          "--fps", "30", "--size", "640x360")
    assert result.returncode == 0, result.stderr
    media = decode(out)
    assert media.frames[0].shape == (360, 640, 3) and media.video_fps == 30
    _, events = read_trace(trace)
    assert events[0]["text"] == "大家好！"


@pytest.mark.parametrize(
    "args, message",
    [
        (["--text", "   "], "text is empty"),
        (["--text", "x" * 102_400], "limit"),
        (["--persona", "nobody", "--text", "hi"], "no persona named"),
        (["--text", "hi", "--size", "big"], "size 'big'"),
        (["--text", "hi", "--fps", "0"], "video.fps"),
        (["--text", "hi", "--size", "513x512"], "must be even"),
    ],
)
def test_bad_input_is_one_line_exit_2_and_writes_nothing(livehost_cli, tmp_path, args, message):
    out = tmp_path / "out.mp4"
    result = livehost_cli("say", *args, "--out", str(out))
    assert result.returncode == 2, result.stderr
    assert message in result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert list(tmp_path.iterdir()) == []


def test_unwritable_output_and_bad_personas(livehost_cli, tmp_path):
    result = livehost_cli("say", "--text", "hi", "--out", str(tmp_path / "missing" / "x.mp4"))
    assert result.returncode == 2 and "does not exist" in result.stderr

    persona = tmp_path / "p"
    persona.mkdir()
    (persona / "portrait.jpg").write_bytes(b"not an image at all")
    (persona / "persona.yaml").write_text("name: A\nportrait: portrait.jpg\n")
    result = livehost_cli("say", "--persona", str(persona), "--text", "hi", "--out", str(tmp_path / "a.mp4"))
    assert result.returncode == 2 and "not a readable image" in result.stderr

    (persona / "persona.yaml").write_text("name: A\nportrait: portrait.jpg\nvoice: {voice: nobody}\n")
    from skimage import data
    from PIL import Image
    Image.fromarray(data.astronaut()).save(persona / "portrait.jpg")
    result = livehost_cli("say", "--persona", str(persona), "--text", "hi", "--out", str(tmp_path / "a.mp4"))
    assert result.returncode == 2 and "unknown piper voice 'nobody'" in result.stderr
    assert not (tmp_path / "a.mp4").exists()
    assert not any(p.name.startswith(".") for p in tmp_path.iterdir())
