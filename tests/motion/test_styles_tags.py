"""Styles load, extend and validate; tags are analyzed deterministically and validated so no
label or number from an LLM can reach the face unchecked."""

import math

import pytest

from livehost.brain.tags import (EMOTIONS, MAX_EMPHASIS, affirms, choose_emphasis,
                                 detect_emotion, normalize_emotion, validate)
from livehost.errors import LivehostError
from livehost.media.frames import Emphasis, Sentence, SentenceKind
from livehost.motion.posture import POSTURES
from livehost.motion.styles import Style, available_styles, load_style
from livehost.persona import load_persona

SHIPPED = ["business", "calm", "friendly", "lively", "serious"]


def test_shipped_styles_load_and_differ():
    assert set(SHIPPED) <= set(available_styles())
    styles = [load_style(name) for name in SHIPPED]
    assert len({s.gestures.nod_deg for s in styles}) >= 4
    assert not load_style("serious").allows("exclaim")


def test_friendly_is_the_defaults():
    # friendly.yaml holds only its description: every value comes from the model's defaults.
    friendly = load_style("friendly")
    assert friendly.description
    assert friendly == Style(name="friendly", description=friendly.description)
    assert friendly.filter.kind == "one_euro" and friendly.gestures.nod_deg == 3.0


def test_user_style_extends_a_shipped_one(tmp_path):
    (tmp_path / "styles").mkdir()
    (tmp_path / "styles" / "shopkeeper.yaml").write_text(
        "extends: lively\ngestures: {nod_deg: 5.0}\nfilter: {kind: edge, threshold: 0.3}\n")
    style = load_style("shopkeeper", tmp_path)
    assert style.gestures.nod_deg == 5.0
    assert style.gestures.question_raise_deg == load_style("lively").gestures.question_raise_deg
    assert style.filter.kind == "edge" and style.filter.threshold == 0.3


@pytest.mark.parametrize("body, words", [
    ("limits: {yaw: 30}", "limits.yaw"),
    ("gestures: {allowed: [nod, twirl]}", "gestures.allowed"),
    ("filter: {kind: magic}", "filter"),
    ("extends: nowhere", "nowhere"),
    ("gestures: {nod_deg: [1, 2]}", "gestures.nod_deg"),
])
def test_bad_styles_fail_with_one_clear_line(tmp_path, body, words):
    (tmp_path / "styles").mkdir()
    (tmp_path / "styles" / "bad.yaml").write_text(body)
    with pytest.raises(LivehostError, match=words.replace(".", r"\.")):
        load_style("bad", tmp_path)


def test_persona_with_an_unknown_style_fails_at_load(tmp_path):
    folder = tmp_path / "p"
    folder.mkdir()
    (folder / "portrait.jpg").write_bytes(b"x")
    (folder / "persona.yaml").write_text("name: P\nportrait: portrait.jpg\nstyle: nope\n")
    with pytest.raises(LivehostError, match=r"persona\.yaml: style: no motion style named 'nope'"):
        load_persona(folder)


def test_every_emotion_has_a_posture():
    assert set(POSTURES) == set(EMOTIONS)


def test_validation_repairs_garbage():
    bad = Sentence("one two three", emotion="EXCITED!!", kind="rhetorical",  # type: ignore[arg-type]
                   intensity=float("nan"),
                   emphasis=tuple([Emphasis("x", i % 7 - 2, s) for i, s in
                                   enumerate([5.0, -1.0, float("nan"), 0.3] * 30)]) + ("junk",))  # type: ignore[operator]
    good = validate(bad)
    assert good.emotion == "neutral" and good.kind is SentenceKind.STATEMENT
    assert good.intensity == 0.5
    assert len(good.emphasis) <= min(3, MAX_EMPHASIS)
    assert all(0 <= m.index < 3 and 0 < m.strength <= 1 for m in good.emphasis)
    assert sorted({m.index for m in good.emphasis}) == [m.index for m in good.emphasis]
    assert validate(Sentence("a", emotion=" Worried ")).emotion == "concerned"
    assert normalize_emotion(None) == "neutral"
    assert validate(Sentence("a", intensity=math.inf)).intensity == 1.0


@pytest.mark.parametrize("text, emotion", [
    ("Thanks so much for the follow!", "excited"),
    ("Unfortunately the kettle is delayed.", "concerned"),
    ("I am not happy about this.", "neutral"),
    ("We open at nine.", "neutral"),
    ("谢谢大家的支持", "happy"),
    ("抱歉，今天发货会晚一点。", "concerned"),
    ("我不开心。", "neutral"),
])
def test_lexicon(text, emotion):
    assert detect_emotion(text)[0] == emotion


def test_emphasis_choice():
    assert [m.word for m in choose_emphasis("We open at nine.")] == ["nine"]
    assert [m.word for m in choose_emphasis("It is really cheap today")] == ["cheap"]
    assert [m.word for m in choose_emphasis("This one is HUGE for us")] == ["HUGE"]
    assert choose_emphasis("Hi there") == ()
    assert [m.word for m in choose_emphasis("我们九点开门")] == ["九"]


def test_affirmations():
    assert affirms("Yes, that works.") and affirms("Sure thing") and affirms("是的，没问题")
    assert not affirms("Are you sure?") and not affirms("")
