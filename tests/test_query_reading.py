"""Reading a question: language, places, years, what kind of answer it wants; follow-ups by rule."""
from __future__ import annotations

from assistant.conversation import Turn, resolve_followup
from assistant.question import analyse, detect_language, match_tokens, split_parts

PLACES = ["Tây Ninh", "Hương Trà", "Hải Dương", "Trà Vinh", "Phường 2"]


def test_language() -> None:
    assert detect_language("Which targets were missed in Hương Trà in 2023?") == "en"
    assert detect_language("In Tây Ninh city, what share of the 2022 plan did industry reach?") == "en"
    assert detect_language("chỉ tiêu nào không đạt") == "vi"
    assert detect_language("hai duong 2023 co bao nhieu don thu giai quyet cham") == "vi"


def test_places_years_and_cues() -> None:
    q = analyse("Năm 2023 Hương Trà, Hải Dương và Trà Vinh mỗi nơi giao bao nhiêu quân?", PLACES)
    assert q.localities == ["Hương Trà", "Hải Dương", "Trà Vinh"] or set(q.localities) == {"Hương Trà", "Hải Dương", "Trà Vinh"}
    assert q.years == {2023} and q.wants_number and q.measures == ["quan"]

    q = analyse("tp tra vinh thang 2/2023 tiem vaccine cum gia cam duoc bao nhieu con", PLACES)
    assert q.localities == ["Trà Vinh"] and q.month == 2 and q.years == {2023}
    assert "2" not in q.numbers  # the month is not a figure to find

    q = analyse("Which targets were missed in Hương Trà in 2023?", PLACES)
    assert q.lang == "en" and q.status == "missed" and q.wants_list
    assert [t.forms for t in q.terms] == [[("chỉ", "tiêu")], [("không", "đạt")]]  # matched with their marks

    assert analyse("chỉ tiêu nào đạt?", PLACES).status == "met"
    assert analyse("Vì sao việc thực hiện các chương trình MTQG còn chậm?", PLACES).wants_cause
    assert analyse("Những báo cáo, kế hoạch nào nhắc đến lấn chiếm vỉa hè?", PLACES).wants_docs
    assert analyse("Năm tới, thị xã Hương Trà tính cách nào để tăng thu?", PLACES).next_period


def test_places_not_in_the_reports_are_noticed() -> None:
    assert analyse("Dân số của thành phố Đà Nẵng năm 2023 là bao nhiêu?", PLACES).unknown_places == ["Đà Nẵng"]
    assert analyse("Dự toán thu ngân sách của Phường 2, thành phố Tây Ninh?", PLACES).unknown_places == []


def test_abbreviation_definitions_and_excluded_terms() -> None:
    q = analyse("GPMB là viết tắt của gì, và nhiệm vụ đột phá năm 2023 của TP Hải Dương liên quan đến GPMB là gì?", PLACES)
    assert [d[0] for d in q.definitions] == ["GPMB"]
    assert q.parts == ["GPMB là viết tắt của gì", "nhiệm vụ đột phá năm 2023 của TP Hải Dương liên quan đến GPMB là gì"]
    q = analyse("what share of the plan did industry alone (excluding construction) reach?", PLACES)
    assert [t.forms for t in q.excluded] == [[("xây", "dựng")]]


def test_matching_tokens_fold_spelling_variants() -> None:
    assert match_tokens("tỉ lệ") == match_tokens("tỷ lệ") == ["ti", "le"]
    assert match_tokens("công nghiệp-xây dựng") == match_tokens("công nghiệp – xây dựng")
    assert split_parts("Thu nhập bình quân đầu người của Hương Trà năm 2023 là bao nhiêu?") == []


def _turn(question: str, localities: list[str], years: list[int], topic: str, lang: str = "vi") -> Turn:
    return Turn(question=question, answer="…", standalone=question, localities=localities, years=years,
                topic=topic, lang=lang)  # type: ignore[arg-type]


def test_follow_up_with_a_new_locality_keeps_topic_and_year() -> None:
    prev = _turn("Tổng thu ngân sách nhà nước của thị xã Hương Trà năm 2023 là bao nhiêu?", ["Hương Trà"], [2023],
                 "Tổng thu ngân sách nhà nước")
    r = resolve_followup("còn Hải Dương thì sao?", [prev], PLACES)
    assert r.question == "Tổng thu ngân sách nhà nước của Hải Dương năm 2023 là bao nhiêu?"
    assert r.localities == ["Hải Dương"] and r.years == [2023] and "topic" in r.carried


def test_follow_up_with_only_a_year_replaces_the_year() -> None:
    prev = _turn("What was Hương Trà's estimated export value in 2023?", ["Hương Trà"], [2023], "export value", "en")
    r = resolve_followup("and in 2024?", [prev], PLACES)
    assert r.question == "What was Hương Trà's estimated export value in 2024?"
    assert r.lang == "en" and r.localities == ["Hương Trà"]


def test_follow_up_with_its_own_topic_keeps_place_and_year() -> None:
    prev = _turn("Which targets were missed in Hương Trà in 2023?", ["Hương Trà"], [2023], "targets missed", "en")
    r = resolve_followup("chỉ tiêu nào đạt?", [prev], PLACES)
    assert "chỉ tiêu nào đạt" in r.question and "Hương Trà" in r.question and "2023" in r.question
    assert r.lang == "vi" and set(r.carried) == {"locality", "period"}


def test_a_new_full_question_carries_nothing() -> None:
    prev = _turn("Which targets were missed in Hương Trà in 2023?", ["Hương Trà"], [2023], "targets missed", "en")
    question = "Những báo cáo, kế hoạch nào nhắc đến tình trạng lấn chiếm vỉa hè, lòng lề đường?"
    r = resolve_followup(question, [prev], PLACES)
    assert r.question == question and r.carried == [] and r.localities == []


def test_marks_are_kept_when_the_question_has_them() -> None:
    q = analyse("Phường 2 đặt những chỉ tiêu môi trường nào cho năm 2024?", PLACES)
    assert q.accents and ("môi",) in [t.forms[0] for t in q.terms]  # "môi" is not the stopword "mọi"/"mới"
    q = analyse("hai duong 2023 co bao nhieu don thu giai quyet cham", PLACES)
    assert not q.accents and q.measures == ["don thu"] and q.measure_forms == [[("don", "thu")]]
    q = analyse("Dân số của thị xã Hương Trà năm 2023 là bao nhiêu người?", PLACES)
    assert q.measure_forms[0][0] == ("người",) and ("thanh", "niên") in q.measure_forms[0]
