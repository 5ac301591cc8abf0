"""Kokoro engine: any style table (stock, blend, cloned), streamed clause by clause with real
phoneme timings.

The voice worker already hands long sentences over clause by clause (``clauses.py``). Text
that still holds several clauses is phonemized whole, then synthesized piece by piece, so the
first piece's audio leaves while the rest is made. Shorter pieces (a word or two) would start
sooner but Whisper's word error rate doubled on them: the model needs a clause of context.
Every piece uses the style row of the whole text, so the voice does not change between pieces.
Pitch moves the predicted F0 inside the model (``kokoro_model``), not the formants with it.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from livehost.media.audio import audible_end
from livehost.media.frames import PhonemeTiming

from .base import SynthChunk
from .clauses import PAUSE_S, pause_after
from .kokoro_model import SAMPLE_RATE, KokoroModel, style_index

_FADE = 48  # 2 ms: no click where a piece is cut


def split_pieces(phonemes: str, longest: int = 160, shortest: int = 8) -> list[str]:
    """Word-aligned pieces of a phoneme string: a clause mark ends a piece once it has
    ``shortest`` characters; a clause longer than ``longest`` is cut at a word."""
    pieces, current = [], []
    for word in phonemes.split():
        current.append(word)
        length = sum(len(w) + 1 for w in current) - 1
        if length >= longest or (word[-1] in PAUSE_S and length >= shortest):
            pieces.append(" ".join(current))
            current = []
    if current:
        pieces.append(" ".join(current))
    return pieces


class KokoroEngine:
    name = "kokoro"

    def __init__(
        self,
        model: KokoroModel,
        style: np.ndarray,
        rate: float = 1.0,
        pitch: float = 0.0,
        lang: str = "en-us",
        whole: bool = False,
    ) -> None:
        self.model = model
        self.style = np.asarray(style, np.float32)
        self.lang = lang
        self.pitch = pitch
        self.rate = rate
        self._whole = whole  # one inference per text: no streaming

    def synthesize(self, text: str) -> Iterator[SynthChunk]:
        phonemes = self.model.known(self.model.phonemize(text, self.lang))
        if not any(ch.isalpha() for ch in phonemes):
            return
        row = self.style[style_index(phonemes, len(self.style))]
        pieces = [phonemes] if self._whole else split_pieces(phonemes)
        for i, piece in enumerate(pieces):
            yield self._piece_chunk(piece, row, last=i == len(pieces) - 1)

    def _piece_chunk(self, piece: str, row: np.ndarray, last: bool) -> SynthChunk:
        result = self.model.infer(self.model.tokens(piece), row, self.rate, self.pitch)
        edges, audio = result.edges, result.audio
        start, end = result.speech
        pcm = audio[start:end].copy()
        pcm[:_FADE] *= np.linspace(0.0, 1.0, min(_FADE, len(pcm)), dtype=np.float32)
        pcm[-_FADE:] *= np.linspace(1.0, 0.0, min(_FADE, len(pcm)), dtype=np.float32)
        # The model stretches a piece's last phoneme past where its sound fades out: end the
        # timings where the audio does, so the mouth closes with the voice.
        stop = min(audible_end(pcm, SAMPLE_RATE), end - start)
        phonemes = tuple(
            PhonemeTiming(ph, min(edges[i + 1] - start, stop) / SAMPLE_RATE, min(edges[i + 2] - start, stop) / SAMPLE_RATE)
            for i, ph in enumerate(piece)
        )
        if not last:
            # A word break closes the piece, so words do not run together across pieces.
            pause = pause_after(piece)
            pcm = np.concatenate([pcm, np.zeros(int(pause * SAMPLE_RATE), np.float32)])
            end_s = phonemes[-1].end if phonemes else 0.0
            phonemes += (PhonemeTiming(" ", end_s, max(end_s, len(pcm) / SAMPLE_RATE)),)
        return SynthChunk(pcm=pcm, sample_rate=SAMPLE_RATE, phonemes=phonemes)

