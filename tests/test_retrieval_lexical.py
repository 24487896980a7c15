"""The lexical index: analysis (syllables, folding, numbers, bigrams), BM25 search, filters; the vocabulary
and abbreviations a corpus teaches."""
from __future__ import annotations

from baocao.lang.abbreviations import learn_abbreviations
from baocao.lang.normalize import fold_syllable
from baocao.lang.restore import learn_vocabulary
from baocao.lang.tokens import normalize_number
from baocao.models import Chunk, DocumentMeta
from baocao.protocols import LexicalIndex, QueryTerm
from vectorstore.lexical import BM25Index, analyze, describe_matches


def make_chunk(doc_id: str, position: int, text: str, locality: str = "Hương Trà", year: int = 2023, kind: str = "text") -> Chunk:
    meta = DocumentMeta(doc_id=doc_id, source=f"{doc_id}.txt", locality=locality, period_year=year, short_title=f"BC – {locality}")
    return Chunk(
        chunk_id=f"{doc_id}:gen00000:{position:04d}", doc_id=doc_id, position=position, kind=kind,  # type: ignore[arg-type]
        text=text, search_text=text, embed_text=text, section_path=["I. Kết quả"], meta=meta,
    )


def folded_query(text: str, weight: float = 1.0) -> list[QueryTerm]:
    analyzed = analyze(text)
    terms = [QueryTerm("folded", t, weight, t, i) for i, t in enumerate(analyzed.folded)]
    return terms + [QueryTerm("bigram", t, weight, t.replace("_", " "), i) for i, t in enumerate(analyzed.bigram)]


def test_numbers_stay_whole_and_are_normalised() -> None:
    assert normalize_number("6,39%") == "6,39"
    assert normalize_number("02/2023") == "2/2023"
    assert normalize_number("03/01/2023") == "3/1/2023"
    assert normalize_number("0,60") == "0,60"
    analyzed = analyze("đạt 29/38 xã, thu 1.484 tỷ, tăng 8,8% so tháng 02/2023")
    for number in ("29/38", "1.484", "8,8", "2/2023"):
        assert number in analyzed.exact
    # the parts of a date are searchable on their own ("thang 2 2023")
    assert "2" in analyzed.folded and "2023" in analyzed.folded


def test_folding_makes_unaccented_text_meet_the_original() -> None:
    assert analyze("Hương Trà").folded == analyze("huong tra").folded == ["huong", "tra"]
    assert analyze("Hương Trà").exact == ["hương", "trà"]
    # tỷ/tỉ, lý/lí are one word written two ways
    assert fold_syllable("tỷ") == fold_syllable("tỉ") == "ti"
    assert fold_syllable("Thủy") == "thuy"  # "uy" is a vowel pair, not a final y


def test_bigrams_pair_adjacent_syllables_within_a_clause() -> None:
    analyzed = analyze("Giải ngân vốn đầu tư công. Hương Trà, ngày 14")
    assert "giai_ngan" in analyzed.bigram and "dau_tu" in analyzed.bigram and "tu_cong" in analyzed.bigram
    assert "cong_huong" not in analyzed.bigram  # no pair across the full stop
    assert "tra_ngay" not in analyzed.bigram  # nor across the comma


def test_hyphenated_compounds_are_matched_by_their_parts() -> None:
    analyzed = analyze("ngành công nghiệp-xây dựng; KT-XH")
    assert "cong_nghiep" in analyzed.bigram and "nghiep_xay" in analyzed.bigram
    assert "kt-xh" in analyzed.folded and "kt" in analyzed.folded


def test_bm25_ranks_the_chunk_with_the_words_and_ignores_markup() -> None:
    chunks = [
        make_chunk("a", 0, "Tổng thu ngân sách nhà nước ước đạt **527,191** tỷ đồng."),
        make_chunk("a", 1, "Giải ngân vốn đầu tư công đạt 6,39% kế hoạch."),
        make_chunk("b", 0, "Tai nạn giao thông giảm 06 vụ.", locality="Trà Vinh"),
    ]
    index = BM25Index.build(chunks, "rev")
    best = index.search(folded_query("giai ngan von dau tu cong"), k=3)
    assert best[0].chunk_id == chunks[1].chunk_id
    assert best[0].matched == ["giai ngan von dau tu cong"]  # matched pairs read as one phrase
    assert index.search([QueryTerm("exact", "527,191", 1.0, "527,191")], k=1)[0].chunk_id == chunks[0].chunk_id
    assert index.search(folded_query("xyz qwerty"), k=3) == []


def test_filter_mask_keeps_only_matching_documents_and_kinds() -> None:
    chunks = [
        make_chunk("a", 0, "giải ngân vốn đầu tư công", locality="Hương Trà", year=2023),
        make_chunk("b", 0, "giải ngân vốn đầu tư công", locality="Trà Vinh", year=2022),
        make_chunk("b", 1, "giải ngân vốn đầu tư công bảng", locality="Trà Vinh", year=2022, kind="table"),
    ]
    index = BM25Index.build(chunks, "rev")
    terms = folded_query("giai ngan")
    only_b = index.search(terms, k=5, filters={"locality": "Trà Vinh"})
    assert {m.chunk_id for m in only_b} == {chunks[1].chunk_id, chunks[2].chunk_id}
    tables = index.search(terms, k=5, filters={"kind": "table"})
    assert [m.chunk_id for m in tables] == [chunks[2].chunk_id]
    either = index.filter_mask({"period_year": [2022, 2023], "doc_id": ["a"]})
    assert either is not None and either.tolist() == [True, False, False]
    assert index.filter_mask(None) is None


def test_vocabulary_restores_diacritics_from_the_corpus() -> None:
    chunks = [
        make_chunk("a", 0, "Tỷ lệ giải ngân vốn đầu tư công của thành phố Trà Vinh đạt 6,39%."),
        make_chunk("a", 1, "Giải ngân vốn đầu tư công chậm; tỷ lệ hộ nghèo giảm."),
        make_chunk("a", 2, "Thanh tra thành phố; kiểm tra hồ sơ."),
    ]
    vocabulary = learn_vocabulary(c.text for c in chunks)
    restored = vocabulary.restore("ty le giai ngan von dau tu cong tra vinh thang 2/2023 bao nhieu")
    assert restored.startswith("tỷ lệ giải ngân vốn đầu tư công trà vinh")
    assert "2/2023" in restored
    # "bao nhieu" is not in these reports: the common-phrase list supplies it
    assert restored.endswith("bao nhiêu")
    # a pair seen in the corpus wins over the single syllable's commonest form
    assert vocabulary.restore("thanh tra") == "thanh tra"
    assert vocabulary.restore("Tra Vinh") == "Trà Vinh"
    assert vocabulary.knows("ngan") and not vocabulary.knows("xyz")


def test_a_restored_question_is_cased_as_written() -> None:
    from baocao.lang.restore import written_casing

    places = ["Hải Dương", "thành phố Tây Ninh", "Phường 2"]
    assert written_casing("những hạn chế của hải dương và phường 2, thành phố tây ninh?", places) == (
        "Những hạn chế của Hải Dương và Phường 2, thành phố Tây Ninh?"
    )
    assert written_casing("dân số hải dươngx", places) == "Dân số hải dươngx"  # whole words only


def test_abbreviations_defined_in_the_text_are_learned() -> None:
    learned = learn_abbreviations(
        [
            "Duy trì Trung tâm Văn hóa - Thể thao - Học tập cộng đồng (TTVH-TT-HTCĐ) phường hoạt động hiệu quả.",
            "công tác giải phóng mặt bằng (GPMB) đúng tiến độ",
            "năm 2023 (Báo cáo) không phải viết tắt (ABC)",
        ]
    )
    assert learned["TTVH-TT-HTCĐ"] == "trung tâm văn hóa - thể thao - học tập cộng đồng".replace(" - ", " ")
    assert learned["GPMB"] == "giải phóng mặt bằng"
    assert "ABC" not in learned


def test_matches_are_described_as_phrases() -> None:
    terms = [
        QueryTerm("bigram", "giai_ngan", 1, "giải ngân", 3),
        QueryTerm("bigram", "ngan_von", 1, "ngân vốn", 4),
        QueryTerm("folded", "giai", 1, "giải", 3),
        QueryTerm("folded", "nam", 1, "năm", 0),
        QueryTerm("exact", "2023", 1, "2023", 1),
    ]
    assert describe_matches(terms) == ["giải ngân vốn", "năm", "2023"]


def test_the_bm25_index_keeps_to_the_protocol() -> None:
    index: LexicalIndex = BM25Index.build([make_chunk("a", 0, "giải ngân vốn")], "rev-1")
    assert index.revision == "rev-1" and index.size == 1
    assert index.has_term("folded", "ngan") and not index.has_term("folded", "xyz")


def test_document_context_lets_the_rest_of_the_query_pick_the_passage() -> None:
    # A fire plan names its subject in nearly every chunk; its effective date is in one chunk
    # that does not name it. Another document has the same date wording and nothing else.
    topic = "phòng cháy chữa cháy rừng"
    plan = [
        make_chunk("plan", 0, f"Quy định về {topic} trên địa bàn tỉnh."),
        make_chunk("plan", 1, f"Trách nhiệm {topic} của các sở, ngành về {topic}."),
        make_chunk("plan", 2, f"Lực lượng {topic} chuyên ngành, kinh phí {topic}."),
        make_chunk("plan", 3, "Văn bản này có hiệu lực từ ngày 30 tháng 11 năm 2025."),
        make_chunk("plan", 4, f"Kiểm tra {topic} hằng năm."),
        make_chunk("plan", 5, f"Tuyên truyền {topic} tới người dân."),
    ]
    other = [
        make_chunk("other", 0, "Nghị quyết về học phí có hiệu lực từ ngày ký."),
        make_chunk("other", 1, "Mức học phí năm học 2025-2026."),
        make_chunk("other", 2, "Miễn học phí cho học sinh."),
    ]
    query = folded_query(f"quy định {topic} có hiệu lực từ ngày nào")
    plain = [m.chunk_id for m in BM25Index.build(plan + other, "r1").search(query, 5)]
    assert plain[0] == "other:gen00000:0000"  # chunk-level BM25 alone: the wrong document's date
    context = [m.chunk_id for m in BM25Index.build(plan + other, "r1", doc_weight=0.5, spread_power=0.5).search(query, 5)]
    assert context[0] == "plan:gen00000:0003"
    assert context.index("other:gen00000:0000") > 1
    # a one-chunk document is scored as before: its terms are as specific as they can be inside it
    single = [make_chunk("one", 0, f"{topic} có hiệu lực thi hành")]
    damped = BM25Index.build(single, "r1", spread_power=1.0).search(query, 1)[0].score
    assert damped == BM25Index.build(single, "r1").search(query, 1)[0].score
