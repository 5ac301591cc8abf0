"""Issue 4's done-when, through the real CLI with real piper speech: the head lifts on the
question, nods on "sure", settles after the statement; the trace proves it."""

import numpy as np
import pytest
from media_probe import read_trace

pytestmark = pytest.mark.slow

TEXT = "Are you *sure* about that? We open at nine."


def test_say_lifts_the_head_on_the_question_and_nods_on_sure(livehost_cli, tmp_path):
    out, trace = tmp_path / "m.mp4", tmp_path / "m.jsonl"
    result = livehost_cli("say", "--text", TEXT, "--out", str(out), "--trace", str(trace))
    assert result.returncode == 0, result.stderr
    ticks, (question, statement) = read_trace(trace)
    t = np.array([r["t"] for r in ticks])
    pitch = np.array([r["pitch"] for r in ticks])
    brow = np.array([r["brow"] for r in ticks])
    assert question["kind"] == "question" and statement["kind"] == "statement"

    # The nod: pitch's lowest point within ±80 ms of the stressed vowel of "sure".
    (sure,) = question["emphasis"]
    assert sure["word"] == "sure"
    near = (t > sure["t"] - 0.3) & (t < sure["t"] + 0.3)
    assert abs(t[near][np.argmin(pitch[near])] - sure["t"]) <= 0.08
    assert pitch[near].max() - pitch[near].min() > 1.5

    # The question: head and brows up in its last part, above where it began.
    span = question["t1"] - question["t0"]
    first = (t >= question["t0"]) & (t < question["t0"] + 0.3 * span)
    last = (t >= question["t0"] + 0.7 * span) & (t < question["t1"])
    assert pitch[last].mean() > pitch[first].mean() + 1.5
    assert brow[last].mean() > 0.2

    # The statement ends and the head heads back to centre.
    tail = t > statement["t1"] + 0.2
    assert np.abs(pitch[tail]).max() < np.abs(pitch[last]).max()

    # The mouth moves with the speech and is shut in the idle tail.
    jaw = np.array([r["jaw"] for r in ticks])
    speaking = np.array([r["speaking"] for r in ticks])
    assert jaw[speaking].max() > 0.5
    assert jaw[t > statement["t1"] + 0.08].max() < 0.05


def test_say_rejects_an_unknown_style(livehost_cli, tmp_path):
    result = livehost_cli("say", "--text", "Hi.", "--style", "nope", "--out", str(tmp_path / "x.mp4"))
    assert result.returncode != 0
    assert "no motion style named 'nope'" in result.stderr
