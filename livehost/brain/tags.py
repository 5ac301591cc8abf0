"""Sentence tags: the deterministic analyzer (a small en/zh lexicon → emotion and intensity;
the emphasised word when the text marks none), the inline tags a model writes into its reply
([happy], (laughs)…), and the validation every tag stream passes through before it may move
the face (tags may come from an LLM: anything can arrive)."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace

from livehost.media.frames import Emphasis, Sentence, SentenceKind
from livehost.voice.timing import CJK, words_of

EMOTIONS = ("neutral", "happy", "excited", "concerned", "sad", "angry", "surprised")
_ALIASES = {
    "joy": "happy", "joyful": "happy", "glad": "happy", "pleased": "happy", "cheerful": "happy",
    "enthusiastic": "excited", "thrilled": "excited", "worried": "concerned",
    "anxious": "concerned", "sorry": "concerned", "empathetic": "concerned",
    "unhappy": "sad", "upset": "sad", "mad": "angry", "annoyed": "angry", "amazed": "surprised",
    "calm": "neutral", "none": "neutral",
}
# More marks than this in one sentence is noise, not emphasis: keep the strongest.
MAX_EMPHASIS = 6

# English entries match whole lower-case words, Chinese ones substrings: (emotion, weight).
def _entries(emotion: str, weights: dict[str, float]) -> dict[str, tuple[str, float]]:
    return {word: (emotion, weight) for word, weight in weights.items()}


_LEXICON_EN = {
    **_entries("happy", {"happy": 1.0, "glad": 1.0, "love": 1.0, "thanks": 0.8, "thank": 0.8,
                         "great": 0.8, "welcome": 0.6, "nice": 0.6, "enjoy": 0.8, "fun": 0.8,
                         "lovely": 1.0, "good": 0.4}),
    **_entries("excited", {"wow": 1.2, "amazing": 1.2, "awesome": 1.2, "incredible": 1.2,
                           "fantastic": 1.2, "excited": 1.2, "huge": 0.6, "best": 0.6,
                           "free": 0.5}),
    **_entries("concerned", {"sorry": 1.0, "unfortunately": 1.0, "worried": 1.0, "careful": 0.8,
                             "problem": 0.8, "issue": 0.6, "concern": 1.0, "afraid": 0.8,
                             "delay": 0.6, "delayed": 0.6, "warning": 0.8}),
    **_entries("sad", {"sad": 1.0, "miss": 0.8, "lost": 0.6, "goodbye": 0.6, "sadly": 1.0}),
    **_entries("angry", {"angry": 1.0, "unacceptable": 1.2, "ridiculous": 1.0, "hate": 1.0}),
    **_entries("surprised", {"surprise": 1.0, "unbelievable": 1.0, "whoa": 1.0,
                             "suddenly": 0.6}),
}
_LEXICON_ZH = {
    "开心": ("happy", 1.0), "高兴": ("happy", 1.0), "谢谢": ("happy", 0.8), "欢迎": ("happy", 0.6),
    "喜欢": ("happy", 1.0), "不错": ("happy", 0.6), "太棒": ("excited", 1.2), "哇": ("excited", 1.2),
    "厉害": ("excited", 1.0), "免费": ("excited", 0.5), "激动": ("excited", 1.2),
    "抱歉": ("concerned", 1.0), "对不起": ("concerned", 1.0), "担心": ("concerned", 1.0),
    "小心": ("concerned", 0.8), "问题": ("concerned", 0.6), "注意": ("concerned", 0.6),
    "难过": ("sad", 1.0), "遗憾": ("sad", 1.0), "可惜": ("sad", 0.8),
    "生气": ("angry", 1.0), "气死": ("angry", 1.2), "惊讶": ("surprised", 1.0),
    "没想到": ("surprised", 1.0), "居然": ("surprised", 0.8),
}
_NEGATIONS = {"not", "no", "never", "don't", "isn't", "wasn't", "aren't", "won't", "can't"}
_INTENSIFIERS = {"very", "so", "really", "super", "extremely", "totally", "absolutely"}
_INTENSIFIERS_ZH = ("非常", "特别", "太", "真", "超级")
_STOPWORDS = {
    "a", "an", "the", "and", "or", "but", "if", "of", "to", "in", "on", "at", "by", "for",
    "with", "from", "as", "is", "are", "was", "were", "be", "been", "am", "do", "does", "did",
    "i", "you", "he", "she", "it", "we", "they", "me", "him", "her", "us", "them", "my", "your",
    "our", "their", "its", "this", "that", "these", "those", "there", "here", "what", "which",
    "who", "how", "when", "where", "why", "about", "just", "have", "has", "had", "will",
    "would", "can", "could", "should", "not", "so", "very", "really", "too", "also", "all",
    "then", "than", "into", "out", "up", "down", "over", "some", "any", "one", "get", "got",
}
_NUMBER_WORDS = {
    "zero", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
    "eleven", "twelve", "twenty", "thirty", "fifty", "hundred", "thousand", "million", "half",
    "first", "last", "every", "only", "never", "always", "all", "none", "free",
}
_AFFIRM_EN = {"yes", "yeah", "yep", "sure", "absolutely", "definitely", "correct", "exactly", "right"}
_AFFIRM_ZH = ("是的", "对", "好的", "没错", "当然", "可以")
_ZH_NUMBER = re.compile(r"[0-9一二三四五六七八九十百千万两]")


def normalize_emotion(label: object) -> str:
    """Any label to one of EMOTIONS; unknown or malformed labels become neutral."""
    if not isinstance(label, str):
        return "neutral"
    key = label.strip().lower()
    key = _ALIASES.get(key, key)
    return key if key in EMOTIONS else "neutral"


def clamp01(value: object, default: float) -> float:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return default
    return default if math.isnan(number) else min(1.0, max(0.0, number))


def validate(sentence: Sentence) -> Sentence:
    """Tags made safe: known emotion and kind, intensity and strengths in 0..1, emphasis on
    real word positions, each position once, at most MAX_EMPHASIS (the strongest)."""
    n_words = len(words_of(sentence.text))
    kind = sentence.kind
    if not isinstance(kind, SentenceKind):
        try:
            kind = SentenceKind(str(kind).strip().lower())
        except ValueError:
            kind = SentenceKind.STATEMENT
    marks: dict[int, Emphasis] = {}
    for mark in sentence.emphasis if isinstance(sentence.emphasis, tuple | list) else ():
        if not isinstance(mark, Emphasis) or not isinstance(mark.index, int):
            continue
        if 0 <= mark.index < n_words:
            strength = clamp01(mark.strength, 1.0)
            if strength > 0 and strength > marks.get(mark.index, Emphasis("", 0, 0.0)).strength:
                marks[mark.index] = Emphasis(str(mark.word), mark.index, strength)
    kept = sorted(marks.values(), key=lambda m: -m.strength)[:MAX_EMPHASIS]
    return replace(
        sentence,
        emotion=normalize_emotion(sentence.emotion),
        kind=kind,
        intensity=clamp01(sentence.intensity, 0.5),
        emphasis=tuple(sorted(kept, key=lambda m: m.index)),
    )


def detect_emotion(text: str) -> tuple[str, float]:
    """The lexicon's emotion and an intensity in 0..1 (neutral 0.5 when nothing matches)."""
    scores: dict[str, float] = {}
    lowered = text.lower()
    words = [w.lower() for w in words_of(text)]
    boost = 0.0
    for i, word in enumerate(words):
        entry = _LEXICON_EN.get(word)
        if entry is None or (i and words[i - 1] in _NEGATIONS):
            boost += 0.15 if word in _INTENSIFIERS else 0.0
            continue
        scores[entry[0]] = scores.get(entry[0], 0.0) + entry[1]
    if CJK.search(text):
        for phrase, (emotion, weight) in _LEXICON_ZH.items():
            for match in re.finditer(re.escape(phrase), text):
                if not (match.start() and text[match.start() - 1] in "不没别"):
                    scores[emotion] = scores.get(emotion, 0.0) + weight
        boost += 0.15 * sum(lowered.count(w) for w in _INTENSIFIERS_ZH)
    exclaim = text.rstrip().endswith(("!", "！"))
    if not scores:
        return "neutral", min(1.0, 0.5 + boost + (0.2 if exclaim else 0.0))
    emotion, score = max(scores.items(), key=lambda kv: (kv[1], -EMOTIONS.index(kv[0])))
    if emotion == "happy" and exclaim:
        emotion = "excited"  # "Thanks so much!" is more than content
    intensity = 0.45 + 0.2 * score + boost + (0.15 if exclaim else 0.0)
    return emotion, min(1.0, intensity)


def choose_emphasis(text: str) -> tuple[Emphasis, ...]:
    """One stressed word for a sentence the text did not mark: numbers and quantities, a word
    after an intensifier, an all-caps or emotional word, else the last long content word
    (English puts the nuclear stress late). Short sentences get none."""
    words = words_of(text)
    if len(words) < 3:
        return ()
    best: tuple[float, int] | None = None
    for i, word in enumerate(words):
        low = word.lower()
        if CJK.match(word):
            score = 3.0 if _ZH_NUMBER.match(word) else 0.0
        elif low in _STOPWORDS and low not in _NUMBER_WORDS:
            continue
        else:
            score = min(len(word), 8) / 8.0
            score += 3.0 if (low in _NUMBER_WORDS or any(c.isdigit() for c in word)) else 0.0
            score += 2.0 if i and words[i - 1].lower() in _INTENSIFIERS else 0.0
            score += 3.0 if len(word) > 1 and word.isupper() else 0.0
            score += 1.5 if low in _LEXICON_EN else 0.0
            score += 0.05 * i  # later wins a tie
        if score >= 1.0 and (best is None or score >= best[0]):
            best = (score, i)
    if best is None:
        return ()
    return (Emphasis(words[best[1]], best[1], 0.8),)


def affirms(text: str) -> bool:
    """Does the sentence open with a "yes"? (the region policy decides how the head says it)"""
    stripped = text.strip()
    if stripped.startswith(_AFFIRM_ZH):
        return True
    words = words_of(stripped)
    return bool(words) and words[0].lower() in _AFFIRM_EN


# Inline tags: what a model writes into its reply to set the tone — [happy], [emotion: excited],
# (laughs), <excited>, *smiles*. Known ones set the sentence's emotion; every tag-like token is
# removed before speech, known or not (a reply may carry [ignore previous], [[voice:…]], <script>).

TAG_INTENSITY = 0.65  # a tag that names an emotion but no strength: clearly visible
_TAG_LABELS = {  # stage directions and Chinese labels, beside EMOTIONS and _ALIASES
    **dict.fromkeys(("laughs", "laugh", "laughing", "chuckles", "chuckle", "chuckling", "giggles",
                     "giggle", "giggling", "smiles", "smile", "smiling", "grins", "grin",
                     "grinning", "笑", "大笑", "微笑", "开心", "高兴", "快乐"), "happy"),
    **dict.fromkeys(("cheers", "cheering", "兴奋", "激动"), "excited"),
    **dict.fromkeys(("sighs", "sigh", "sighing", "cries", "crying", "sobs", "难过", "伤心", "叹气",
                     "哭"), "sad"),
    **dict.fromkeys(("gasps", "gasp", "惊讶", "吃惊"), "surprised"),
    **dict.fromkeys(("frowns", "frowning", "担心"), "concerned"),
    **dict.fromkeys(("生气", "愤怒"), "angry"),
    "平静": "neutral",
}
# Directions with no emotion: stripped from speech, nothing else.
_DIRECTIONS = {"pause", "pauses", "whispers", "whispering", "nods", "winks", "wink", "waves",
               "claps", "clears throat", "sniffs", "beat", "music", "applause", "silence", "停顿"}
_STAGE = {word for word in (*_TAG_LABELS, *_DIRECTIONS) if word.isascii()}  # *laughs* forms
_DEGREES = {"very": 0.85, "so": 0.85, "really": 0.85, "super": 0.9, "extremely": 0.95,
            "slightly": 0.3, "a bit": 0.3, "a little": 0.3, "somewhat": 0.4, "mildly": 0.3,
            "非常": 0.9, "特别": 0.9, "有点": 0.3}
_MANNERS = {"softly", "quietly", "loudly", "nervously", "warmly", "gently", "heartily",
            "awkwardly", "excitedly", "happily", "sadly"}
_TAG_BODY = re.compile(
    r"\s*(?:(?:emotion|emo|mood|tone|feeling|expression|情绪|表情)\s*[:=：]\s*)?[\"']?"
    rf"(?:(?P<degree>{'|'.join(d for d in _DEGREES if d.isascii())})\s+"
    rf"|(?P<degree_zh>{'|'.join(d for d in _DEGREES if not d.isascii())}))?"
    r"(?P<label>[a-z\u4e00-\u9fff]+(?: [a-z]+)?)[\"']?"
    r"(?:\s*[,;:=/|]?\s*(?:intensity|strength|level|强度)?\s*[:=：]?\s*"
    r"(?P<value>\d+(?:\.\d+)?|\.\d+)\s*(?P<pct>%)?)?\s*",
    re.IGNORECASE,
)
# [anything] (not a markdown link's text), <anything tag-like>, and the soft forms that only
# count when known; one still open at the end of a reply was cut off there.
SQUARE_BODY = r"[^\[\]\n`]{0,200}"  # the sentence rules never cut inside a tag either
ANGLE_BODY = r"[A-Za-z/!|][^<>\n`]{0,200}"
_SQUARE = re.compile(rf"\[+({SQUARE_BODY})\]+(?!\()")
_ANGLE = re.compile(rf"<+({ANGLE_BODY})>+")
_CUT_OFF = re.compile(rf"(?:\[+{SQUARE_BODY}|<+{ANGLE_BODY})\Z")
_PAREN = re.compile(r"[(（【]([^()（）【】\n]{1,40})[)）】]")
_STARRED = re.compile(r"\*{1,2}([A-Za-z][A-Za-z ]{0,30})\*{1,2}")


@dataclass(frozen=True, slots=True)
class InlineTag:
    emotion: str | None  # None: a direction such as (pauses), which sets no emotion
    intensity: float | None = None


def _read_tag(body: str) -> InlineTag | None:
    """A tag's text to what it says; None when it is no known tag."""
    match = _TAG_BODY.fullmatch(body)
    if match is None:
        return None
    label = match["label"].lower()
    words = label.split(" ")
    if label not in _DIRECTIONS and len(words) == 2 and words[1] in _MANNERS:
        label = words[0]  # "laughs softly"
    if label in _DIRECTIONS:
        return InlineTag(None)
    emotion = _TAG_LABELS.get(label) or _ALIASES.get(label) or (label if label in EMOTIONS else None)
    if emotion is None:
        return None
    intensity = _DEGREES.get((match["degree"] or match["degree_zh"] or "").lower())
    if match["value"] is not None:
        value = float(match["value"])
        intensity = clamp01(value / 100 if match["pct"] or value > 10 else
                            value / 10 if value > 1 else value, TAG_INTENSITY)
    return InlineTag(emotion, intensity)


def _tag_tokens(text: str) -> list[tuple[int, int, InlineTag | None]]:
    """Every tag-like token of the text: (start, end, what it says); the soft forms — (…),
    【…】 and *…* — only when they read as a known tag, else they are words to speak."""
    tokens = []
    for pattern in (_SQUARE, _ANGLE):
        for match in pattern.finditer(text):
            tokens.append((match.start(), match.end(), _read_tag(match.group(1))))
    for match in _PAREN.finditer(text):
        if (tag := _read_tag(match.group(1))) is not None:
            tokens.append((match.start(), match.end(), tag))
    for match in _STARRED.finditer(text):
        body = match.group(1).strip().lower()
        if body.split(" ")[0] in _STAGE and (tag := _read_tag(body)) is not None:
            tokens.append((match.start(), match.end(), tag))
    return sorted(tokens, key=lambda token: token[0])


def inline_tag(text: str) -> InlineTag | None:
    """The first tag in the text that names an emotion, if any."""
    return next((tag for _, _, tag in _tag_tokens(text) if tag and tag.emotion), None)


def strip_cut_off_tag(text: str) -> str:
    """A reply that ends inside a tag ("… [emot") was cut off there: the tag's start goes."""
    return _CUT_OFF.sub(" ", text)


def strip_tags(text: str) -> str:
    """The text with every tag-like token replaced by a space: nothing of them is spoken."""
    out, last = [], 0
    for start, end, _ in _tag_tokens(text):
        if start >= last:  # tokens of different forms may overlap: the first one wins
            out.append(text[last:start])
            last = end
        else:
            last = max(last, end)
        out.append(" ")
    out.append(text[last:])
    return "".join(out)
