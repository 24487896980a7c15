"""Targets and figures (chỉ tiêu) read out of a document's chunks into :class:`TargetRecord`s.

Two sources, both from the chunk layout ``ingest.units`` found:

- **table rows** of a targets table (a row with its header cells: a plan column such as "Kế hoạch",
  a result column such as "Ước TH cả năm", an evaluation column such as "So sánh": "Đạt"), one
  record per row and sub-row ("- Trong đó …" with its parent row);
- **prose**: a figure against a plan ("chỉ đạt 94,34% so kế hoạch", "bằng 122% dự toán tỉnh"), a
  ratio whose denominator is the plan ("711ha/600 ha", "đạt và vượt 10/10 chỉ tiêu"), a result with
  its plan stated after it ("giảm còn 0,97% (vượt so với chỉ tiêu kế hoạch đề ra 1,15%)"), a plain
  verdict ("chưa đạt kế hoạch đề ra"), the items of a list whose lead-in states the verdict ("một số
  nhiệm vụ chưa hoàn thành như:"), and the targets a plan sets for its year ("Đăng ký thu gom rác
  đạt 95%"), which have no result yet.

The status is the report's own word where it gives one; else it is computed from plan and result
(``baocao.lang.targets.compare``: direction-, range- and bound-aware) and marked computed. A
partial-year report's figure below the plan is not a miss yet (status ""). All the wordings live in
``baocao/lang/data/target_terms.tsv``; nothing here names a document.
"""
from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass

from baocao.lang.normalize import strip_markup
from baocao.lang.questions import cell_status
from baocao.lang.targets import (
    canonical_indicator,
    compare,
    direction_of,
    fold,
    glossary,
    lower,
    pattern,
    percent_status,
    read_value,
    terms,
)
from baocao.models import Chunk, DocumentMeta, LayoutUnit, TargetRecord

_NUM = r"\d+(?:[.,]\d+)*"
# "% of plan": "94,34% so kế hoạch", "122% dự toán tỉnh", "24,45 % so với kế hoạch", "100% kế hoạch vốn"
_PCT_OF_PLAN = re.compile(rf"(?<![\d.,])({_NUM}\s?%)\s*(?:so\s+(?:voi\s+)?)?(ke hoach|du toan|chi tieu kh|chi tieu|kh)(?![a-z])((?:(?!\s(?:va|hoac)\s|\d)[^,;.()])*)")
_PCT_PREV = re.compile(rf"(?:tang|giam)\s+({_NUM}\s?%)\s*so\s+(?:voi\s+)?(?:cung ki|nam)")
# a change on its own: "tăng 42%", "giảm 7,04%" (kept when it is against the previous year or the same period)
_CHANGE = re.compile(rf"(?<!\w)(?:tang|giam)\s+(?:(?:tren|hon|gan)\s+)?({_NUM}\s?%)")
# x/y with an optional unit after x ("711ha/600 ha", "297.570.829 đồng/1.010.709.500 đồng")
_RATIO = re.compile(rf"(?<![\d/.,])({_NUM})\s*([a-z]{{1,5}})?\s*/\s*({_NUM})(?![\d/])")
# a plan stated after the result: "kế hoạch đề ra 1,15%", "kế hoạch đề ra là 31/38 trường"
_PLAN_STATED = re.compile(rf"(?:chi tieu\s+)?(?:ke hoach|chi tieu)\s+de ra\s+(?:la\s+)?((?:{_NUM})(?:\s*/\s*{_NUM})?\s?%?)")
_AMOUNT = re.compile(
    rf"(?<![\d.,/])({_NUM})(\s*ti\s+\d+\s*trieu)?\s*(ti dong|trieu dong|ti|trieu|dong|ha|%)?(?![\w/])"
)
_VALUE = re.compile(
    rf"(?:(?:tu|hon|tren|duoi|khong qua|it nhat|>|<)\s*)?(?<![\d.,/]){_NUM}\s?%?"
    rf"(?:\s*(?:-|den|toi)\s*{_NUM}\s?%?|\s*/\s*{_NUM})?(?:\s*tro len)?(?:\s*cap)?"
)
_LEVEL_IN_YEAR = re.compile(rf"\(\s*nam\s+((?:19|20)\d{{2}})\s*:\s*({_NUM}\s?%?)\s*\)")
_YEAR_AFTER_REF = re.compile(r"nam\s+((?:19|20)\d{2})\b")
_BULLET = re.compile(r"^[\s\-+*•–⁰¹²³⁴⁵⁶⁷⁸⁹]+")  # bullets, and a footnote's own marker
_ENUM = re.compile(r"^\s*(?:\d+(?:\.\d+)*\.?|[a-zđ]\)|[IVX]+\.)\s+", re.IGNORECASE)
_LEAD = re.compile(
    r"(?:trong do|va|thi|tuy nhien|nhung|dong thoi|ngoai ra|mat khac)\b[\s,:]*"
    r"|(?:tinh\s+)?(?:den|trong)\s+(?:ngay|thang|nam)?\s*[\d/]+[\s,:]*"
)
_BOUNDARY = re.compile(r"[;()]|,\s|:\s|\.\s")


@dataclass
class _Found:
    indicator: str
    start: int  # of the clause the figure belongs to, in the unit text
    end: int
    fields: dict[str, tuple[int, int]]


class _Doc:
    """What a document tells the extractor: its place, its period, whether it is a plan."""

    def __init__(self, meta: DocumentMeta) -> None:
        self.meta = meta
        self.is_plan = "ke hoach" in fold(meta.doc_type)
        self.partial = bool(meta.period_month) or bool(pattern("partial_period").search(fold(meta.period)))
        self.table = glossary()


def extract_targets(chunks: list[Chunk], meta: DocumentMeta) -> list[TargetRecord]:
    """Every target or figure of one document's chunks, in reading order."""
    doc = _Doc(meta)
    out: list[TargetRecord] = []
    lead_status = ""
    lead_block: tuple[int, int] | None = None
    prose_parent = ""
    for chunk in chunks:
        for unit in chunk.layout:
            raw = chunk.text[unit.start : unit.end]
            if unit.kind == "row":
                record = _from_row(chunk, unit, raw, doc)
                if record:
                    out.append(record)
                continue
            if unit.kind not in ("sentence", "item", "footnote"):
                continue
            if lead_status and unit.kind == "item" and (lead_block is None or lead_block == (chunk.position, unit.block)):
                lead_block = (chunk.position, unit.block)
                found = _from_prose(chunk, unit, raw, doc, prose_parent)
                out.extend(found or [_lead_item(chunk, unit, raw, doc, lead_status)])
                continue
            lead_status, lead_block = "", None
            bullet = _BULLET.match(raw)
            if not (bullet and "+" in bullet.group(0)):
                prose_parent = ""
            found = _from_prose(chunk, unit, raw, doc, prose_parent)
            out.extend(found)
            folded = fold(raw).rstrip()
            if folded.endswith(":"):
                verdict = _verdict(lower(raw))
                if verdict and not found:
                    lead_status = verdict
            if found and re.search(r"trong do\s*:?\s*$", folded):
                prose_parent = found[-1].indicator
            elif unit.kind == "item" and folded.endswith(":") and not found:
                prose_parent = _clean_indicator(raw)
    return _dedupe(out)


# ----------------------------------------------------------------------------- tables


def _is_label_header(name: str) -> bool:
    folded = re.sub(r"\s+", " ", fold(name)).strip()
    return folded in terms("col_label") or folded.startswith(("ten ", "noi dung"))


def _column_role(name: str) -> str:
    folded = fold(name)
    for role in ("col_pct_prev", "col_pct_plan", "col_status", "col_result", "col_plan", "col_unit"):
        if pattern(role).search(folded):
            return role
    return ""


def _from_row(chunk: Chunk, unit: LayoutUnit, raw: str, doc: _Doc) -> TargetRecord | None:
    roles: dict[str, str] = {}
    label = unit.label
    for name, value in unit.cells.items():
        if _is_label_header(name):  # "TT | Tên chỉ tiêu | …": the name is in the second column
            if re.fullmatch(r"[\dIVXivx.]*", label.strip()):
                label = value
            continue
        role = _column_role(name)
        if role and role not in roles:
            roles[role] = name
    if "col_plan" not in roles or not label:
        return None
    cells = unit.cells
    plan = cells.get(roles["col_plan"], "")
    result_col = roles.get("col_result", "")
    result = cells.get(result_col, "") if result_col else ""
    if result.strip() in ("-", "–", "x"):
        result = ""
    pct_plan = cells.get(roles.get("col_pct_plan", ""), "")
    pct_prev = cells.get(roles.get("col_pct_prev", ""), "")
    if not plan and not result:
        return None
    raw_cells = raw.split("\t")
    shown = set(cells.values())
    unit_text = next(
        (strip_markup(c).strip() for c in raw_cells[1:] if strip_markup(c).strip() and strip_markup(c).strip() not in shown
         and strip_markup(c).strip() not in ("-", "–")),
        "",
    )
    indicator = _strip_lead(label)
    parent = _strip_lead(unit.parent)
    direction = direction_of(indicator, plan)
    stated = cell_status(unit.status) if unit.status else ""
    if not result_col:
        kind, status = "target", "pending"
    else:
        header = fold(result_col)
        kind = "settlement" if pattern("settlement").search(header) else "estimate" if pattern("estimate").search(header) else "actual"
        status = stated or _computed(read_value(plan), read_value(result), pct_plan, direction, doc)
    spans = {}
    for field_name, value in (("indicator", indicator), ("plan", plan), ("result", result),
                              ("percent_of_plan", pct_plan), ("percent_prev", pct_prev)):
        at = _find_in(chunk.text, value, unit.start, unit.end)
        if at:
            spans[field_name] = at
    return _record(
        chunk, doc, indicator=indicator, parent=parent, unit=unit_text, kind=kind, plan=plan, result=result,
        percent_of_plan=pct_plan, percent_prev=pct_prev, status=status, status_stated=bool(stated),
        direction=direction, evidence=raw, evidence_span=(unit.start, unit.end), spans=spans, origin="table",
        year=doc.meta.plan_year if kind == "target" and doc.meta.plan_year else doc.meta.period_year,
    )


def _computed(plan_value: object, result_value: object, percent: str, direction: str, doc: _Doc) -> str:
    from baocao.lang.targets import Value

    assert isinstance(plan_value, Value) and isinstance(result_value, Value)
    status = compare(plan_value, result_value, direction)
    if not status and percent:
        status = percent_status(percent, direction)
    if status == "missed" and doc.partial:
        return ""  # the year is not over
    return status


# ----------------------------------------------------------------------------- prose


def _from_prose(chunk: Chunk, unit: LayoutUnit, raw: str, doc: _Doc, prose_parent: str) -> list[TargetRecord]:
    folded = fold(raw)
    low = lower(raw)
    if doc.is_plan and unit.kind == "item" and _under_targets_heading(chunk):
        return _plan_targets(chunk, unit, raw, folded, doc, prose_parent)  # a plan's list of its targets
    out: list[TargetRecord] = []
    used: list[tuple[int, int]] = []

    def free(a: int, b: int) -> bool:
        return all(b <= s or a >= e for s, e in used)

    # a plan stated after its result ("… kế hoạch đề ra là 31/38 trường")
    stated_plans = [(m.start(), m.end(), m.start(1), m.end(1)) for m in _PLAN_STATED.finditer(folded)]

    # 1. % of plan
    for m in _PCT_OF_PLAN.finditer(folded):
        if _is_change(folded, m.start(1)):
            continue
        pct = (m.start(1), m.end(1))
        if out and used and re.fullmatch(r"[\s,]*(?:va|hay|hoac)?[\s,]*(?:dat|bang)?\s*", folded[used[-1][1] : m.start(1)]):
            # "đạt 96,79% dự toán tỉnh giao và 95,04% dự toán thị xã": the same figure against another base
            twin = out[-1]
            out.append(dataclasses.replace(
                twin, percent_of_plan=raw[pct[0] : pct[1]], basis=_basis(raw, m),
                spans={**twin.spans, "percent_of_plan": (unit.start + pct[0], unit.start + pct[1])},
                status=twin.status if twin.status_stated else _partial(  # type: ignore[arg-type]
                    percent_status(raw[pct[0] : pct[1]], twin.direction), doc),
            ))
            used.append((m.start(), m.end()))
            continue
        clause = _subject(raw, folded, m.start(1), floor=_floor(used, m.start(1)))
        if clause is None:
            continue
        indicator, c_start, c_end = clause
        result_at = _last_amount(folded, c_end, m.start(1))
        between = low[c_start : m.end(1)]
        basis = _basis(raw, m)
        prev = _PCT_PREV.search(folded, m.end(), _next_anchor(folded, m.end()))
        fields = {"indicator": (c_start, c_end), "percent_of_plan": pct}
        result, unit_word = "", ""
        if result_at:
            fields["result"] = result_at[0]
            result, unit_word = raw[result_at[0][0] : result_at[0][1]].strip(), result_at[1]
        if prev:
            fields["percent_prev"] = (prev.start(1), prev.end(1))
        ratio = _RATIO.search(folded, c_start, m.start(1))
        plan = ""
        allotted = _allotted(folded, _floor(used, m.start(1)), result_at[0][0]) if result_at else None
        if allotted:  # "số vốn được bố trí 239 tỷ 491 triệu đồng …, giải ngân được 15 tỷ 298 triệu đồng, đạt 6,39 %"
            plan, fields["plan"] = raw[allotted[0] : allotted[1]], allotted
            label = _label_before(raw, folded, _floor(used, m.start(1)), allotted[0])
            if label:
                indicator, fields["indicator"] = label[0], (label[1], label[2])
        elif ratio and ratio.end() <= m.start(1):
            result, plan = raw[ratio.start(1) : ratio.end(1)], raw[ratio.start(3) : ratio.end(3)]
            fields["result"], fields["plan"] = (ratio.start(1), ratio.end(1)), (ratio.start(3), ratio.end(3))
            unit_word = raw[ratio.start(2) : ratio.end(2)] if ratio.group(2) else _noun_after(raw, ratio.end())
            used.append((ratio.start(), ratio.end()))
        verdict = _verdict(between)
        direction = direction_of(indicator)
        kind = _kind(_segment(folded, result_at[0][0] if result_at else m.start(1)), doc)
        status = verdict or (_computed(read_value(plan), read_value(result), raw[pct[0]:pct[1]], direction, doc)
                             if plan and not allotted else _partial(percent_status(raw[pct[0] : pct[1]], direction), doc))
        out.append(_prose_record(
            chunk, unit, raw, doc, indicator, fields, kind=kind, plan=plan, result=result, unit_word=unit_word,
            status=status, stated=bool(verdict), direction=direction, basis=basis, parent=prose_parent,
            year=_year_after(folded, m.end(2)),
        ))
        used.append((m.start(), m.end()))

    # 2. x/y against a plan
    for m in _RATIO.finditer(folded):
        if not free(m.start(), m.end()) or _is_date_or_scale(folded, m):
            continue
        noun = _noun_after(raw, m.end())
        noun_folded = fold(noun)
        if not noun and not m.group(2):
            continue  # "27/2." is a date, "180/5.726 (3,1%)" names nothing
        aggregate = noun_folded.startswith(terms("aggregate"))
        if not aggregate and noun_folded.startswith(terms("tally_nouns")):
            continue
        x, y = raw[m.start(1) : m.end(1)], raw[m.start(3) : m.end(3)]
        in_stated_plan = any(s <= m.start() < e for s, e, _, _ in stated_plans)
        if in_stated_plan:
            continue
        plan_text, plan_at = y, (m.start(3), m.end(3))
        after = [p for p in stated_plans if p[0] >= m.end()]
        if after:
            plan_text, plan_at = raw[after[0][2] : after[0][3]].strip(), (after[0][2], after[0][3])
        sentence_verdict = _verdict(low)
        if aggregate:
            indicator = "chỉ tiêu chủ yếu" if "chu yeu" in noun_folded or "kinh te" in noun_folded else noun
            fields = {"indicator": (m.end(), m.end() + len(noun)), "result": (m.start(1), m.end(1)), "plan": plan_at}
            unit_word = ""
        else:
            counted = _counted_after(raw, folded, m) if re.search(r"(?<!\w)co\s*$", folded[: m.start()]) else None
            clause = counted or _subject(raw, folded, m.start(), floor=_floor(used, m.start()))
            indicator = clause[0] if clause else noun
            fields = {"indicator": (clause[1], clause[2]) if clause else (m.end(), m.end() + len(noun)),
                      "result": (m.start(1), m.end(1)), "plan": plan_at}
            if "/" in plan_text:  # "29/38 trường … kế hoạch đề ra là 31/38": the result is a ratio too
                x, fields["result"] = raw[m.start(1) : m.end(3)], (m.start(1), m.end(3))
            unit_word = raw[m.start(2) : m.end(2)] if m.group(2) else noun.split(" ")[0] if noun else ""
            if not (sentence_verdict or _has_plan_word(folded) or doc.partial or "%" in folded[m.end() : m.end() + 40]):
                continue
        direction = "up"
        plan_value, result_value = read_value(plan_text), read_value(x)
        computed = compare(plan_value, result_value, direction)
        if sentence_verdict == "met" and computed == "missed":
            sentence_verdict = ""  # "8/11 chỉ tiêu đạt kế hoạch": the verdict is about the 8
        status = sentence_verdict or _partial(computed, doc)
        pct_m = re.search(rf"(?:dat|bang)\s+({_NUM}\s?%)", folded[m.end() : m.end() + 40])
        percent = ""
        if pct_m:
            fields["percent_of_plan"] = (m.end() + pct_m.start(1), m.end() + pct_m.end(1))
            percent = raw[fields["percent_of_plan"][0] : fields["percent_of_plan"][1]]
        out.append(_prose_record(
            chunk, unit, raw, doc, indicator, fields, kind=_kind(folded[: m.end()], doc), plan=plan_text, result=x,
            unit_word=unit_word, status=status, stated=bool(sentence_verdict), direction=direction,
            percent=percent, parent=prose_parent, year=doc.meta.period_year,
        ))
        used.append((m.start(), m.end()))

    # 3. a result with its plan stated after it ("giảm còn 0,97% (vượt … kế hoạch đề ra 1,15%)")
    for s, e, ps, pe in stated_plans:
        if not free(s, e):
            continue
        result_at = _last_amount(folded, _floor(used, s), s)
        if not result_at:
            continue
        clause = _subject(raw, folded, result_at[0][0], floor=_floor(used, s))
        if clause is None:
            continue
        indicator, c_start, c_end = clause
        verdict = _verdict(low[c_start:e])
        direction = direction_of(indicator)
        plan_text, result_text = raw[ps:pe].strip(), raw[result_at[0][0] : result_at[0][1]].strip()
        status = verdict or _partial(compare(read_value(plan_text), read_value(result_text), direction), doc)
        out.append(_prose_record(
            chunk, unit, raw, doc, indicator, {"indicator": (c_start, c_end), "plan": (ps, pe), "result": result_at[0]},
            kind=_kind(folded[c_start:s], doc), plan=plan_text, result=result_text, unit_word=result_at[1],
            status=status, stated=bool(verdict), direction=direction, parent=prose_parent, year=doc.meta.period_year,
        ))
        used.append((s, e))

    out.extend(_changes(chunk, unit, raw, folded, doc, out, used, prose_parent))
    out.extend(_quotas(chunk, unit, raw, doc, used, prose_parent))
    if out:
        return out

    # 4. a plain verdict against the plan ("chưa đạt kế hoạch đề ra", "thấp so kế hoạch")
    verdict_at = re.search(
        rf"({pattern('missed').pattern}|{pattern('met').pattern}|(?<!\w)đạt)\s+(?:so\s+(?:với\s+)?)?(?:kế hoạch|chỉ tiêu)", low
    )
    if verdict_at and not doc.is_plan:
        clause = _subject(raw, folded, verdict_at.start(), cut_at_verbs=False)
        verdict = _verdict(low[verdict_at.start() : verdict_at.end()]) or "met"
        if clause and len(clause[0].split()) <= 24:
            indicator, c_start, c_end = clause
            return [_prose_record(
                chunk, unit, raw, doc, indicator, {"indicator": (c_start, c_end)}, kind="actual", plan="", result="",
                unit_word="", status=verdict, stated=True, direction=direction_of(indicator), parent=prose_parent,
                year=doc.meta.period_year,
            )]

    # 5. a plan's targets for its year
    if doc.is_plan and ((unit.kind == "item" and _under_targets_heading(chunk)) or _has_target_value(folded)):
        return _plan_targets(chunk, unit, raw, folded, doc, prose_parent)
    return []


def _changes(
    chunk: Chunk, unit: LayoutUnit, raw: str, folded: str, doc: _Doc, found: list[TargetRecord],
    used: list[tuple[int, int]], parent: str,
) -> list[TargetRecord]:
    """Figures stated only against the previous year or the same period: "tỷ lệ hồ sơ trực tuyến đạt
    trên 94% (tăng 42% so với năm 2022)", and the items of a parenthesis after a lead-in that names
    the base ("… tăng so với cùng kỳ năm 2022 (nông nghiệp tăng 3%, công nghiệp tăng 13,6%)").
    Month-on-month changes are not these; a change of a count of activity (reports issued) is no
    indicator; a change already read with its plan figure is not read twice."""
    taken = {r.spans.get("percent_prev") for r in found}
    out: list[TargetRecord] = []
    for m in _CHANGE.finditer(folded):
        pct = (m.start(1), m.end(1))
        if (unit.start + pct[0], unit.start + pct[1]) in taken or any(s <= m.start() < e for s, e in used):
            continue
        lead = _paren_lead(folded, m.start())
        if not (pattern("prev_ref").match(folded[m.end() :].lstrip()) or (lead and _names_previous(lead))):
            continue
        before = folded[max(0, m.start() - 40) : m.start()]
        if re.search(rf"{_NUM}\s+(?:{'|'.join(terms('tally_nouns'))})\b", before):
            continue  # "ban hành 1.003 báo cáo các loại tăng 12%": a count of activity
        clause = _subject(raw, folded, m.start(), floor=_floor(used, m.start()))
        if clause is None:
            continue
        indicator, c_start, c_end = clause
        fields = {"indicator": (c_start, c_end), "percent_prev": pct}
        result_at = _last_amount(folded, c_end, m.start())
        result, unit_word = "", ""
        if result_at:
            start = result_at[0][0]
            bound = re.search(r"(?:tren|hon|duoi|gan)\s+$", folded[max(0, start - 6) : start])
            start = start - (len(bound.group(0)) if bound else 0)
            end = result_at[0][1]
            if result_at[1] == "%":  # "đạt trên 94%": the sign belongs to the figure
                end = folded.index("%", end) + 1
            fields["result"] = (start, end)
            result, unit_word = raw[start:end].strip(), result_at[1]
        lead_parent = parent
        if lead and not result:
            lead_parent = _clean_indicator(raw[_bullet_len(raw) : lead[1]]) or parent
        out.append(_prose_record(
            chunk, unit, raw, doc, indicator, fields, kind=_kind(_segment(folded, m.start()), doc), plan="",
            result=result, unit_word=unit_word, status="", stated=False, direction=direction_of(indicator),
            parent=lead_parent, year=doc.meta.period_year,
        ))
        used.append((m.start(), m.end()))
    return out


def _paren_lead(folded: str, pos: int) -> tuple[str, int] | None:
    """The text before the parenthesis ``pos`` is in (the clause that introduces it) and where the
    parenthesis opens; None outside a parenthesis."""
    opened = folded.rfind("(", 0, pos)
    if opened < 0 or ")" in folded[opened:pos]:
        return None
    start = max(folded.rfind(". ", 0, opened), folded.rfind(";", 0, opened), folded.rfind("(", 0, opened), -1) + 1
    return folded[start:opened], opened


def _names_previous(lead: tuple[str, int]) -> bool:
    return bool(re.search(rf"(?:tang|giam)\s+(?:{pattern('prev_ref').pattern})", lead[0]))


def _quotas(
    chunk: Chunk, unit: LayoutUnit, raw: str, doc: _Doc, used: list[tuple[int, int]], parent: str,
) -> list[TargetRecord]:
    """A quota filled: "giao đủ 214 chỉ tiêu" — plan and result are the number, met as stated; its
    subject is the clause before."""
    low = lower(raw)
    folded = fold(raw)
    out: list[TargetRecord] = []
    for m in re.finditer(rf"(?:{pattern('quota').pattern})\s+({_NUM})\s+(chỉ tiêu)", low):
        if any(s <= m.start() < e for s, e in used):
            continue
        n = (m.start(1), m.end(1))
        clause = _subject(raw, folded, m.start(), floor=_floor(used, m.start()))
        fields: dict[str, tuple[int, int]] = {"plan": n, "result": n}
        if not clause:
            continue
        indicator = clause[0]
        fields["indicator"] = (clause[1], clause[2])
        number = raw[n[0] : n[1]]
        out.append(_prose_record(
            chunk, unit, raw, doc, indicator, fields, kind="actual", plan=number, result=number,
            unit_word=raw[m.start(2) : m.end(2)], status="met", stated=True, direction="up", parent=parent,
            year=doc.meta.period_year,
        ))
        used.append((m.start(), m.end()))
    return out


def _allotted(folded: str, start: int, end: int) -> tuple[int, int] | None:
    """The amount of capital allotted (the plan) stated before the result, between ``start`` and ``end``."""
    phrase = pattern("plan_amount").search(folded, start, end)
    if not phrase:
        return None
    amount = _AMOUNT.search(folded, phrase.end(), end)
    if not amount or not amount.group(3) or amount.group(3) == "%":
        return None
    return amount.start(1), amount.end(2) if amount.group(2) else amount.end(1)


def _label_before(raw: str, folded: str, start: int, end: int) -> tuple[str, int, int] | None:
    """The label a part opens with ("Vốn ngân sách tỉnh quản lý: …", "- Tiến độ … năm 2023: …"), the
    last one between ``start`` and ``end``."""
    best = None
    for m in re.finditer(r"(?:^|(?<=[.;]\s)|(?<=\*\*))([^:.;()]{6,100}?):\s", folded[start:end]):
        a, b = start + m.start(1), start + m.end(1)
        text = _clean_indicator(raw[a:b].replace("**", ""))
        if len(text.split()) >= 2:
            best = (text, a, b)
    return best


def _counted_after(raw: str, folded: str, m: re.Match[str]) -> tuple[str, int, int] | None:
    """The counted noun phrase after "có x/y" ("chỉ có 29/38 trường đạt chuẩn quốc gia không đạt kế
    hoạch"), up to the verdict or the plan words."""
    start = m.end() + len(folded[m.end() :]) - len(folded[m.end() :].lstrip())
    stop = re.search(r"\s(?:khong|chua)\s|\s(?:ke hoach|chi tieu)\b|[,.;()]", folded[start:])
    end = start + stop.start() if stop else len(folded)
    text = _clean_indicator(raw[start:end])
    return (text, start, end) if len(text.split()) >= 2 else None


def _plan_targets(chunk: Chunk, unit: LayoutUnit, raw: str, folded: str, doc: _Doc, parent: str) -> list[TargetRecord]:
    """The targets of one plan item or sentence: one per part that states a value ("… đạt 100% và
    bình xét đạt 95% trở lên" gives two)."""
    body_start = _bullet_len(raw)
    if folded.rstrip().endswith(":"):
        return []
    strict = unit.kind != "item"  # a sentence's target needs a figure or an "đạt …" goal
    parts = _split_parts(folded, body_start, strict)
    out = []
    for a, b in parts:
        piece = folded[a:b]
        value = _target_value(piece, strict)
        if value is None and len(parts) > 1:
            continue
        if value is None:
            if unit.kind != "item":
                continue
            plan_at = (a, b)
            plan = ""
            indicator_span = (a, b)
        else:
            plan_at = (a + value[0], a + value[1])
            plan = raw[plan_at[0] : plan_at[1]].strip(" .")
            before = folded[a : a + value[0]].strip(" -+*•–")
            verb = re.fullmatch(rf"(?:{pattern('target_verb').pattern})", before)
            opening = "" if verb or not before else raw[a : a + value[0]].strip(" -+*•–") if len(before.split()) == 1 else None
            if opening is None:
                indicator_span = (a, a + value[0])
            else:  # "Duy trì không còn hộ nghèo chuẩn trung ương, …", "Giảm 02 hộ cận nghèo": what follows names it
                cut = re.search(r",\s|;\s", folded[a + value[1] : b])
                indicator_span = (a + value[1], a + value[1] + cut.start() if cut else b)
        indicator = _clean_indicator(raw[indicator_span[0] : indicator_span[1]])
        if value is not None and opening:
            indicator = f"{opening} {indicator}"
        if not indicator:
            continue
        level = _LEVEL_IN_YEAR.search(piece, value[1] if value else 0)
        if level and parent:  # "Giảm hàng năm … là 0,1% (Năm 2024: 8,06%)": the level of the parent's indicator too
            at = (a + level.start(2), a + level.end(2))
            out.append(_prose_record(
                chunk, unit, raw, doc, parent, {"plan": at}, kind="target", plan=raw[at[0] : at[1]], result="",
                unit_word="%" if "%" in raw[at[0] : at[1]] else "", status="pending", stated=False,
                direction=direction_of(parent), parent=parent, year=int(level.group(1)),
            ))
        out.append(_prose_record(
            chunk, unit, raw, doc, indicator, {"indicator": indicator_span, **({"plan": plan_at} if plan else {})},
            kind="target", plan=plan, result="", unit_word="%" if "%" in plan else "", status="pending",
            stated=False, direction=direction_of(indicator, plan), parent=parent,
            year=doc.meta.plan_year or doc.meta.period_year,
        ))
    return out


def _split_parts(folded: str, start: int, strict: bool) -> list[tuple[int, int]]:
    """Parts of a target sentence that each state a value, split at ", " / "; " / " và "."""
    cuts = [start]
    for m in re.finditer(r",\s|;\s|\s+va\s+", folded[start:]):
        left, right = folded[cuts[-1] : start + m.start()], folded[start + m.end() :]
        if _target_value(left, strict) is not None and _target_value(right, strict) is not None:
            cuts.append(start + m.end())
    bounds = cuts + [len(folded.rstrip(" .;"))]
    return [(bounds[i], bounds[i + 1]) for i in range(len(bounds) - 1)]


def _target_value(piece: str, strict: bool = False) -> tuple[int, int] | None:
    """Where a target's value is in a folded piece: a figure ("đạt 95%", "dưới 1%", "04/04", "từ 5%
    đến 10%") or a goal phrase ("đạt và vượt kế hoạch", "đạt chỉ tiêu được giao")."""
    goals = [g for g in pattern("goal").finditer(piece) if not strict or re.match(r"dat|khong con", g.group(0))]
    goal = goals[0] if goals else None
    if goal and len(goals) > 1 and re.fullmatch(rf"(?:{pattern('target_verb').pattern})", goal.group(0)):
        goal = goals[1]  # "Duy trì không còn hộ nghèo": the verb opens, the goal is "không còn"
    opening_verb = bool(goal and re.fullmatch(rf"(?:{pattern('target_verb').pattern})", goal.group(0)))
    for m in _VALUE.finditer(piece):
        if re.match(r"\s*(?:nam|tuoi|thang)\b", piece[m.end() :]) or re.search(r"(?:nam|lop|giai doan)\s*$", piece[: m.start()]):
            continue
        if goal and goal.start() < m.start() and not opening_verb:  # "Duy trì 04/04 …": the figure is the value
            break
        return m.start(), m.end()
    if goal:
        return goal.start(), goal.end()
    return None


def _has_target_value(folded: str) -> bool:
    return bool(re.search(rf"(?:dat|duoi|hon|tren)\s+{_NUM}\s?%|{_NUM}\s?%\s*tro len|tu\s+{_NUM}\s?%\s*den", folded)
                or re.search(r"dat chi tieu|dat va vuot|khong con", folded))


def _under_targets_heading(chunk: Chunk) -> bool:
    return bool(chunk.section_path) and any(
        re.search(r"\b(?:chi tieu|muc tieu)\b", fold(h)) and not re.search(r"\bnhiem vu|giai phap\b", fold(h))
        for h in chunk.section_path[:1]
    )


def _lead_item(chunk: Chunk, unit: LayoutUnit, raw: str, doc: _Doc, status: str) -> TargetRecord:
    """An item of a list whose lead-in gives the verdict ("một số nhiệm vụ chưa hoàn thành như:")."""
    folded = fold(raw)
    body = _bullet_len(raw)
    end = len(raw.rstrip(" ."))
    cut = re.search(r"\s(?:con cham|cham|chua)\b|[(:;]", folded[body:end])
    if cut:
        end = body + cut.start()
    indicator = _clean_indicator(raw[body:end])
    return _prose_record(
        chunk, unit, raw, doc, indicator, {"indicator": (body, end)}, kind="actual", plan="", result="", unit_word="",
        status=status, stated=True, direction=direction_of(indicator), parent="", year=doc.meta.period_year,
    )


# ----------------------------------------------------------------------------- helpers


def _bullet_len(raw: str) -> int:
    bullet = _BULLET.match(raw)
    return len(bullet.group(0)) if bullet else 0


def _verdict(low: str) -> str:
    """'missed' / 'met' as the words of ``low`` (accent-kept lower case) state it, else ''."""
    missed = pattern("missed").search(low)
    met = pattern("met").search(low)
    if missed and (not met or missed.start() <= met.start() or "vượt" not in low[met.start() : met.end()]):
        return "missed"
    return "met" if met else ""


def _partial(status: str, doc: _Doc) -> str:
    return "" if status == "missed" and doc.partial else status


def _kind(text: str, doc: _Doc) -> str:
    if pattern("settlement").search(text):
        return "settlement"
    if pattern("estimate").search(text):
        return "estimate"
    return "actual"


def _segment(folded: str, pos: int) -> str:
    """The clause around ``pos`` (between the boundaries before and after it)."""
    start = max((m.end() for m in _BOUNDARY.finditer(folded, 0, pos)), default=0)
    after = _BOUNDARY.search(folded, pos)
    return folded[start : after.start() if after else len(folded)]


def _is_change(folded: str, pos: int) -> bool:
    return bool(re.search(r"(?:tang|giam)\s*$", folded[max(0, pos - 8) : pos]))


def _is_date_or_scale(folded: str, m: re.Match[str]) -> bool:
    before = folded[max(0, m.start() - 10) : m.start()]
    y = m.group(3)
    if y.startswith("0") and y.isdigit() and int(y) <= 12:
        return True  # "5/01", "10/02": a day and a month
    return bool(re.search(r"ngay\s*$|ti le\s*\(?\s*$|thang\s*$|so\s*:?\s*$", before)) or folded[m.end() : m.end() + 1] == "-"


def _has_plan_word(folded: str) -> bool:
    return bool(re.search(r"\b(?:ke hoach|chi tieu|du toan|hoan thanh)\b", folded))


def _noun_after(raw: str, pos: int) -> str:
    words = re.findall(r"[^\W\d_]+", raw[pos : pos + 60])
    text = raw[pos : pos + 60]
    stop = re.search(r"[,.;()]", text)
    if stop:
        words = re.findall(r"[^\W\d_]+", text[: stop.start()])
    return " ".join(words[:6])


def _next_anchor(folded: str, pos: int) -> int:
    nxt = _PCT_OF_PLAN.search(folded, pos)
    return nxt.start() if nxt else len(folded)


def _basis(raw: str, m: re.Match[str]) -> str:
    """What a percentage is measured against when the report names it ("dự toán tỉnh giao")."""
    tail = m.group(3)
    words = re.findall(r"[a-z]+", re.split(r"\bva\b|\bnam\b|\d", tail)[0])
    named = {"tinh", "thanh", "pho", "thi", "xa", "huyen", "quan", "phuong", "thang", "quy", "giao", "trung", "uong"}
    if not words or words[0] not in named:
        return ""
    end = m.start(3) + len(" ".join(words)) + (len(tail) - len(tail.lstrip()))
    return re.sub(r"\s+", " ", raw[m.start(2) : end]).strip()


def _year_after(folded: str, pos: int) -> int:
    m = _YEAR_AFTER_REF.match(folded[pos : pos + 12].lstrip())
    return int(m.group(1)) if m else 0


def _last_amount(folded: str, start: int, end: int) -> tuple[tuple[int, int], str] | None:
    """The last amount with a unit between ``start`` and ``end`` (a result before its percentage)."""
    best = None
    for m in _AMOUNT.finditer(folded, start, end):
        if not m.group(3) or re.fullmatch(r"(?:19|20)\d{2}", m.group(1)):
            continue
        if m.group(3) == "%" and re.search(r"(?:tang|giam)\s*$", folded[max(0, m.start() - 8) : m.start()]):
            continue
        if m.group(2):
            best = ((m.start(1), m.end(2)), "đồng")
        else:
            unit = {"ti dong": "tỷ đồng", "trieu dong": "triệu đồng", "ti": "tỷ", "trieu": "triệu", "dong": "đồng"}.get(
                m.group(3), m.group(3))
            best = ((m.start(1), m.end(1)), unit)
    if best is None:
        return None
    (s, e), unit = best
    return (s, e), unit


def _floor(used: list[tuple[int, int]], pos: int) -> int:
    """Where the clause of a figure at ``pos`` can start at the earliest: after the figure before it."""
    return max((e for s, e in used if e <= pos), default=0)


def _subject(
    raw: str, folded: str, pos: int, *, cut_at_verbs: bool = True, floor: int = 0
) -> tuple[str, int, int] | None:
    """The indicator a figure at ``pos`` is about: the nearest clause before it that names
    something, up to its verb ("Tổng thu ngân sách nhà nước ước đạt …" -> "Tổng thu ngân sách nhà nước")."""
    low = lower(raw)
    verbs = pattern("result_verb")
    bounds = [floor] + [m.end() for m in _BOUNDARY.finditer(folded, floor, pos)]
    for start in reversed(bounds):
        seg_end = pos
        nxt = _BOUNDARY.search(folded, start, pos)
        if nxt:
            seg_end = nxt.start()
        a = start + len(folded[start:seg_end]) - len(folded[start:seg_end].lstrip(" -+*•–\t"))
        lead = _LEAD.match(folded, a)
        while lead and lead.end() > a:
            a = lead.end()
            lead = _LEAD.match(folded, a)
        b = seg_end
        if cut_at_verbs:
            first = verbs.match(low, a)
            while first and first.end() > a:  # a clause that starts with its verb: "ước thu nội địa là …"
                a = first.end() + len(low[first.end() : b]) - len(low[first.end() : b].lstrip())
                first = verbs.match(low, a)
            verb = verbs.search(low, a + 1, b)
            if verb:
                b = verb.start()
            digit = re.search(r"\d", folded[a:b])
            if digit:
                b = a + digit.start()
        text = _clean_indicator(raw[a:b])
        if len(re.findall(r"[^\W\d_]+", text)) >= 2:
            return text, a, a + len(raw[a:b].rstrip())
    return None


def _clean_indicator(text: str) -> str:
    text = _ENUM.sub("", _BULLET.sub("", strip_markup(text)))
    text = re.sub(r"\s+", " ", text).strip(" ,.:;-–\"“”")
    return re.sub(r"\s+(?:n[aă]m\s*)?$", "", text)


def _strip_lead(label: str) -> str:
    text = _ENUM.sub("", _BULLET.sub("", strip_markup(label))).strip()
    return re.sub(r"^(?:[Tt]rong đó|[Tt]rong do)\s*:?\s*", "", text).strip()


def _find_in(text: str, value: str, start: int, end: int) -> tuple[int, int] | None:
    if not value:
        return None
    at = text.find(value, start, end)
    return (at, at + len(value)) if at >= 0 else None


def _prose_record(
    chunk: Chunk, unit: LayoutUnit, raw: str, doc: _Doc, indicator: str, fields: dict[str, tuple[int, int]], *,
    kind: str, plan: str, result: str, unit_word: str, status: str, stated: bool, direction: str,
    parent: str, year: int, basis: str = "", percent: str = "",
) -> TargetRecord:
    spans = {k: (unit.start + s, unit.start + e) for k, (s, e) in fields.items()}
    if not percent and "percent_of_plan" in fields:
        s, e = fields["percent_of_plan"]
        percent = raw[s:e]
    prev = ""
    if "percent_prev" in fields:
        s, e = fields["percent_prev"]
        prev = raw[s:e]
    return _record(
        chunk, doc, indicator=indicator, parent=parent, unit=unit_word, kind=kind, plan=plan, result=result,
        percent_of_plan=percent, percent_prev=prev, status=status, status_stated=stated, direction=direction,
        evidence=raw, evidence_span=(unit.start, unit.end), spans=spans, basis=basis,
        year=year or doc.meta.period_year,
    )


def _record(chunk: Chunk, doc: _Doc, **values: object) -> TargetRecord:
    meta = doc.meta
    record = TargetRecord(
        doc_id=meta.doc_id, chunk_position=chunk.position, locality=meta.locality, level=meta.locality_level,
        period=meta.period, source=meta.source, doc_label=meta.label, chunk_id=chunk.chunk_id,
        **values,  # type: ignore[arg-type]
    )
    record.canonical = canonical_indicator(record.indicator, doc.table)
    return record


def _dedupe(records: list[TargetRecord]) -> list[TargetRecord]:
    """A plan repeats its targets (section I lists them, section II again): keep the first of each
    target with the same indicator and plan; and never one record twice for one span."""
    seen: set[tuple[str, ...]] = set()
    out = []
    for r in records:
        key = (r.doc_id, fold(r.indicator), r.plan, r.result, r.percent_of_plan) if r.kind == "target" else (
            r.doc_id, str(r.chunk_position), str(r.evidence_span), fold(r.indicator), r.plan, r.result, r.percent_of_plan)
        # a target repeated in words ("Giao quân năm 2024 đạt chỉ tiêu" after "Giao quân đạt 100% …")
        loose = (r.doc_id, "target", r.canonical)
        worded = r.kind == "target" and not read_value(r.plan).numeric
        if key in seen or (worded and loose in seen):
            continue
        seen.add(key)
        if r.kind == "target":
            seen.add(loose)
        out.append(r)
    return out
