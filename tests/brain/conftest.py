import re
import shutil
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
DEMO = HERE.parents[1] / "personas" / "demo"

# The scripted chat server (llm/) and the attack corpus (safety/) serve the end-to-end tests too.
sys.path[:0] = [str(HERE / "llm"), str(HERE / "safety")]

_WORD = re.compile(r"[a-z0-9]+|[\u3400-\u9fff]")
SPAN_WORDS = 8


@pytest.fixture(scope="session")
def demo_copy(tmp_path_factory):
    """A fresh copy of the demo persona to change, without its speech cache."""

    def make() -> Path:
        return Path(shutil.copytree(DEMO, tmp_path_factory.mktemp("persona") / "demo",
                                    ignore=shutil.ignore_patterns(".cache")))

    return make


@pytest.fixture(scope="session")
def prompt_span():
    """The first run of SPAN_WORDS consecutive words a reply shares with a prompt, or None
    (words compared lower-cased, punctuation and spacing ignored)."""

    def span(reply: str, prompt: str) -> str | None:
        words = _WORD.findall(prompt.lower())
        grams = {tuple(words[i:i + SPAN_WORDS]) for i in range(len(words) - SPAN_WORDS + 1)}
        said = _WORD.findall(reply.lower())
        for i in range(len(said) - SPAN_WORDS + 1):
            if tuple(said[i:i + SPAN_WORDS]) in grams:
                return " ".join(said[i:i + SPAN_WORDS])
        return None

    return span
