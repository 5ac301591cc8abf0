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


@pytest.mark.parametrize(("tag", "built_here"), [("cp310-abi3-manylinux_2_28_x86_64", False),
                                                  ("cp310-abi3-linux_x86_64", True)])
def test_doctor_tells_a_local_llama_build_from_the_prebuilt_wheel(monkeypatch, tag, built_here):
    from importlib import metadata

    from livehost.cli import doctor

    class Dist:
        def read_text(self, name):
            return f"Wheel-Version: 1.0\nTag: {tag}\n" if name == "WHEEL" else None

    monkeypatch.setattr(metadata, "distribution", lambda name: Dist())
    (check,) = doctor.check_llama_build()
    assert check.ok and ("built on this machine" in check.detail) == built_here
    assert built_here or "AVX2" in check.detail


def test_doctor_names_a_missing_llama(monkeypatch):
    from importlib import metadata

    from livehost.cli import doctor

    def missing(name):
        raise metadata.PackageNotFoundError(name)

    monkeypatch.setattr(metadata, "distribution", missing)
    (check,) = doctor.check_llama_build()
    assert not check.ok and not check.required and "disables the embedded LLM" in check.detail
