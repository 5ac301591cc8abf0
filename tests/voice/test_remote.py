"""The remote engine against a local server speaking the real /v1/audio/speech API."""

import socket
import time

import numpy as np
import pytest
import yaml
from speech_server import SpeechServer

from livehost.errors import LivehostError
from livehost.persona import RemoteVoice, VoiceSpec, load_persona
from livehost.voice.engines import check_voice, create_engine
from livehost.voice.intelligibility import word_error_rate
from livehost.voice.reference import load_reference
from livehost.voice.remote_engine import RemoteEngine, upload_reference

pytestmark = pytest.mark.slow
TEXT = "Thanks for the follow, the kettle is back in stock."


@pytest.fixture(scope="module")
def server():
    srv = SpeechServer()
    yield srv
    srv.shutdown()


@pytest.fixture(autouse=True)
def reset(server):
    server.api_key, server.fail_next, server.stall_s, server.pause_s = None, 0, 0.0, 0.0
    server.break_after_first = False
    server.requests.clear()


def engine_for(server, **remote) -> RemoteEngine:
    return RemoteEngine(RemoteVoice(url=server.url, **remote), "alloy")


@pytest.mark.parametrize("fmt", ["pcm", "wav"])
def test_streams_intelligible_speech_in_pieces(server, fmt, transcriber):
    server.pause_s = 0.4
    engine = engine_for(server, format=fmt)
    started = time.perf_counter()
    arrivals, chunks = [], []
    for chunk in engine.synthesize(TEXT):
        arrivals.append(time.perf_counter() - started)
        chunks.append(chunk)
    assert len(chunks) > 2 and {c.sample_rate for c in chunks} == {24000}
    assert arrivals[0] < arrivals[-1] - 0.3  # the first piece came before the server finished
    pcm = np.concatenate([c.pcm for c in chunks])
    assert word_error_rate(TEXT, transcriber.transcribe(pcm, 24000)) <= 0.2  # piper adds noise: one slip
    request = server.requests[-1]
    assert request["input"] == TEXT and request["voice"] == "alloy" and request["response_format"] == fmt
    assert request["stream"] is True and request["model"] == "tts-1"


def test_retries_server_errors_then_succeeds(server):
    server.fail_next = 2
    chunks = list(engine_for(server, retries=2).synthesize(TEXT))
    assert chunks and len(server.requests) == 3


def test_gives_up_with_a_clear_message_after_the_retries(server):
    server.fail_next = 5
    with pytest.raises(LivehostError, match="HTTP 500: model worker crashed.*3 attempt") as error:
        list(engine_for(server, retries=2).synthesize(TEXT))
    assert str(error.value).count("voice server") == 1  # the server is named once


def test_client_errors_are_not_retried_and_name_the_problem(server):
    engine = RemoteEngine(RemoteVoice(url=server.url), "nobody")
    with pytest.raises(LivehostError, match="HTTP 400: voice 'nobody' not found"):
        list(engine.synthesize(TEXT))
    assert len(server.requests) == 1


def test_dead_server_fails_fast_and_says_so():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens here once closed
    engine = RemoteEngine(RemoteVoice(url=f"http://127.0.0.1:{port}/v1", retries=1), "alloy")
    started = time.perf_counter()
    with pytest.raises(LivehostError, match="cannot connect \\(is the server running\\?\\)"):
        list(engine.synthesize(TEXT))
    assert time.perf_counter() - started < 3


def test_first_audio_budget_bounds_a_stalled_server(server):
    server.stall_s = 2.0
    started = time.perf_counter()
    with pytest.raises(LivehostError, match="timed out"):
        list(engine_for(server, first_audio_s=0.3, retries=0).synthesize(TEXT))
    assert time.perf_counter() - started < 1.5


def test_a_stream_broken_mid_sentence_is_not_retried(server):
    server.break_after_first = True
    with pytest.raises(LivehostError, match="broke off mid-sentence"):
        list(engine_for(server).synthesize(TEXT))
    assert len(server.requests) == 1


def test_api_key_comes_from_the_named_environment_variable(server, monkeypatch):
    server.api_key = "s3cret"
    monkeypatch.setenv("TTS_KEY", "s3cret")
    assert list(engine_for(server, api_key_env="TTS_KEY").synthesize(TEXT))
    monkeypatch.setenv("TTS_KEY", "wrong")
    with pytest.raises(LivehostError, match="HTTP 401: Incorrect API key"):
        list(engine_for(server, api_key_env="TTS_KEY").synthesize(TEXT))
    monkeypatch.delenv("TTS_KEY")
    with pytest.raises(LivehostError, match="TTS_KEY is not set"):
        engine_for(server, api_key_env="TTS_KEY")


def test_engine_specs_are_checked():
    with pytest.raises(LivehostError, match="remote.url"):
        check_voice(VoiceSpec(engine="remote"))
    with pytest.raises(LivehostError, match="pitch"):
        check_voice(VoiceSpec(engine="remote", pitch=2, remote=RemoteVoice(url="http://127.0.0.1:1/v1")))


def make_persona(tmp_path, remote: dict, reference: str | None = None):
    folder = tmp_path / "host"
    folder.mkdir()
    from livehost.persona import load_persona as _load

    demo = _load("demo")
    (folder / "portrait.jpg").write_bytes(demo.portrait_path.read_bytes())
    voice = {"engine": "remote", "voice": "alloy", "remote": remote}
    if reference:
        voice["reference"] = reference
    (folder / "persona.yaml").write_text(yaml.safe_dump({"name": "Host", "portrait": "portrait.jpg", "voice": voice}))
    return folder


def test_voice_clone_uploads_the_clip_and_the_persona_speaks_with_the_new_voice(server, tmp_path, speech_path, livehost_cli):
    folder = make_persona(tmp_path, {"url": server.url, "clone": "upload"})
    result = livehost_cli("voice", "clone", "--persona", str(folder), "--reference", str(speech_path), timeout=300)
    assert result.returncode == 0, result.stderr
    upload = server.uploads[-1]
    assert upload["audio"][:4] == b"RIFF" and upload["name"] == "host" and upload["model"] == "tts-1"
    assert "north" in upload["text"].lower()  # Whisper's transcript of the clip went along
    persona = load_persona(folder)
    assert persona.voice.voice == f"voice-{len(server.uploads)}" and persona.reference_path.is_file()
    assert list(create_engine(persona.voice, persona).synthesize(TEXT))
    assert server.requests[-1]["voice"] == persona.voice.voice


def test_inline_references_go_with_every_request(server, tmp_path, speech_path):
    folder = make_persona(tmp_path, {"url": server.url, "clone": "inline", "reference_text": "It was my reports."},
                          reference=str(speech_path))
    persona = load_persona(folder)
    assert list(create_engine(persona.voice, persona).synthesize(TEXT))
    reference = server.requests[-1]["references"][0]
    assert reference["audio"].startswith("data:audio/wav;base64,UklGR")  # base64 of "RIFF"
    assert reference["text"] == "It was my reports."


def test_upload_refusals_are_reported(server, speech_path):
    server.api_key = "k"
    with pytest.raises(LivehostError, match="upload refused, HTTP 401"):
        upload_reference(RemoteVoice(url=server.url), load_reference(speech_path), "x")
