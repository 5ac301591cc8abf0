"""The API token: from the environment, else generated once into the config folder."""

from __future__ import annotations

import stat

import pytest

from livehost.errors import LivehostError
from livehost.server.token import resolve_api_token, token_path


def mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_environment_wins(tmp_path):
    env = {"LIVEHOST_API_TOKEN": " from-env \n", "XDG_CONFIG_HOME": str(tmp_path)}
    assert resolve_api_token(env) == ("from-env", False)
    assert not (tmp_path / "livehost").exists()


def test_generated_once_private_and_reused(tmp_path):
    env = {"XDG_CONFIG_HOME": str(tmp_path / "cfg"), "LIVEHOST_API_TOKEN": ""}
    token, generated = resolve_api_token(env)
    path = token_path(env)
    assert generated and len(token) >= 32 and path == tmp_path / "cfg" / "livehost" / "api-token"
    assert mode(path) == 0o600 and mode(path.parent) == 0o700
    assert path.read_text().strip() == token
    assert resolve_api_token(env) == (token, False)
    assert [p.name for p in path.parent.iterdir()] == ["api-token"]  # no temporary left over


def test_default_folder_is_home_config(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    assert token_path({}) == tmp_path / ".config" / "livehost" / "api-token"


def test_a_readable_token_file_is_made_private(tmp_path):
    env = {"XDG_CONFIG_HOME": str(tmp_path)}
    path = token_path(env)
    path.parent.mkdir(parents=True)
    path.write_text("kept-token\n")
    path.chmod(0o644)
    assert resolve_api_token(env) == ("kept-token", False)
    assert mode(path) == 0o600


def test_an_empty_token_file_is_one_clear_error(tmp_path):
    env = {"XDG_CONFIG_HOME": str(tmp_path)}
    path = token_path(env)
    path.parent.mkdir(parents=True)
    path.write_text("\n")
    with pytest.raises(LivehostError, match="api-token is empty") as info:
        resolve_api_token(env)
    assert "\n" not in str(info.value)
