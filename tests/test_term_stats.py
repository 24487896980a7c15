"""TermStats: what a document writes, syllables apart or side by side."""
from __future__ import annotations

import pickle

from baocao.lang.tokens import match_tokens
from vectorstore.term_stats import TermStats


def _stats() -> TermStats:
    stats = TermStats()
    stats.add("a", [match_tokens("Thu ngân sách thất thu do sản xuất nông nghiệp giảm", True)])
    stats.add("b", [match_tokens("Tỷ lệ thất nghiệp ở mức 2,1%", True)])
    return stats


def test_a_phrase_is_written_only_with_its_syllables_side_by_side() -> None:
    stats = _stats()
    phrase = tuple(match_tokens("thất nghiệp", True))
    assert stats.in_document("a", phrase, True)  # both syllables are there, apart
    assert stats.writes("a", phrase, True) is False
    assert stats.writes("b", phrase, True) is True
    assert stats.writes("a", tuple(match_tokens("nông nghiệp", True)), True) is True
    assert stats.writes("a", tuple(match_tokens("thất", True)), True) is True  # one syllable: present is written
    assert stats.writes("unknown", phrase, True) is None


def test_folded_phrases_match_folded_pairs_and_survive_pickling() -> None:
    stats = _stats()
    folded = tuple(match_tokens("that nghiep"))
    assert stats.writes("a", folded) is False and stats.writes("b", folded) is True
    again = pickle.loads(pickle.dumps(stats))
    assert again.writes("a", folded) is False and again.writes("b", folded) is True
    stats.add("c", [match_tokens("không có người thất nghiệp", True)])  # a new document: folded pairs recounted
    assert stats.writes("c", folded) is True


def test_a_place_typed_without_diacritics_is_mentioned_where_a_document_writes_it() -> None:
    stats = TermStats()
    stats.add("de", [match_tokens("Tuyến đê Phú Cường đi qua xã Thịnh Minh dài 19,230 km", True)])
    assert stats.mentions("Thịnh Minh") and stats.mentions("Thinh Minh")  # "Xa Thinh Minh" in an English question
    assert not stats.mentions("Minh Thinh") and not stats.mentions("Thinh Cuong")  # side by side, in order
    assert not stats.mentions("Thịnh Mỹ")
