"""``livehost bench live`` end to end, small: questions over the API to a running host, timed to
their first audio, and a short flood from another process."""

import json

import pytest


@pytest.mark.slow
def test_bench_live_prints_latencies_and_flood_figures(livehost_cli, tmp_path):
    plot = tmp_path / "live.png"
    result = livehost_cli("bench", "live", "--json", "--questions", "4", "--voices", "piper",
                          "--flood-s", "3", "--flood-rate", "100", "--plot", str(plot), timeout=400)
    assert result.returncode == 0, result.stderr[-2000:]
    figures = json.loads(result.stdout)
    piper = figures["piper"]
    assert piper["asked"] == 4 and piper["answered"] == 4
    assert 0 < piper["p50_s"] <= piper["p95_s"] <= piper["max_s"]
    for answer in piper["answers"]:  # each stage happens after the message arrived, in order
        latency = answer["latency"]
        assert 0 <= latency["queue"] <= latency["left"]
        assert latency["first_audio"] is None or latency["first_audio"] <= latency["left"] + 1e-3
    assert {a["source"] for a in piper["answers"]} >= {"catalogue", "cache"}
    flood = figures["flood"]
    assert flood["posted"] > 200 and flood["post_errors"] == 0
    assert flood["paid"] >= 1 and flood["paid_answered_or_thanked"] == flood["paid"]
    assert flood["ticks"] >= flood["ticks_expected"] - 2  # the loop kept its rate
    assert set(figures["met"]) >= {"piper_p50", "piper_p95", "flood_missed_ticks", "flood_rss", "flood_paid"}
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
