"""read_file on every supported format; fixtures are generated in tmp_path."""
from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest

from ingest.readers import SUPPORTED_EXTENSIONS, RawText, ReadError, read_file

try:  # the legacy-encoding test encoders live next to the encoding tests
    from tests.test_encodings import encode_cp1258, encode_tcvn3
except ImportError:
    from test_encodings import encode_cp1258, encode_tcvn3  # type: ignore[no-redef]

CORPUS = Path(__file__).resolve().parent.parent / "corpus"
SAMPLE = (CORPUS / "001_4f6835b70005be68.txt").read_text(encoding="utf-8")[:1500]
DEJAVU = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")


# --- txt / md -------------------------------------------------------------------------------


@pytest.mark.parametrize("path", sorted(CORPUS.glob("*.txt")), ids=lambda p: p.name)
def test_corpus_files_read_exactly(path: Path) -> None:
    raw = read_file(path)
    expected = path.read_bytes().decode("utf-8")
    assert raw == RawText(text=expected, encoding="utf-8", source_format="txt")
    assert unicodedata.is_normalized("NFC", raw.text)


def test_markdown_and_upper_case_extension(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text(SAMPLE, encoding="utf-8")
    (tmp_path / "B.TXT").write_text(SAMPLE, encoding="utf-8")
    assert read_file(tmp_path / "a.md") == RawText(SAMPLE, "utf-8", "md")
    assert read_file(tmp_path / "B.TXT") == RawText(SAMPLE, "utf-8", "txt")


def test_text_kept_as_is_except_nfc(tmp_path: Path) -> None:
    content = "  Dòng 1\r\n\tCột\tkhác  \r\n\n\nUỷ ban   \n"
    path = tmp_path / "a.txt"
    path.write_bytes(unicodedata.normalize("NFD", content).encode("utf-8"))
    assert read_file(path).text == content


def test_supported_extensions() -> None:
    assert SUPPORTED_EXTENSIONS == frozenset({".txt", ".md", ".docx", ".pdf", ".html", ".htm"})


# --- errors ---------------------------------------------------------------------------------


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ReadError, match="^file not found$"):
        read_file(tmp_path / "nope.txt")


def test_directory(tmp_path: Path) -> None:
    (tmp_path / "dir.txt").mkdir()
    with pytest.raises(ReadError, match="directory"):
        read_file(tmp_path / "dir.txt")


@pytest.mark.parametrize("name", ["table.xlsx", "old.doc", "noext"])
def test_unsupported_type(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(b"data")
    with pytest.raises(ReadError, match="^unsupported file type") as e:
        read_file(path)
    assert (path.suffix or name) in str(e.value)


def test_unsupported_type_message() -> None:
    with pytest.raises(ReadError) as e:
        read_file(CORPUS.parent / "pyproject.toml")
    assert str(e.value) == "unsupported file type '.toml'"


def test_over_size_limit(tmp_path: Path) -> None:
    path = tmp_path / "big.txt"
    path.write_bytes(b"a" * (1024 * 1024 + 512 * 1024))
    with pytest.raises(ReadError) as e:
        read_file(path, max_bytes=1024 * 1024)
    assert str(e.value) == "file is 1.5 MB, over the 1 MB limit"
    assert read_file(path, max_bytes=2 * 1024 * 1024).text == "a" * (1024 * 1024 + 512 * 1024)


@pytest.mark.parametrize("content", [b"", b"   \n\t\r\n  ", "\ufeff".encode("utf-8"), b"\xff\xfe"])
def test_empty_file(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "e.txt"
    path.write_bytes(content)
    with pytest.raises(ReadError, match="^empty file$"):
        read_file(path)


def test_empty_docx_pdf_html_file(tmp_path: Path) -> None:
    for name in ("a.docx", "a.pdf", "a.html"):
        (tmp_path / name).write_bytes(b"")
        with pytest.raises(ReadError, match="^empty file$"):
            read_file(tmp_path / name)


def test_binary_file(tmp_path: Path) -> None:
    path = tmp_path / "x.md"
    path.write_bytes(bytes(range(256)) * 10)
    with pytest.raises(ReadError, match=r"^binary file \(not text\)$"):
        read_file(path)


# --- docx -----------------------------------------------------------------------------------


def _make_docx(path: Path) -> None:
    import docx

    d = docx.Document()
    d.add_heading("Báo cáo tình hình kinh tế - xã hội năm 2023", level=1)
    d.add_paragraph("Hương Trà, ngày 14 tháng 11 năm 2023")
    bold = d.add_paragraph()
    bold.add_run("I. KẾT QUẢ THỰC HIỆN").bold = True
    mixed = d.add_paragraph("Năm 2023, ")
    mixed.add_run("tăng trưởng").bold = True
    mixed.add_run(" đạt 8,8%.")
    d.add_paragraph("")  # empty paragraphs are dropped
    table = d.add_table(rows=3, cols=4)
    header = ["Chỉ tiêu", "ĐVT", "Năm 2023", ""]
    for i, text in enumerate(header):
        table.cell(0, i).text = text
    table.cell(0, 2).merge(table.cell(0, 3))  # "Năm 2023" spans two columns
    table.cell(0, 0).merge(table.cell(1, 0))  # "Chỉ tiêu" spans two rows
    table.cell(1, 2).text = "Kế hoạch"
    table.cell(1, 3).text = "Ước TH cả năm"
    for i, text in enumerate(["Tốc độ tăng trưởng", "%", "14,5-15,5", "8,8"]):
        table.cell(2, i).text = text
    table.cell(2, 3).paragraphs[0].runs[0].bold = True
    d.add_heading("Nhiệm vụ năm 2024", level=2)
    d.add_paragraph("Tiếp tục đẩy mạnh cải cách hành chính.")
    d.save(str(path))


def test_docx_structure_in_body_order(tmp_path: Path) -> None:
    path = tmp_path / "r.docx"
    _make_docx(path)
    raw = read_file(path)
    assert raw.source_format == "docx" and raw.encoding == "utf-8"
    assert raw.text == (
        "# Báo cáo tình hình kinh tế - xã hội năm 2023\n\n"
        "Hương Trà, ngày 14 tháng 11 năm 2023\n\n"
        "**I. KẾT QUẢ THỰC HIỆN**\n\n"
        "Năm 2023, tăng trưởng đạt 8,8%.\n\n"
        "Chỉ tiêu\tĐVT\tNăm 2023\t\n"
        "\t\tKế hoạch\tƯớc TH cả năm\n"
        "Tốc độ tăng trưởng\t%\t14,5-15,5\t**8,8**\n\n"
        "## Nhiệm vụ năm 2024\n\n"
        "Tiếp tục đẩy mạnh cải cách hành chính."
    )


def test_docx_in_tcvn3_font_is_converted(tmp_path: Path) -> None:
    import docx

    d = docx.Document()
    run = d.add_paragraph().add_run("B¸o c¸o t×nh h×nh thùc hiÖn nhiÖm vô n¨m 2023 cña UBND")
    run.font.name = ".VnTime"
    d.add_paragraph("Đoạn Unicode vẫn giữ nguyên.")
    path = tmp_path / "old.docx"
    d.save(str(path))
    raw = read_file(path)
    assert raw.text == (
        "Báo cáo tình hình thực hiện nhiệm vụ năm 2023 của UBND\n\nĐoạn Unicode vẫn giữ nguyên."
    )
    assert raw.encoding == "utf-8+tcvn3"


def test_docx_damaged(tmp_path: Path) -> None:
    path = tmp_path / "bad.docx"
    path.write_bytes(b"PK\x03\x04 this is not really a zip file")
    with pytest.raises(ReadError, match="^unreadable .docx"):
        read_file(path)


def test_docx_without_text(tmp_path: Path) -> None:
    import docx

    path = tmp_path / "blank.docx"
    docx.Document().save(str(path))
    with pytest.raises(ReadError, match="^no text found in the document$"):
        read_file(path)


# --- pdf ------------------------------------------------------------------------------------

PDF_LINES_PAGE1 = ["BÁO CÁO", "Kết quả thực hiện nhiệm vụ năm 2023 của Ủy ban nhân dân"]
PDF_LINES_PAGE2 = ["Trang hai: tăng trưởng đạt 8,8%"]


def _make_pdf(path: Path, pages: list[list[str]]) -> None:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(TTFont("DejaVuSans", str(DEJAVU)))
    c = canvas.Canvas(str(path))
    for lines in pages:
        c.setFont("DejaVuSans", 12)
        y = 800
        for line in lines:
            c.drawString(72, y, line)
            y -= 20
        c.showPage()
    c.save()


needs_dejavu = pytest.mark.skipif(not DEJAVU.exists(), reason="DejaVuSans.ttf (Vietnamese glyphs) not installed")


@needs_dejavu
def test_pdf_text_per_page(tmp_path: Path) -> None:
    path = tmp_path / "r.pdf"
    _make_pdf(path, [PDF_LINES_PAGE1, PDF_LINES_PAGE2])
    raw = read_file(path)
    assert (raw.source_format, raw.encoding) == ("pdf", "unicode")
    assert raw.text == "\n".join(PDF_LINES_PAGE1) + "\n\n" + "\n".join(PDF_LINES_PAGE2)


def _encrypt(src: Path, dst: Path, user_password: str) -> None:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(str(src)))
    # RC4: pypdf can write and read it without the optional 'cryptography' package.
    writer.encrypt(user_password=user_password, owner_password="owner-secret", algorithm="RC4-128")
    with dst.open("wb") as f:
        writer.write(f)


@needs_dejavu
def test_pdf_encrypted_with_password(tmp_path: Path) -> None:
    _make_pdf(tmp_path / "plain.pdf", [PDF_LINES_PAGE1])
    _encrypt(tmp_path / "plain.pdf", tmp_path / "locked.pdf", user_password="secret")
    with pytest.raises(ReadError, match="^PDF is encrypted$"):
        read_file(tmp_path / "locked.pdf")


@needs_dejavu
def test_pdf_encrypted_with_empty_user_password_is_read(tmp_path: Path) -> None:
    _make_pdf(tmp_path / "plain.pdf", [PDF_LINES_PAGE1])
    _encrypt(tmp_path / "plain.pdf", tmp_path / "owner-only.pdf", user_password="")
    assert read_file(tmp_path / "owner-only.pdf").text == "\n".join(PDF_LINES_PAGE1)


def test_pdf_without_text_layer(tmp_path: Path) -> None:
    from reportlab.pdfgen import canvas

    path = tmp_path / "scan.pdf"
    c = canvas.Canvas(str(path))
    c.rect(100, 100, 300, 400, fill=1)  # a drawing, no text
    c.showPage()
    c.showPage()
    c.save()
    with pytest.raises(ReadError) as e:
        read_file(path)
    assert str(e.value) == "PDF has no text layer (scanned?) — run OCR first"


def test_pdf_damaged(tmp_path: Path) -> None:
    path = tmp_path / "bad.pdf"
    path.write_bytes(b"%PDF-1.4\n1 0 obj << /Type /Catalog >> garbage garbage\n")
    with pytest.raises(ReadError, match="^unreadable PDF: "):
        read_file(path)


def test_pdf_in_tcvn3_font_is_converted(tmp_path: Path) -> None:
    from reportlab.pdfgen import canvas

    # A PDF printed from a .VnTime document: its text layer holds the TCVN3 code points.
    path = tmp_path / "old.pdf"
    c = canvas.Canvas(str(path))
    c.drawString(72, 800, encode_tcvn3("Báo cáo tình hình thực hiện nhiệm vụ năm 2023").decode("latin-1"))
    c.save()
    raw = read_file(path)
    assert (raw.text, raw.encoding) == ("Báo cáo tình hình thực hiện nhiệm vụ năm 2023", "unicode+tcvn3")


def test_pdf_ascii_without_dejavu(tmp_path: Path) -> None:
    from reportlab.pdfgen import canvas

    path = tmp_path / "ascii.pdf"
    c = canvas.Canvas(str(path))
    c.drawString(72, 800, "UBND thi xa Huong Tra - Bao cao 2023")
    c.save()
    assert read_file(path).text == "UBND thi xa Huong Tra - Bao cao 2023"


# --- html -----------------------------------------------------------------------------------

HTML = """<!DOCTYPE html>
<html><head><meta charset="{charset}"><title>Không lấy tiêu đề</title>
<style>p {{ color: red; }}</style><script>var x = "không lấy";</script></head>
<body>
<h1>Báo cáo   năm 2023</h1>
<p>Năm 2023, kinh tế <b>tăng trưởng</b> ổn định,
   đời sống người dân được cải thiện.</p>
<div>Dòng một<br>Dòng hai</div>
<h3><strong>I. Kết quả</strong></h3>
<table>
  <thead><tr><th>Chỉ tiêu</th><th>ĐVT</th><th colspan="2">Năm 2023</th></tr></thead>
  <tbody>
    <tr><td><b>A. Về kinh tế</b></td><td></td><td></td><td></td></tr>
    <tr><td>Tốc độ tăng trưởng</td><td>%</td><td>14,5-15,5</td><td>8,8</td></tr>
  </tbody>
</table>
<ul><li>Việc thứ nhất</li><li>Việc thứ hai</li></ul>
<!-- một ghi chú -->
<p>Hết.</p>
</body></html>
"""

HTML_TEXT = (
    "# Báo cáo năm 2023\n\n"
    "Năm 2023, kinh tế **tăng trưởng** ổn định, đời sống người dân được cải thiện.\n\n"
    "Dòng một\nDòng hai\n\n"
    "### I. Kết quả\n\n"
    "Chỉ tiêu\tĐVT\tNăm 2023\t\n"
    "**A. Về kinh tế**\t\t\t\n"
    "Tốc độ tăng trưởng\t%\t14,5-15,5\t8,8\n\n"
    "- Việc thứ nhất\n\n"
    "- Việc thứ hai\n\n"
    "Hết."
)


def test_html_structure(tmp_path: Path) -> None:
    path = tmp_path / "r.html"
    path.write_bytes(HTML.format(charset="utf-8").encode("utf-8"))
    raw = read_file(path)
    assert (raw.text, raw.encoding, raw.source_format) == (HTML_TEXT, "utf-8", "html")


def test_html_declared_windows_1258(tmp_path: Path) -> None:
    path = tmp_path / "r.htm"
    path.write_bytes(encode_cp1258(HTML.format(charset="windows-1258")))
    raw = read_file(path)
    assert (raw.text, raw.encoding) == (HTML_TEXT, "windows-1258")


def test_html_in_tcvn3_declared_latin1(tmp_path: Path) -> None:
    # Old pages set in .VnTime fonts declared a Western charset.
    path = tmp_path / "old.html"
    path.write_bytes(encode_tcvn3(HTML.format(charset="iso-8859-1")))
    raw = read_file(path)
    assert (raw.text, raw.encoding) == (HTML_TEXT, "tcvn3")


def test_html_without_text(tmp_path: Path) -> None:
    path = tmp_path / "blank.html"
    path.write_text("<html><body><script>x()</script></body></html>", encoding="utf-8")
    with pytest.raises(ReadError, match="^no text found in the document$"):
        read_file(path)


def test_html_fragment_without_charset(tmp_path: Path) -> None:
    path = tmp_path / "frag.htm"
    path.write_bytes(
        "<!DOCTYPE html><p>Xin chào<b> các </b>bạn</p><!-- ghi chú --><p>Dòng&nbsp;hai &amp; ba</p>".encode()
    )
    raw = read_file(path)
    assert (raw.text, raw.encoding) == ("Xin chào **các** bạn\n\nDòng hai & ba", "utf-8")
