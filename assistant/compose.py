"""Turn chosen statements into the answer text with numbered citations, in the question's language."""
from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.extractive import ExtractiveResult, doc_label
from assistant.types import Citation
from baocao.lang.detect import Lang
from baocao.lang.glossary import english_figure_term
from baocao.lang.numbers import amounts, format_amount, has_date, has_number
from baocao.lang.tokens import match_tokens
from baocao.models import LayoutUnit
from vectorstore.hits import Hit

ABSTAIN_VI = "Không tìm thấy thông tin này trong các báo cáo đã nạp."
ABSTAIN_EN = "I could not find this in the loaded reports."
CLOSEST_SHOWN = 3
# Why a question was refused when its passages are on the subject but do not give what it asks.
MISSING_SHAPE = {
    "figure": ("Các đoạn liên quan không nêu số liệu được hỏi.", "The related passages state no figure for what is asked."),
    "count": ("Các đoạn liên quan chỉ nêu tỷ lệ, không nêu số lượng được hỏi.",
              "The related passages give a share (a percentage), not the number asked."),
    "signer": ("Văn bản đã nạp không ghi tên người ký (khối chữ ký chỉ ghi chức danh, hoặc không có).",
               "The loaded text of the document does not give the signer's name (its signature block gives"
               " the title only, or is missing)."),
}


@dataclass
class Composed:
    text: str
    citations: list[Citation]


def abstain_message(lang: Lang) -> str:
    return ABSTAIN_EN if lang == "en" else ABSTAIN_VI


def citation_for(n: int, hit: Hit, quote: str, span: tuple[int, int]) -> Citation:
    chunk = hit.chunk
    meta = chunk.meta
    return Citation(
        n=n,
        chunk_id=chunk.chunk_id,
        doc_id=chunk.doc_id,
        source=meta.source if meta else chunk.doc_id,
        title=(meta.short_title or meta.title) if meta else "",
        section=chunk.section,
        quote=quote,
        span=span,
    )


def compose_extractive(result: ExtractiveResult, lang: Lang, hits: list[Hit]) -> Composed:
    if result.missing_places:
        return Composed(missing_places_text(lang, result.missing_places), [])
    if result.abstained or not result.statements:
        return Composed(abstention_text(lang, hits, result.missing_shape), [])
    citations: list[Citation] = []
    numbered: dict[tuple[str, tuple[int, int]], int] = {}
    lines: list[str] = []
    labels = {s.doc_label for s in result.statements}
    several_docs = len(labels) > 1
    for statement in result.statements:
        c = statement.candidate
        key = (c.chunk.chunk_id, c.unit.span)
        if key not in numbered:
            numbered[key] = len(citations) + 1
            citations.append(citation_for(numbered[key], c.hit, c.quote, c.unit.span))
        text = statement.text
        if c.unit.kind == "footnote":
            text = f"({_footnote_word(lang)} {c.unit.footnote}) {text}"
        if lang == "en" and c.unit.kind == "row":
            text = f"{text}{_english_gloss(c.unit.cells)}"
        if several_docs:
            text = f"{statement.doc_label}: {text}"
        lines.append(f"{_end(text)} [{numbered[key]}]")
    frame = _frame(result, lang, labels, several_docs)
    lead, index = short_answer(result)
    head = ""
    if lead:
        c = result.statements[index].candidate
        head = f"**{lead}** [{numbered[(c.chunk.chunk_id, c.unit.span)]}]\n"
    if len(lines) == 1:
        return Composed(f"{head}{frame} {lines[0]}", citations)
    computed = comparison_text(result, lang)
    if computed:
        lines.append(computed)
    if result.more:
        lines.append(f"… and {result.more} more items" if lang == "en" else f"… và {result.more} mục khác")
    body = "\n".join(f"- {line}" for line in lines)
    return Composed(f"{head}{frame}\n{body}", citations)


_CLAUSE = re.compile(r"[,;:]\s+|\s+[–-]\s+|\s+\(")
_PERCENT = re.compile(r"\d+(?:[.,]\d+)*\s*%")


def short_answer(result: ExtractiveResult) -> tuple[str, int]:
    """The clause of the first statement that holds the figure or date asked for, as written
    ("ước đạt 527,191 tỷ đồng"), to lead the answer, and the index of its statement; ("", 0) when
    the question asks for no figure or date. Of several such clauses, the one that names most of
    the question's terms (the measure asked about, in Vietnamese for an English question too), the
    first on ties. A list item answers with its introducer first ("…, thì bị phạt tù từ 01 năm đến
    05 năm:" then "a) Là chỉ huy …"): the clause is then looked for in the item, then the introducer."""
    if result.kind != "factoid" or not result.statements or not ({"number", "percent", "date"} & result.asks):
        return "", 0
    order = [0]
    if len(result.statements) > 1 and result.statements[0].text.rstrip().endswith(":"):
        order = [1, 0]
    candidates = [(clause, i) for i in order for clause in _figure_clauses(result.statements[i].candidate.unit, result)]
    if not candidates:
        return "", 0
    return max(candidates, key=lambda c: _terms_named(c[0], result))


def _figure_clauses(unit: LayoutUnit, result: ExtractiveResult) -> list[str]:
    """The unit's clauses that hold the figure, share or date asked for; none when the unit is that
    one clause (or a table row, already short, with its column names)."""
    text = unit.text
    if unit.kind == "row":
        return []
    clauses = [c.strip(" .;,") for c in _CLAUSE.split(text) if c.strip(" .;,")]
    if "percent" in result.asks:
        percents = [c for c in clauses if _PERCENT.search(c)]
        if percents:
            return percents
    figures = [c for c in clauses if (has_date(c) if "date" in result.asks else has_number(c))]
    return [c for c in figures if c != text.strip(" .;,")]


def _terms_named(clause: str, result: ExtractiveResult) -> int:
    joined = " " + " ".join(match_tokens(clause, result.accents)) + " "
    return sum(1 for forms in result.term_forms if any(f" {' '.join(f)} " in joined for f in forms))


def comparison_text(result: ExtractiveResult, lang: Lang) -> str:
    """For one figure quoted per place: which is higher and by how much, computed from the quoted
    figures and marked as computed; "" unless every place's statement gives one such figure in one unit."""
    if result.kind != "localities" or len(result.statements) < 2:
        return ""
    wants_percent = "percent" in result.asks
    quoted: list[tuple[str, float, str]] = []
    for statement in result.statements:
        meta = statement.candidate.meta
        place = meta.locality if meta is not None and meta.locality else ""
        found = [a for a in amounts(statement.candidate.unit.text) if (a[1] == "%") == wants_percent]
        if not place or not found:
            return ""
        quoted.append((place, *found[0]))
    if len({unit for _, _, unit in quoted}) != 1 or len({place for place, _, _ in quoted}) != len(quoted):
        return ""
    ranked = sorted(quoted, key=lambda q: q[1], reverse=True)
    (high, top, unit), (low, bottom, _) = ranked[0], ranked[-1]
    if top == bottom:
        return ""
    gap = format_amount(top - bottom, unit)
    if unit == "%":
        gap = gap[:-1] + (" percentage points" if lang == "en" else " điểm phần trăm")
    if lang == "en":
        return f"(computed from the figures quoted above) {high} is higher than {low} by {gap}."
    return f"(tính từ các số liệu trích dẫn trên) {high} cao hơn {low} {gap}."


def missing_places_text(lang: Lang, places: list[str]) -> str:
    """The refusal for a place no loaded report covers: say which, show no other place's passages."""
    names = ", ".join(places)
    if lang == "en":
        return f"{ABSTAIN_EN[:-1]}: no report of {names} is loaded."
    return f"{ABSTAIN_VI[:-1]}: chưa có báo cáo nào của {names} trong kho."


def abstention_text(lang: Lang, hits: list[Hit], missing_shape: str = "") -> str:
    """The refusal, what the passages lack when that is known (:data:`MISSING_SHAPE`), and the closest passages."""
    text = abstain_message(lang)
    if missing_shape:
        vi, en = MISSING_SHAPE[missing_shape]
        text = f"{text} {en if lang == 'en' else vi}"
    closest = _closest(hits)
    if not closest:
        return text
    if lang == "en":
        return f"{text} Closest passages: {'; '.join(closest)}."
    return f"{text} Các đoạn gần nhất: {'; '.join(closest)}."


def _closest(hits: list[Hit]) -> list[str]:
    out: list[str] = []
    for hit in hits[:CLOSEST_SHOWN]:
        label = doc_label(hit.chunk.meta, hit.chunk.doc_id)
        section = hit.chunk.section_path[-1] if hit.chunk.section_path else ""
        item = f"{label} – {section}" if section else label
        if item not in out:
            out.append(item)
    return out


def _frame(result: ExtractiveResult, lang: Lang, labels: set[str], several_docs: bool) -> str:
    source = next(iter(labels)) if len(labels) == 1 else ""
    n = len(result.statements)
    if lang == "en":
        where = f"“{source}”" if source else "the loaded reports"  # a document's name, as written
        if result.kind == "status":
            verdict = "were not met (“Không đạt”)" if result.status == "missed" else "were met (“Đạt”)"
            return f"{n} {'target' if n == 1 else 'targets'} {verdict} according to {where} (quoted in Vietnamese):"
        return f"According to {where} (quoted in Vietnamese):"
    where = source if source else "các báo cáo đã nạp"
    if result.kind == "status":
        verdict = "không đạt" if result.status == "missed" else "đạt"
        return f"Theo {where}, có {n} chỉ tiêu {verdict}:"
    return f"Theo {where}:"


def _english_gloss(cells: dict[str, str]) -> str:
    """' — in English: plan 215-220; estimate 151; assessment: not met' for a quoted table row."""
    parts = []
    for name, value in cells.items():
        term = english_figure_term(name)
        said = english_figure_term(value)
        if term and said:
            parts.append(f"{term}: {said}")
        elif term:
            parts.append(f"{term} {value}")
    return f" — in English: {'; '.join(parts)}" if parts else ""


def _footnote_word(lang: Lang) -> str:
    return "footnote" if lang == "en" else "chú thích"


def _end(text: str) -> str:
    return text.rstrip()
