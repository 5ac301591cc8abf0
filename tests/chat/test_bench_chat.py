"""``livehost bench chat`` end to end, short: every platform's parse rate, arrival time and a
20-second soak with an outage every 8 s."""

import json

import pytest

PULL, PUSH = ("twitch", "youtube", "bilibili"), ("douyin", "webhook")


@pytest.mark.slow
def test_bench_chat_prints_every_platforms_figures(livehost_cli, tmp_path):
    plot = tmp_path / "chat.png"
    result = livehost_cli("bench", "chat", "--json", "--soak-s", "20", "--every-s", "8",
                          "--parse-n", "2000", "--arrival-n", "50", "--plot", str(plot),
                          timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    figures = json.loads(result.stdout)
    for platform in PULL + PUSH:
        got = figures[platform]
        assert got["parse_per_s"] > 1000, (platform, got)
        arrival = got["arrival_ms"]
        assert arrival["arrived"] == arrival["n"] == 50, (platform, arrival)
        assert 0 < arrival["p50"] <= arrival["p95"] <= arrival["max"]
        # YouTube is polled (at most once a second); the rest are pushed to the source
        assert arrival["p95"] < (1500 if platform == "youtube" else 100), (platform, arrival)
        assert got["soak"]["lost"] == 0 and got["soak"]["duplicates"] == 0, (platform, got["soak"])
    for platform in PULL:
        soak = figures[platform]["soak"]
        assert soak["outages"] == soak["reconnected"] == 2, (platform, soak)
        assert 0 < soak["reconnect_s"]["max"] <= 10.0, (platform, soak)
        assert soak["received_connected"] == soak["sent_connected"] >= 10, (platform, soak)
        assert soak["restarts"] >= 2
    # chat said during YouTube's outage is read once it is back (the source resumes its page)
    youtube = figures["youtube"]["soak"]
    assert youtube["received_down"] == youtube["sent_down"] > 0
    for platform in PUSH:
        soak = figures[platform]["soak"]
        assert soak["sent"] >= 90 and soak["accepted"] == soak["received"] == soak["sent"], soak
        assert soak["reply_ms"]["p95"] < 500
    assert figures["memory"]["start_mb"] > 0 and abs(figures["memory"]["growth_mb"]) < 10
    assert figures["met"] == {"reconnect": True, "lost": True, "push_accepted": True,
                              "memory_flat": True}
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
