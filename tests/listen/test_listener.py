"""The listener's rules with its parts replaced: a VAD that reads loudness, a recognizer that
returns scripted text, audio fed by hand. The real parts are in test_listen_pulse.py."""

import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from loopback import wait_for

from livehost.listen.asr import Transcript
from livehost.listen.echo import EchoStats
from livehost.listen.listener import ListenConfig, Listener
from livehost.listen.turns import TurnConfig
from livehost.listen.vad import SAMPLE_RATE

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))
import measure_echo as sim  # real recordings, as the measurement reads them

PERSON = "en_male_librispeech-1272-128104-0000.flac"


class LoudnessVad:
    def probability(self, frame):
        return 0.95 if np.abs(frame).mean() > 0.05 else 0.02


class ScriptedRecognizer:
    def __init__(self, text="what does the kettle cost?"):
        self.text, self.calls = text, []

    def transcribe(self, audio, prompt=None):
        self.calls.append(len(audio) / SAMPLE_RATE)
        return Transcript(self.text, "en", 0.01, -0.2, len(audio) / SAMPLE_RATE)


class Ears:
    def __init__(self):
        self.speaking, self.events, self.barge_ins, self.listening = False, [], 0, []
        self.holds = self.releases = 0

    def avatar_speaking(self):
        return self.speaking

    def media_time(self):
        return 100.0

    def user_speaking(self, speaking):
        self.listening.append(speaking)

    def hold(self):
        self.holds += 1

    def release(self):
        self.releases += 1

    def barge_in(self):
        self.barge_ins += 1

    def heard(self, text, t0, t1, partial):
        self.events.append((text, t0, t1, partial))


class NoCapture:
    up, error = True, None

    def start(self):
        pass

    def stop(self):
        pass


@pytest.fixture
def listening():
    started = []

    def start(config=ListenConfig(), text="what does the kettle cost?", echo=None):
        recognizer = ScriptedRecognizer(text)
        listener = Listener(config, recognizer=recognizer, vad=LoudnessVad(), echo=echo,
                            capture_factory=lambda feed: NoCapture())
        listener.ears = ears = Ears()
        messages, stop = [], threading.Event()
        thread = threading.Thread(target=listener.run, args=(messages.append, stop), daemon=True)
        thread.start()
        started.append((stop, thread))
        return listener, ears, messages, recognizer

    yield start
    for stop, thread in started:
        stop.set()
        thread.join(5)


def speech(seconds, loud=0.3):
    n = round(seconds * SAMPLE_RATE)
    return (loud * np.sin(np.arange(n) * 0.3)).astype(np.float32)


def silence(seconds):
    return np.zeros(round(seconds * SAMPLE_RATE), np.float32)


def feed(listener, *parts, chunk=333, realtime=False):  # chunks that do not divide a VAD frame
    audio = np.concatenate(parts)
    for i in range(0, len(audio), chunk):
        listener.feed(audio[i:i + chunk])
        if realtime:
            time.sleep(chunk / SAMPLE_RATE)


def test_a_turn_becomes_one_mic_message_and_a_heard_event(listening):
    listener, ears, messages, recognizer = listening()
    feed(listener, silence(0.5), speech(1.2), silence(0.6))
    assert wait_for(lambda: messages, 5, "messages")
    (msg,) = messages
    assert (msg.kind, msg.platform, msg.text, msg.user) == ("mic", "mic", "what does the kettle cost?", "caller")
    final = [e for e in ears.events if not e[3]]
    assert len(final) == 1 and final[0][0] == msg.text and final[0][1] < final[0][2] <= 100.0
    assert final[0][2] - final[0][1] == pytest.approx(1.2, abs=0.07)
    assert ears.listening[0] is True and ears.listening[-1] is False
    # the pause transcript was reused: one recognition for the final, plus partials at most
    assert recognizer.calls.count(max(recognizer.calls)) == 1


def test_coughs_make_no_message_and_do_not_barge_in(listening):
    listener, ears, messages, _ = listening()
    ears.speaking = True
    feed(listener, silence(0.3), speech(0.05), silence(0.6), speech(0.06), silence(0.6))
    time.sleep(0.5)
    assert messages == [] and ears.barge_ins == 0
    assert listener.stats()["false_starts"] == 2
    # a cough held the host's voice a moment; it plays on where it stopped
    assert ears.holds >= 1 and ears.releases == ears.holds == listener.stats()["resumed"]


def test_speech_over_the_host_barges_in_once_per_turn(listening):
    listener, ears, messages, _ = listening(ListenConfig(barge_in_after_s=0.12))
    ears.speaking = True
    feed(listener, silence(0.3), speech(1.0), silence(0.6))
    assert wait_for(lambda: messages, 5, "messages")
    assert ears.barge_ins == 1
    assert ears.holds == 1 and ears.releases == 0  # held at once, then made final


def test_speech_over_the_host_holds_its_voice_before_the_interrupt_is_final(listening):
    listener, ears, messages, _ = listening(ListenConfig(barge_in_hold_s=0.06, barge_in_after_s=0.25))
    ears.speaking = True
    feed(listener, silence(0.3), speech(0.15))
    time.sleep(0.3)
    assert ears.holds == 1 and ears.barge_ins == 0  # silent already, not yet interrupted
    feed(listener, speech(0.5), silence(0.6))
    assert wait_for(lambda: messages, 5, "messages")
    assert ears.barge_ins == 1 and ears.releases == 0


def test_barge_in_never_and_after_words(listening):
    listener, ears, messages, _ = listening(ListenConfig(barge_in="never"))
    ears.speaking = True
    feed(listener, silence(0.3), speech(1.0), silence(0.6))
    assert wait_for(lambda: messages, 5, "messages") and ears.barge_ins == 0

    listener, ears, messages, _ = listening(
        ListenConfig(barge_in="words", barge_in_words=3, partial_every_s=0.3), text="one two three four")
    ears.speaking = True
    feed(listener, silence(0.3), speech(0.25))
    time.sleep(0.3)
    assert ears.barge_ins == 0 and ears.holds == 0  # no words heard yet; words mode never holds
    feed(listener, speech(1.5), silence(0.6), realtime=True)  # words are heard while they speak
    assert wait_for(lambda: ears.barge_ins == 1, 5, "ears.barge_ins == 1")


def test_speaker_mode_drops_the_hosts_own_words(listening):
    class Passthrough:
        def played(self, audio, rate):
            pass

        def process(self, mic, at=None):
            self.paired = np.zeros(len(mic), np.float32)  # nothing played is heard
            return mic

        def stats(self):
            return EchoStats("speaker", 0.0, 0.0, 0)

    listener, ears, messages, _ = listening(ListenConfig(mode="speaker"), text="Our kettle costs forty dollars.",
                                            echo=Passthrough())
    listener.said("Our kettle costs forty dollars, and it boils in three minutes.")
    ears.speaking = True
    feed(listener, silence(0.3), speech(1.0), silence(0.8))
    assert wait_for(lambda: listener.stats()["echo_dropped"] == 1, 5, 'an echo dropped')
    assert messages == []


def test_the_cancellers_adaptation_is_undone_by_a_jump_or_a_loss_until_it_adapts_again(listening):
    """After the canceller's pairing jumps, or when it loses the echo, it leaks the host's voice
    until it adapts again: a barge-in then would be the host interrupting itself."""

    class Attenuating:  # a canceller that removes 20 dB of the host's voice, and can jump
        resyncs, gain = 0, 0.1

        def played(self, audio, rate):
            pass

        def process(self, mic, at=None):
            self.paired = np.zeros(len(mic), np.float32)
            return mic * self.gain

        def stats(self):
            return EchoStats("speaker", 0.0, 0.0, self.resyncs)

    echo = Attenuating()
    listener, ears, _, _ = listening(ListenConfig(mode="speaker"), echo=echo)
    ears.speaking = True
    feed(listener, speech(2.5, loud=0.6))  # only the host, loud enough to be its echo
    assert wait_for(lambda: listener.stats()["echo_adapted"] == "erle", 5, "adapted")
    echo.resyncs = 1
    feed(listener, speech(0.1, loud=0.6))
    assert wait_for(lambda: listener.stats()["echo_resyncs"] == 1, 5, "the jump seen")
    assert listener.stats()["echo_adapted"] is None
    feed(listener, speech(2.5, loud=0.6))
    assert wait_for(lambda: listener.stats()["echo_adapted"] == "erle", 5, "adapted again")
    echo.gain = 0.6  # it loses the echo (4 dB removed) without any jump
    feed(listener, speech(2.5, loud=0.1))
    assert wait_for(lambda: listener.stats()["echo_adapted"] is None, 5, "no longer adapted")


def test_the_hosts_voice_let_through_by_a_lost_canceller_neither_barges_in_nor_is_heard(listening):
    """The canceller adapts, then loses the echo mid-talk (seen on a PulseAudio speaker path
    under load) and passes the host's voice through: no barge-in and no message on it, as it
    is coherent with what the host played; a person over the host then still barges in, and is
    heard though a turn that short over the host would be taken for its echo."""
    second = SAMPLE_RATE
    host = np.tile(sim.recording("en_female_librispeech-1995-1837-0001.wav"), 2)
    person = sim.recording(PERSON)[:3 * second]

    class Losing:  # hears exactly what was played; removes 20 dB of it, or nothing while lost
        lost, at = (3 * second, 7 * second), 0

        def played(self, audio, rate):
            pass

        def process(self, mic, at=None):
            self.paired = host[self.at:self.at + len(mic)]
            removed = np.where((np.arange(self.at, self.at + len(mic)) >= self.lost[0])
                               & (np.arange(self.at, self.at + len(mic)) < self.lost[1]), 0.0, 0.9)
            self.at += len(mic)
            return (mic - removed * self.paired).astype(np.float32)

        def stats(self):
            return EchoStats("speaker", 0.0, 0.0, 0)

    # every turn here is "short" for a turn over the host: only the one that barged in is a person
    listener, ears, messages, _ = listening(ListenConfig(mode="speaker", duck_min_speech_s=5.0), echo=Losing())
    ears.speaking = True
    feed(listener, host[:3 * second])
    assert wait_for(lambda: listener.stats()["echo_adapted"] == "erle", 5, "adapted")
    feed(listener, host[3 * second:9 * second])
    assert wait_for(lambda: listener.stats()["echo_dropped"] >= 1, 5, "the let-through voice dropped")
    assert ears.barge_ins == 0 and messages == [] and listener.last_echo["echo_share"] >= 0.5
    talk = host[9 * second:12 * second] + np.pad(person, (0, 3 * second - len(person)))
    feed(listener, talk, host[12 * second:14 * second])
    assert wait_for(lambda: messages, 5, "the person heard")
    assert ears.barge_ins == 1


def test_noise_hallucinations_are_not_turns(listening):
    listener, ears, messages, _ = listening(text="Thank you.")
    feed(listener, silence(0.3), speech(0.8), silence(0.6))
    assert wait_for(lambda: listener.stats()["unusable"] == 1, 5, 'an unusable transcript')
    assert messages == []


def test_unfinished_phrases_hold_the_turn_open(listening):
    cfg = ListenConfig(turns=TurnConfig(end_silence_s=0.3, unfinished_silence_s=1.0))
    listener, ears, messages, recognizer = listening(cfg, text="I would like the kettle and")
    feed(listener, silence(0.3), speech(0.8), silence(0.1))
    assert wait_for(lambda: listener._turns.unfinished, 5, "the pause transcript read as unfinished")
    feed(listener, silence(0.5))
    time.sleep(0.4)
    assert messages == []  # "... and": still their turn
    feed(listener, silence(0.6))
    assert wait_for(lambda: messages, 5, "messages")
