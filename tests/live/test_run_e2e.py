"""``livehost run`` end to end: the real CLI in a subprocess, chat over the real API, the
recording and the trace read back.

Two hosts, each started once for several tests: one hosting a whole scripted session (chat of
every kind answered, the API's refusals, the live events, an interrupt, an idle line, SIGINT),
one whose language model server is down (the fallback line, then SIGTERM mid-sentence)."""

from __future__ import annotations

import signal
import time
from dataclasses import dataclass

import httpx
import numpy as np
import pytest
from e2e_host import HostProcess, Recording, Trace, decode_recording, free_port, wait_for

from livehost.brain.sentences import sentences_from_text
from livehost.host import SHUTDOWN_GRACE_S
from livehost.persona import load_persona

pytestmark = pytest.mark.slow

PERSONA = load_persona("demo")
FPS = 25
TICK = 1 / FPS
IDLE_AFTER_S = 3.0
LONG_LINE = ("Here is a long announcement from the operator. We have a lot of lovely things in the "
             "shop today, from kettles and teapots to knives and boards. Every one of them is "
             "ready to ship this afternoon. Stay with us for the whole stream, because there is "
             "much more to come after this short break.")
CATALOGUE = "How much is the blue kettle?"  # 34.90 euros
FAQ = "Do you ship outside the EU?"
OPERATOR_LINE = "A quick word from the team: thanks for watching."
CHIT_CHAT = "Do you like cats or dogs?"  # retrieves nothing from the shop
LATENCY_FIELDS = {"queue", "lookup", "first_token", "first_sentence", "first_audio", "left"}
STATUS_FIELDS = {"persona", "uptime", "media_time", "ticks", "fps", "late_ticks", "queue", "sinks", "llm"}


@dataclass
class SessionRun:
    """What the scripted session saw live, then the files it left."""

    host: HostProcess
    ids: dict[str, str]
    status_mid: dict
    status_end: dict
    refusals: dict[str, httpx.Response]
    ticks_before_refusals: int
    ticks_after_refusals: int
    sse_events: list[dict]
    returncode: int
    wall_s: float  # from the first tick seen to the process's exit
    trace: Trace
    recording: Recording


def refuse_all(host: HostProcess) -> dict[str, httpx.Response]:
    """Every way the API must say no, tried on the live host."""
    bare = httpx.Client(base_url=host.url, timeout=10.0)
    wrong = {"Authorization": "Bearer not-the-token"}
    auth = host.client
    huge = b'{"user": "mallory", "text": "' + b"x" * 40_000 + b'"}'
    try:
        return {
            "status_no_token": bare.get("/api/status"),
            "status_wrong_token": bare.get("/api/status", headers=wrong),
            "chat_no_token": bare.post("/api/chat", json={"user": "mallory", "text": "hello there"}),
            "chat_wrong_token": bare.post("/api/chat", headers=wrong, json={"user": "mallory", "text": "hello"}),
            "interrupt_wrong_token": bare.post("/api/interrupt", headers=wrong),
            "health_no_token": bare.get("/health"),
            "bad_json": auth.post("/api/chat", content=b'{"user": "mallory", "text": ',
                                  headers={"Content-Type": "application/json"}),
            "missing_text": auth.post("/api/chat", json={"user": "mallory"}),
            "say_missing_text": auth.post("/api/say", json={}),
            "wrong_type": auth.post("/api/chat", json={"user": "mallory", "text": "hi", "amount": "lots"}),
            "huge": auth.post("/api/chat", content=huge, headers={"Content-Type": "application/json"}),
            # no Content-Length: the server must stop reading at its limit all the same
            "huge_chunked": auth.post("/api/chat", content=iter([huge[:20_000], huge[20_000:]]),
                                      headers={"Content-Type": "application/json"}),
        }
    finally:
        bare.close()


@pytest.fixture(scope="module")
def session(tmp_path_factory) -> SessionRun:
    workdir = tmp_path_factory.mktemp("session")
    config = workdir / "host.yaml"
    config.write_text(f"host:\n  queue:\n    idle_after_s: {IDLE_AFTER_S}\n", encoding="utf-8")
    with HostProcess(workdir, "--config", str(config)) as host:
        host.start()
        started = time.monotonic()
        events = host.events()
        try:
            ticks_before = host.status()["ticks"]
            refusals = refuse_all(host)
            ticks_after = wait_for(lambda: (n := host.status()["ticks"]) >= ticks_before + FPS and n,
                                   10, "ticks to go on after the refused requests")
            ids = {
                "catalogue": host.chat("ann", CATALOGUE),
                "chit_chat": host.chat("cat", CHIT_CHAT),
                "gift": host.chat("dan", "rose", kind="gift", amount=5),
                "follow": host.chat("eve", kind="follow"),
                "operator": host.say(OPERATOR_LINE),
            }
            status_mid = host.status()
            # The FAQ's speech is made while the host warms up: ask once it is in the cache.
            wait_for(lambda: host.status()["voice"]["warming"] == 0, 90, "the speech cache to warm")
            ids["faq"] = host.chat("bob", FAQ)
            for name in ("operator", "catalogue", "chit_chat", "faq"):
                events.answer(ids[name], timeout=90)
            events.wait(lambda e: e["event"] == "answer" and e["source"] == "thanks", 30, "thank-you")
            ids["long"] = host.say(LONG_LINE)
            long_t = events.answer(ids["long"], timeout=30)["t"]
            wait_for(lambda: host.status()["media_time"] >= long_t + 1.5, 10, "the long line to be under way")
            host.interrupt()
            events.wait(lambda e: e["event"] == "answer" and e["source"] == "idle", 30, "idle line")
            status_end = host.status()
            host.signal(signal.SIGINT)
            returncode = host.wait(15)
            wall_s = time.monotonic() - started
        finally:
            events.close()
        return SessionRun(host, ids, status_mid, status_end, refusals, ticks_before, ticks_after,
                          events.events, returncode, wall_s, host.trace(), decode_recording(host.video))


def assert_constant_rate(recording: Recording, trace: Trace) -> None:
    """One video frame per trace tick, each exactly one tick after the last, none missing."""
    assert recording.fps == FPS
    steps = set(np.diff(recording.video_pts).tolist())
    assert steps == {round(TICK / recording.time_base)}, f"frame steps (pts): {sorted(steps)[:10]}"
    assert recording.video_pts[0] == 0
    assert len(recording.video_pts) == len(trace.ticks)
    times = np.array([tick["t"] for tick in trace.ticks])
    np.testing.assert_allclose(times, np.arange(len(times)) * TICK, atol=1e-3)
    assert abs(len(recording.video_pts) - (times[-1] + TICK) * FPS) <= 1
    assert abs(recording.audio_seconds - recording.video_seconds) <= 2 * TICK


# -- 1. chat over HTTP gets answered ---------------------------------------------------------
def test_every_message_is_a_chat_event_and_gets_its_answer(session):
    trace, ids = session.trace, session.ids
    assert session.returncode == 0, session.host.log()
    chats = {e["id"]: e for e in trace.of("chat")}
    assert set(ids.values()) <= set(chats), "a posted message has no chat event"
    assert chats[ids["gift"]]["kind"] == "gift" and chats[ids["gift"]]["amount"] == 5
    assert chats[ids["catalogue"]]["user"] == "ann" and chats[ids["catalogue"]]["platform"] == "api"
    assert not trace.of("dropped")

    answers = trace.answers()
    first = trace.of("answer")[0]
    assert first["to"] == "greeting", "chat sent during start-up was answered before the greeting"
    assert answers[ids["catalogue"]]["source"] == "catalogue"
    assert "34.90" in answers[ids["catalogue"]]["text"]
    assert answers[ids["faq"]]["source"] == "cache"
    assert answers[ids["faq"]]["text"].startswith("Not yet")
    assert answers[ids["chit_chat"]]["source"] in {"llm", "fallback"}
    operator = answers[ids["operator"]]
    assert (operator["source"], operator["text"]) == ("operator", OPERATOR_LINE)
    thanks = next(a for a in trace.of("answer") if a["source"] == "thanks")
    assert thanks["to"] == ids["gift"] and set(thanks["ids"]) == {ids["gift"], ids["follow"]}
    assert "dan" in thanks["text"] and "eve" in thanks["text"]
    assert session.status_end["queue"]["thanked"] == 2

    for name in ("catalogue", "faq", "chit_chat", "operator"):
        latency = answers[ids[name]]["latency"]
        assert set(latency) == LATENCY_FIELDS, name
        assert 0 <= latency["queue"] <= latency["first_audio"] <= latency["left"], (name, latency)
    assert answers[ids["catalogue"]]["latency"]["lookup"] is not None
    # each answer is heard where the trace says: its first sentence starts at the answer's t
    for name in ("catalogue", "faq", "operator"):
        assert trace.sentences(ids[name])[0]["t0"] == answers[ids[name]]["t"]


def test_recording_runs_at_a_constant_frame_rate_for_the_whole_run(session):
    assert_constant_rate(session.recording, session.trace)
    media_s = session.recording.video_seconds
    assert media_s <= session.wall_s + 1.0, "media time ran ahead of the wall clock"
    assert media_s >= session.trace.answers()[session.ids["long"]]["t"] + IDLE_AFTER_S


def test_the_catalogue_answer_is_heard_with_its_price(session):
    from livehost.voice.intelligibility import Transcriber, normalize

    spoken = session.trace.sentences(session.ids["catalogue"])
    assert spoken and "34.90" in spoken[0]["text"]
    pcm = session.recording.audio_between(spoken[0]["t0"] - 0.1, spoken[0]["t1"] + 0.2)
    heard = Transcriber().transcribe(pcm, session.recording.sample_rate)
    words = " ".join(normalize(heard))
    assert "thirty four" in words and "ninety" in words, heard


# -- 2. auth and malformed bodies ------------------------------------------------------------
def test_api_refuses_without_the_right_token_and_health_needs_none(session):
    refusals = session.refusals
    for name in ("status_no_token", "status_wrong_token", "chat_no_token", "chat_wrong_token",
                 "interrupt_wrong_token"):
        response = refusals[name]
        assert response.status_code == 401, name
        assert response.json() == {"error": "missing or wrong bearer token"}, name
        assert response.headers["WWW-Authenticate"] == "Bearer"
    assert refusals["health_no_token"].status_code == 200
    assert refusals["health_no_token"].json() == {"ok": True}
    assert not [e for e in session.trace.of("chat") if e["user"] == "mallory"]


def test_malformed_bodies_are_refused_and_the_stream_goes_on(session):
    refusals = session.refusals
    expected = {"bad_json": (400, "body: not valid JSON"), "missing_text": (400, "text: must not be empty"),
                "say_missing_text": (400, "text: Field required"), "wrong_type": (400, "amount"),
                "huge": (413, "body: larger than"), "huge_chunked": (413, "body: larger than")}
    for name, (code, words) in expected.items():
        response = refusals[name]
        assert response.status_code == code, (name, response.text)
        assert words in response.json()["error"], (name, response.text)
    assert session.ticks_after_refusals >= session.ticks_before_refusals + FPS


# -- 3. status and the live events -----------------------------------------------------------
def test_status_reports_the_running_host(session):
    for status in (session.status_mid, session.status_end):
        assert STATUS_FIELDS <= set(status)
        assert status["persona"] == "demo" and status["fps"] == FPS
        assert status["ticks"] > 0 and status["media_time"] > 0 and status["uptime"] >= status["media_time"] - 1
        assert {"depth", "drops", "offered"} <= set(status["queue"])
        assert set(status["sinks"]) == {"record", "trace"}
        assert status["sinks"]["record"]["error"] is None
        assert "embedded" in status["llm"]["backend"] and status["llm"]["ok"] is True
    assert session.status_mid["queue"]["offered"] >= 5
    assert session.status_end["ticks"] > session.status_mid["ticks"]
    assert session.status_end["media_time"] > session.status_mid["media_time"]


def test_event_stream_delivers_chat_sentence_and_answer_events(session):
    live, ids = session.sse_events, session.ids
    chat = next(e for e in live if e["event"] == "chat" and e["id"] == ids["catalogue"])
    assert chat["text"] == CATALOGUE and chat["user"] == "ann"
    answer = next(e for e in live if e["event"] == "answer" and e["to"] == ids["catalogue"])
    assert answer == session.trace.answers()[ids["catalogue"]]
    sentences = [e for e in live if e["event"] == "sentence" and e["to"] == ids["catalogue"]]
    assert sentences and sentences[0]["t0"] == answer["t"] and sentences[0]["t1"] > sentences[0]["t0"]
    # live, a long sentence is announced clause by clause; the trace merges them back
    traced = session.trace.sentences(ids["catalogue"])
    assert " ".join(s["text"] for s in sentences) == " ".join(s["text"] for s in traced)
    assert (sentences[0]["t0"], sentences[-1]["t1"]) == (traced[0]["t0"], traced[-1]["t1"])
    # every message posted after the stream opened: its chat event, and the answer to it
    for message_id in ids.values():
        assert any(e["event"] == "chat" and e["id"] == message_id for e in live), message_id
    answered = {e["to"] for e in live if e["event"] == "answer"}
    assert set(ids.values()) - {ids["follow"]} <= answered  # the follow is thanked with the gift
    # what the stream says is what the trace says (the trace writes its sentences itself)
    for event in live:
        if event["event"] != "sentence":
            assert event in session.trace.events, event
    assert any(e["event"] == "interrupt" for e in live)


# -- 4. interrupt ----------------------------------------------------------------------------
def test_interrupt_stops_the_long_line_within_a_few_ticks(session):
    trace = session.trace
    (interrupt,) = trace.of("interrupt")
    assert interrupt["reason"] == "operator"
    at = interrupt["t"]
    before = [tick for tick in trace.ticks if tick["t"] < at]
    after = [tick for tick in trace.ticks if tick["t"] >= at]
    assert before[-1]["speaking"], "the host was not speaking when interrupted"
    assert not after[4]["speaking"], [tick["speaking"] for tick in after[:8]]
    assert all(not tick["speaking"] for tick in after[4:4 + FPS])
    assert max(tick["jaw"] for tick in after[5:5 + FPS]) < 0.05
    long_sentences = trace.sentences(session.ids["long"])
    assert long_sentences[-1]["t0"] < at < long_sentences[-1]["t1"], "the interrupt cut no sentence"
    assert len(long_sentences) < len(sentences_from_text(LONG_LINE))


# -- 7. idle ---------------------------------------------------------------------------------
def test_an_idle_line_fills_the_quiet(session):
    trace = session.trace
    (interrupt,) = trace.of("interrupt")
    idle = [a for a in trace.of("answer") if a["source"] == "idle" and a["t"] > interrupt["t"]]
    assert idle and idle[0]["text"] in PERSONA.idle_lines
    # the quiet that led to it started when the interrupt silenced the host
    assert idle[0]["t"] >= interrupt["t"] + IDLE_AFTER_S - 0.5
    assert session.status_end["queue"]["idle"] >= 1


# -- 5 and 6: a host whose language model server is down, then SIGTERM ------------------------
@dataclass
class DeadLLMRun:
    host: HostProcess
    llm_port: int
    ids: dict[str, str]
    status: dict
    ticks: tuple[int, int]
    signal_media_time: float
    exit_s: float
    returncode: int
    trace_text: str
    trace: Trace
    recording: Recording


@pytest.fixture(scope="module")
def dead_llm(tmp_path_factory) -> DeadLLMRun:
    workdir = tmp_path_factory.mktemp("dead-llm")
    llm_port = free_port()  # nothing listens there
    with HostProcess(workdir, "--llm", f"openai:http://127.0.0.1:{llm_port}/v1") as host:
        host.start()
        events = host.events()
        try:
            ids = {"chit_chat": host.chat("cat", CHIT_CHAT)}
            events.answer(ids["chit_chat"], timeout=60)
            status = host.status()
            ids["catalogue"] = host.chat("ann", "How much is the oak cutting board?")
            events.answer(ids["catalogue"], timeout=60)
            ticks_later = host.status()["ticks"]
            ids["long"] = host.say(LONG_LINE)
            long_t = events.answer(ids["long"], timeout=30)["t"]
            now = wait_for(lambda: (s := host.status())["media_time"] >= long_t + 1.0 and s["media_time"],
                           10, "the long line to be under way")
            signalled = time.monotonic()
            host.signal(signal.SIGTERM)
            returncode = host.wait(15)
            exit_s = time.monotonic() - signalled
        finally:
            events.close()
        return DeadLLMRun(host, llm_port, ids, status, (status["ticks"], ticks_later), now, exit_s,
                          returncode, host.trace_path.read_text(encoding="utf-8"), host.trace(),
                          decode_recording(host.video))


def test_a_dead_llm_server_gives_the_fallback_line_and_the_host_goes_on(dead_llm):
    answers = dead_llm.trace.answers()
    fallback = answers[dead_llm.ids["chit_chat"]]
    assert fallback["source"] == "fallback" and fallback["text"] in PERSONA.fallback_lines
    catalogue = answers[dead_llm.ids["catalogue"]]
    assert catalogue["source"] == "catalogue" and "39.90" in catalogue["text"]
    llm = dead_llm.status["llm"]
    assert llm["backend"].startswith("openai") and llm["ok"] is False
    assert f"127.0.0.1:{dead_llm.llm_port}" in llm["error"] and llm["failures"] >= 1
    assert dead_llm.ticks[1] > dead_llm.ticks[0]


def test_sigterm_mid_sentence_exits_cleanly_with_complete_files(dead_llm):
    assert dead_llm.returncode == 0, dead_llm.host.log()
    assert dead_llm.exit_s <= 5.0
    assert "SIGTERM: finishing the sentence" in dead_llm.host.log()
    assert dead_llm.trace_text.endswith("\n")  # the last line was written whole
    assert_constant_rate(dead_llm.recording, dead_llm.trace)
    last = dead_llm.trace.ticks[-1]["t"]
    signalled = dead_llm.signal_media_time
    assert signalled < last <= signalled + SHUTDOWN_GRACE_S + 0.5
    # the sentence playing was finished, not cut; the rest of the line was dropped
    spoken = dead_llm.trace.sentences(dead_llm.ids["long"])
    assert signalled < spoken[-1]["t1"] <= last + 2 * TICK
    assert len(spoken) < len(sentences_from_text(LONG_LINE))
