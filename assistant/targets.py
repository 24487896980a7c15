"""Questions about targets (chỉ tiêu) answered from the stored records, deterministically.

``route`` decides, from the question's words alone (``baocao/lang/data/target_questions.tsv``), whether
a question asks about targets — which were missed or met, did a place meet them all, what a plan
sets, how many, plan against result, a comparison of places or years — and what it filters on
(places and years named, the indicator). ``answer_from_records`` then selects the records, leads with
the short answer in bold ("3 chỉ tiêu không đạt của Hương Trà năm 2023: …", "Hải Dương: đạt 10/10 chỉ
tiêu"), states what it covered ("3 trong 5 báo cáo đã nạp có số liệu chỉ tiêu năm 2023"), lists each
figure with its plan, result and status, cites each one's source row or sentence, and says when a comparison mixes
kinds of figure (an estimate against an actual) or two reports give one period. No LLM is involved.
"""
from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from assistant.types import Answer, Citation
from baocao.lang.detect import Lang, detect_language
from baocao.lang.questions import answer_shapes
from baocao.lang.targets import fold, indicators_named, question_shapes, to_number
from baocao.models import DocumentRecord, TargetRecord

STATUSES = ("met", "missed", "pending")
CSV_FIELDS = (
    "locality", "year", "indicator", "canonical", "unit", "kind", "plan", "result", "percent_of_plan", "percent_prev",
    "basis", "status", "status_stated", "direction", "parent", "origin", "source", "chunk_id", "evidence",
)


def to_csv(records: list[TargetRecord]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_FIELDS, extrasaction="ignore")
    writer.writeheader()
    for r in records:
        writer.writerow(r.to_dict())
    return out.getvalue()


def to_xlsx(records: list[TargetRecord]) -> bytes:
    """The records as an Excel workbook: one sheet, the CSV's columns, values as the reports write
    them (text, so "14,5-15,5" and "31/38 (81,6%)" stay as written)."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "chi-tieu"
    sheet.append(list(CSV_FIELDS))
    for r in records:
        row = r.to_dict()
        sheet.append([row[name] if isinstance(row[name], (int, str)) else str(row[name]) for name in CSV_FIELDS])
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()



@dataclass
class TargetFilter:
    """What a listing of records keeps: empty fields keep everything."""

    localities: list[str] = field(default_factory=list)
    years: list[int] = field(default_factory=list)
    status: str = ""  # met | missed | pending
    indicator: str = ""  # words of the indicator as written or its canonical name

    def keeps(self, r: TargetRecord) -> bool:
        if self.localities and fold(r.locality) not in {fold(x) for x in self.localities}:
            return False
        if self.years and r.year not in self.years:
            return False
        if self.status and r.status != self.status:
            return False
        if self.indicator:
            wanted = fold(self.indicator)
            if wanted not in fold(r.indicator) and wanted not in fold(r.canonical) and wanted != fold(r.canonical):
                return False
        return True


def select(records: list[TargetRecord], wanted: TargetFilter) -> list[TargetRecord]:
    return [r for r in records if wanted.keeps(r)]


def headline(records: list[TargetRecord]) -> list[TargetRecord]:
    """The targets a report sets out: where a document has a targets table, its main rows (the
    table is the report's own list; sub-rows and the prose figures that repeat it are detail);
    elsewhere every record."""
    with_table = {r.doc_id for r in records if r.origin == "table"}
    return [r for r in records if r.doc_id not in with_table or (r.origin == "table" and not r.parent)]


@dataclass
class TargetAsk:
    """A question routed to the records: its shape and its filter."""

    shape: str  # missed | met | all_met | pending | compare | trend | list
    wanted: TargetFilter
    count: bool = False
    indicators: list[str] = field(default_factory=list)


def route(question: str, records: list[TargetRecord]) -> TargetAsk | None:
    """A :class:`TargetAsk` when the question is one the records answer, else None."""
    if not records:
        return None
    if {"cause", "remedy"} & answer_shapes(question):
        return None  # why a target was missed, what will be done: the records hold figures and verdicts, not reasons
    shapes = question_shapes(question)
    indicators = indicators_named(question)
    indicators = [i for i in indicators if i != "chỉ tiêu chủ yếu"]
    if "topic" not in shapes and not ({"compare", "trend"} & shapes and indicators):
        return None
    folded = _spaced(question)
    localities = sorted({r.locality for r in records if r.locality and _spaced(r.locality) in folded})
    years = sorted({int(y) for y in re.findall(r"\b((?:19|20)\d{2})\b", question)})
    for shape in ("all_met", "missed", "pending", "compare", "trend", "met"):
        if shape in shapes:
            break
    else:
        shape = "list"
    if shape == "compare" and not indicators:
        shape = "list"
    # The records answer questions about a set of targets (which were missed, were all met, what a
    # plan sets, how many of them, one indicator compared); a question about one indicator, or about
    # targets with no such shape, is the passage answer's: it quotes the sentence that answers it.
    if indicators and shape not in ("compare", "trend"):
        return None
    # One indicator of one place in one year is one figure, which the report states in a sentence or
    # a row: the passage answer quotes it as written. The records compare across places or years.
    if shape in ("compare", "trend") and len(localities) == 1 and len(years) == 1:
        return None
    if shape == "list" and "count_targets" not in shapes:
        return None
    wanted = TargetFilter(localities=localities, years=years)
    return TargetAsk(shape=shape, wanted=wanted, count="count" in shapes, indicators=indicators)


def uncovered_places(ask: TargetAsk, records: list[TargetRecord], named: list[str]) -> list[str]:
    """The places a question names (as the store's place finder reads them) of which no record
    holds a figure for the years asked: a question about them goes to the passages."""
    held = {fold(r.locality) for r in records if not ask.wanted.years or r.year in ask.wanted.years}
    return [p for p in named if fold(p) not in held]


def _spaced(text: str) -> str:
    return " " + " ".join(re.findall(r"[^\W_]+", fold(text))) + " "


# ----------------------------------------------------------------------------- answers

_WORDS = {
    "vi": {
        "met": "đạt", "missed": "không đạt", "pending": "chưa có kết quả", "": "không đánh giá",
        "plan": "kế hoạch", "result": "kết quả", "of_plan": "so kế hoạch", "prev": "so cùng kỳ/năm trước",
        "computed": "tính từ kế hoạch và kết quả", "stated": "theo báo cáo",
        "estimate": "ước thực hiện", "actual": "thực hiện", "target": "chỉ tiêu kế hoạch", "settlement": "quyết toán",
        "none": "Không có chỉ tiêu nào khớp câu hỏi trong các báo cáo đã nạp",
        "coverage": "{n} trong {total} báo cáo đã nạp có số liệu chỉ tiêu{scope}",
        "missed_head": "{n} chỉ tiêu không đạt", "met_head": "{n} chỉ tiêu đạt",
        "pending_head": "{n} chỉ tiêu đặt ra, chưa có kết quả", "list_head": "{n} chỉ tiêu",
        "all_yes": "{place}: đạt {met}/{total} chỉ tiêu", "all_no": "{place}: chưa đạt hết — {missed} chỉ tiêu không đạt",
        "kinds": "Lưu ý: các số liệu khác loại ({kinds}), không hoàn toàn so sánh được",
        "two_reports": "Lưu ý: {place} {year} có số liệu từ {n} báo cáo; mỗi số ghi rõ nguồn",
        "year": " năm {year}", "in": " của {place}",
        "tally": "{place}: báo cáo đạt {met}/{total} chỉ tiêu chủ yếu",
        "compare_head": "So sánh {indicator}:", "also": "cũng báo cáo",
        "used": "Số dùng để so sánh: {used}", "smaller": "số khác, nhỏ hơn số dùng để so sánh",
        "quoted": "",
    },
    "en": {
        "met": "met", "missed": "missed", "pending": "no result yet", "": "not assessed",
        "plan": "plan", "result": "result", "of_plan": "of plan", "prev": "vs previous period",
        "computed": "computed from plan and result", "stated": "as the report states",
        "estimate": "estimate", "actual": "actual", "target": "plan target", "settlement": "settlement",
        "none": "No target in the ingested reports matches the question",
        "coverage": "{n} of {total} ingested reports have target figures{scope}",
        "missed_head": "{n} targets missed", "met_head": "{n} targets met",
        "pending_head": "{n} targets set, no result yet", "list_head": "{n} targets",
        "all_yes": "{place}: met {met}/{total} targets", "all_no": "{place}: not all met — {missed} targets missed",
        "kinds": "Note: the figures are of different kinds ({kinds}) and not fully comparable",
        "two_reports": "Note: {place} {year} has figures from {n} reports; each figure names its source",
        "year": " for {year}", "in": " in {place}",
        "tally": "{place}: the report states {met}/{total} main targets met",
        "compare_head": "Comparison of {indicator} (quoted in Vietnamese):", "also": "also reported",
        "used": "Figures compared: {used}", "smaller": "another figure, smaller than the one compared",
        "quoted": " (indicators quoted in Vietnamese)",
    },
}


def _lang(question: str) -> str:
    lang: Lang = detect_language(question)
    return "en" if lang == "en" else "vi"


LEAD_NAMES = 6  # a short answer names the targets when there are at most this many (else it gives their count)


def answer_from_records(
    question: str, ask: TargetAsk, records: list[TargetRecord], documents: list[DocumentRecord]
) -> Answer:
    """The cited answer to a routed target question (see :func:`route`): the short answer first, in
    bold on its own line (the count and the targets, a place's tally, the figures compared), then the
    coverage ("3 trong 5 báo cáo đã nạp …"), then each figure with its citation."""
    w = _WORDS[_lang(question)]
    wanted = ask.wanted
    scoped = select(records, TargetFilter(years=wanted.years))
    scope = w["year"].format(year=", ".join(map(str, wanted.years))) if wanted.years else ""
    covered = {r.doc_id for r in scoped}
    coverage = w["coverage"].format(n=len(covered), total=len(documents), scope=scope) + "."
    lead = ""  # the short answer
    lines: list[str] = []  # what follows the coverage: the figures, each cited, and the notes
    chosen = select(records, wanted)
    if ask.indicators and ask.shape in ("compare", "trend", "list"):
        chosen = [r for r in chosen if r.canonical in ask.indicators] or chosen
    if ask.shape in ("missed", "met", "pending", "list", "all_met"):
        chosen = headline(chosen)
    if ask.shape in ("missed", "met", "pending"):
        chosen = [r for r in chosen if r.status == ask.shape]
    citations: list[Citation] = []

    def cite(r: TargetRecord) -> str:
        n = len(citations) + 1
        start, end = r.evidence_span
        citations.append(Citation(
            n=n, chunk_id=r.chunk_id, doc_id=r.doc_id, source=r.source, title=r.doc_label, section="",
            quote=r.evidence, span=(start, end),
        ))
        return f"[{n}]"

    if ask.shape == "list" and ask.count:  # "how many targets did … meet": the reports' own tallies
        heads = []
        for a in _tallies(records, wanted):
            head = w["tally"].format(place=a.locality, met=a.result, total=a.plan)
            heads.append((f"{a.year}: {head}" if not wanted.years else head, cite(a)))
        lead, lines = _lead_of(heads)
        chosen = [r for r in chosen if r.canonical == "chỉ tiêu chủ yếu"]
    elif ask.shape == "all_met":
        places = wanted.localities or sorted({r.locality for r in chosen})
        blocks: list[tuple[tuple[str, str], list[str]]] = []  # ((head, its marker), the missed targets under it)
        for place in places:
            mine = [r for r in chosen if fold(r.locality) == fold(place)]
            aggregate = [r for r in mine if r.canonical == "chỉ tiêu chủ yếu" and r.plan and r.result]
            missed = [r for r in mine if r.status == "missed"]
            if aggregate:
                a = aggregate[0]
                head = w["all_yes"].format(place=place, met=a.result, total=a.plan) if a.status == "met" else \
                    w["all_no"].format(place=place, missed=len(missed))
                marker = cite(a)
            elif mine:
                head = w["all_no"].format(place=place, missed=len(missed)) if missed else \
                    w["all_yes"].format(place=place, met=sum(r.status == 'met' for r in mine), total=len(mine))
                marker = ""
            else:
                continue
            under = [] if aggregate and aggregate[0].status == "met" else [_line(r, w) + " " + cite(r) for r in missed]
            blocks.append(((head, marker), under))
        if len(blocks) == 1:  # one place: its verdict is the short answer, its missed targets follow
            (head, marker), under = blocks[0]
            lead = _bold(head, marker)
            lines.extend(f"- {line}" for line in under)
        else:
            lead, _ = _lead_of([head for head, _ in blocks], listed=False)
            for (head, marker), under in blocks:
                lines.append(f"- {head} {marker}".rstrip())
                lines.extend(f"  {line}" for line in under)
    else:
        if ask.shape == "compare" and chosen:
            lead, lines = _compare_lines(chosen, w, cite)
        elif not chosen:
            lead = _bold(w["none"])
        else:
            head_key = f"{ask.shape}_head" if f"{ask.shape}_head" in w else "list_head"
            place = ", ".join(wanted.localities)
            head = w[head_key].format(n=len(chosen)) + (w["in"].format(place=place) if place else "") + scope + w["quoted"]
            if ask.shape in ("missed", "met"):  # the report's own tally of its main targets comes first
                for a in _tallies(records, wanted):
                    lines.append(f"- {w['tally'].format(place=a.locality, met=a.result, total=a.plan)} {cite(a)}")
            names = list(dict.fromkeys(r.indicator for r in chosen))
            named = ask.shape in ("missed", "met") and len(names) <= LEAD_NAMES
            lead = _bold(head + (": " + "; ".join(names) if named else ""))
            per_span = _count_per_evidence(chosen)
            for r in chosen:
                with_place = not wanted.localities or len(wanted.localities) > 1
                if ask.shape == "pending" and per_span[(r.chunk_id, r.evidence_span)] == 1 and len(r.evidence) <= 240:
                    # a plan's target alone on its line is quoted as the plan words it ("Giảm 02 hộ cận nghèo …")
                    lines.append(f"- {_quoted(r, w, with_place)} {cite(r)}")
                else:
                    lines.append(f"- {_line(r, w, with_place=with_place)} {cite(r)}")
            kinds = sorted({r.kind for r in chosen})
            if ask.shape == "trend" and len(kinds) > 1:
                lines.append(w["kinds"].format(kinds=", ".join(w[k] for k in kinds)) + ".")
            if ask.shape == "trend":
                canon = {r.canonical for r in chosen}
                if len({fold(r.indicator) for r in chosen}) > len(canon):
                    lines.append(_parts_note(chosen, w))
        for (place, year), docs in _reports_per_period(chosen).items():
            if len(docs) > 1:
                lines.append(w["two_reports"].format(place=place, year=year, n=len(docs)) + ".")
    text = "\n".join(([lead] if lead else []) + [coverage] + lines)
    return Answer(
        question=question, text=text, citations=citations, mode="extractive", grounded=True,
        context={"route": "targets", "shape": ask.shape, "localities": wanted.localities, "years": wanted.years,
                 "records": len(chosen), "documents_covered": len(covered)},
    )


def _bold(text: str, markers: str = "") -> str:
    """A short answer: one line in bold (no ``*`` inside, so it stays one bold run), then its markers."""
    inner = " ".join(text.replace("*", "").split()).rstrip(":")
    return f"**{inner}** {markers}".rstrip()


def _lead_of(heads: list[tuple[str, str]] | list[str], listed: bool = True) -> tuple[str, list[str]]:
    """The short answer of one or more statements ((text, marker) pairs, or plain texts): one
    statement is the answer itself, with its marker; several are joined in bold and, when
    ``listed``, each follows as a cited line."""
    pairs = [h if isinstance(h, tuple) else (h, "") for h in heads]
    if not pairs:
        return "", []
    if len(pairs) == 1:
        return _bold(*pairs[0]), []
    lines = [f"- {text} {marker}".rstrip() for text, marker in pairs] if listed else []
    return _bold("; ".join(text for text, _ in pairs)), lines


def _line(r: TargetRecord, w: dict[str, str], with_place: bool = False) -> str:
    parts = []
    if r.plan:
        parts.append(f"{w['plan']} {r.plan}")
    if r.result:
        parts.append(f"{w['result']} {r.result}")
    if r.percent_of_plan:
        parts.append(f"{r.percent_of_plan} {r.basis or w['of_plan']}")
    if r.percent_prev:
        parts.append(f"{r.percent_prev} {w['prev']}")
    unit = f" ({r.unit})" if r.unit else ""
    name = f"{r.parent} – {r.indicator}" if r.parent else r.indicator
    place = f"{r.locality} {r.year}: " if with_place else ""
    status = w[r.status]
    how = w["stated"] if r.status_stated else w["computed"] if r.status in ("met", "missed") else ""
    verdict = f"{status} ({how})" if how else status
    return f"{place}{name}{unit}: {'; '.join(parts) or '—'} → {verdict}; {w[r.kind]}"


def _tallies(records: list[TargetRecord], wanted: TargetFilter) -> list[TargetRecord]:
    """The reports' own counts of their main targets met ("đạt và vượt 10/10 chỉ tiêu") in scope."""
    scope = TargetFilter(localities=wanted.localities, years=wanted.years)
    return [r for r in select(records, scope) if r.canonical == "chỉ tiêu chủ yếu" and r.plan and r.result]


def _compare_lines(
    chosen: list[TargetRecord], w: dict[str, str], cite: Callable[[TargetRecord], str]
) -> tuple[str, list[str]]:
    """The short answer (each place's figure compared, with its kind and marker) and one block per
    place and year: the figure compared (where a place gives several for the indicator, the largest
    of one unit — a total is never smaller than its parts), the other figures after it, each with its
    kind; then which figure of which kind each place's comparison used, and a note when the kinds differ."""
    head = w["compare_head"].format(indicator=", ".join(sorted({r.canonical or r.indicator for r in chosen})))
    lines: list[str] = []
    used: list[str] = []
    compared: list[str] = []
    groups: dict[tuple[str, int], list[TargetRecord]] = {}
    for r in chosen:
        groups.setdefault((r.locality, r.year), []).append(r)
    for (place, year), mine in groups.items():
        figures: dict[tuple[str, str, str], list[TargetRecord]] = {}
        for r in mine:  # one figure stated against two bases ("122% dự toán tỉnh và 114% dự toán thành phố") is one figure
            figures.setdefault((fold(r.indicator), r.result, r.plan), []).append(r)
        ordered = sorted(figures.values(), key=lambda rs: _size(rs[0]), reverse=True)
        main, rest = ordered[0], ordered[1:]
        figure = _figure(main, w, cite)
        lines.append(f"- {place} {year}: {figure}")
        for other in rest:
            smaller = _size(other[0]) < _size(main[0]) and _unit(other[0]) == _unit(main[0])
            lines.append(f"  {w['also']}: {_figure(other, w, cite)}" + (f" ({w['smaller']})" if smaller else ""))
        used.append(f"{place} {year} — {main[0].indicator} ({w[main[0].kind]})")
        marker = re.search(r"\[\d+\]", figure)  # the figure's first citation
        compared.append(f"{place} {year}: {_value(main[0])} ({w[main[0].kind]}) {marker.group(0) if marker else ''}".rstrip())
    lines.append(w["used"].format(used="; ".join(used)) + ".")
    kinds = sorted({r.kind for r in chosen})
    if len(kinds) > 1:
        lines.append(w["kinds"].format(kinds=", ".join(w[k] for k in kinds)) + ".")
    if len({fold(r.indicator) for r in chosen}) > 1:
        lines.append(_parts_note(chosen, w))
    return _bold(f"{head} {'; '.join(compared)}"), lines


def _unit(r: TargetRecord) -> str:
    return fold(r.unit).strip()


def _size(r: TargetRecord) -> float:
    value = to_number(r.result) if r.result else None
    return value if value is not None else -1.0


def _figure(records: list[TargetRecord], w: dict[str, str], cite: Callable[[TargetRecord], str]) -> str:
    """A figure as written, with its unit, kind, plan and each base's % — each base cited."""
    r = records[0]
    parts = [f"{r.indicator}: {_value(r)}", w[r.kind]]
    if r.plan and r.result:
        parts.append(f"{w['plan']} {r.plan}")
    cited = []
    for one in records:
        pct = f"{one.percent_of_plan} {one.basis or w['of_plan']} " if one.percent_of_plan else ""
        cited.append(f"{pct}{cite(one)}")
    verdict = f" → {w[r.status]}" if r.status else ""
    return "; ".join(parts) + "; " + ", ".join(cited) + verdict


def _value(r: TargetRecord) -> str:
    """A figure's value as written, with its unit."""
    unit = f" {r.unit}" if r.unit and not r.result.endswith(r.unit) else ""
    return f"{r.result or r.plan or '—'}{unit}"


def _count_per_evidence(records: list[TargetRecord]) -> dict[tuple[str, tuple[int, int]], int]:
    out: dict[tuple[str, tuple[int, int]], int] = {}
    for r in records:
        key = (r.chunk_id, r.evidence_span)
        out[key] = out.get(key, 0) + 1
    return out


def _quoted(r: TargetRecord, w: dict[str, str], with_place: bool) -> str:
    text = re.sub(r"\s+", " ", re.sub(r"^[\s\-+*•–]+", "", r.evidence)).strip().rstrip(".;")
    place = f"{r.locality} {r.year}: " if with_place else ""
    return f"{place}“{text}” → {w[r.status]}; {w[r.kind]}"


def _parts_note(chosen: list[TargetRecord], w: dict[str, str]) -> str:
    names = "; ".join(sorted({f"{r.locality}: {r.indicator}" for r in chosen}))
    return ("Lưu ý: các địa phương báo cáo phần khác nhau của chỉ tiêu — " if w is _WORDS["vi"]
            else "Note: the places report different parts of the indicator — ") + names + "."


def _reports_per_period(records: list[TargetRecord]) -> dict[tuple[str, int], set[str]]:
    out: dict[tuple[str, int], set[str]] = {}
    for r in records:
        out.setdefault((r.locality, r.year), set()).add(r.doc_id)
    return out
