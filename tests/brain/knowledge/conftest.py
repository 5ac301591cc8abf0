from pathlib import Path

import pytest

from livehost.brain.knowledge.embedding import LexicalEmbedder
from livehost.brain.knowledge.load import load_knowledge
from livehost.brain.knowledge.retrieval import Retriever
from livehost.persona import load_persona

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="session")
def demo_knowledge():
    return load_knowledge(load_persona(REPO / "personas" / "demo").knowledge_paths)


@pytest.fixture(scope="session")
def lexical(demo_knowledge):
    """The demo knowledge with word-overlap retrieval: fast, no model."""
    return Retriever(demo_knowledge, LexicalEmbedder())


@pytest.fixture(scope="session")
def minilm():
    from livehost.brain.knowledge.embedding import load_minilm

    return load_minilm()


@pytest.fixture(scope="session")
def semantic(demo_knowledge, minilm):
    return Retriever(demo_knowledge, minilm)


@pytest.fixture
def write(tmp_path, monkeypatch):
    """Write a file under tmp_path; errors then name it relative to tmp_path."""
    monkeypatch.chdir(tmp_path)

    def put(name: str, text: str) -> Path:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path

    return put
