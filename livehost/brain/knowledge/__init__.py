"""The host's knowledge: the catalogue and documents a persona names, what a question is
about (retrieval), whether a reply sticks to it (grounding), and answers worded straight from
it (templates). Facts come from here by construction; a language model only words them."""

from livehost.brain.knowledge.embedding import (
    Embedder,
    LexicalEmbedder,
    MiniLM,
    default_embedder,
    load_minilm,
)
from livehost.brain.knowledge.grounding import GroundingChecker, GroundingResult
from livehost.brain.knowledge.intent import Intent, catalogue_intents, is_catalogue_question
from livehost.brain.knowledge.load import load_knowledge
from livehost.brain.knowledge.records import FaqEntry, Knowledge, Passage, Product
from livehost.brain.knowledge.retrieval import Hit, Retrieval, Retriever
from livehost.brain.knowledge.templates import product_answer, unknown_product_answer

__all__ = [
    "Embedder", "FaqEntry", "GroundingChecker", "GroundingResult", "Hit", "Intent", "Knowledge",
    "LexicalEmbedder", "MiniLM", "Passage", "Product", "Retrieval", "Retriever",
    "catalogue_intents", "default_embedder", "is_catalogue_question", "load_knowledge",
    "load_minilm", "product_answer", "unknown_product_answer",
]
