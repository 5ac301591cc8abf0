"""``livehost bench listen`` end to end, small: its own PulseAudio server, spoken questions,
talking over the host, one real recording and a short speaker-mode stretch, all timed at the
probe; and the word error rate counted over words, not averaged over clips."""

from __future__ import annotations

import json

import pytest
from pulse import needs_pulse

from livehost.bench.listen import _pooled_wer


def test_word_errors_are_counted_over_all_words_of_the_clean_recordings():
    rows = [{"clean": True, "errors": 3, "words": 8, "wer": 0.375},
            {"clean": True, "errors": 1, "words": 92, "wer": 0.011},
            {"clean": False, "errors": 9, "words": 9, "wer": 1.0}]
    assert _pooled_wer(rows) == {"wer_clean": 0.04, "wer_clean_mean_per_recording": 0.193}
    assert _pooled_wer(rows[2:]) == {"wer_clean": None, "wer_clean_mean_per_recording": None}


@pytest.mark.slow
@needs_pulse
def test_bench_listen_times_everything_at_the_probe(livehost_cli, tmp_path):
    plot = tmp_path / "listen.png"
    done = livehost_cli("bench", "listen", "--json", "--questions", "3", "--barge-ins", "2", "--recordings", "1",
                        "--echo-s", "15", "--plot", str(plot), timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    figures = json.loads(done.stdout)
    latency = figures["speech_to_audio"]
    assert latency["n"] == 3 and 0.2 < latency["p50_s"] < 3.0, latency
    barge = figures["barge_in"]
    assert barge["n"] == barge["interrupted"] == 2 and all(0.05 < s < 1.0 for s in barge["each_s"]), barge
    (recording,) = figures["asr"]["recordings"]
    assert recording["words"] == 17 and figures["asr"]["wer_clean"] <= 0.25, recording
    assert figures["echo"]["self_interruptions"] == 0 and figures["echo"]["own_words_heard"] == 0
    assert set(figures["met"]) == {"p50", "p95", "barge_in", "wer_clean", "no_self_interruption", "no_own_words"}
    assert plot.stat().st_size > 10_000
