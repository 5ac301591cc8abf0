import json

import pytest

pytestmark = pytest.mark.slow


def test_doctor_is_green_and_lists_what_it_found(livehost_cli):
    result = livehost_cli("doctor", "--json")
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(result.stdout)
    assert report["ok"] is True
    by_name = {c["name"]: c for c in report["checks"]}
    assert by_name["piper-joe"]["ok"] and "license" in by_name["piper-joe"]["detail"]
    assert by_name["libx264"]["ok"] and by_name["aac"]["ok"]
    assert "GPL" in by_name["piper-tts"]["detail"]
    # Missing optional pieces are reported with what they disable, not as failures.
    for check in report["checks"]:
        if not check["ok"]:
            assert not check["required"] and "disables" in check["detail"]


def test_doctor_text_report(livehost_cli):
    result = livehost_cli("doctor")
    assert result.returncode == 0
    assert "the embedded defaults can run" in result.stdout
