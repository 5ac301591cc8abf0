"""The voice search never ends on a clone that fails its held-out pitch check while it holds
one that passes: the best kept before it, or the clone a previous run verified."""

from pathlib import Path

import numpy as np
import pytest

from livehost.voice.clone import RANGE_TOLERANCE_ST, Candidate, Verification, VoiceSearch
from livehost.voice.kokoro_model import SAMPLE_RATE
from livehost.voice.prosody import Pitch
from livehost.voice.reference import ReferenceClip
from livehost.voice.styles import SHAPE


class _Encoder:
    def embed(self, pcm, sample_rate):
        return np.ones(256, np.float32) / 16.0


def _voice() -> np.ndarray:
    """Three seconds of a 190 Hz voice-like tone with a slow pitch swing."""
    t = np.arange(3 * SAMPLE_RATE) / SAMPLE_RATE
    phase = 2 * np.pi * np.cumsum(190 * 2 ** (np.sin(2 * np.pi * 0.7 * t) / 6)) / SAMPLE_RATE
    return (0.2 * sum(np.sin(k * phase) / k for k in range(1, 6))).astype(np.float32)


class _Search(VoiceSearch):
    """Held-out speech judged by the table's first value: a table whose value is in ``failing``
    speaks with far too wide a pitch range."""

    def __init__(self, state_dir: Path, failing: set[float]) -> None:
        clip = ReferenceClip(Path("ref.wav"), _voice(), 3.0)
        super().__init__(clip, {"a": np.zeros(SHAPE, np.float32)}, None, _Encoder(), None, state_dir)
        self.failing, self.checks = failing, []

    def verify(self) -> Verification:
        value = float(self.best_table[0, 0, 0])
        self.checks.append(value)
        ref = self.target_pitch
        spread = ref.range_st + (RANGE_TOLERANCE_ST + 1 if value in self.failing else 0.0)
        return Verification(Pitch(ref.median_st, spread), 0.0, 0.0)

    def keep(self, value: float, similarity: float) -> None:
        table = np.full(SHAPE, value, np.float32)
        self.state.evaluations += 1
        self._accept(table, Candidate(similarity, 1.0, 0.0, 0.0, np.zeros(10, np.float32)), None)
        self._save()


def test_a_best_that_fails_the_check_gives_way_to_the_one_before(tmp_path):
    search = _Search(tmp_path, failing={2.0})
    assert search.target_pitch is not None
    search.keep(1.0, 0.60)
    search.keep(2.0, 0.70)
    checked = search._checked()
    assert checked.pitch_ok(search.target_pitch) and search.checks == [2.0, 1.0]
    assert search.best_table[0, 0, 0] == 1.0 and search.state.best_similarity == pytest.approx(0.60)
    assert search.state.verified


def test_a_resumed_search_falls_back_to_the_clone_its_last_run_verified(tmp_path):
    first = _Search(tmp_path, failing=set())
    first.keep(1.0, 0.60)
    assert first._checked().pitch_ok(first.target_pitch)
    first._save()

    resumed = _Search(tmp_path, failing={2.0, 3.0})
    assert resumed.state.verified and resumed.best_table[0, 0, 0] == 1.0
    resumed.keep(2.0, 0.70)
    resumed.keep(3.0, 0.75)
    assert not resumed.state.verified  # a new best is unverified until the run's end
    checked = resumed._checked()
    # the newest, the one before it, then what the last run verified: one check each
    assert resumed.checks == [3.0, 2.0, 1.0] and checked.pitch_ok(resumed.target_pitch)
    assert resumed.best_table[0, 0, 0] == 1.0 and resumed.state.best_similarity == pytest.approx(0.60)


def test_with_nothing_that_passes_the_best_stays_and_is_reported_failing(tmp_path):
    search = _Search(tmp_path, failing={1.0, 2.0})
    search.keep(1.0, 0.60)
    search.keep(2.0, 0.70)
    checked = search._checked()
    assert not checked.pitch_ok(search.target_pitch) and not search.state.verified
    assert search.best_table[0, 0, 0] == 2.0 and search.state.best_similarity == pytest.approx(0.70)
    assert search.checks == [2.0, 1.0]


def test_the_clone_a_resumed_run_began_with_is_checked_once(tmp_path):
    first = _Search(tmp_path, failing=set())
    first.keep(1.0, 0.60)
    assert first._checked().pitch_ok(first.target_pitch)
    first._save()
    resumed = _Search(tmp_path, failing={1.0, 2.0})  # the clip's check now fails it too
    resumed.keep(2.0, 0.70)  # its best before this one is the verified clone it began with
    assert not resumed._checked().pitch_ok(resumed.target_pitch)
    assert resumed.checks == [2.0, 1.0] and resumed.best_table[0, 0, 0] == 2.0
