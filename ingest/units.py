"""A chunk's layout: its answer units (sentences, list items, table rows with their headers,
footnotes, headings), found once at ingest and stored with the chunk.

Every unit keeps the exact span of its source text inside the chunk's text, so a citation can
quote and highlight it. ``text`` is what an answer shows: the same words, whitespace collapsed,
bullets dropped, and for a table row the row rendered with its column headers ("Thu nhập bình
quân đầu người (Tr.đồng/người): Kế hoạch 50-52; Ước TH cả năm 51,5; So sánh: Đạt"). A table's
header rows are the ones the structure parser found (``header_rows``), not guessed again.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from baocao.lang.normalize import collapse_ws, strip_markup
from baocao.lang.numbers import NUMBER
from baocao.lang.questions import cell_status
from baocao.lang.sentences import sentence_spans
from baocao.models import LayoutUnit, UnitKind

SUPERSCRIPT_DIGITS = "⁰¹²³⁴⁵⁶⁷⁸⁹"
_SUP_TO_DIGIT = {ch: str(i) for i, ch in enumerate(SUPERSCRIPT_DIGITS)}

_FOOTNOTE_LINE = re.compile(rf"^[ \t]*([{SUPERSCRIPT_DIGITS}]+)\s*")
_FOOTNOTE_MARK = re.compile(rf"(?<=\S)([{SUPERSCRIPT_DIGITS}]+)")
_BULLET = re.compile(r"^[ \t]*(?:[-–+•*∙]\s*)+")
_ENUM = re.compile(r"^[ \t]*(?:\d+(?:\.\d+)*\.?|[a-zđ]\)|[IVX]+\.)[ \t]+", re.IGNORECASE)
_ROMAN_OR_NUMBER_HEAD = re.compile(r"^[ \t]*(?:[IVX]+\.|\d+(?:\.\d+)*\.?|[a-zđ]\))[ \t]*\S", re.IGNORECASE)
_YEAR = re.compile(r"(?<![\d.,/])((?:19|20)\d{2})(?:\s*[-–]\s*((?:19|20)\d{2}))?(?![\d.,]\d)")
_UNIT_HEADER = re.compile(r"^(?:đvt|đơn vị(?: tính)?|dvt|don vi(?: tinh)?)$", re.IGNORECASE)

MAX_UNIT_CHARS = 420  # longer sentences are split again at ';'


def clean_display(text: str) -> str:
    """The words as written, markup removed, whitespace collapsed, bullets and trailing ';' dropped."""
    text = collapse_ws(strip_markup(text))
    text = _BULLET.sub("", text)
    return text.rstrip(" ;,")


def footnote_marks(text: str) -> list[str]:
    return ["".join(_SUP_TO_DIGIT[c] for c in m) for m in _FOOTNOTE_MARK.findall(text)]


def leading_footnote_marker(text: str) -> str:
    """'¹² Kết quả …' -> '12' (a footnote chunk's own marker), else ''."""
    match = _FOOTNOTE_LINE.match(text)
    return "".join(_SUP_TO_DIGIT[c] for c in match.group(1)) if match else ""


# --------------------------------------------------------------------------- lines


@dataclass
class _Line:
    start: int
    end: int  # exclusive, without the newline
    raw: str

    @property
    def stripped(self) -> str:
        return self.raw.strip()


def _lines(text: str) -> list[_Line]:
    out: list[_Line] = []
    pos = 0
    for raw in text.split("\n"):
        out.append(_Line(pos, pos + len(raw), raw))
        pos += len(raw) + 1
    return out


def _is_table_line(line: _Line) -> bool:
    return line.raw.count("\t") >= 1 and any(c.strip() for c in line.raw.split("\t"))


def _is_heading(text: str) -> bool:
    """A short line that introduces what follows (ends with ':' or is a numbered title)."""
    plain = clean_display(text)
    if not plain or len(plain) > 160:
        return False
    if plain.endswith(":"):
        return True
    if plain.isupper() and len(plain) > 3:
        return True
    ends_item = collapse_ws(strip_markup(text)).endswith(";")  # clean_display drops a trailing ';'
    return bool(_ROMAN_OR_NUMBER_HEAD.match(plain)) and not plain.endswith(".") and not ends_item and len(plain) < 120


def _is_section_title(text: str, headings: list[str]) -> bool:
    plain = clean_display(text).rstrip(" .:")
    for heading in headings:
        title = heading.rstrip("…").rstrip(" .:")
        if len(title) >= 8 and (plain == title or (heading.endswith("…") and plain.startswith(title))):
            return True
    return False


def _enumeration(text: str) -> str:
    """The family of a line's enumeration mark: "letter" ("a)"), "roman" ("II."), "number" ("2.", "2.1"), or ""."""
    m = _ENUM.match(text)
    if not m:
        return ""
    mark = m.group(0).strip()
    if mark[0].isdigit():
        return "number"
    return "letter" if mark.endswith(")") else "roman"


def _is_list_item(text: str, enumerated_list: str = "") -> bool:
    """A bulleted line, or an enumerated one ("a) …", "2. …") that ends with ';' as the items of
    a list do — and the line of the same enumeration (``enumerated_list``: the family of the list
    being read) that ends such a list with '.'."""
    if _BULLET.match(text):
        return True
    family = _enumeration(text)
    if not family:
        return False
    end = collapse_ws(strip_markup(text)).rstrip()
    return end.endswith(";") or (family == enumerated_list and end.endswith("."))


def _is_starred_heading(text: str) -> bool:
    """'* Nguyên nhân:' or '* Nguyên nhân của những khuyết điểm, tồn tại': a label, not a list item."""
    if not re.match(r"^[ \t]*\*\s", text):
        return False
    plain = clean_display(text)
    return len(plain) <= 120 and not plain.endswith((".", ";")) and ": " not in plain


# --------------------------------------------------------------------------- splitting


def split_sentences(text: str, offset: int) -> list[tuple[int, int]]:
    """(start, end) spans of the sentences of ``text`` (shifted by ``offset``); a sentence longer
    than MAX_UNIT_CHARS is split again at ';'."""
    out: list[tuple[int, int]] = []
    for s, e in sentence_spans(text):
        for s2, e2 in _split_long(text, s, e):
            seg = text[s2:e2]
            lead = len(seg) - len(seg.lstrip())
            trail = len(seg.rstrip())
            if seg.strip():
                out.append((offset + s2 + lead, offset + s2 + trail))
    return out


def _split_long(text: str, start: int, end: int) -> list[tuple[int, int]]:
    if end - start <= MAX_UNIT_CHARS:
        return [(start, end)]
    pieces: list[tuple[int, int]] = []
    piece_start = start
    for match in re.finditer(r";\s+", text[start:end]):
        cut = start + match.start() + 1
        if cut - piece_start >= 80:
            pieces.append((piece_start, cut))
            piece_start = start + match.end()
    pieces.append((piece_start, end))
    return [p for p in pieces if p[1] > p[0]]


def split_units(text: str, headings: list[str] | None = None, header_rows: int | None = None) -> list[LayoutUnit]:
    """All answer units of a chunk's text, in reading order. ``headings`` (the chunk's section path)
    marks lines that are section titles even when they end with a period; ``header_rows`` is how many
    leading rows of the chunk's table are its header (from the structure parser; guessed when None)."""
    units: list[LayoutUnit] = []
    lines = _lines(text)
    heading = ""  # the latest heading line: context for the units after it
    block_id = 0
    in_list = False
    enumerated_list = ""  # the enumeration family of the list being read ("letter" for "a) …;")
    i = 0
    while i < len(lines):
        line = lines[i]
        if not line.stripped:
            i += 1
            continue
        if _is_table_line(line):
            j = i
            while j < len(lines) and _is_table_line(lines[j]):
                j += 1
            block_id += 1
            units.extend(_table_units(lines[i:j], heading, block_id, header_rows))
            in_list = False
            i = j
            continue
        footnote = _FOOTNOTE_LINE.match(line.raw)
        if footnote:
            marker = "".join(_SUP_TO_DIGIT[c] for c in footnote.group(1))
            units.append(_footnote_unit(text, line, footnote.end(), marker))
            in_list = False
            i += 1
            continue
        if _is_list_item(line.raw, enumerated_list if in_list else "") and not _is_starred_heading(line.raw):
            if not in_list:
                block_id += 1
                in_list = True
            enumerated_list = _enumeration(line.raw)
            units.extend(_text_units(text, line, "item", heading, block_id))
            i += 1
            continue
        if _is_heading(line.raw) or _is_section_title(line.raw, headings or []):
            heading = clean_display(line.raw).rstrip(":")
            units.append(_heading_unit(text, line, block_id))
            in_list = False
            i += 1
            continue
        in_list = False
        units.extend(_text_units(text, line, "sentence", heading, -1))
        i += 1
    return units


def _trimmed_span(line: _Line, skip: int = 0) -> tuple[int, int]:
    body = line.raw[skip:]
    lead = len(body) - len(body.lstrip())
    return line.start + skip + lead, line.start + len(line.raw.rstrip())


def _heading_unit(text: str, line: _Line, block: int) -> LayoutUnit:
    start, end = _trimmed_span(line)
    quote = text[start:end]
    return LayoutUnit("heading", start, end, clean_display(quote), block=block, marks=footnote_marks(quote))


def _footnote_unit(text: str, line: _Line, body_at: int, marker: str) -> LayoutUnit:
    start, end = _trimmed_span(line)
    body = clean_display(text[line.start + body_at : end])
    return LayoutUnit("footnote", start, end, body, context=f"chú thích {marker}", footnote=marker)


def _text_units(text: str, line: _Line, kind: UnitKind, heading: str, block: int) -> list[LayoutUnit]:
    start, end = _trimmed_span(line)
    units = []
    for s, e in split_sentences(text[start:end], start):
        quote = text[s:e]
        shown = clean_display(quote)
        if not shown or not re.search(r"\w", shown):
            continue
        units.append(LayoutUnit(kind, s, e, shown, context=heading, block=block, marks=footnote_marks(quote)))
    return units


# --------------------------------------------------------------------------- tables


def _cells(line: _Line) -> list[tuple[str, int, int]]:
    """(cleaned cell, start, end) for each tab-separated cell."""
    out = []
    pos = line.start
    for raw in line.raw.split("\t"):
        out.append((clean_display(raw) if raw.strip() else "", pos, pos + len(raw)))
        pos += len(raw) + 1
    return out


def _looks_like_header(values: list[str]) -> bool:
    """For a table whose header rows are not known: a row with no figure (years aside)."""
    filled = [v for v in values if v]
    if not filled or any(NUMBER.search(_YEAR.sub("", v)) for v in filled):
        return False
    return len(filled) >= 2 or not values[0]  # a group row ("A. Về kinh tế") has only its first cell


def _column_names(header: list[list[str]], width: int) -> tuple[list[str], list[str]]:
    """(name, group) per column: the lowest header cell, and the cell above it that spans it."""
    names = [""] * width
    groups = [""] * width
    for row in header:
        padded = row + [""] * (width - len(row))
        for j, value in enumerate(padded[:width]):
            if value:
                if names[j]:
                    groups[j] = names[j]
                names[j] = value
    # A spanning upper cell ("Năm 2023" over "Kế hoạch" and "Ước TH") covers its empty neighbours.
    if len(header) >= 2:
        upper = header[-2] + [""] * width
        lower = header[-1] + [""] * width
        current = ""
        for j in range(width):
            if upper[j]:
                current = upper[j] if lower[j] else ""
            elif current and lower[j]:
                groups[j] = current
            else:
                current = ""
    return names, groups


def _table_units(lines: list[_Line], heading: str, block: int, header_rows: int | None) -> list[LayoutUnit]:
    rows = [_cells(line) for line in lines]
    width = max(len(r) for r in rows)
    if header_rows is None:
        header_count = 0
        while header_count < len(rows) and _looks_like_header([c[0] for c in rows[header_count]]):
            header_count += 1
    else:
        header_count = min(header_rows, len(rows))
    header = [[c[0] for c in r] for r in rows[:header_count]]
    names, groups = _column_names(header, width)
    table_context = " ".join(v for r in header for v in r if v)
    year_groups = " ".join(sorted({g for g in groups if g}))
    units: list[LayoutUnit] = []
    group_label = ""
    parents: list[str] = []  # labels of the enclosing rows ("4. Tổng thu ngân sách NN")
    for line, row in zip(lines[header_count:], rows[header_count:]):
        values = [c[0] for c in row]
        filled = [v for v in values if v]
        if not filled:
            continue
        if values[0] and len(filled) == 1:
            group_label = values[0]
            parents = []
            continue
        label = strip_markup(line.raw.split("\t")[0]).strip()
        parent = _parent_for(label, parents)
        cells: dict[str, str] = {}
        unit_cell = ""
        status = ""
        parts: list[str] = []
        for j in range(1, len(values)):
            value = values[j]
            if not value:
                continue
            name = names[j] if j < len(names) else ""
            if _UNIT_HEADER.match(name or ""):
                unit_cell = value
                continue
            cells[name or f"cột {j + 1}"] = value
            if cell_status(value) and not NUMBER.search(value):
                status = value
                parts.append(f"{name}: {value}" if name else value)
            else:
                parts.append(f"{name} {value}" if name else value)
        shown_label = clean_display(label) or "(dòng)"
        if parent:
            shown_label = f"{parent} – {shown_label}"
        head = f"{shown_label} ({unit_cell})" if unit_cell else shown_label
        shown = f"{head}: {'; '.join(parts)}" if parts else head
        start = row[0][1] + (len(line.raw) - len(line.raw.lstrip()))
        end = line.start + len(line.raw.rstrip())
        units.append(
            LayoutUnit(
                "row", start, end, shown,
                context=" ".join(x for x in (heading, table_context, group_label, year_groups) if x),
                block=block,
                marks=footnote_marks(line.raw),
                cells=cells,
                label=_ENUM.sub("", _BULLET.sub("", label)).strip(),
                status=status,
                parent=parent,
            )
        )
        if not _BULLET.match(label):
            parents = [_ENUM.sub("", label).strip()]
        elif label.lstrip().startswith("-"):
            parents = parents[:1] + [_BULLET.sub("", label).strip()]
    return units


def _parent_for(label: str, parents: list[str]) -> str:
    """The row a "- ..." or "+ ..." row belongs to."""
    stripped = label.lstrip()
    if stripped.startswith("+") and len(parents) >= 2:
        return parents[1]
    if stripped.startswith(("-", "+")) and parents:
        return parents[0]
    return ""

