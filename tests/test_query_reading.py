"""Reading a question once (vectorstore.query): language, places, years, the answer it asks for;
follow-ups resolved by rule (assistant.conversation). Read against the real sample store."""
from __future__ import annotations

from collections.abc import Callable

import pytest

from assistant.conversation import Turn, resolve_followup
from baocao.lang.detect import detect_language
from baocao.lang.questions import split_parts
from baocao.lang.tokens import match_tokens
from baocao.models import Chunk, DocumentMeta, DocumentRecord
from vectorstore.query import Query, read_query
from vectorstore.retriever import SearchStack
from vectorstore.snapshot import CorpusSnapshot


@pytest.fixture(scope="module")
def read(sample_stack: SearchStack) -> Callable[[str], Query]:
    return sample_stack.retriever().read


@pytest.fixture(scope="module")
def places(read: Callable[[str], Query]) -> Callable[[str], list[str]]:
    return lambda text: read(text).locality_names


def test_language() -> None:
    assert detect_language("Which targets were missed in Hương Trà in 2023?") == "en"
    assert detect_language("In Tây Ninh city, what share of the 2022 plan did industry reach?") == "en"
    assert detect_language("chỉ tiêu nào không đạt") == "vi"
    assert detect_language("hai duong 2023 co bao nhieu don thu giai quyet cham") == "vi-noaccent"


def test_places_years_and_cues(read: Callable[[str], Query]) -> None:
    q = read("Năm 2023 Hương Trà, Hải Dương và Trà Vinh mỗi nơi giao bao nhiêu quân?")
    assert set(q.locality_names) == {"Hương Trà", "Hải Dương", "Trà Vinh"}
    assert q.years == [2023] and q.asks("number") and [m.key for m in q.measures] == ["quan"]

    q = read("tp tra vinh thang 2/2023 tiem vaccine cum gia cam duoc bao nhieu con")
    assert q.locality_names == ["Trà Vinh"] and q.month == 2 and q.years == [2023]
    assert "2" not in q.numbers  # the month is not a figure to find

    q = read("Which targets were missed in Hương Trà in 2023?")
    assert q.lang == "en" and q.status == "missed" and q.wants_list
    assert [t.forms for t in q.terms] == [[("chỉ", "tiêu")], [("không", "đạt")]]  # matched with their marks

    assert read("chỉ tiêu nào đạt?").status == "met"
    assert read("Vì sao việc thực hiện các chương trình MTQG còn chậm?").asks("cause")
    assert read("Những báo cáo, kế hoạch nào nhắc đến lấn chiếm vỉa hè?").asks("docs")
    assert read("Năm tới, thị xã Hương Trà tính cách nào để tăng thu?").asks("next_period")


def test_places_not_in_the_reports_are_noticed(read: Callable[[str], Query]) -> None:
    assert read("Dân số của thành phố Đà Nẵng năm 2023 là bao nhiêu?").unknown_places == ["Đà Nẵng"]
    assert read("Dự toán thu ngân sách của Phường 2, thành phố Tây Ninh?").unknown_places == []


def test_a_province_typed_in_lower_case_without_diacritics_is_noticed(read: Callable[[str], Query]) -> None:
    q = read("ngan sach ha noi nam 2023")
    assert q.unknown_places == ["Hà Nội"]
    assert q.restored == "Ngân sách Hà Nội năm 2023"  # written as its name, not restored syllable by syllable
    assert read("tra vinh thang 2/2023 giai ngan von dau tu cong").unknown_places == []  # a loaded report's place


def test_a_ward_named_with_its_city_is_the_ward(read: Callable[[str], Query]) -> None:
    assert read("Dự toán thu ngân sách của Phường 2, thành phố Tây Ninh?").locality_names == ["Phường 2"]


def test_abbreviation_definitions_and_excluded_terms(read: Callable[[str], Query]) -> None:
    q = read("GPMB là viết tắt của gì, và nhiệm vụ đột phá năm 2023 của TP Hải Dương liên quan đến GPMB là gì?")
    assert [d[0] for d in q.definitions] == ["GPMB"]
    assert q.parts == ["GPMB là viết tắt của gì", "nhiệm vụ đột phá năm 2023 của TP Hải Dương liên quan đến GPMB là gì"]
    q = read("what share of the plan did industry alone (excluding construction) reach?")
    assert [t.forms for t in q.excluded] == [[("xây", "dựng")]]


def test_matching_tokens_fold_spelling_variants() -> None:
    assert match_tokens("tỉ lệ") == match_tokens("tỷ lệ") == ["ti", "le"]
    assert match_tokens("công nghiệp-xây dựng") == match_tokens("công nghiệp – xây dựng")
    assert split_parts("Thu nhập bình quân đầu người của Hương Trà năm 2023 là bao nhiêu?") == []


def test_one_reading_serves_retrieval_and_answering(read: Callable[[str], Query]) -> None:
    q = read("ty le giai ngan von dau tu cong tra vinh thang 2 2023")
    assert q.lang == "vi-noaccent"
    # restored from the corpus for the retriever, cased as written (the dense leg embeds it)
    assert q.restored.startswith("Tỷ lệ giải ngân vốn đầu tư công Trà Vinh")
    assert q.locality_names == ["Trà Vinh"] and q.period.month == 2
    # the answerer reads the restored form as it reads the accented question: the same terms
    # (folded, "dau tu" would be dropped as the stopwords "đâu", "từ"), matched with their marks
    accented = read("Tỷ lệ giải ngân vốn đầu tư công Trà Vinh tháng 2 2023")
    assert q.accents and q.reading == q.restored
    assert [t.forms for t in q.terms] == [t.forms for t in accented.terms]
    assert ("đầu", "tư") in q.bigrams and q.bigrams == accented.bigrams
    assert q.shapes == accented.shapes and q.measures == accented.measures


def test_an_unaccented_question_with_no_corpus_to_restore_from_is_read_folded() -> None:
    q = read_query("ty le giai ngan von dau tu cong", None, None, None)
    assert q.lang == "vi-noaccent" and not q.restored and not q.accents
    assert [t.label for t in q.terms][:3] == ["ti", "le", "giai"]
    q = read_query("hai duong 2023 co bao nhieu don thu giai quyet cham", None, None, None)
    assert [m.key for m in q.measures] == ["don thu"] and q.measures[0].forms == (("don", "thu"),)


def _turn(question: str, localities: list[str], years: list[int], topic: str, lang: str = "vi") -> Turn:
    return Turn(question=question, answer="…", standalone=question, localities=localities, years=years,
                topic=topic, lang=lang)  # type: ignore[arg-type]


def test_follow_up_with_a_new_locality_keeps_topic_and_year(places: Callable[[str], list[str]]) -> None:
    prev = _turn("Tổng thu ngân sách nhà nước của thị xã Hương Trà năm 2023 là bao nhiêu?", ["Hương Trà"], [2023],
                 "Tổng thu ngân sách nhà nước")
    r = resolve_followup("còn Hải Dương thì sao?", [prev], places)
    assert r.question == "Tổng thu ngân sách nhà nước của Hải Dương năm 2023 là bao nhiêu?"
    assert r.localities == ["Hải Dương"] and r.years == [2023] and "topic" in r.carried


def test_follow_up_with_only_a_year_replaces_the_year(places: Callable[[str], list[str]]) -> None:
    prev = _turn("What was Hương Trà's estimated export value in 2023?", ["Hương Trà"], [2023], "export value", "en")
    r = resolve_followup("and in 2024?", [prev], places)
    assert r.question == "What was Hương Trà's estimated export value in 2024?"
    assert r.lang == "en" and r.localities == ["Hương Trà"]


def test_follow_up_with_its_own_topic_keeps_place_and_year(places: Callable[[str], list[str]]) -> None:
    prev = _turn("Which targets were missed in Hương Trà in 2023?", ["Hương Trà"], [2023], "targets missed", "en")
    r = resolve_followup("chỉ tiêu nào đạt?", [prev], places)
    assert "chỉ tiêu nào đạt" in r.question and "Hương Trà" in r.question and "2023" in r.question
    assert r.lang == "vi" and set(r.carried) == {"locality", "period"}


def test_a_follow_up_naming_a_place_with_its_level_carries_the_topic(places: Callable[[str], list[str]]) -> None:
    prev = _turn("Tổng thu ngân sách nhà nước của thị xã Hương Trà năm 2023 là bao nhiêu?", ["Hương Trà"], [2023],
                 "Tổng thu ngân sách nhà nước")
    r = resolve_followup("còn thành phố Hải Dương thì sao?", [prev], places)
    assert "topic" in r.carried and r.localities == ["Hải Dương"]


def test_a_new_full_question_carries_nothing(places: Callable[[str], list[str]]) -> None:
    prev = _turn("Which targets were missed in Hương Trà in 2023?", ["Hương Trà"], [2023], "targets missed", "en")
    question = "Những báo cáo, kế hoạch nào nhắc đến tình trạng lấn chiếm vỉa hè, lòng lề đường?"
    r = resolve_followup(question, [prev], places)
    assert r.question == question and r.carried == [] and r.localities == []


def test_marks_are_kept_when_the_question_has_them(read: Callable[[str], Query]) -> None:
    q = read("Phường 2 đặt những chỉ tiêu môi trường nào cho năm 2024?")
    assert q.accents and ("môi",) in [t.forms[0] for t in q.terms]  # "môi" is not the stopword "mọi"/"mới"
    q = read("hai duong 2023 co bao nhieu don thu giai quyet cham")
    assert q.accents and [m.key for m in q.measures] == ["don thu"] and q.measures[0].forms == (("đơn", "thư"),)  # restored
    q = read("Dân số của thị xã Hương Trà năm 2023 là bao nhiêu người?")
    assert q.measures[0].forms[0] == ("người",) and ("thanh", "niên") in q.measures[0].forms


def _snapshot_of(reports: list[tuple[str, str, str, str, str]]) -> CorpusSnapshot:
    """A corpus snapshot of (doc id, locality, level, parent, text) reports, in memory."""
    records, chunks = [], []
    for doc_id, locality, level, parent, text in reports:
        meta = DocumentMeta(doc_id=doc_id, source=doc_id, locality=locality, locality_level=level, parent_locality=parent)
        records.append(DocumentRecord(meta, "g1", 1, "utf-8", "text", 0.0))
        chunks.append(Chunk(chunk_id=f"{doc_id}:0", doc_id=doc_id, position=0, kind="text", text=text, search_text=text,
                            embed_text=text, meta=meta, generation="g1"))
    return CorpusSnapshot.from_chunks(records, chunks, "r1")


def test_a_place_counts_as_covered_by_a_report_of_it_or_one_of_its_level_or_above_that_names_it() -> None:
    snapshot = _snapshot_of([
        ("d", "Mường Tè", "huyện", "tỉnh Lai Châu",
         "Huyện Mường Tè giáp huyện Sìn Hồ. Xã Tà Tổng trồng sâm Lai Châu dưới tán rừng. "
         "Xã Hòa Bình có 3 bản đạt chuẩn nông thôn mới."),
        ("c", "Tân Lập", "xã", "huyện Đồng Phú", "Xã Tân Lập, huyện Đồng Phú thu ngân sách 9.870 triệu đồng."),
    ])

    def unknown(text: str) -> list[str]:
        return read_query(text, snapshot, None, None).unknown_places

    assert unknown("Xã Tà Tổng trồng được bao nhiêu ha sâm?") == []  # a commune inside the district's report
    assert unknown("Huyện Mường Tè, tỉnh Lai Châu có bao nhiêu hộ nghèo?") == []  # the province qualifies the district
    assert unknown("What is the GRDP per capita of Lai Châu province?") == ["Lai Châu"]  # a district's report is not the province's
    assert unknown("Thu ngân sách huyện Đồng Phú năm 2024?") == ["Đồng Phú"]  # nor a commune's the district's
    assert unknown("Huyện Sìn Hồ có bao nhiêu xã?") == []  # a neighbour a report of its level names (a merger, a road)
    assert unknown("Ngân sách tỉnh Điện Biên năm 2024?") == ["Điện Biên"]  # named nowhere
    # a commune named like a province is that commune, which the district's report names; the
    # province of that name is still no report's
    assert unknown("Xã Hòa Bình có bao nhiêu bản đạt chuẩn nông thôn mới?") == []
    assert unknown("Tỉnh Hòa Bình có bao nhiêu bản đạt chuẩn nông thôn mới?") == ["Hòa Bình"]
    assert unknown("Ngân sách TP Hà Nội năm 2024?") == ["Hà Nội"]  # a central city is the province's peer
    assert unknown("Xã Tân Lập, huyện Đồng Phú thu ngân sách bao nhiêu?") == []
