"""Offline voice cloning: search Kokoro's style space for the voice closest to a reference.

No cloning TTS weights can be installed offline, but Kokoro's voice is a 256-d style vector
and voices blend. So: score every stock voice, at the reference's pitch, by speaker similarity
(resemblyzer cosine of the synthesized probe sentence to the reference's cleaned speech),
search blend weights (extrapolation allowed) with a small evolution strategy, then tune the
timbre half of the vector by gradient descent on the speaker similarity itself
(``kokoro_timbre``: the decoder re-run in torch), over a few training sentences so the voice,
not one sentence, is learned.

Pitch is not searched: it is set. Every candidate speaks at the F0 that meets the reference's
median (the model's own F0 curve scaled, so the timbre is left alone), and a candidate is kept
only if it beats the best so far on the probe, stays within 1.5 semitones of the reference's
pitch, does not move away from the reference's long-term spectral envelope (``profile``: a
measure the speaker encoder cannot be fooled into) and Whisper transcribes it correctly. The
result is verified on held-out sentences: a clone whose own speech misses the reference's
pitch is not kept, and the search falls back to the best it kept before (or to the clone a
previous run verified). The state is saved after every improvement, so an interrupted search
resumes.
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

from .intelligibility import Transcriber, word_error_rate, word_errors
from .kokoro_engine import KokoroEngine
from .kokoro_model import SAMPLE_RATE, KokoroModel
from .profile import VoiceProfile, envelope, profile
from .prosody import Pitch, phoneme_rate
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
# each step on speech it never trained on, nor the held-out sentences), its step size
# (the stock voices' timbre values spread by ~0.09), and how often a step is judged through the
# packaged model and Whisper.
# A step costs the decoder forward and backward in float torch (~10 s for 3 s of speech on one
# busy core), so the sentences are short: just over the 1.6 s the speaker encoder's window needs.
TRAINING = ("Every order comes with a gift.", "Let me know what you think.", "I tried this one, I love it.",
            "Here is something new for you.", "Hi there, so good to see you.", "Want to see the other colours?")
_LEARNING_RATE = 0.02
_CHECK_EVERY = 3
_PATIENCE = 3  # checks in a row that keep nothing before the descent restarts from its best
# Whisper must get the probe and a check sentence right word for word: one slip on the probe
# alone already meant ~5-10% word errors on other sentences (bench).
_MAX_WER = 0.0
CHECK = "Our new lamp ships next week, and the small one is already sold out."
# The finished clone speaks these (never trained on, never probed) to verify its pitch.
VERIFY = ("The new colours arrive on Friday, so keep an eye on the shop.",
          "My favourite part is how quiet it is when it runs.",
          "If you have any questions, just type them below and I will answer.",
          "We sold more of these last month than ever before.")
PITCH_TOLERANCE_ST = 1.5  # the clone's median F0 to the reference's
RANGE_TOLERANCE_ST = 4.0  # its 10-90% F0 spread to the reference's
_RETUNE_ST = 0.5  # a candidate further than this off the reference's pitch is re-rendered at it
_MAX_RETUNES = 2
_MAX_SHIFT_ST = 14.0  # the F0 scale keeps speech intelligible over an octave either way
# A candidate may not move further from the reference's spectral envelope than the closest
# one kept so far plus this: about the spread one voice shows between two sentences.
_ENVELOPE_SLACK = 1.0


@dataclass
class SearchState:
    """Everything needed to resume; saved as JSON plus the best table as .npy."""

    reference_sha1: str
    stage: int = 0
    evaluations: int = 0
    rejected: int = 0  # unintelligible
    rejected_pitch: int = 0
    rejected_envelope: int = 0
    elapsed_s: float = 0.0
    speed: float = 1.0
    pitch: float = 0.0  # semitones the model's F0 is moved by
    best_similarity: float = -1.0
    start_similarity: float = -1.0  # the closest stock voice at the reference's pitch and rate
    closest_envelope: float = 1e9  # the smallest envelope distance of the candidates kept
    weights: list[float] = field(default_factory=list)
    stock: dict[str, float] = field(default_factory=dict)
    verified: bool = False  # the saved best passed the held-out check at the end of a run


@dataclass(frozen=True, slots=True)
class _Kept:
    """A best candidate as the search kept it, to fall back on if a later one fails the
    held-out check."""

    table: np.ndarray
    similarity: float
    pitch: float
    closest_envelope: float
    weights: tuple[float, ...]


@dataclass(frozen=True, slots=True)
class Candidate:
    similarity: float
    envelope: float  # distance to the reference's long-term envelope
    pitch_offset: float | None  # semitones above the reference
    shift: float
    audio: np.ndarray  # the probe


@dataclass(frozen=True, slots=True)
class Verification:
    """The clone's own speech on the held-out sentences against the reference."""

    pitch: Pitch | None
    envelope: float
    wer: float

    def pitch_ok(self, reference: Pitch | None) -> bool:
        if reference is None:
            return True  # nothing voiced to match: the clip's pitch is unknown
        return (self.pitch is not None and abs(self.pitch.median_st - reference.median_st) <= PITCH_TOLERANCE_ST
                and abs(self.pitch.range_st - reference.range_st) <= RANGE_TOLERANCE_ST)


@dataclass(frozen=True, slots=True)
class CloneResult:
    table: np.ndarray
    speed: float
    pitch: float
    similarity_stock: dict[str, float]
    similarity_before: float  # the best stock voice as it is
    similarity_start: float  # the best stock voice at the reference's pitch: where the search began
    similarity_after: float
    wer: float  # on the held-out sentences
    seconds: float
    evaluations: int
    rejected: int
    rejected_pitch: int
    rejected_envelope: int
    reference_pitch: Pitch | None
    clone_pitch: Pitch | None  # on the held-out sentences
    envelope_distance: float  # likewise
    pitch_ok: bool

    def report(self) -> dict:
        offset = (None if self.reference_pitch is None or self.clone_pitch is None
                  else round(self.clone_pitch.median_st - self.reference_pitch.median_st, 2))
        return {
            "similarity_before": round(self.similarity_before, 4),
            "similarity_start": round(self.similarity_start, 4),
            "similarity_after": round(self.similarity_after, 4),
            "best_stock_voice": max(self.similarity_stock, key=self.similarity_stock.get),
            "similarity_stock": {k: round(v, 4) for k, v in self.similarity_stock.items()},
            "wer": round(self.wer, 4),
            "speed": round(self.speed, 3),
            "pitch_semitones": round(self.pitch, 2),
            "seconds": round(self.seconds, 1),
            "evaluations": self.evaluations,
            "rejected_unintelligible": self.rejected,
            "rejected_pitch": self.rejected_pitch,
            "rejected_envelope": self.rejected_envelope,
            "reference_pitch": _pitch_report(self.reference_pitch),
            "clone_pitch": _pitch_report(self.clone_pitch),
            "pitch_offset_st": offset,
            "pitch_ok": self.pitch_ok,
            "envelope_distance": round(self.envelope_distance, 3),
            "verified_on": len(VERIFY),
        }


def _pitch_report(p: Pitch | None) -> dict | None:
    if p is None:
        return None
    return {"median_st": round(p.median_st, 2), "median_hz": round(p.median_hz, 1), "range_st": round(p.range_st, 2)}


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
        self.target = encoder.embed(reference.voice, reference.sample_rate)
        self.target_profile: VoiceProfile = profile(reference.voice, reference.sample_rate)
        self.target_pitch = self.target_profile.pitch
        self.state_dir = state_dir
        self.state = self._load_state() or SearchState(sha1(reference.voice))
        # A resumed search draws new steps, not the ones it already tried.
        self.rng = np.random.default_rng([seed, self.state.evaluations])
        self.best_table = self._load_best()
        self._previous: _Kept | None = None  # the best before the current one
        # What a finished run verified is the clone the user has: a resumed run never ends worse.
        self._verified = self._snapshot() if self.state.verified and self.best_table is not None else None

    # -- scoring ---------------------------------------------------------------------------
    def render(self, table: np.ndarray, speed: float | None = None, shift: float | None = None,
               text: str = PROBE) -> np.ndarray:
        engine = KokoroEngine(self.model, table, rate=speed or self.state.speed,
                              pitch=self.state.pitch if shift is None else shift, whole=True)
        return np.concatenate([c.pcm for c in engine.synthesize(text)])

    def evaluate(self, table: np.ndarray, shift: float, audio: np.ndarray | None = None,
                 retune: bool = True) -> Candidate:
        """The candidate on the probe (``audio`` when already rendered at ``shift``), at the
        pitch that meets the reference's: a table's prosody half sets its F0, so a new table
        may need the shift moved. The model follows the F0 scale less than fully far from its
        own pitch (an octave asked, ~11 semitones heard), so the second move uses the slope
        the first one measured. ``retune=False``: the F0 is known to be the best's."""
        if audio is None:
            audio = self.render(table, shift=shift)
            self.state.evaluations += 1
        found = profile(audio, SAMPLE_RATE) if retune else VoiceProfile(None, envelope(audio, SAMPLE_RATE))
        offset = self.target_profile.pitch_offset(found)
        slope, moves = 1.0, 0
        while offset is not None and abs(offset) > _RETUNE_ST and moves < _MAX_RETUNES:
            before = (shift, offset)
            shift = float(np.clip(shift - offset / slope, -_MAX_SHIFT_ST, _MAX_SHIFT_ST))
            audio = self.render(table, shift=shift)
            self.state.evaluations += 1
            moves += 1
            found = profile(audio, SAMPLE_RATE)
            offset = self.target_profile.pitch_offset(found)
            if offset is not None and shift != before[0]:
                slope = float(np.clip((offset - before[1]) / (shift - before[0]), 0.5, 1.5))
        sim = similarity(self.encoder.embed(audio, SAMPLE_RATE), self.target)
        return Candidate(sim, self.target_profile.envelope_distance(found), offset, shift, audio)

    def intelligible(self, audio: np.ndarray) -> float:
        return word_error_rate(PROBE, self.transcriber.transcribe(audio, SAMPLE_RATE))

    def clear(self, table: np.ndarray, shift: float, probe: np.ndarray) -> bool:
        """Whisper gets the probe and one more sentence right, word for word."""
        if self.intelligible(probe) > _MAX_WER:
            return False
        audio = self.render(table, shift=shift, text=CHECK)
        return word_error_rate(CHECK, self.transcriber.transcribe(audio, SAMPLE_RATE)) <= _MAX_WER

    def _offer(self, table: np.ndarray, weights: list[float] | None = None, shift: float | None = None,
               retune: bool = True) -> bool:
        """Score a candidate and keep it if it is better by both measures, at the reference's
        pitch, and still intelligible (``retune=False``: its F0 is the best's, unmeasured)."""
        c = self.evaluate(table, self.state.pitch if shift is None else shift, retune=retune)
        if c.similarity <= self.state.best_similarity:
            return False
        if c.pitch_offset is not None and abs(c.pitch_offset) > PITCH_TOLERANCE_ST:
            self.state.rejected_pitch += 1
            return False
        if c.envelope > self.state.closest_envelope + _ENVELOPE_SLACK:
            self.state.rejected_envelope += 1
            return False
        if self.best_table is not None and not self.clear(table, c.shift, c.audio):
            self.state.rejected += 1
            return False
        self._accept(table, c, weights)
        return True

    def _accept(self, table, c: Candidate, weights) -> None:
        if self.best_table is not None:
            self._previous = self._snapshot()
        self.best_table, self.state.best_similarity, self.state.pitch = table, c.similarity, c.shift
        self.state.closest_envelope = min(self.state.closest_envelope, c.envelope)
        self.state.verified = False
        if weights is not None:
            self.state.weights = list(map(float, weights))

    def _snapshot(self) -> _Kept:
        s = self.state
        return _Kept(self.best_table, s.best_similarity, s.pitch, s.closest_envelope, tuple(s.weights))

    def _restore(self, kept: _Kept) -> None:
        self.best_table, self.state.best_similarity, self.state.pitch = kept.table, kept.similarity, kept.pitch
        self.state.closest_envelope, self.state.weights = kept.closest_envelope, list(kept.weights)

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
            self._match_rate(self._stock_stage(report))
            self._next_stage()
        if self.state.stage == 1:
            blend_until = time.monotonic() + _BLEND_SHARE * max(0.0, deadline - time.monotonic())
            self._blend_stage(lambda: out_of_time() or time.monotonic() >= blend_until)
            self._next_stage()
        if self.state.stage == 2:
            self._timbre_stage(out_of_time)
        out_of_time()
        result = self._result()
        self._save()
        return result

    def _stock_stage(self, report: Callable[[], None]) -> np.ndarray:
        """Each stock voice as it is (the figure to beat), then at the reference's pitch: the
        closest of those is where the search starts, so a male reference starts from a voice
        speaking at a male pitch whatever the stock voices' own pitch."""
        self.best_table, self.state.best_similarity = None, -1.0  # stock voices need no Whisper check
        best: tuple[Candidate, int] | None = None
        for i, name in enumerate(self.names):
            audio = self.render(self.stock[i], speed=1.0, shift=0.0)
            self.state.evaluations += 1
            self.state.stock[name] = similarity(self.encoder.embed(audio, SAMPLE_RATE), self.target)
            c = self.evaluate(self.stock[i], 0.0, audio)
            if best is None or _start_rank(c) > _start_rank(best[0]):
                best = (c, i)
            report()
        c, i = best
        self._accept(self.stock[i], c, np.eye(len(self.names))[i])
        return c.audio

    def _match_rate(self, audio: np.ndarray) -> None:
        """Kokoro speed so the clone speaks as many phonemes per second as the reference
        (``audio``: the best voice's probe at speed 1)."""
        said = self.transcriber.transcribe(self.reference.pcm, self.reference.sample_rate)
        phonemes = sum(ch.isalpha() for ch in self.model.known(self.model.phonemize(said)))
        ref_rate = phoneme_rate(phonemes, _speech_seconds(self.reference.pcm, self.reference.sample_rate))
        probe_phonemes = sum(ch.isalpha() for ch in self.model.known(self.model.phonemize(PROBE)))
        clone_rate = phoneme_rate(probe_phonemes, _speech_seconds(audio, SAMPLE_RATE))
        if phonemes >= 10:
            self.state.speed = float(np.clip(ref_rate / clone_rate, 0.75, 1.4))
        log.info("rate: reference %.1f, clone %.1f phonemes/s → speed %.2f", ref_rate, clone_rate, self.state.speed)
        # The best was judged at speed 1: judge it again at the matched speed.
        c = self.evaluate(self.best_table, self.state.pitch)
        self.state.closest_envelope = 1e9
        self._accept(self.best_table, c, None)
        self.state.start_similarity = c.similarity

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
        """Adam on the timbre half, shared by every row of the table, from the best so far.
        The F0 scale is part of the prepared sentences, so the descent learns the timbre at
        the pitch the clone will speak at. A descent that has wandered off (no check kept in
        a row of ``_PATIENCE``) goes back to the best point it found, with half the step: left
        to itself, it stalled for minutes on hard clips."""
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
        # The encoder alone keeps torch on one thread (it runs beside the synthesizer); the
        # descent has the cores to itself.
        torch.set_num_threads(self.model.threads)
        sentences = [timbre.prepare(text, base, self.state.speed, self.state.pitch) for text in TRAINING]
        target = torch.from_numpy(self.target)
        delta = torch.zeros(TIMBRE, requires_grad=True)
        best_delta, rate, misses = delta.detach().clone(), _LEARNING_RATE, 0
        optimizer = torch.optim.Adam([delta], lr=rate)
        steps = 0
        while not done():
            sentence = sentences[steps % len(sentences)]
            audio = timbre.audio(torch.from_numpy(base[sentence.row, 0, :TIMBRE]) + delta, sentence)
            loss = 1 - torch.dot(self.encoder.embed_torch(audio, SAMPLE_RATE), target)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            steps += 1
            self.state.evaluations += 1
            if steps % _CHECK_EVERY:
                continue
            if self._offer(_with_timbre(base, delta.detach().numpy()), retune=False):
                best_delta, misses = delta.detach().clone(), 0
                self._save()
                continue
            misses += 1
            if misses >= _PATIENCE:
                rate, misses = max(rate / 2, _LEARNING_RATE / 8), 0
                with torch.no_grad():
                    delta.copy_(best_delta)
                optimizer = torch.optim.Adam([delta], lr=rate)
                log.info("voice search: timbre descent back at its best point, step %.4f", rate)

    def _next_stage(self) -> None:
        self.state.stage += 1
        self._save()

    # -- verification ----------------------------------------------------------------------
    def verify(self) -> Verification:
        """The clone's own speech on the held-out sentences; its pitch is moved once onto the
        reference's if the probe's pitch did not carry over to them."""
        result = self._held_out()
        offset = None if result.pitch is None or self.target_pitch is None else (
            result.pitch.median_st - self.target_pitch.median_st)
        if offset is not None and abs(offset) > _RETUNE_ST:
            self.state.pitch = float(np.clip(self.state.pitch - offset, -_MAX_SHIFT_ST, _MAX_SHIFT_ST))
            result = self._held_out()
        return result

    def _held_out(self) -> Verification:
        audio = [self.render(self.best_table, text=text) for text in VERIFY]
        errors = words = 0
        for text, pcm in zip(VERIFY, audio):
            e, n = word_errors(text, self.transcriber.transcribe(pcm, SAMPLE_RATE))
            errors, words = errors + e, words + n
        spoken = profile(np.concatenate(audio), SAMPLE_RATE)
        return Verification(spoken.pitch, self.target_profile.envelope_distance(spoken), errors / max(words, 1))

    def _checked(self) -> Verification:
        """The held-out check of the best; if it fails, of the best before it and of the clone
        a previous run verified, until one passes. None passing: the best stays, reported as
        failing."""
        first = self.verify()
        if first.pitch_ok(self.target_pitch):
            self.state.verified = True
            return first
        last = self._snapshot()  # after verify(): with the pitch it settled on
        tried = [last.table]
        for kept in (self._previous, self._verified):
            if kept is None or any(kept.table is table for table in tried):
                continue  # the previous best may be the verified clone a resumed run began with
            tried.append(kept.table)
            log.info("voice search: the best clone misses the reference's pitch on held-out speech; "
                     "checking the one kept before it (similarity %.3f)", kept.similarity)
            self._restore(kept)
            checked = self.verify()
            if checked.pitch_ok(self.target_pitch):
                self.state.verified = True
                return checked
        self._restore(last)
        self.state.verified = False
        return first

    def _result(self) -> CloneResult:
        checked = self._checked()
        stock = self.state.stock
        return CloneResult(
            table=self.best_table, speed=self.state.speed, pitch=self.state.pitch, similarity_stock=dict(stock),
            similarity_before=max(stock.values()), similarity_start=self.state.start_similarity,
            similarity_after=self.state.best_similarity,
            wer=checked.wer, seconds=self.state.elapsed_s, evaluations=self.state.evaluations,
            rejected=self.state.rejected, rejected_pitch=self.state.rejected_pitch,
            rejected_envelope=self.state.rejected_envelope, reference_pitch=self.target_pitch,
            clone_pitch=checked.pitch, envelope_distance=checked.envelope, pitch_ok=checked.pitch_ok(self.target_pitch),
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
        if state.reference_sha1 != sha1(self.reference.voice):
            return None  # another clip (or one cleaned differently): start over
        log.info("resuming the voice search: stage %s, %d evaluations", _STAGES[min(state.stage, 2)], state.evaluations)
        return state

    def _load_best(self) -> np.ndarray | None:
        paths = self._paths()
        if self.state.evaluations == 0 or paths is None:
            return None
        return np.load(paths[1])


def _start_rank(c: Candidate) -> tuple[bool, float]:
    """A voice that reached the reference's pitch beats any that could not (a woman's voice an
    octave and a half down stops short of a man's), then similarity decides."""
    return c.pitch_offset is None or abs(c.pitch_offset) <= PITCH_TOLERANCE_ST, c.similarity


def _with_timbre(table: np.ndarray, delta: np.ndarray) -> np.ndarray:
    out = table.copy()
    out[..., : len(delta)] += delta.astype(np.float32)
    return out


def _speech_seconds(pcm: np.ndarray, sample_rate: int) -> float:
    from livehost.media.audio import resample

    audio = resample(pcm, sample_rate, 16000)
    spans = speech_spans(audio)
    return sum(e - s for s, e in spans) / 16000 if spans else len(audio) / 16000
