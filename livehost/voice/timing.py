"""Word timings from phoneme timings (or, lacking those, from the text alone)."""

from __future__ import annotations

import re

from livehost.media.frames import PhonemeTiming, WordTiming

_WORD = re.compile(r"[\w'’-]+", re.UNICODE)
CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")  # a CJK ideograph: one word each
_PRIMARY_STRESS = "ˈ"
_WORD_BREAK = " "


def words_of(text: str) -> list[str]:
    """The words of a sentence as the timings count them: each CJK character is a word."""
    return _WORD.findall(CJK.sub(lambda m: f" {m.group(0)} ", text))


def words_from_phonemes(text: str, phonemes: tuple[PhonemeTiming, ...]) -> tuple[WordTiming, ...]:
    """Group phonemes into words at word breaks. When the groups do not match the text's
    words one to one (numbers read out, contractions), fall back to spreading the words over
    the voiced span by length."""
    groups: list[list[PhonemeTiming]] = [[]]
    for ph in phonemes:
        if ph.phoneme == _WORD_BREAK:
            if groups[-1]:
                groups.append([])
        elif ph.phoneme.strip() and not _is_punctuation(ph.phoneme):
            groups[-1].append(ph)
    groups = [g for g in groups if g]
    words = words_of(text)
    if not groups:
        return ()
    if len(groups) != len(words):
        return spread_words(words, groups[0][0].start, groups[-1][-1].end)
    return tuple(
        WordTiming(word, group[0].start, group[-1].end) for word, group in zip(words, groups)
    )


def stressed_time(phonemes: tuple[PhonemeTiming, ...], word: WordTiming) -> float:
    """When the stressed vowel of ``word`` sounds: the phoneme after the primary stress mark
    inside the word, else the word's middle."""
    inside = [p for p in phonemes if word.start <= p.start < word.end]
    for i, ph in enumerate(inside[:-1]):
        if ph.phoneme == _PRIMARY_STRESS:
            nxt = inside[i + 1]
            return (nxt.start + nxt.end) / 2
    return (word.start + word.end) / 2


def word_stress_time(
    phonemes: tuple[PhonemeTiming, ...], words: tuple[WordTiming, ...], index: int
) -> float | None:
    """When the stressed vowel of word ``index`` sounds, in seconds from the speech start;
    None when there is no such word."""
    if not 0 <= index < len(words):
        return None
    return stressed_time(phonemes, words[index])


def spread_words(words: list[str], start: float, end: float) -> tuple[WordTiming, ...]:
    total = sum(len(w) for w in words)
    if total == 0 or end <= start:
        return ()
    timings, t = [], start
    for w in words:
        dt = (end - start) * len(w) / total
        timings.append(WordTiming(w, t, t + dt))
        t += dt
    return tuple(timings)


def _is_punctuation(symbol: str) -> bool:
    return not any(ch.isalpha() for ch in symbol)
