"""Retrieval: named products first, then meaning; the answer cache; unknown products."""

import numpy as np
import pytest

from livehost.brain.knowledge.embedding import LexicalEmbedder, MiniLM
from livehost.brain.knowledge.records import Knowledge
from livehost.brain.knowledge.retrieval import Retriever


def ids(retrieval):
    return [h.item.id for h in retrieval.products]


def test_an_alias_wins_over_everything_else(lexical):
    result = lexical.search("How much are the Blue Kettles?")
    assert ids(result) == ["kettle-blue"] and result.products[0].how == "alias"
    assert result.products[0].score == 1.0 and result.named and result.product.id == "kettle-blue"
    assert result.unknown_product is None


def test_a_head_word_scores_by_how_much_of_the_name_is_there(lexical):
    kettle = lexical.search("is the kettle good?").products[0]
    assert kettle.how == "word" and 0.8 <= kettle.score < 1.0
    assert lexical.search("the enamel kettle thing").products[0].score == 1.0  # an alias


def test_named_products_keep_other_products_faq_out(lexical):
    result = lexical.search("can the cutting board go in the dishwasher?")
    assert ids(result) == ["board-oak"]
    assert {h.item.product_id for h in result.faqs} <= {"board-oak", None}
    assert result.answer is not None and result.answer.item.product_id == "board-oak"


def test_the_answer_cache_needs_to_know_which_product_it_is(lexical):
    assert lexical.best_faq("can it go in the dishwasher?") is None  # "it": which one?
    entry, score = lexical.best_faq("can the blue kettle go in the dishwasher?")
    assert entry.product_id == "kettle-blue" and score >= LexicalEmbedder.faq_threshold


def test_unknown_product_is_reported_with_no_products(lexical):
    result = lexical.search("Do you sell toasters?")
    assert result.unknown_product == "toasters" and result.products == () and result.product is None
    assert lexical.search("do you sell tea?").unknown_product is None  # the knowledge mentions tea


def test_empty_question_and_empty_knowledge():
    assert Retriever(Knowledge(), LexicalEmbedder()).search("do you sell kettles?").products == ()
    empty = Retriever(Knowledge(), LexicalEmbedder()).search("   ")
    assert empty.products == empty.faqs == empty.passages == () and empty.answer is None


class CountingEmbedder(LexicalEmbedder):
    name = "counting"

    def __init__(self):
        super().__init__()
        self.texts = 0

    def encode(self, texts):
        self.texts += len(texts)
        return super().encode(texts)


def test_embeddings_are_cached_by_content(demo_knowledge, tmp_path):
    first = CountingEmbedder()
    Retriever(demo_knowledge, first, cache_dir=tmp_path / ".cache")
    assert first.texts > 0 and len(list((tmp_path / ".cache").glob("embeddings-counting-*.npy"))) == 1
    again = CountingEmbedder()
    retriever = Retriever(demo_knowledge, again, cache_dir=tmp_path / ".cache")
    assert again.texts == 0
    assert ids(retriever.search("blue kettle")) == ["kettle-blue"]
    smaller = Knowledge(demo_knowledge.products[:2])
    changed = CountingEmbedder()
    Retriever(smaller, changed, cache_dir=tmp_path / ".cache")
    assert changed.texts > 0  # other knowledge, other key; the stale file is gone
    assert len(list((tmp_path / ".cache").glob("embeddings-counting-*.npy"))) == 1


@pytest.mark.slow
def test_minilm_matches_sentence_transformers(minilm):
    # Reference values from sentence-transformers 6.2.0 with this model (normalised).
    texts = ["Does the blue kettle work on induction?", "how much is the teapot", "Do you ship to Germany?"]
    vectors = minilm.encode(texts)
    np.testing.assert_allclose(vectors[0, :6], [-0.1195684, -0.0001352, -0.0061889, -0.0084193, -0.0337104, 0.0152004], atol=1e-5)
    np.testing.assert_allclose(vectors[2, :6], [0.0338882, 0.0048621, 0.0027852, 0.0240396, -0.0136638, 0.0052703], atol=1e-5)
    np.testing.assert_allclose([vectors[0] @ vectors[1], vectors[0] @ vectors[2]], [0.2012308, 0.0548168], atol=1e-5)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    # Batched with padding or alone: the same vector.
    np.testing.assert_allclose(minilm.encode([texts[1]])[0], vectors[1], atol=1e-5)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("question", "product"),
    [
        ("I need something to boil water", "kettle-blue"),
        ("what do you have for making tea?", "teapot-glass"),
        ("anything for brewing loose leaf tea", "teapot-glass"),
    ],
)
def test_paraphrase_finds_the_product(semantic, question, product):
    result = semantic.search(question)
    assert ids(result)[0] == product and result.products[0].how == "semantic"


@pytest.mark.slow
@pytest.mark.parametrize(
    ("question", "faq"),
    [
        ("can I use the kettle on an induction hob", "Does it work on induction?"),
        ("is the skillet already seasoned?", "Is it pre-seasoned?"),
        ("do you deliver outside Europe?", "Do you ship outside the EU?"),
        ("how long will delivery take?", "How long does delivery take?"),
        ("do you have free shipping?", "Is shipping free?"),
        ("what payment methods do you take?", "Which payment methods do you accept?"),
    ],
)
def test_best_faq_takes_a_paraphrase(semantic, question, faq):
    entry, score = semantic.best_faq(question)
    assert entry.question == faq and score >= MiniLM.faq_threshold


@pytest.mark.slow
@pytest.mark.parametrize(
    "question",
    ["do you sell gift cards?", "what colour is the kettle?", "is the teapot made of glass?",
     "can I pay in bitcoin?", "hello everyone!", "how are you today?", "does the skillet whistle?"],
)
def test_best_faq_refuses_other_questions(semantic, question):
    assert semantic.best_faq(question) is None


@pytest.mark.slow
def test_passages_by_meaning(semantic):
    assert semantic.search("can I get my money back?").passages[0].item.title == "Returns and refunds"
    assert semantic.search("how long is the warranty?").passages[0].item.title == "Warranty"


@pytest.mark.slow
def test_other_words_for_a_product_are_not_unknown(semantic):
    assert semantic.search("do you sell toasters?").unknown_product == "toasters"
    assert semantic.search("do you sell blenders?").unknown_product == "blenders"
    assert semantic.search("do you sell cups?").unknown_product is None  # close to the mug set
    assert semantic.search("do you sell teakettles?").unknown_product is None
