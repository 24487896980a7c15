"""Parse a report's plain text into structural blocks.

A block is one unit of the original text: the title block at the top ("preamble"), a
heading, a paragraph, a list item, a table, a footnote text, or a piece of the closing
block ("Nơi nhận:", signature). Blocks carry character offsets into the original text,
so everything built from them can be highlighted in the source document.

Reports are converted from Word/PDF and are messy: headings are marked by numbering
("I.", "1.", "1.1.", "a)"), by markdown "#" or by bold; tables are tab-separated lines
whose header row may repeat after a page break; footnote texts sit in the middle of the
body (at the bottom of each page) and can split a paragraph, or themselves be split, in
two. A piece of text that continues a paragraph interrupted by a page break is returned
as its own block with ``continues`` set to the index of the block it continues.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from baocao.lang.doctypes import doc_types
from baocao.lang.normalize import collapse_ws, strip_markup
from baocao.lang.numbering import ROMAN_NUMBER as _ROMAN
from baocao.lang.numbering import Numbering as _Numbering
from baocao.lang.numbering import numbering as _numbering
from baocao.lang.numbering import rank
from baocao.lang.sentences import has_sentence_break

BlockKind = Literal["heading", "paragraph", "list_item", "table", "footnote", "closing", "preamble"]

SUPERSCRIPT_DIGITS = "⁰¹²³⁴⁵⁶⁷⁸⁹"
_SUPERSCRIPT_TO_DIGIT = str.maketrans(SUPERSCRIPT_DIGITS, "0123456789")
MAX_HEADING_CHARS = 120


@dataclass
class Block:
    """One structural unit of the original text: ``text[start:end]`` is the block."""

    kind: BlockKind
    start: int
    end: int
    level: int = 0  # headings: depth in the heading hierarchy (1 = top level: "I.", "#")
    heading: str = ""  # headings: the heading text cleaned (no markup, no trailing ":")
    rows: list[tuple[int, int]] = field(default_factory=list)  # tables: span of each row
    header_rows: int = 0  # tables: how many leading rows are the header
    repeated_header: list[int] = field(default_factory=list)  # tables: rows repeating the header
    marker: str = ""  # footnotes: "1", "2"…; paragraphs/list items: cited markers, comma-joined
    cites: list[tuple[str, int]] = field(default_factory=list)  # (marker, offset) cited inside
    path: list[str] = field(default_factory=list)  # section path in force (headings: incl. itself)
    continues: int = -1  # index of the block this one continues after a page break, else -1


def clean_text(raw: str) -> str:
    """Display form of original text: markup stripped, markdown escapes removed; tabs/newlines kept."""
    return re.sub(r"\\([\\*_#`\[\]()>+\-.!])", r"\1", strip_markup(raw))


def heading_text(raw: str) -> str:
    """Heading as shown in a section path: cleaned, no bullet or trailing colon, at most ~120 chars."""
    text = collapse_ws(clean_text(raw)).lstrip("*-+• ").rstrip(" :.")
    if len(text) > MAX_HEADING_CHARS:
        text = text[: MAX_HEADING_CHARS - 1].rsplit(" ", 1)[0] + "…"
    return text


# --------------------------------------------------------------------------- lines


@dataclass
class _Line:
    line_start: int  # offset of the line's first character
    line_end: int  # offset after the line's last character (newline excluded)
    start: int  # first non-whitespace character
    end: int  # after the last non-whitespace character
    raw: str  # text[start:end]
    clean: str  # collapse_ws(clean_text(raw))
    unit: int  # index of the blank-line-separated run of lines it belongs to
    has_tab: bool  # a tab after the first character: a table row (trailing tabs = empty cells)
    full: str  # the whole line (leading/trailing tabs are empty table cells)


def _split_lines(text: str) -> list[_Line]:
    lines: list[_Line] = []
    unit = 0
    previous_blank = True
    offset = 0
    for piece in text.split("\n"):
        line_start, line_end = offset, offset + len(piece)
        offset = line_end + 1
        stripped = piece.strip()
        if not stripped:
            if not previous_blank:
                unit += 1
            previous_blank = True
            continue
        previous_blank = False
        lead = len(piece) - len(piece.lstrip())
        start = line_start + lead
        end = start + len(stripped)
        has_tab = "\t" in piece[lead:]
        clean = collapse_ws(clean_text(stripped))
        lines.append(_Line(line_start, line_end, start, end, stripped, clean, unit, has_tab, piece.rstrip("\r")))
    return lines


# --------------------------------------------------------------------------- patterns

_DOC_TYPES = re.compile(
    r"^(" + "|".join(re.escape(t.name.upper()) for t in doc_types()) + r"|DỰ THẢO)\b"
)
_NUMBER_LINE = re.compile(r"^Số\s*:", re.IGNORECASE)
_DATE_LINE = re.compile(r"\bngày\b.*\btháng\b.*\bnăm\b", re.IGNORECASE)
_MOTTO = re.compile(r"^(CỘNG HÒA|CỘNG HOÀ|Độc lập\s*[-–]\s*Tự do)", re.IGNORECASE)
_CLOSING_START = re.compile(
    r"^(Nơi nhận\b"
    r"|(TM|T/M|KT|TL|TUQ|Q)\.?\s*(ỦY BAN|UỶ BAN|UBND|CHỦ TỊCH|HĐND|HỘI ĐỒNG|GIÁM ĐỐC|TRƯỞNG)"
    r"|(PHÓ )?CHỦ TỊCH$)"
)
_APPENDIX = re.compile(r"^(PHỤ LỤC|Phụ lục|BIỂU|Biểu)\b")
# A title that starts a new part of the document: a document type alone on its line (the
# "KẾ HOẠCH" a Quyết định issues, bundled after its signature) or an annex label ("PHỤ LỤC 01",
# "Mẫu biểu số 03"); the capitals lines after it are its title.
_PART_TITLE = re.compile(
    r"^(?:(?:KẾ HOẠCH|QUY ĐỊNH|QUY CHẾ|QUYẾT ĐỊNH|CHƯƠNG TRÌNH|ĐỀ ÁN|PHƯƠNG ÁN|HƯỚNG DẪN|DANH MỤC|DANH SÁCH|"
    r"ĐIỀU LỆ)$|(?:PHỤ LỤC|Phụ lục|MẪU BIỂU|Mẫu biểu)(?P<number>\s+(?:số\s*)?[\dIVXLC]+[a-z]?)?\b)"
)
_BULLET = re.compile(r"^(?:[-+•–]|\*(?=\s))\s*")
_NUMBER_PREFIX = re.compile(r"^(?:[IVX]{1,5}\s*[.\-–)]|\d{1,2}(?:\.\d{1,2})*[.)]?|[a-zđ]\))\s*")
_SUPERSCRIPT_RUN = f"[{SUPERSCRIPT_DIGITS}]+"
_FOOTNOTE_SUP = re.compile(rf"^(?:({_SUPERSCRIPT_RUN})|<sup>(\d{{1,3}})</sup>)\s*(?=\S)")
_FOOTNOTE_PAREN = re.compile(r"^\((\d{1,2})\)\s*(?=\S)")
_CITE_SUP = re.compile(rf"(?<=\S)(?:({_SUPERSCRIPT_RUN})|<sup>(\d{{1,3}})</sup>)")
_CITE_PAREN = re.compile(r"(?<=[^\s(])\s?\((\d{1,2})\)")
_UNIT_BEFORE = re.compile(r"(?:^|[\s\d,.])[kcdmµ]?m$")  # "m²", "km²", "21.846,6m²" are units
_BOLD_OPEN = re.compile(r"^(?:#{1,6}\s*)?(\*\*\*?|<b>)")
_TERMINATORS = ".!?…:;"


def _has_sentence_break(title: str) -> bool:
    """A full stop followed by another sentence (numbering excluded): a numbered line with one is prose."""
    body = _NUMBER_PREFIX.sub("", title, count=1)
    return has_sentence_break(body)


def _family(numbering: _Numbering) -> str:
    return "md" if numbering.style.startswith("md") else "numbered"


def _outranks(open_heading: _Numbering, new: _Numbering) -> bool:
    """An open heading that the new one closes: same family, conventionally as deep or deeper
    (a "1.1." is closed by a "2." even when no "1." was seen)."""
    return (
        rank(new) > 0
        and rank(open_heading) > 0
        and _family(open_heading) == _family(new)
        and rank(open_heading) >= rank(new)
    )


def _bold_only(raw: str) -> bool:
    """The whole line is bold (``**…**`` / ``<b>…</b>``), possibly after markdown hashes."""
    body = re.sub(r"^#{1,6}\s*", "", raw).strip()
    for opener, closer in (("***", "***"), ("**", "**"), ("<b>", "</b>")):
        if body.startswith(opener) and body.endswith(closer) and len(body) > len(opener) + len(closer):
            inner = body[len(opener) : len(body) - len(closer)]
            return "**" not in inner and "</b>" not in inner.lower()
    return False


def _bold_lead_end(raw: str) -> int:
    """Length of a leading bold segment followed by more text on the line, else 0."""
    m = _BOLD_OPEN.match(raw)
    if not m:
        return 0
    closer = "</b>" if m.group(1) == "<b>" else "**"
    close = raw.find(closer, m.end())
    if close < 0:
        return 0
    end = close + len(closer)
    while end < len(raw) and raw[end] == "*":
        end += 1
    return end if raw[end:].strip() else 0


def _looks_like_heading(clean: str) -> bool:
    """A numbered line without markup is a heading when it reads like a title, not prose."""
    if len(clean) > 220 or _has_sentence_break(clean) or clean.endswith(";"):
        return False  # "a) Là chỉ huy hoặc sỹ quan;": an item of a list, never a title
    return not (clean.endswith(".") and len(clean) > 80)


def _label_end(raw: str) -> int:
    """End of a "1. Label: body" label (after the colon) when the label reads like a title, else 0."""
    m = re.search(r":(?:\*{1,3}|</b>)?(?=\s+\S)", raw)
    if not m:
        return 0
    label = collapse_ws(clean_text(raw[: m.end()]))
    if len(label) > MAX_HEADING_CHARS or ";" in label or _has_sentence_break(label):
        return 0
    return m.end()


# --------------------------------------------------------------------------- regions


def _find_preamble(lines: list[_Line]) -> int:
    """Number of leading lines that form the title block (Số:, date, BÁO CÁO + subject)."""
    units: list[list[int]] = []
    for i, line in enumerate(lines):
        if units and lines[units[-1][0]].unit == line.unit:
            units[-1].append(i)
        else:
            units.append([i])
    consumed = 0
    seen_type = False
    subject_units = 0
    for unit in units[:12]:
        clean = collapse_ws(" ".join(lines[i].clean for i in unit))
        first = lines[unit[0]].clean
        if not clean or _numbering(first) or _BULLET.match(first) or lines[unit[0]].has_tab:
            break
        if not seen_type:
            if _DOC_TYPES.match(first):
                seen_type = first != "DỰ THẢO" or len(unit) > 1
            elif not (
                _NUMBER_LINE.match(first)
                or (_DATE_LINE.search(first) and len(first) <= 150)
                or _MOTTO.match(first)
                or _authority_line(lines[unit[0]].raw, clean)
            ):
                break
        elif clean.startswith("(") or clean.lower().startswith("v/v"):
            pass
        elif subject_units < 2 and len(clean) <= 250 and not clean.endswith((".", ";", ":")):
            subject_units += 1
        else:
            break
        consumed = unit[-1] + 1
    return consumed


def _authority_line(raw: str, clean: str) -> bool:
    """An upper-case header line such as "ỦY BAN NHÂN DÂN / PHƯỜNG 2" (not a "#" heading)."""
    letters = [c for c in clean if c.isalpha()]
    return (
        not raw.startswith("#")
        and len(clean) <= 120
        and len(clean.split()) >= 2
        and len(letters) >= 6
        and not any(c.islower() for c in letters)
    )


def _closing_lines(lines: list[_Line], first: int) -> set[int]:
    """Lines of closing blocks: from "Nơi nhận:" / "TM. ỦY BAN…" on, until an appendix
    ("PHỤ LỤC") or a top-level numbered heading starts more content."""
    closing: set[int] = set()
    inside = False
    for i in range(first, len(lines)):
        clean = lines[i].clean
        unit_start = i == 0 or lines[i - 1].unit != lines[i].unit
        if unit_start and len(clean) <= 80 and _CLOSING_START.match(clean):
            inside = True
        elif unit_start and inside and (_APPENDIX.match(clean) or _ROMAN.match(clean) or _is_part_title(clean)):
            inside = False
        if inside:
            closing.add(i)
    return closing


def _is_table_line(line: _Line) -> bool:
    return line.has_tab


def _row_text(line: _Line) -> str:
    return line.full


def _cells(row: str) -> list[str]:
    cells = [collapse_ws(clean_text(c)) for c in row.split("\t")]
    while cells and not cells[-1]:
        cells.pop()
    return cells


def _is_numeric(cell: str) -> bool:
    return bool(re.search(r"\d", cell)) and bool(re.fullmatch(r"[\d.,%/<>≥≤~\-–+()\s]+", cell))


_HEADER_WORD = re.compile(r"^(S?TT|Chỉ tiêu|Đơn vị|ĐVT|Kế hoạch|Nội dung|Ghi chú|Số lượng|Thực hiện|So sánh)\b")


_COLUMN_NUMBER = re.compile(r"\(?[\dA-Za-zổ]{1,2}\)?(?:\s*=\s*.*)?")
_ROW_INDEX = re.compile(r"(?:\d{1,3}(?:\.\d{1,3})*\.?|[IVXLC]{1,6}\.?|[a-zđ][.)]?)")


def _column_numbers(cells: list[str]) -> bool:
    """A row numbering the columns: "(1) (2) … (6)", "1 2 3 …" (an OCR'd "(ổ)" included)."""
    filled = [c for c in cells if c]
    if len(filled) < 3 or not all(_COLUMN_NUMBER.fullmatch(c) for c in filled) or filled[0].strip("()") not in ("1", "A", "a"):
        return False
    digits = [int(c.strip("()")) for c in filled if c.strip("()").isdigit()]
    return len(digits) >= len(filled) - 1 and digits == list(range(digits[0], digits[0] + len(digits)))


def _header_row_count(rows: list[str]) -> int:
    numbers = next((i for i, row in enumerate(rows[1:4], 1) if _column_numbers(_cells(row))), 0)
    if numbers:
        return numbers + 1  # everything above the column-number row is header, and the row itself
    count = 0
    for i, row in enumerate(rows[:3]):
        cells = _cells(row)
        filled = [c for c in cells if c]
        if sum(_is_numeric(c) for c in filled) >= 2:
            break
        if i and filled and _ROW_INDEX.fullmatch(filled[0]) and cells[0]:
            break  # "I | CÂY CÔNG NGHIỆP": a group row, bold as it may be
        raw_cells = [c.strip() for c in row.split("\t") if c.strip()]
        all_bold = len(raw_cells) >= 2 and all(
            c.startswith(("<b>", "**")) and c.endswith(("</b>", "**")) for c in raw_cells
        )
        keyword = any(len(c) <= 30 and _HEADER_WORD.match(c) for c in filled)
        if i == 0 or keyword or all_bold:
            count += 1
        else:
            break
    return count


def _table_runs(lines: list[_Line], first: int) -> list[list[int]]:
    """Runs of consecutive tab lines; runs separated only by blank lines are merged when the
    second starts with the first's header row (page break) or with data rows."""
    runs: list[list[int]] = []
    i = first
    while i < len(lines):
        if not _is_table_line(lines[i]):
            i += 1
            continue
        run = [i]
        while i + 1 < len(lines) and _is_table_line(lines[i + 1]):
            i += 1
            run.append(i)
        i += 1
        if runs and runs[-1][-1] == run[0] - 1:
            previous_rows = [_row_text(lines[j]) for j in runs[-1]]
            head = _cells(previous_rows[0])
            first_cells = _cells(_row_text(lines[run[0]]))
            if first_cells == head or sum(_is_numeric(c) for c in first_cells) >= 2:
                runs[-1].extend(run)
                continue
        runs.append(run)
    # a "table" needs at least one row with two filled cells
    return [r for r in runs if any(sum(1 for c in _cells(_row_text(lines[j])) if c) >= 2 for j in r)]


def _table_block(text: str, lines: list[_Line], run: list[int]) -> Block:
    rows = [(lines[j].line_start, lines[j].line_end) for j in run]
    rows = [(s, e - 1) if text[e - 1 : e] == "\r" else (s, e) for s, e in rows]
    row_texts = [_row_text(lines[j]) for j in run]
    header = _header_row_count(row_texts)
    header_cells = [_cells(r) for r in row_texts[:header]]
    repeated: list[int] = []
    i = header
    while i < len(row_texts):
        if header and _cells(row_texts[i]) == header_cells[0]:
            k = 0
            while k < header and i + k < len(row_texts) and _cells(row_texts[i + k]) == header_cells[k]:
                repeated.append(i + k)
                k += 1
            i += k
        else:
            i += 1
    return Block("table", rows[0][0], rows[-1][1], rows=rows, header_rows=header, repeated_header=repeated)


# --------------------------------------------------------------------------- body lines


@dataclass
class _Proto:
    """A block under construction, with what classification learnt about it."""

    block: Block
    first_line: int
    last_line: int
    numbering: _Numbering | None = None
    demotable: bool = False  # numbered line without markup taken as a heading
    head_of_unit: bool = False  # its first line starts a blank-line-separated unit


def _body_line_protos(line: _Line, index: int) -> list[_Proto]:
    """Classify one body line; a "label: body" or bold lead-in line gives a heading and a paragraph."""
    raw, clean = line.raw, line.clean

    def proto(kind: BlockKind, start: int, end: int, **extra: object) -> _Proto:
        return _Proto(Block(kind, start, end), index, index, **extra)  # type: ignore[arg-type]

    if re.match(r"^#{1,6}\s", raw):
        hashes = len(raw) - len(raw.lstrip("#"))
        md_numbering = _numbering(clean.lstrip("*-+• ")) or _Numbering(f"md{hashes}", 0)
        return [proto("heading", line.start, line.end, numbering=md_numbering)]
    if _BULLET.match(clean):
        return [proto("list_item", line.start, line.end)]
    if _bold_only(raw) and len(clean) <= 200:
        return [proto("heading", line.start, line.end, numbering=_numbering(clean) or _Numbering("bold", 0))]
    numbering = _numbering(clean)
    if numbering is None:
        return [proto("paragraph", line.start, line.end)]
    split = _bold_lead_end(raw) or _label_end(raw)
    if split:
        body_start = line.start + split + (len(raw[split:]) - len(raw[split:].lstrip()))
        return [
            proto("heading", line.start, line.start + split, numbering=numbering),
            proto("paragraph", body_start, line.end),
        ]
    if _looks_like_heading(clean):
        return [proto("heading", line.start, line.end, numbering=numbering, demotable=True)]
    return [proto("list_item", line.start, line.end)]


def _is_part_title(clean: str, raw: str = "") -> bool:
    """"KẾ HOẠCH" alone, "PHỤ LỤC 01" alone or with its title in capitals (any title when the label is bold)."""
    m = _PART_TITLE.match(clean.rstrip(":").strip())
    if m is None or len(clean) > 500 or _has_sentence_break(clean):
        return False
    rest = [c for c in clean[m.end() :] if c.isalpha()]
    return not rest or not any(c.islower() for c in rest) or raw.startswith(("**", "#", "<b>"))


def _titled_label(clean: str) -> bool:
    """"PHỤ LỤC 01", "PHỤ LỤC II DANH MỤC …": a label with a number or a title of its own."""
    m = _PART_TITLE.match(clean.rstrip(":").strip())
    return m is not None and (bool(m.group("number")) or bool(clean[m.end() :].strip(" :.")))


def _title_continues(line: _Line) -> bool:
    """A line of a part title's subject: capitals, short, not numbered, not a table row."""
    clean = line.clean
    letters = [c for c in clean if c.isalpha()]
    return (
        not line.has_tab
        and len(clean) <= 500
        and len(letters) >= 4
        and not any(c.islower() for c in letters)
        and _numbering(clean) is None
        and not _CLOSING_START.match(clean)
    )


def _title_lines(lines: list[_Line], start: int, tables: dict[int, list[int]]) -> list[int]:
    """The capitals lines after a part title that are its title; an annex form's own header
    ("TÊN CƠ QUAN, TỔ CHỨC" over "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM") is not."""
    run: list[int] = []
    j = start
    while j < len(lines) and j not in tables and _title_continues(lines[j]) and not _MOTTO.match(lines[j].clean):
        run.append(j)
        j += 1
    if run and j < len(lines) and _MOTTO.match(lines[j].clean):
        last_unit = lines[run[-1]].unit
        run = [k for k in run if lines[k].unit != last_unit]
    return run


def _starts_continuation(clean: str) -> bool:
    """Text that can only be the rest of an interrupted sentence: starts lower-case or with a number."""
    if not clean:
        return False
    first = clean[0]
    if first.isalpha():
        return first.islower()
    return first.isdigit() and _numbering(clean) is None


def _terminated(text: str) -> bool:
    stripped = collapse_ws(clean_text(text)).rstrip("*”\"’ ")
    return not stripped or stripped[-1] in _TERMINATORS


# --------------------------------------------------------------------------- main


def parse_blocks(text: str) -> list[Block]:
    """Split a report into structural blocks in document order (see module docstring)."""
    lines = _split_lines(text)
    if not lines:
        return []
    protos: list[_Proto] = []
    preamble_end = _find_preamble(lines)
    if preamble_end:
        protos.append(_Proto(Block("preamble", lines[0].start, lines[preamble_end - 1].end), 0, preamble_end - 1))
    closing = _closing_lines(lines, preamble_end)
    table_of_line: dict[int, list[int]] = {run[0]: run for run in _table_runs(lines, preamble_end)}
    in_table = {j for run in table_of_line.values() for j in run}
    paren_cited = _paren_citations(text)

    i = preamble_end
    while i < len(lines):
        line = lines[i]
        if i in table_of_line:
            run = table_of_line[i]
            protos.append(_Proto(_table_block(text, lines, run), run[0], run[-1]))
            i = run[-1] + 1
            continue
        new_unit = i == 0 or lines[i - 1].unit != line.unit or (i - 1) in in_table
        marker = _footnote_marker(line, paren_cited)
        if marker:
            p = _Proto(Block("footnote", line.start, line.end, marker=marker), i, i)
            p.head_of_unit = new_unit
            protos.append(p)
        elif i in closing:
            previous = protos[-1] if protos else None
            if previous and previous.block.kind == "closing" and not new_unit:
                _extend(previous, line, i)
            else:
                p = _Proto(Block("closing", line.start, line.end), i, i)
                p.head_of_unit = new_unit
                protos.append(p)
        elif new_unit and _is_part_title(line.clean, line.raw) and (
            _titled_label(line.clean) or bool(_title_lines(lines, i + 1, table_of_line))
        ):
            p = _Proto(Block("heading", line.start, line.end), i, i, numbering=_Numbering("title", 0))
            p.head_of_unit = True
            for j in _title_lines(lines, i + 1, table_of_line):
                _extend(p, lines[j], j)
                i = j
            protos.append(p)
        else:
            new = _body_line_protos(line, i)
            previous = protos[-1] if protos else None
            if (
                not new_unit
                and previous is not None
                and new[0].block.kind == "paragraph"
                and len(new) == 1
                and previous.last_line == i - 1
                and (previous.block.kind in ("paragraph", "list_item", "footnote") or previous.demotable)
            ):
                # soft line wrap inside a paragraph / list item / footnote
                if previous.demotable:
                    previous.block.kind = "list_item"
                    previous.demotable = False
                _extend(previous, line, i)
            else:
                new[0].head_of_unit = new_unit
                protos.extend(new)
        i += 1

    _resolve_continuations(text, protos)
    blocks = [p.block for p in protos]
    _assign_paths(text, protos)
    _assign_citations(text, blocks, paren_cited)
    return blocks


def _extend(proto: _Proto, line: _Line, index: int) -> None:
    proto.block.end = line.end
    proto.last_line = index


def _footnote_marker(line: _Line, paren_cited: dict[str, int]) -> str:
    m = _FOOTNOTE_SUP.match(line.raw)
    if m:
        return (m.group(1) or "").translate(_SUPERSCRIPT_TO_DIGIT) or m.group(2)
    m = _FOOTNOTE_PAREN.match(line.raw)
    if m and m.group(1) in paren_cited and paren_cited[m.group(1)] < line.start:
        return m.group(1)  # "(1) …" is a footnote only when "(1)" was cited in the text above
    return ""


def _paren_citations(text: str) -> dict[str, int]:
    """First offset of each "(N)" citation written right after a word (not at a line start)."""
    found: dict[str, int] = {}
    for m in _CITE_PAREN.finditer(text):
        line_start = text.rfind("\n", 0, m.start()) + 1
        if text[line_start : m.start()].strip():
            found.setdefault(m.group(1), m.start())
    return found


def _resolve_continuations(text: str, protos: list[_Proto]) -> None:
    """Join text that resumes after a page break (and the footnotes printed there) to what it continues."""
    head_of: list[int] = list(range(len(protos)))  # block index -> index of the block it belongs to
    last_part: dict[int, tuple[int, int]] = {}  # head index -> span of its latest fragment

    def is_open(j: int) -> bool:
        """The (latest fragment of the) block ends without sentence punctuation."""
        head = head_of[j]
        start, end = last_part.get(head, (protos[head].block.start, protos[head].block.end))
        return not _terminated(text[start:end])

    for i, p in enumerate(protos):
        if p.block.kind != "paragraph" or not p.head_of_unit or i == 0:
            continue
        if not _starts_continuation(collapse_ws(clean_text(text[p.block.start : p.block.end]))):
            continue
        previous = protos[i - 1]
        if previous.demotable:  # "4. Tăng cường … trong" + "đó nhấn mạnh …": prose, not a heading
            previous.block.kind = "list_item"
            previous.demotable = False
        target = _continuation_target(protos, i, is_open, head_of)
        if target < 0:
            continue
        head = head_of[target]
        p.block.kind = protos[head].block.kind
        p.block.continues = head
        if p.block.kind == "footnote":
            p.block.marker = protos[head].block.marker
        head_of[i] = head
        last_part[head] = (p.block.start, p.block.end)


def _continuation_target(protos: list[_Proto], i: int, is_open: Callable[[int], bool], head_of: list[int]) -> int:
    """The block that block ``i`` (text starting lower-case) continues, or -1."""
    body_kinds = ("paragraph", "list_item")
    j = i - 1
    if protos[j].block.kind == "footnote":
        # footnotes printed at the bottom of a page: the body resumes after them
        k = j
        while k >= 0 and protos[k].block.kind == "footnote":
            k -= 1
        if k >= 0 and protos[k].block.kind in body_kinds and is_open(k):
            return k
        if is_open(j):
            return j
    elif protos[j].block.kind in body_kinds and is_open(j):
        return j
    # a footnote text cut by a page break continues in the next page's footnote area
    for k in range(j, -1, -1):
        if protos[k].block.kind == "footnote" and head_of[k] == k and is_open(k):
            return k
    return -1


def _assign_paths(text: str, protos: list[_Proto]) -> None:
    """Keep a stack of open headings; each heading replaces the last one of the same numbering
    style, or nests deeper (a "1." restarting under "2.5." is a nested list, not a sibling of "2.")."""
    numbered_doc = any(p.numbering and p.numbering.ordinal for p in protos if p.block.kind == "heading")
    stack: list[tuple[_Numbering, str]] = []
    for p in protos:
        block = p.block
        if block.kind != "heading":
            if block.kind in ("preamble", "closing"):
                block.path = []
            else:
                block.path = [h for _, h in stack]
            continue
        numbering = p.numbering or _Numbering("plain", 0)
        if numbering.style == "title":
            stack.clear()
        elif numbered_doc and numbering.ordinal == 0:
            numbering = _Numbering("plain", 0)
        same = [k for k, (n, _) in enumerate(stack) if n.style == numbering.style]
        if same:
            k = same[-1]
            nested_restart = numbering.ordinal == 1 and stack[k][0].ordinal >= 1 and k < len(stack) - 1
            if not nested_restart:
                del stack[k:]
        else:
            while stack and _outranks(stack[-1][0], numbering):
                stack.pop()
        block.heading = heading_text(text[block.start : block.end])
        stack.append((numbering, block.heading))
        block.level = len(stack)
        block.path = [h for _, h in stack]


def _assign_citations(text: str, blocks: list[Block], paren_cited: dict[str, int]) -> None:
    footnote_markers = {b.marker for b in blocks if b.kind == "footnote"}
    for block in blocks:
        if block.kind not in ("paragraph", "list_item", "heading"):
            continue
        segment = text[block.start : block.end]
        cites: list[tuple[str, int]] = []
        for m in _CITE_SUP.finditer(segment):
            if m.group(1) and _UNIT_BEFORE.search(segment[: m.start()]):
                continue
            marker = (m.group(1) or "").translate(_SUPERSCRIPT_TO_DIGIT) or m.group(2)
            cites.append((marker, block.start + m.start()))
        for m in _CITE_PAREN.finditer(segment):
            if m.group(1) in footnote_markers and m.group(1) in paren_cited:
                cites.append((m.group(1), block.start + segment.index("(", m.start())))
        block.cites = sorted(cites, key=lambda c: c[1])
        block.marker = ",".join(dict.fromkeys(m for m, _ in block.cites))
