"""The host primes the model with the conversation between replies (so the next reply's first
token waits only for the new message), but only once the reply's speech is made: the voice
and the model would otherwise share the cores and slow each other down."""

import time

import pytest

from livehost.bench.live import RunningHost
from livehost.media.frames import ChatMessage
from livehost.persona import load_persona


@pytest.mark.slow
def test_the_model_is_primed_after_the_reply_is_synthesized_and_not_before(tmp_path):
    with RunningHost(load_persona("demo"), None, tmp_path) as running:
        host = running.host
        assert host.ready.wait(120)
        running.wait_quiet(60)
        engine, backend = host.channel.voice.engine, host.brain.backend
        synthesize, stream = engine.synthesize, backend.stream
        calls: list[tuple[bool, bool]] = []  # (a priming request, the voice busy making speech)

        def slow_synthesis(text):  # as a cloned voice on a busy machine: a second a clause
            time.sleep(1.0)
            yield from synthesize(text)

        def recording(request, cancel):
            calls.append((request.messages[-1].content == "", host.channel.voice.busy))
            return stream(request, cancel)

        engine.synthesize, backend.stream = slow_synthesis, recording
        host.post_chat(ChatMessage("mia", "mia", "What would you cook on a rainy evening?"))
        deadline = time.monotonic() + 60
        while not any(prime for prime, _ in calls) and time.monotonic() < deadline:
            time.sleep(0.05)
        answers = [busy for prime, busy in calls if not prime]
        primes = [busy for prime, busy in calls if prime]
        assert answers and primes, calls
        assert not any(primes), "a priming request ran while the voice was still making the reply"
