"""The protocol every TTS engine implements, local or remote, stock or cloned."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from livehost.media.frames import PhonemeTiming, WordTiming


@dataclass(frozen=True, slots=True)
class SynthChunk:
    """A piece of synthesized audio at the engine's own rate. Timings are seconds from the
    start of *this chunk*; the worker shifts them when it joins chunks into a sentence."""

    pcm: np.ndarray
    sample_rate: int
    phonemes: tuple[PhonemeTiming, ...] = ()
    words: tuple[WordTiming, ...] = ()


class TTSEngine(Protocol):
    """Synthesizes one sentence at a time, streaming chunks in playback order.

    Engines are called from the voice worker thread only, one sentence at a time; they may
    block. They raise ``livehost.errors.LivehostError`` for problems the user can fix.
    """

    name: str

    def synthesize(self, text: str) -> Iterator[SynthChunk]: ...
