"""The sentence being spoken, as motion sees it: validated tags, timings (from the engine,
else aligned from the audio), loudness and pitch frames, and the blended viseme track."""

from __future__ import annotations

from dataclasses import dataclass, replace

from livehost.brain.tags import validate
from livehost.media.frames import ScheduledSpeech, Sentence, Speech
from livehost.voice.timing import word_stress_time

from .align import ensure_timings
from .analysis import SpeechAnalysis, analyze
from .visemes import VisemeTrack


@dataclass(frozen=True, slots=True)
class ActiveSpeech:
    speech: Speech  # with timings, whatever the engine gave
    t0: float
    analysis: SpeechAnalysis
    track: VisemeTrack

    @property
    def sentence(self) -> Sentence:
        return self.speech.sentence

    @property
    def t1(self) -> float:
        return self.t0 + self.speech.duration

    @property
    def voice_end(self) -> float:
        """When the last word ends (the audio may carry a little silence after it)."""
        words = self.speech.words
        return self.t0 + words[-1].end if words else self.t1

    def word_stress(self, index: int) -> float | None:
        """Media time of the stressed vowel of word ``index`` (the trace's emphasis time)."""
        t = word_stress_time(self.speech.phonemes, self.speech.words, index)
        return None if t is None else self.t0 + t


def activate(scheduled: ScheduledSpeech) -> ActiveSpeech:
    speech = replace(scheduled.speech, sentence=validate(scheduled.speech.sentence))
    analysis = analyze(speech.pcm, speech.sample_rate)
    speech = ensure_timings(speech, analysis)
    return ActiveSpeech(speech, scheduled.t0, analysis, VisemeTrack(speech.phonemes))
