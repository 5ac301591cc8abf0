"""`--chat` specs: every platform is reachable by name, options are checked, typos named."""

import pytest

from livehost.errors import LivehostError
from livehost.sources.specs import parse_chat, split_spec


def test_specs_split_into_platform_target_and_options():
    spec = split_spec("twitch:SomeChannel?server=127.0.0.1:6667&tls=0")
    assert (spec.platform, spec.target, spec.options) == ("twitch", "SomeChannel", {"server": "127.0.0.1:6667", "tls": "0"})
    assert split_spec("douyin").target == ""


@pytest.mark.parametrize("spec, error", [
    ("irc:foo", "unknown chat source"),
    ("twitch", "needs a CHANNEL"),
    ("douyin:room", "takes no target"),
    ("twitch:foo?tls=0&tls=1", "given twice"),
    ("twitch:foo?tsl=0", "unknown option 'tsl'"),
    ("twitch:foo?tls=maybe", "must be 0 or 1"),
])
def test_bad_specs_are_named(spec, error):
    with pytest.raises(LivehostError, match=error):
        parse_chat(spec)


def test_each_platform_builds_its_source(monkeypatch):
    monkeypatch.setenv("YOUTUBE_API_KEY", "k")
    monkeypatch.setenv("DOUYIN_WEBHOOK_SECRET", "s")
    monkeypatch.setenv("LIVEHOST_WEBHOOK_SECRET", "s")
    names = {parse_chat(s).name for s in ("twitch:foo", "youtube:dQw4w9WgXcQ", "bilibili:21452505", "douyin", "webhook")}
    assert {"twitch:foo", "bilibili:21452505"} <= names and len(names) == 5
    assert parse_chat("api") is None


def test_missing_secrets_name_the_variable(monkeypatch):
    for var in ("YOUTUBE_API_KEY", "YOUTUBE_OAUTH_TOKEN", "DOUYIN_WEBHOOK_SECRET", "LIVEHOST_WEBHOOK_SECRET"):
        monkeypatch.delenv(var, raising=False)
    for spec, var in (("youtube:dQw4w9WgXcQ", "YOUTUBE_API_KEY"), ("douyin", "DOUYIN_WEBHOOK_SECRET"),
                      ("webhook", "LIVEHOST_WEBHOOK_SECRET")):
        with pytest.raises(LivehostError, match=var):
            parse_chat(spec)
