"""The five samples as PDF, DOCX and HTML (made here, see tests/variants.py) give the chunks the
text files give, within what each format carries.

* DOCX (real tables, merged cells) and HTML (a portal page with its menus, sidebar and footer):
  the same chunks: same kinds, section paths and texts, so the same units and the same table rows.
* PDF (paragraphs wrapped to the page, a running header and "Trang N" on every page): a text
  layer has no markup and no table grid, so: the same words in the same order with the running
  header and page numbers gone, every paragraph of the text file whole on one line of a chunk,
  no sentence cut by a line wrap. (Table cells come out of the text layer one a line, so table
  rows are not recovered from PDFs.)
"""
from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import pytest

from baocao.lang.normalize import collapse_ws
from baocao.models import Chunk, DocumentMeta
from baocao.settings import SAMPLE_CORPUS
from ingest.chunker import chunk_document
from ingest.layout import normalize_layout
from ingest.readers import read_file
from ingest.structure import clean_text
from tests import variants
from tests.test_layout import check_chunks, wrap_cuts

SAMPLES = sorted(p.name for p in SAMPLE_CORPUS.glob("*.txt"))
needs_fonts = pytest.mark.skipif(not variants.FONTS_AVAILABLE, reason="DejaVu fonts not installed (scripts/browser_deps.sh)")


def stub_tokens(text: str) -> int:
    return round(len(text.split()) * 1.4)


def chunks_of(text: str) -> list[Chunk]:
    return chunk_document(text, DocumentMeta(doc_id="d", source="d", short_title="BC"), stub_tokens, max_tokens=350)


@cache
def sample_text(name: str) -> str:
    return (SAMPLE_CORPUS / name).read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("variants")


def _variant(folder: Path, name: str, ext: str) -> str:
    path = folder / f"{Path(name).stem}.{ext}"
    if not path.exists():
        {"pdf": variants.write_pdf, "docx": variants.write_docx, "html": variants.write_html}[ext](sample_text(name), path)
    raw = read_file(path)
    assert raw.source_format == ext
    return raw.text


def _shape(chunks: list[Chunk]) -> list[tuple[str, list[str], str]]:
    return [(c.kind, c.section_path, c.text) for c in chunks]


@pytest.mark.parametrize("ext", ["docx", "html"])
@pytest.mark.parametrize("name", SAMPLES)
def test_docx_and_html_give_the_text_files_chunks(made: Path, name: str, ext: str) -> None:
    text = _variant(made, name, ext)
    assert "Trang chủ" not in text and "Bản quyền" not in text and "Văn bản liên quan" not in text  # portal chrome
    chunks = chunks_of(text)
    check_chunks(text, chunks)
    assert _shape(chunks) == _shape(chunks_of(sample_text(name)))


def test_docx_tables_are_word_tables_with_merged_cells(made: Path) -> None:
    import docx

    name = next(n for n in SAMPLES if "\t" in sample_text(n))
    _variant(made, name, "docx")
    table = docx.Document(str(made / f"{Path(name).stem}.docx")).tables[0]
    spans = [tc.grid_span for tr in table._tbl.tr_lst for tc in tr.tc_lst]
    merged_down = [tc.vMerge for tr in table._tbl.tr_lst for tc in tr.tc_lst if tc.vMerge]
    assert max(spans) > 1 and merged_down  # cells merged across and down
    rows = [c.text.split("\n") for c in chunks_of(_variant(made, name, "docx")) if c.kind == "table"]
    assert rows and all("\t" in line for piece in rows for line in piece)


def _visible(text: str) -> str:
    return re.sub(r"[\s*#]", "", clean_text(text))


@needs_fonts
@pytest.mark.parametrize("name", SAMPLES)
def test_pdf_gives_the_text_without_page_furniture(made: Path, name: str) -> None:
    text = _variant(made, name, "pdf")
    assert variants.RUNNING_HEADER in text and "Trang 1" in text  # the text layer has them ...
    layout = normalize_layout(text)
    chunks = chunks_of(text)
    check_chunks(text, chunks)
    joined = "\n".join(c.text for c in chunks)
    assert variants.RUNNING_HEADER not in joined and not re.search(r"(?m)^Trang \d+$", joined)  # ... the chunks not
    assert _visible(layout.text) == _visible(sample_text(name))  # same words, same order, nothing lost
    assert [cut for c in chunks for cut in wrap_cuts(c.text)] == []


@needs_fonts
@pytest.mark.parametrize("name", SAMPLES)
def test_pdf_paragraphs_are_whole(made: Path, name: str) -> None:
    """Every line of the text file's chunks (a heading, a paragraph, a list item) stands whole on one
    line of the PDF's chunks: wrapped lines and page breaks are joined. Table rows are left out, and a
    PDF line may hold two paragraphs where the text layer cannot tell them apart."""
    lines = [collapse_ws(line) for c in chunks_of(_variant(made, name, "pdf")) for line in c.text.split("\n")]
    expected = [
        collapse_ws(line) for c in chunks_of(sample_text(name)) if c.kind != "table" for line in c.text.split("\n")
    ]
    missing = [line[:80] for line in expected if "\t" not in line and not any(line in candidate for candidate in lines)]
    assert missing == []
