"""The sample reports in the other formats users have them in, made by the tests.

* PDF (reportlab): each line of the text file set as a paragraph wrapped to the page width, a
  running header and a "Trang N/M" footer on every page, tables as drawn tables;
* DOCX (python-docx): paragraphs with bold runs and heading styles, tables as real Word tables
  with merged cells where the text file leaves a cell empty beside or under a filled one;
* HTML: the report inside a portal page with a site header, a navigation menu, a breadcrumb, a
  sidebar of related links and a footer.

The text files' own conventions are the source: a blank line between paragraphs, ``**bold**``
lines, ``#`` headings, tables as TAB-separated lines.
"""
from __future__ import annotations

import html
import re
from dataclasses import dataclass
from pathlib import Path

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
FONTS_AVAILABLE = (FONT_DIR / "DejaVuSans.ttf").exists() and (FONT_DIR / "DejaVuSans-Bold.ttf").exists()

RUNNING_HEADER = "Cổng thông tin điện tử – bản sao điện tử"


@dataclass
class Line:
    text: str  # markup removed
    bold: bool
    heading: int  # "#" count, 0 for none


@dataclass
class Table:
    rows: list[list[str]]


Block = list[Line] | Table


def _line(raw: str) -> Line:
    raw = raw.strip()
    m = re.match(r"^(#{1,6})\s+(.*)$", raw)
    heading = len(m.group(1)) if m else 0
    body = m.group(2) if m else raw
    bold = bool(re.fullmatch(r"(\*\*|<b>).+(\*\*|</b>)", body.strip()))
    text = re.sub(r"\*\*|</?b>", "", body)
    text = re.sub(r"\\([\\*_#`\[\]()>+\-.!])", r"\1", text)  # markdown escapes, as the text file's readers see them
    text = re.sub(r"(?<![\w*])\*(?=\S)([^*\n]+?)(?<=\S)\*(?![\w*])", r"\1", text)
    return Line(text.strip(), bold, heading)


def blocks(text: str) -> list[Block]:
    """Paragraph blocks (lines) and tables of a sample text file, in order."""
    out: list[Block] = []
    for chunk in re.split(r"\n\s*\n", text):
        lines = [line for line in chunk.split("\n") if line.strip()]
        if not lines:
            continue
        if all("\t" in line for line in lines):
            out.append(Table([[re.sub(r"\*\*|</?b>", "", c).strip() for c in line.split("\t")] for line in lines]))
            continue
        # a bold span over two lines ("**KẾ HOẠCH⏎Khắc phục …**") is bold on each line
        joined = "\n".join(lines)
        if joined.startswith("**") and joined.endswith("**") and joined.count("**") == 2:
            lines = [f"**{line.strip('*')}**" for line in lines]
        out.append([_line(line) for line in lines])
    return out


# --------------------------------------------------------------------------- PDF


def write_pdf(text: str, path: Path) -> None:
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import cm
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer
    from reportlab.platypus import Table as PdfTable

    pdfmetrics.registerFont(TTFont("DejaVuSans", str(FONT_DIR / "DejaVuSans.ttf")))
    pdfmetrics.registerFont(TTFont("DejaVuSans-Bold", str(FONT_DIR / "DejaVuSans-Bold.ttf")))
    from reportlab.lib.fonts import addMapping

    addMapping("DejaVuSans", 0, 0, "DejaVuSans")
    addMapping("DejaVuSans", 1, 0, "DejaVuSans-Bold")
    body = ParagraphStyle("body", fontName="DejaVuSans", fontSize=11, leading=14, spaceAfter=6)
    bold = ParagraphStyle("bold", parent=body, fontName="DejaVuSans-Bold")
    cell = ParagraphStyle("cell", parent=body, fontSize=8, leading=10, spaceAfter=0)

    story = []
    for block in blocks(text):
        if isinstance(block, Table):
            width = max(len(r) for r in block.rows)
            data = [[Paragraph(html.escape(c), cell) for c in row + [""] * (width - len(row))] for row in block.rows]
            story.append(PdfTable(data, colWidths=[(A4[0] - 4 * cm) / width] * width, repeatRows=0))
            story.append(Spacer(1, 8))
            continue
        for line in block:
            story.append(Paragraph(html.escape(line.text), bold if line.bold or line.heading else body))

    def furniture(canvas, doc) -> None:  # type: ignore[no-untyped-def]
        canvas.saveState()
        canvas.setFont("DejaVuSans", 8)
        canvas.drawString(2 * cm, A4[1] - 1.2 * cm, RUNNING_HEADER)
        canvas.drawRightString(A4[0] - 2 * cm, 1.2 * cm, f"Trang {doc.page}")
        canvas.restoreState()

    doc = SimpleDocTemplate(str(path), pagesize=A4, leftMargin=2 * cm, rightMargin=2 * cm, topMargin=2 * cm, bottomMargin=2 * cm)
    doc.build(story, onFirstPage=furniture, onLaterPages=furniture)


# --------------------------------------------------------------------------- DOCX


def write_docx(text: str, path: Path) -> None:
    import docx

    document = docx.Document()
    for block in blocks(text):
        if isinstance(block, Table):
            _docx_table(document, block)
            continue
        for line in block:
            if line.heading:
                document.add_heading(line.text, level=min(line.heading, 6))
                continue
            paragraph = document.add_paragraph()
            run = paragraph.add_run(line.text)
            run.bold = line.bold or None
    document.save(str(path))


def _docx_table(document, table: Table) -> None:  # type: ignore[no-untyped-def]
    """A Word table; a filled cell followed by empty ones in a group row or a header row is merged
    across them, a header cell over an empty cell is merged down."""
    width = max(len(r) for r in table.rows)
    rows = [row + [""] * (width - len(row)) for row in table.rows]
    grid = document.add_table(rows=len(rows), cols=width)
    grid.style = "Table Grid"
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if value:
                grid.cell(r, c).text = value
    merged: set[tuple[int, int]] = set()
    header = 2 if len(rows) > 2 and not rows[1][0] else 1
    for r, row in enumerate(rows):
        filled = [c for c, v in enumerate(row) if v]
        for c in filled:
            end = c
            while end + 1 < width and not row[end + 1] and (r < header or filled == [c]):
                end += 1
            if end > c and not merged & {(r, k) for k in range(c, end + 1)}:
                grid.cell(r, c).merge(grid.cell(r, end))
                merged.update((r, k) for k in range(c, end + 1))
            if r == 0 and header == 2 and not rows[1][c] and (1, c) not in merged:
                grid.cell(0, c).merge(grid.cell(1, c))
                merged.update({(0, c), (1, c)})


# --------------------------------------------------------------------------- HTML


def write_html(text: str, path: Path) -> None:
    parts: list[str] = []
    for block in blocks(text):
        if isinstance(block, Table):
            rows = []
            for row in block.rows:
                rows.append("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>")
            parts.append("<table>\n" + "\n".join(rows) + "\n</table>")
            continue
        if len(block) == 1 and block[0].heading:
            level = block[0].heading
            parts.append(f"<h{level}>{html.escape(block[0].text)}</h{level}>")
            continue
        lines = [f"<strong>{html.escape(line.text)}</strong>" if line.bold else html.escape(line.text) for line in block]
        parts.append("<p>" + "<br>\n".join(lines) + "</p>")
    page = f"""<!DOCTYPE html>
<html lang="vi"><head><meta charset="utf-8"><title>Văn bản – Cổng thông tin điện tử</title>
<style>body {{ font-family: sans-serif }}</style><script>var analytics = 1;</script></head>
<body>
<header class="site-header"><div class="logo">CỔNG THÔNG TIN ĐIỆN TỬ</div>
<nav class="menu"><ul><li><a href="/">Trang chủ</a></li><li><a href="/gioi-thieu">Giới thiệu</a></li>
<li><a href="/tin-tuc">Tin tức – Sự kiện</a></li><li><a href="/van-ban">Văn bản chỉ đạo điều hành</a></li></ul></nav>
</header>
<div class="breadcrumb"><a href="/">Trang chủ</a> » <a href="/van-ban">Văn bản</a> » Chi tiết</div>
<main>
<article class="content">
{chr(10).join(parts)}
</article>
</main>
<aside class="sidebar"><h3>Văn bản liên quan</h3><ul><li><a href="/1">Kế hoạch phát triển năm 2025</a></li>
<li><a href="/2">Báo cáo tình hình kinh tế – xã hội quý III</a></li></ul></aside>
<footer><p>Bản quyền thuộc Ủy ban nhân dân. Địa chỉ: số 1 đường Trung tâm. Điện thoại: 0123 456 789.</p>
<p>Ghi rõ nguồn khi phát hành lại thông tin từ cổng thông tin này.</p></footer>
</body></html>
"""
    path.write_text(page, encoding="utf-8")
