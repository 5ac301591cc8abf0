"""The differentiable paths cloning descends: Kokoro's decoder re-run in torch on the
packaged model, and resemblyzer's embedding as a torch function of the audio."""

import numpy as np
import pytest
import torch

from livehost.voice.kokoro_model import KokoroModel, load_stock_voices
from livehost.voice.kokoro_timbre import TIMBRE, TimbreModel
from livehost.voice.speaker import SpeakerEncoder, similarity

pytestmark = pytest.mark.slow
TEXT = "Every order today comes with a small gift."


@pytest.fixture(scope="module")
def kokoro():
    return KokoroModel(threads=2)


@pytest.fixture(scope="module")
def table():
    return load_stock_voices()["jf_alpha"]


def test_the_torch_decoder_speaks_like_the_packaged_model(kokoro, table):
    timbre = TimbreModel(kokoro)
    prepared = timbre.prepare(TEXT, table, 1.0)
    seed = torch.from_numpy(table[prepared.row, 0, :TIMBRE].copy()).requires_grad_(True)
    audio = timbre.audio(seed, prepared)
    phonemes = kokoro.known(kokoro.phonemize(TEXT))
    packaged = kokoro.infer(kokoro.tokens(phonemes), table[prepared.row], 1.0)
    start, end = packaged.speech
    reference = packaged.audio[start:end]
    assert len(audio) == len(reference)
    # Float weights and activations in torch vs the packaged 8-bit ones: the same waveform up
    # to their rounding (correlation 0.988 measured; the float graph in onnxruntime and torch
    # agree to 4e-5).
    assert np.corrcoef(audio.detach().numpy(), reference)[0, 1] > 0.98
    audio.square().mean().backward()
    assert torch.isfinite(seed.grad).all() and seed.grad.abs().sum() > 0


def test_the_torch_embedding_agrees_with_resemblyzer(kokoro, table):
    encoder = SpeakerEncoder()
    phonemes = kokoro.known(kokoro.phonemize(TEXT))
    result = kokoro.infer(kokoro.tokens(phonemes), table[len(phonemes) - 1], 1.0)
    start, end = result.speech
    speech = result.audio[start:end]
    exact = encoder.embed(speech, 24000)
    differentiable = encoder.embed_torch(torch.from_numpy(speech), 24000).detach().numpy()
    assert similarity(exact, differentiable) > 0.97
