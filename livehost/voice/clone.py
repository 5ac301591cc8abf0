"""Offline voice cloning: search Kokoro's style space for the voice closest to a reference.

No cloning TTS weights can be installed offline, but Kokoro's voice is a 256-d style vector
and voices blend. So: score every stock voice by speaker similarity (resemblyzer cosine of the
synthesized probe sentence to the reference), search blend weights (extrapolation allowed)
with a small evolution strategy, then tune the timbre half of the vector by gradient descent
on the speaker similarity itself (``kokoro_timbre``: the decoder re-run in torch), over a few
training sentences so the voice, not one sentence, is learned. A candidate is kept only if it
beats the best so far on the probe and Whisper transcribes the probe correctly; the speaking
rate is matched with Kokoro's speed and the pitch with a pitch shift. The state is saved after
every improvement, so an interrupted search resumes.
"""
from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from livehost.errors import LivehostError
from livehost.sinks.atomic import write_atomic

from .intelligibility import Transcriber, word_error_rate
from .kokoro_engine import KokoroEngine
from .kokoro_model import SAMPLE_RATE, KokoroModel
from .pitch import PitchShift
from .prosody import Pitch, phoneme_rate, pitch
from .reference import ReferenceClip, speech_spans
from .speaker import SpeakerEncoder, similarity
from .styles import save_table

log = logging.getLogger(__name__)

# One inference of about four seconds: long enough for a stable speaker embedding, short
# enough for about a hundred candidates within minutes on two busy cores.
PROBE = "Thanks for joining the stream tonight. We have a lot to show you!"
_STAGES = ("stock", "blend", "timbre")
_BLEND_SHARE = 0.2  # of the budget left after the stock voices
# The timbre descent: sentences it learns from (neither the probe, which is kept to judge
# each step on speech it never trained on, nor the bench's held-out sentences), its step size
# (the stock voices' timbre values spread by ~0.09), and how often a step is judged through the
# packaged model and Whisper.
TRAINING = ("Every order today comes with a small gift.", "Let me know in the chat what you think.",
            "I tried this one myself, and honestly, I love it.", "Here is something you have never seen before.",
            "Hi there, it is so good to see so many of you.", "Would you like to see the other colours too?")
_LEARNING_RATE = 0.02
_CHECK_EVERY = 4
_MAX_SHIFT_ST = 8.0
# Whisper must get the probe and a check sentence right word for word: one slip on the probe
# alone already meant ~5-10% word errors on other sentences (bench).
_MAX_WER = 0.0
CHECK = "Our new lamp ships next week, and the small one is already sold out."


@dataclass
class SearchState:
    """Everything needed to resume; saved as JSON plus the best table as .npy."""

    reference_sha1: str
    stage: int = 0
    evaluations: int = 0
    rejected: int = 0
    elapsed_s: float = 0.0
    speed: float = 1.0
    pitch: float = 0.0  # semitones
    best_similarity: float = -1.0
    weights: list[float] = field(default_factory=list)
    stock: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class CloneResult:
    table: np.ndarray
    speed: float
    pitch: float
    similarity_stock: dict[str, float]
    similarity_before: float  # the best stock voice
    similarity_after: float
    wer: float
    seconds: float
    evaluations: int
    rejected: int
    reference_pitch: Pitch | None
    clone_pitch: Pitch | None

    def report(self) -> dict:
        return {
            "similarity_before": round(self.similarity_before, 4),
            "similarity_after": round(self.similarity_after, 4),
            "best_stock_voice": max(self.similarity_stock, key=self.similarity_stock.get),
            "similarity_stock": {k: round(v, 4) for k, v in self.similarity_stock.items()},
            "wer": round(self.wer, 4),
            "speed": round(self.speed, 3),
            "pitch_semitones": round(self.pitch, 2),
            "seconds": round(self.seconds, 1),
            "evaluations": self.evaluations,
            "rejected_unintelligible": self.rejected,
            "reference_pitch": None if self.reference_pitch is None else asdict(self.reference_pitch),
            "clone_pitch": None if self.clone_pitch is None else asdict(self.clone_pitch),
        }


def sha1(pcm: np.ndarray) -> str:
    return hashlib.sha1(np.ascontiguousarray(pcm, np.float32).tobytes()).hexdigest()


class VoiceSearch:
    def __init__(
        self,
        reference: ReferenceClip,
        stock: dict[str, np.ndarray],
        model: KokoroModel,
        encoder: SpeakerEncoder,
        transcriber: Transcriber,
        state_dir: Path | None = None,
        seed: int = 0,
    ) -> None:
        self.reference, self.model, self.encoder, self.transcriber = reference, model, encoder, transcriber
        self.names = sorted(stock)
        self.stock = np.stack([stock[n] for n in self.names])  # (voices, 510, 1, 256)
        self.target = encoder.embed(reference.pcm, reference.sample_rate)
        self.target_pitch = pitch(reference.pcm, reference.sample_rate)
        self.state_dir = state_dir
        self.state = self._load_state() or SearchState(sha1(reference.pcm))
        # A resumed search draws new steps, not the ones it already tried.
        self.rng = np.random.default_rng([seed, self.state.evaluations])
        self.best_table = self._load_best()

    # -- scoring ---------------------------------------------------------------------------
    def render(self, table: np.ndarray, speed: float | None = None, shift: float | None = None,
               text: str = PROBE) -> np.ndarray:
        engine = KokoroEngine(self.model, table, rate=speed or self.state.speed,
                              pitch=self.state.pitch if shift is None else shift, whole=True)
        return np.concatenate([c.pcm for c in engine.synthesize(text)])

    def score(self, table: np.ndarray, shift: float | None = None) -> tuple[float, np.ndarray]:
        """(speaker similarity to the reference, the probe audio)."""
        audio = self.render(table, shift=shift)
        self.state.evaluations += 1
        return similarity(self.encoder.embed(audio, SAMPLE_RATE), self.target), audio

    def _matching_shift(self, audio: np.ndarray) -> float:
        """The pitch shift (semitones, to half a semitone) that meets the reference's median."""
        found = pitch(audio, SAMPLE_RATE)
        if found is None or self.target_pitch is None:
            return 0.0
        shift = round(2 * (self.target_pitch.median_st - found.median_st)) / 2
        return float(np.clip(shift, -_MAX_SHIFT_ST, _MAX_SHIFT_ST))

    def intelligible(self, audio: np.ndarray) -> float:
        return word_error_rate(PROBE, self.transcriber.transcribe(audio, SAMPLE_RATE))

    def clear(self, table: np.ndarray, shift: float, probe: np.ndarray) -> bool:
        """Whisper gets the probe and one more sentence right, word for word."""
        if self.intelligible(probe) > _MAX_WER:
            return False
        audio = self.render(table, shift=shift, text=CHECK)
        return word_error_rate(CHECK, self.transcriber.transcribe(audio, SAMPLE_RATE)) <= _MAX_WER

    def _offer(self, table: np.ndarray, weights: list[float] | None = None, shift: float | None = None) -> bool:
        """Score a candidate and keep it if it is better and still intelligible."""
        shift = self.state.pitch if shift is None else shift
        sim, audio = self.score(table, shift)
        if sim <= self.state.best_similarity:
            return False
        if self.best_table is not None and not self.clear(table, shift, audio):
            self.state.rejected += 1
            return False
        self._accept(table, sim, weights, shift)
        return True

    def _accept(self, table, sim: float, weights, shift: float) -> None:
        self.best_table, self.state.best_similarity, self.state.pitch = table, sim, shift
        if weights is not None:
            self.state.weights = list(map(float, weights))

    # -- stages ----------------------------------------------------------------------------
    def run(self, budget_s: float, tick: Callable[[SearchState], None] = lambda s: None) -> CloneResult:
        started = time.monotonic() - self.state.elapsed_s
        deadline = started + budget_s

        def report() -> None:
            self.state.elapsed_s = time.monotonic() - started
            tick(self.state)

        def out_of_time() -> bool:
            report()
            return time.monotonic() >= deadline

        if self.state.stage == 0:
            self._stock_stage(report)
            self._match_rate()
            self._next_stage()
        if self.state.stage == 1:
            blend_until = time.monotonic() + _BLEND_SHARE * max(0.0, deadline - time.monotonic())
            self._blend_stage(lambda: out_of_time() or time.monotonic() >= blend_until)
            self._next_stage()
        if self.state.stage == 2:
            self._timbre_stage(out_of_time)
        out_of_time()
        self._save()
        return self._result()

    def _stock_stage(self, report: Callable[[], None]) -> None:
        """Each stock voice as it is (the figure to beat), then shifted to the reference's pitch."""
        self.best_table, self.state.best_similarity = None, -1.0  # stock voices need no Whisper check
        for i, name in enumerate(self.names):
            self.state.stock[name], audio = self.score(self.stock[i], shift=0.0)
            weights = np.eye(len(self.names))[i]
            if self.state.stock[name] > self.state.best_similarity:
                self._accept(self.stock[i], self.state.stock[name], weights, 0.0)
            shift = self._matching_shift(audio)
            if shift:
                self._offer(self.stock[i], weights, shift=shift)
            report()

    def _match_rate(self) -> None:
        """Kokoro speed so the clone speaks as many phonemes per second as the reference."""
        said = self.transcriber.transcribe(self.reference.pcm, self.reference.sample_rate)
        phonemes = sum(ch.isalpha() for ch in self.model.known(self.model.phonemize(said)))
        ref_rate = phoneme_rate(phonemes, _speech_seconds(self.reference.pcm, self.reference.sample_rate))
        audio = self.render(self.best_table, speed=1.0)
        probe_phonemes = sum(ch.isalpha() for ch in self.model.known(self.model.phonemize(PROBE)))
        clone_rate = phoneme_rate(probe_phonemes, _speech_seconds(audio, SAMPLE_RATE))
        if phonemes >= 10:
            self.state.speed = float(np.clip(ref_rate / clone_rate, 0.75, 1.4))
        log.info("rate: reference %.1f, clone %.1f phonemes/s → speed %.2f", ref_rate, clone_rate, self.state.speed)
        # The best similarity was taken at speed 1: take it again at the matched speed.
        self.state.best_similarity, _ = self.score(self.best_table)

    def _blend_stage(self, done: Callable[[], bool]) -> None:
        """(μ/μ, λ) evolution strategy on affine blend weights (they sum to 1, may be < 0)."""
        mean = np.asarray(self.state.weights, float)
        sigma, population = 0.3, 6
        while not done():
            for _ in range(population):
                w = mean + sigma * self.rng.standard_normal(len(mean))
                w += (1.0 - w.sum()) / len(w)
                table = np.tensordot(w, self.stock, axes=1).astype(np.float32)
                self._offer(table, w)
                if done():
                    return
            # Recombine around the best weights found so far, narrowing the search.
            mean = 0.5 * mean + 0.5 * np.asarray(self.state.weights)
            sigma = max(0.05, sigma * 0.85)
            self._save()

    def _timbre_stage(self, done: Callable[[], bool]) -> None:
        """Adam on the timbre half, shared by every row of the table, from the best so far."""
        if done():
            return
        import torch

        from .kokoro_timbre import TIMBRE, TimbreModel

        try:
            timbre = TimbreModel(self.model)
        except LivehostError as exc:  # another export of Kokoro: the blend is the result
            log.warning("voice search: no timbre descent with this model (%s)", exc)
            return
        base = self.best_table
        shift = PitchShift(self.state.pitch)
        sentences = [timbre.prepare(text, base, shift.synthesis_speed(self.state.speed)) for text in TRAINING]
        heard = shift.playback_rate(SAMPLE_RATE)
        target = torch.from_numpy(self.target)
        delta = torch.zeros(TIMBRE, requires_grad=True)
        optimizer = torch.optim.Adam([delta], lr=_LEARNING_RATE)
        steps = 0
        while not done():
            sentence = sentences[steps % len(sentences)]
            audio = timbre.audio(torch.from_numpy(base[sentence.row, 0, :TIMBRE]) + delta, sentence)
            loss = 1 - torch.dot(self.encoder.embed_torch(audio, heard), target)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            steps += 1
            self.state.evaluations += 1
            if steps % _CHECK_EVERY == 0 and self._offer(_with_timbre(base, delta.detach().numpy())):
                self._save()
        if steps % _CHECK_EVERY and self._offer(_with_timbre(base, delta.detach().numpy())):
            self._save()

    def _next_stage(self) -> None:
        self.state.stage += 1
        self._save()

    def _result(self) -> CloneResult:
        audio = self.render(self.best_table)
        stock = self.state.stock
        return CloneResult(
            table=self.best_table, speed=self.state.speed, pitch=self.state.pitch, similarity_stock=dict(stock),
            similarity_before=max(stock.values()), similarity_after=self.state.best_similarity,
            wer=self.intelligible(audio), seconds=self.state.elapsed_s,
            evaluations=self.state.evaluations, rejected=self.state.rejected,
            reference_pitch=self.target_pitch, clone_pitch=pitch(audio, SAMPLE_RATE),
        )

    # -- resume ----------------------------------------------------------------------------
    def _paths(self) -> tuple[Path, Path] | None:
        if self.state_dir is None:
            return None
        return self.state_dir / "clone-state.json", self.state_dir / "clone-best.npy"

    def _save(self) -> None:
        paths = self._paths()
        if paths is None or self.best_table is None:
            return
        paths[0].parent.mkdir(parents=True, exist_ok=True)
        save_table(paths[1], self.best_table)
        write_atomic(paths[0], json.dumps(asdict(self.state)))

    def _load_state(self) -> SearchState | None:
        paths = self._paths()
        if paths is None or not paths[0].is_file() or not paths[1].is_file():
            return None
        try:
            state = SearchState(**json.loads(paths[0].read_text()))
        except (ValueError, TypeError):
            return None
        if state.reference_sha1 != sha1(self.reference.pcm):
            return None  # another clip: start over
        log.info("resuming the voice search: stage %s, %d evaluations", _STAGES[min(state.stage, 2)], state.evaluations)
        return state

    def _load_best(self) -> np.ndarray | None:
        paths = self._paths()
        if self.state.evaluations == 0 or paths is None:
            return None
        return np.load(paths[1])


def _with_timbre(table: np.ndarray, delta: np.ndarray) -> np.ndarray:
    out = table.copy()
    out[..., : len(delta)] += delta.astype(np.float32)
    return out


def _speech_seconds(pcm: np.ndarray, sample_rate: int) -> float:
    from livehost.media.audio import resample

    audio = resample(pcm, sample_rate, 16000)
    spans = speech_spans(audio)
    return sum(e - s for s, e in spans) / 16000 if spans else len(audio) / 16000
