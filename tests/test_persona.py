import shutil
from pathlib import Path

import pytest

from livehost.errors import LivehostError
from livehost.persona import load_persona

REPO = Path(__file__).resolve().parent.parent
DEMO = REPO / "personas" / "demo"


def make_persona(tmp_path: Path, yaml_text: str) -> Path:
    folder = tmp_path / "p"
    folder.mkdir()
    shutil.copy(DEMO / "portrait.jpg", folder / "portrait.jpg")
    (folder / "persona.yaml").write_text(yaml_text, encoding="utf-8")
    return folder


def test_demo_by_id_and_by_path():
    by_id = load_persona("demo")
    assert by_id.name == "Nova" and by_id.id == "demo"
    assert by_id.portrait_path.is_file()
    assert load_persona(DEMO) == by_id
    assert load_persona(DEMO / "persona.yaml") == by_id


def test_minimal_persona_gets_defaults(tmp_path):
    persona = load_persona(make_persona(tmp_path, "name: Mei\nportrait: portrait.jpg\n"))
    assert persona.voice.engine == "piper" and persona.voice.rate == 1.0
    assert persona.language == "en" and persona.knowledge == []


def test_unicode_fields(tmp_path):
    persona = load_persona(make_persona(tmp_path, "name: 小美\nlanguage: zh\nportrait: portrait.jpg\ngreeting: 大家好！\n"))
    assert persona.name == "小美" and persona.greeting == "大家好！"


@pytest.mark.parametrize(
    "text, message",
    [
        ("portrait: portrait.jpg\n", "name: required field is missing"),
        ("name: A\nportrait: portrait.jpg\nvoise: {}\n", "voise: unknown field"),
        ("name: A\nportrait: portrait.jpg\nvoice: {rate: 5}\n", "voice.rate"),
        ("name: A\nportrait: missing.png\n", "portrait: file"),
        ("name: A\nportrait: portrait.jpg\nknowledge: [nope.md]\n", "knowledge[0]"),
        ("name: A\nportrait: portrait.jpg\nlanguage: English\n", "language"),
        ("name: [unclosed\n", "not valid YAML"),
        ("- just\n- a list\n", "expected a mapping"),
    ],
)
def test_bad_personas_name_file_and_field(tmp_path, text, message):
    folder = make_persona(tmp_path, text)
    with pytest.raises(LivehostError) as err:
        load_persona(folder)
    assert message in str(err.value)
    assert str(folder / "persona.yaml") in str(err.value)
    assert "\n" not in str(err.value)


def test_unknown_id_lists_known_personas():
    with pytest.raises(LivehostError, match="no persona named 'nobody'.*demo"):
        load_persona("nobody")


def test_folder_without_persona_file(tmp_path):
    with pytest.raises(LivehostError, match="has no persona.yaml"):
        load_persona(tmp_path)


def test_persona_check_cli(livehost_cli, tmp_path):
    ok = livehost_cli("persona", "check", "demo")
    assert ok.returncode == 0 and "ok" in ok.stdout
    bad = livehost_cli("persona", "check", str(make_persona(tmp_path, "name: A\nportrait: portrait.jpg\nvoice: {engine: nope}\n")))
    assert bad.returncode == 2
    assert "voice.engine" in bad.stderr and "Traceback" not in bad.stderr
