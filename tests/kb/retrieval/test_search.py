"""Search over the real index: known passages found, filters, no repeats, fusion.

Scores and exact ranks may change as retrieval is tuned; these tests only ask
that a gold passage is in the top five and that the rules hold.
"""

from __future__ import annotations

import itertools
import json

import pytest

from eval.gold import GoldQuestion, load_questions
from kb.api import KnowledgeBase
from kb.core.records import SearchFilters
from kb.core.results import Passage
from kb.core.settings import Settings
from kb.core.store import IndexStore, StoreUnavailableError
from kb.retrieval.search import MODES, hybrid_search, reciprocal_rank_fusion

# Gold questions from eval/questions.jsonl: every document, each style.
GOLD_IDS = ("q034", "q110", "q125", "q167", "q217", "q247", "q253", "q267", "q273", "q058")
QUERIES = (
    "Is sharing legal?",
    "How will the arrangement be governed?",
    "South London Waste Partnership savings",
    "joint committee staff transfer TUPE",
    "What did councils learn about member involvement?",
)


@pytest.fixture(scope="module")
def gold() -> dict[str, GoldQuestion]:
    return {q.id: q for q in load_questions() if q.id in GOLD_IDS}


@pytest.mark.parametrize("qid", GOLD_IDS)
def test_known_passages_are_in_the_top_five(
    kb: KnowledgeBase, gold: dict[str, GoldQuestion], qid: str
) -> None:
    question = gold[qid]
    passages = kb.search(question.question, k=5)
    assert any(question.is_relevant(p.chunk.text) for p in passages), (
        question.question,
        [p.chunk.text[:80] for p in passages],
    )
    assert any(p.chunk.doc_id == question.doc_id for p in passages)


@pytest.mark.parametrize("mode", MODES)
def test_every_mode_returns_ranked_results(kb: KnowledgeBase, mode: str) -> None:
    passages = kb.search("How will the arrangement be governed?", k=7, mode=mode)
    assert len(passages) == 7
    assert [p.rank for p in passages] == list(range(1, 8))
    scores = [p.score for p in passages]
    assert scores == sorted(scores, reverse=True) and all(s > 0 for s in scores)
    assert len({p.chunk.id for p in passages}) == 7
    assert any("governed" in p.chunk.section_label for p in passages)


def test_modes_differ_and_hybrid_fuses_them(kb: KnowledgeBase) -> None:
    query = "section 101 local government act 1972 delegation"
    ids = {m: [p.chunk.id for p in kb.search(query, k=10, mode=m)] for m in MODES}
    assert ids["dense"] != ids["bm25"]
    # A fused top ten draws on both rankings.
    assert set(ids["hybrid"]) & set(ids["dense"]) and set(ids["hybrid"]) & set(ids["bm25"])


def test_k_limits_the_results(kb: KnowledgeBase) -> None:
    assert len(kb.search("shared services", k=1)) == 1
    assert len(kb.search("shared services", k=25)) == 25
    assert len(kb.search("shared services")) == kb.settings.top_k


def test_document_filter(kb: KnowledgeBase) -> None:
    only = ("pse-2016-future-shared-services", "pa-2011-pushing-boundaries")
    passages = kb.search(
        "savings from sharing back-office services", k=10, filters=SearchFilters(doc_ids=only)
    )
    assert passages and {p.chunk.doc_id for p in passages} <= set(only)
    # Without the filter the guide dominates the same query.
    assert any(
        p.chunk.doc_id == "lga-guide-2011"
        for p in kb.search("savings from sharing back-office services", k=10)
    )


@pytest.mark.parametrize("mode", MODES)
def test_kind_filter(kb: KnowledgeBase, mode: str) -> None:
    articles = kb.search(
        "governance of a shared service", k=10, mode=mode, filters=SearchFilters(kinds=("article",))
    )
    assert articles and all(p.chunk.kind == "article" for p in articles)
    guides = kb.search(
        "governance of a shared service", k=10, mode=mode, filters=SearchFilters(kinds=("guide",))
    )
    assert guides and all(p.chunk.doc_id == "lga-guide-2011" for p in guides)


@pytest.mark.parametrize("mode", MODES)
def test_section_filter(kb: KnowledgeBase, mode: str) -> None:
    passages = kb.search(
        "joint committee", k=10, mode=mode, filters=SearchFilters(section="is sharing legal?")
    )
    assert passages
    assert all("Is sharing legal?" in p.chunk.section_label for p in passages)
    cases = kb.search("savings", k=20, mode=mode, filters=SearchFilters(section="Case study 7"))
    assert cases and {p.chunk.case_id for p in cases} == {"south-london-waste"}


def test_section_filter_matches_part_of_the_path_in_any_case(kb: KnowledgeBase) -> None:
    index = kb.index
    allowed = index.allowed_ids(SearchFilters(section="IS SHARING LEGAL?"))
    assert allowed
    # The section's text and its "Useful resources" box, which sits under its path.
    assert {index.chunks[c].section_kind for c in allowed} == {"body", "resources"}
    top = index.allowed_ids(SearchFilters(section="Is sharing the right option"))
    assert set(allowed) < set(top)


def test_filters_combine(kb: KnowledgeBase) -> None:
    filters = SearchFilters(doc_ids=("lga-guide-2011",), kinds=("guide",), section="Appendix 2")
    passages = kb.search("what did the councils learn", k=10, filters=filters)
    assert passages and all(p.chunk.case_id for p in passages)
    none = SearchFilters(doc_ids=("lga-guide-2011",), kinds=("article",))
    assert kb.search("what did the councils learn", filters=none) == []


def _overlap(a: Passage, b: Passage) -> bool:
    x, y = a.chunk, b.chunk
    return x.doc_id == y.doc_id and x.start < y.end and y.start < x.end


def test_overlapping_chunks_are_returned_once(kb: KnowledgeBase) -> None:
    index = kb.index
    candidates_overlap = False
    for query in QUERIES:
        for mode in MODES:
            passages = kb.search(query, k=15, mode=mode)
            assert not any(_overlap(a, b) for a, b in itertools.combinations(passages, 2)), (
                query,
                mode,
            )
        # The raw rankings do hold overlapping chunks, so the rule has work to do.
        ranked = [cid for cid, _ in index.bm25_search(query, 45)]
        ranked += [cid for cid, _ in index.dense_search(kb.embed_query(query), 45)]
        chunks = [index.chunks[c] for c in dict.fromkeys(ranked)]
        candidates_overlap |= any(
            a.doc_id == b.doc_id and a.start < b.end and b.start < a.end
            for a, b in itertools.combinations(chunks, 2)
        )
    assert candidates_overlap


def test_a_later_overlapping_chunk_gives_way_to_the_better_one(kb: KnowledgeBase) -> None:
    index = kb.index
    # Two chunks of one section that share text (the splitter's overlap).
    pairs = [
        (a, b)
        for a, b in zip(index.order, index.order[1:], strict=False)
        if index.chunks[a].doc_id == index.chunks[b].doc_id
        and index.chunks[b].start < index.chunks[a].end
    ]
    assert pairs
    first, second = pairs[0]
    # A query made of the second chunk's own text ranks it first; the first is then dropped.
    query = index.chunks[second].text[:300]
    passages = hybrid_search(index, query, None, kb.settings, k=10, mode="bm25")
    ids = [p.chunk.id for p in passages]
    assert ids[0] == second and first not in ids


def test_hybrid_without_an_embedding_is_bm25(kb: KnowledgeBase) -> None:
    query = "PANNEL savings start-up investment"
    index = kb.index
    fused = hybrid_search(index, query, None, kb.settings, k=5, mode="hybrid")
    bm25 = hybrid_search(index, query, None, kb.settings, k=5, mode="bm25")
    assert [p.chunk.id for p in fused] == [p.chunk.id for p in bm25]


# -- reciprocal rank fusion -------------------------------------------------------------


def test_rrf_single_ranking_keeps_its_order() -> None:
    fused = reciprocal_rank_fusion([["a", "b", "c"]], [1.0], k=60)
    assert [item for item, _ in fused] == ["a", "b", "c"]
    assert [score for _, score in fused] == pytest.approx([1 / 61, 1 / 62, 1 / 63])


def test_rrf_rewards_agreement() -> None:
    fused = dict(reciprocal_rank_fusion([["a", "b", "c"], ["c", "b", "d"]], [1.0, 1.0], k=60))
    assert fused["b"] == pytest.approx(2 / 62)
    assert fused["c"] == pytest.approx(1 / 63 + 1 / 61)
    assert fused["a"] == pytest.approx(1 / 61) and fused["d"] == pytest.approx(1 / 63)
    order = [
        item
        for item, _ in reciprocal_rank_fusion([["a", "b", "c"], ["c", "b", "d"]], [1.0, 1.0], k=60)
    ]
    # Found by both lists beats first in only one; 1/61 + 1/63 edges out 2/62.
    assert order == ["c", "b", "a", "d"]


def test_rrf_weights_scale_each_ranking() -> None:
    rankings = [["dense-top", "shared"], ["bm25-top", "shared"]]
    dense_heavy = reciprocal_rank_fusion(rankings, [2.0, 1.0], k=60)
    bm25_heavy = reciprocal_rank_fusion(rankings, [1.0, 2.0], k=60)
    assert dense_heavy[0][0] == "shared" and bm25_heavy[0][0] == "shared"
    assert [i for i, _ in dense_heavy].index("dense-top") < [i for i, _ in dense_heavy].index(
        "bm25-top"
    )
    assert [i for i, _ in bm25_heavy].index("bm25-top") < [i for i, _ in bm25_heavy].index(
        "dense-top"
    )
    zero = dict(reciprocal_rank_fusion(rankings, [1.0, 0.0], k=60))
    assert zero["bm25-top"] == 0.0


def test_rrf_small_k_favours_the_top_ranks() -> None:
    rankings = [["a", "b", "c", "d", "e"], ["e", "x", "y", "z", "w"]]
    # "a" is first in one list; "e" is first in one and last in the other.
    assert reciprocal_rank_fusion(rankings, [1.0, 1.0], k=60)[0][0] == "e"
    assert reciprocal_rank_fusion(rankings, [1.0, 1.0], k=0)[0][0] == "e"
    scores = dict(reciprocal_rank_fusion(rankings, [1.0, 1.0], k=0))
    assert scores["a"] == pytest.approx(1.0) and scores["e"] == pytest.approx(1.0 + 1 / 5)


def test_rrf_of_nothing_is_nothing() -> None:
    assert reciprocal_rank_fusion([], [], k=60) == []
    assert reciprocal_rank_fusion([[], []], [1.0, 1.0], k=60) == []


def test_an_index_from_another_embedding_model_is_named_not_searched(
    copied_index: Settings,
) -> None:
    build = IndexStore(copied_index).open().path / "build.json"
    info = json.loads(build.read_text("utf-8"))
    assert info["embed_dim"] == 384  # the bundled model
    # As if the index had been built with a larger model than the one configured now.
    build.write_text(json.dumps({**info, "embed_dim": 768}), "utf-8")
    kb = KnowledgeBase(copied_index)
    with pytest.raises(StoreUnavailableError, match="768-dimensional.*run `kb ingest`"):
        kb.search("Is sharing legal?")
    assert kb.search("Is sharing legal?", mode="bm25")  # keyword search needs no vectors
