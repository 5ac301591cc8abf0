"""Talking to the real ``livehost run --mic`` through PulseAudio: recordings and synthesized
questions are played into a null sink whose monitor the host records through sounddevice —
the path a real microphone, or Zoom's audio routed into one, takes."""

from __future__ import annotations

import re
import signal
import time
from pathlib import Path

import pytest
from e2e_host import HostProcess
from pulse import needs_pulse, pulse_server

from livehost.voice.intelligibility import word_error_rate

SPEECH = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "speech"
RECORDING = SPEECH / "en_male_librispeech-1272-128104-0000.flac"
RECORDING_TEXT = "MISTER QUILTER IS THE APOSTLE OF THE MIDDLE CLASSES AND WE ARE GLAD TO WELCOME HIS GOSPEL"

LONG_LINE = ("Let me tell you a very long story about our shop, which opened many years ago in a small town "
             "by the sea, where my grandmother sold kettles and pans.")

pytestmark = [pytest.mark.slow, needs_pulse]


@pytest.fixture(scope="module")
def questions(tmp_path_factory, livehost_cli_module):
    folder = tmp_path_factory.mktemp("questions")
    texts = {"kettle": "How much is the blue enamel kettle?",
             "long": "Tell me everything about the cast iron skillet, how heavy it is and how to clean it."}
    paths = {}
    for key, text in texts.items():
        paths[key] = folder / f"{key}.wav"
        done = livehost_cli_module("voice", "say", "--persona", "demo", "--text", text, "--out", str(paths[key]))
        assert done.returncode == 0, done.stderr
    return paths


@pytest.fixture(scope="module")
def livehost_cli_module():
    import os
    import subprocess
    import sys

    def run(*args: str, timeout: float = 300):
        return subprocess.run([sys.executable, "-m", "livehost", *args], capture_output=True, text=True,
                              timeout=timeout, env=dict(os.environ))

    return run


def _wait_speaking(host: HostProcess, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not host.status()["speaking"]:
        assert time.monotonic() < deadline, "the host did not start speaking"
        time.sleep(0.05)


def _wait_done(host: HostProcess, timeout: float = 60.0) -> None:
    """Until the host started speaking and then stayed quiet for a second."""
    deadline = time.monotonic() + timeout
    _wait_speaking(host, timeout)
    quiet_since = None
    while quiet_since is None or time.monotonic() - quiet_since < 1.0:
        assert time.monotonic() < deadline, "the host did not stop speaking"
        quiet_since = (quiet_since or time.monotonic()) if _quiet(host) else None
        time.sleep(0.1)


def _quiet(host: HostProcess) -> bool:
    status = host.status()
    return status["ready"] and status["sources"]["mic"]["up"] and not status["speaking"] \
        and status["queue"]["depth"] == 0


def _cough(path: Path) -> Path:
    """0.15 s cut from a real recording's speech, faded at both ends: voice, but no turn."""
    import numpy as np
    import soundfile

    audio, rate = soundfile.read(RECORDING, dtype="float32")
    cut = audio[int(0.9 * rate):int(1.05 * rate)] * np.hanning(int(0.15 * rate)).astype(np.float32) ** 0.25
    soundfile.write(path, cut, rate)
    return path


def test_the_host_hears_answers_and_stops_when_talked_over(tmp_path, questions):
    cough = _cough(tmp_path / "cough.wav")
    with pulse_server(tmp_path) as pulse:
        mic = pulse.null_sink("room")
        with HostProcess(tmp_path, "--mic", mic, "--duration", "120") as host:
            host.start()
            events = host.events()
            deadline = time.monotonic() + 90
            while not _quiet(host):  # the greeting ends
                assert time.monotonic() < deadline, "the greeting did not end"
                time.sleep(0.2)

            # 1. a question, spoken: heard, transcribed, answered from the catalogue
            pulse.play(questions["kettle"], "room").wait(20)
            heard = events.wait(lambda e: e["event"] == "heard" and not e["partial"], 30, "heard")
            assert "kettle" in heard["text"].lower(), heard
            assert heard["t0"] < heard["t1"]
            answer = events.wait(lambda e: e["event"] == "answer" and e["to"].startswith("mic-"), 30, "answer")
            assert re.search(r"\$?\d", answer["text"]), answer  # the price is in it
            assert answer["t"] - heard["t1"] < 5.0

            # 2. talked over while answering: it stops (barge-in), then answers the new turn
            host.say(LONG_LINE)
            _wait_speaking(host)
            time.sleep(0.5)
            pulse.play(RECORDING, "room")
            interrupt = events.wait(lambda e: e["event"] == "interrupt" and e["reason"] == "barge-in", 15,
                                    "barge-in")
            held = [e for e in events.events if e["event"] == "hold"]
            assert held and held[-1]["t"] <= interrupt["t"], events.events[-10:]  # silent before it was sure
            heard = events.wait(lambda e: e["event"] == "heard" and not e["partial"] and e["t0"] > interrupt["t"] - 2,
                                40, "the recording heard")
            assert word_error_rate(RECORDING_TEXT.lower(), heard["text"].lower()) <= 0.35, heard["text"]
            status = host.status()
            assert status["listen"]["barge_ins"] >= 1 and status["sources"]["mic"]["up"]

            # 3. a word's worth of sound over the host (a cough): it falls silent, then plays on
            _wait_done(host)
            host.say(LONG_LINE)
            _wait_speaking(host)
            time.sleep(1.0)
            barge_ins = host.status()["listen"]["barge_ins"]
            pulse.play(cough, "room").wait(10)
            events.wait(lambda e: e["event"] == "resume", 10, "the host playing on")
            time.sleep(0.3)
            status = host.status()
            assert status["speaking"] and status["listen"]["barge_ins"] == barge_ins, status["listen"]
            assert not status["held"]
            host.signal(signal.SIGTERM)
            assert host.wait(30) == 0, host.log()
        trace = host.trace()
    assert any(e["event"] == "heard" for e in trace.events)  # the trace carries them too


def test_on_speakers_the_host_never_answers_or_interrupts_itself(tmp_path, questions):
    """The host's voice goes out of its virtual mic and back into the room it listens to (a
    loopback: a speaker heard by the mic). Talking for a while, it must hear nothing of its
    own; then a person's question is still heard."""
    with pulse_server(tmp_path) as pulse:
        mic = pulse.null_sink("room")
        config = tmp_path / "quiet.yaml"
        config.write_text("host: {queue: {idle_after_s: 600}}\n")  # no idle line while the test talks
        with HostProcess(tmp_path, "--mic", mic, "--listen-mode", "speaker", "--sink", "virtualmic:HostOut",
                         "--duration", "170", "--config", str(config)) as host:
            host.start()
            events = host.events()
            deadline = time.monotonic() + 90
            while "HostOut_out" not in pulse.names("sinks"):  # speakers on from the first word
                assert time.monotonic() < deadline, "the virtual mic did not appear"
                time.sleep(0.1)
            pulse.loopback("HostOut_out.monitor", "room")
            while not _quiet(host):
                assert time.monotonic() < deadline, "the greeting did not end"
                time.sleep(0.2)
            for _ in range(4):  # about 40 s of the host talking into its own mic
                host.say("Our blue enamel kettle boils a litre in four minutes, and the glass teapot "
                         "keeps the leaves apart, so your tea is never bitter. Ask me anything!")
                _wait_done(host)
            own = [e for e in events.events if e["event"] == "heard" and not e["partial"]]
            barge = [e for e in events.events if e["event"] == "interrupt" and e["reason"] == "barge-in"]
            assert own == [] and barge == [], f"{own} {barge} {host.status()['listen']}"
            pulse.play(questions["kettle"], "room").wait(20)
            try:
                heard = events.wait(lambda e: e["event"] == "heard" and not e["partial"], 30, "heard")
            except AssertionError as exc:
                raise AssertionError(f"{exc}: {host.status()['listen']}; {events.events[-5:]}") from None
            assert "kettle" in heard["text"].lower(), heard
