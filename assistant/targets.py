"""Questions about targets (chỉ tiêu) answered from the stored records, deterministically.

``route`` decides, from the question's words alone (``baocao/lang/data/target_questions.tsv``), whether
a question asks about targets — which were missed or met, did a place meet them all, what a plan
sets, how many, plan against result, a comparison of places or years — and what it filters on
(places and years named, the indicator). ``answer_from_records`` then selects the records, states
what it covered ("3 trong 5 báo cáo đã nạp có số liệu chỉ tiêu năm 2023"), lists each figure with its
plan, result and status, cites each one's source row or sentence, and says when a comparison mixes
kinds of figure (an estimate against an actual) or two reports give one period. No LLM is involved.
"""
from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field

from assistant.types import Answer, Citation
from baocao.lang.detect import Lang, detect_language
from baocao.lang.targets import fold, indicators_named, question_shapes
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
    wanted = TargetFilter(localities=localities, years=years)
    return TargetAsk(shape=shape, wanted=wanted, count="count" in shapes, indicators=indicators)


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
        "year": " for {year}", "in": " of {place}",
    },
}


def _lang(question: str) -> str:
    lang: Lang = detect_language(question)
    return "en" if lang == "en" else "vi"


def answer_from_records(
    question: str, ask: TargetAsk, records: list[TargetRecord], documents: list[DocumentRecord]
) -> Answer:
    """The cited answer to a routed target question (see :func:`route`)."""
    w = _WORDS[_lang(question)]
    wanted = ask.wanted
    scoped = select(records, TargetFilter(years=wanted.years))
    scope = w["year"].format(year=", ".join(map(str, wanted.years))) if wanted.years else ""
    covered = {r.doc_id for r in scoped}
    lines = [w["coverage"].format(n=len(covered), total=len(documents), scope=scope) + "."]
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

    if ask.shape == "all_met":
        places = wanted.localities or sorted({r.locality for r in chosen})
        for place in places:
            mine = [r for r in chosen if fold(r.locality) == fold(place)]
            aggregate = [r for r in mine if r.canonical == "chỉ tiêu chủ yếu" and r.plan and r.result]
            missed = [r for r in mine if r.status == "missed"]
            if aggregate:
                a = aggregate[0]
                head = w["all_yes"].format(place=place, met=a.result, total=a.plan) if a.status == "met" else \
                    w["all_no"].format(place=place, missed=len(missed))
                lines.append(f"- {head} {cite(a)}")
            elif mine:
                head = w["all_no"].format(place=place, missed=len(missed)) if missed else \
                    w["all_yes"].format(place=place, met=sum(r.status == 'met' for r in mine), total=len(mine))
                lines.append(f"- {head}")
            if not (aggregate and aggregate[0].status == "met"):
                for r in missed:
                    lines.append("  " + _line(r, w) + " " + cite(r))
    else:
        if not chosen:
            lines.append(w["none"] + ".")
        else:
            head_key = f"{ask.shape}_head" if f"{ask.shape}_head" in w else "list_head"
            place = ", ".join(wanted.localities)
            lines.append(w[head_key].format(n=len(chosen)) + (w["in"].format(place=place) if place else "") + ":")
            for r in chosen:
                lines.append(f"- {_line(r, w, with_place=not wanted.localities or len(wanted.localities) > 1)} {cite(r)}")
            kinds = sorted({r.kind for r in chosen})
            if ask.shape in ("compare", "trend") and len(kinds) > 1:
                lines.append(w["kinds"].format(kinds=", ".join(w[k] for k in kinds)) + ".")
            if ask.shape in ("compare", "trend"):
                canon = {r.canonical for r in chosen}
                if len({fold(r.indicator) for r in chosen}) > len(canon):
                    lines.append(_parts_note(chosen, w))
        for (place, year), docs in _reports_per_period(chosen).items():
            if len(docs) > 1:
                lines.append(w["two_reports"].format(place=place, year=year, n=len(docs)) + ".")
    return Answer(
        question=question, text="\n".join(lines), citations=citations, mode="extractive", grounded=True,
        context={"route": "targets", "shape": ask.shape, "localities": wanted.localities, "years": wanted.years,
                 "records": len(chosen), "documents_covered": len(covered)},
    )


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


def _parts_note(chosen: list[TargetRecord], w: dict[str, str]) -> str:
    names = "; ".join(sorted({f"{r.locality}: {r.indicator}" for r in chosen}))
    return ("Lưu ý: các địa phương báo cáo phần khác nhau của chỉ tiêu — " if w is _WORDS["vi"]
            else "Note: the places report different parts of the indicator — ") + names + "."


def _reports_per_period(records: list[TargetRecord]) -> dict[tuple[str, int], set[str]]:
    out: dict[tuple[str, int], set[str]] = {}
    for r in records:
        out.setdefault((r.locality, r.year), set()).add(r.doc_id)
    return out
