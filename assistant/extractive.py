"""No-LLM answers: pick the reports' own sentences, list items, table rows and footnotes.

Each retrieved passage's units come from its layout (found at ingest, :mod:`ingest.units`). Every
unit gets named features (:mod:`assistant.features`) and a learned probability of answering the
question (the unit ranker); the question gets a learned probability that the retrieved passages
answer it at all (the answerability model). Both models and every decision threshold come from
``python -m evals.train_ranker`` over training question sets (:mod:`assistant.ranking`), chosen by
cross-validation grouped by document. Units from another locality, year or month than the question
names are left out; a place the question names that no loaded report covers is a refusal that
says so. The best units become the answer's statements, each cited: a list question gets its list,
a targets question the rows of its status, a question over several places one unit per place.

Not thread-safe: the service serialises calls.
"""
from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from assistant.candidates import UnitCandidate, build_candidates
from assistant.features import Featurizer, SentenceEmbedder, TermWeights, names_asked_columns, question_features
from assistant.ranking import AnswerModel
from baocao.lang.numbering import heading_rank, without_numbering
from baocao.lang.numbers import figures, has_date, stated_figures
from baocao.lang.questions import asks_count, cause_cues, cell_status, remedy_starts, speaks_of_share
from baocao.lang.signatures import Signature, asks_signer, signature_of
from baocao.lang.tokens import folded_words, match_tokens
from baocao.models import Chunk, DocumentMeta
from vectorstore.hits import Hit
from vectorstore.query import Query
from vectorstore.term_stats import TermStats

MAX_STATEMENTS = 3
MAX_ACTOR_CHARS = 120  # a heading longer than this is a sentence, not the name of who acts
MAX_LIST_STATEMENTS = 8
INTRODUCED_ITEMS = 2  # a fact asked of a sentence ending with ':': the items it introduces shown with it
MAX_SECTION_ITEMS = 12  # a heading's whole list (its sub-headings included), past which "và N mục khác"



@dataclass
class Statement:
    text: str
    candidate: UnitCandidate
    doc_label: str = ""


@dataclass
class ExtractiveResult:
    statements: list[Statement]
    abstained: bool
    reason: str = ""  # why it abstained
    best: UnitCandidate | None = None
    candidates: list[UnitCandidate] = field(default_factory=list)
    features: dict[str, float] = field(default_factory=dict)
    kind: str = "factoid"  # factoid | list | status | docs | localities | signer
    extra_hits: list[Hit] = field(default_factory=list)  # passages fetched beyond the retrieved ones
    status: str = ""  # for kind "status": "missed" or "met"
    missing_places: list[str] = field(default_factory=list)  # named places no loaded report covers
    missing_shape: str = ""  # refused because the passages give no figure ("figure"), or only a share ("count")
    asks: set[str] = field(default_factory=set)  # the answer shapes the question asks for
    more: int = 0  # for kind "list": how many further items the list has beyond those shown
    # the question's content terms (each a list of forms in matching syllables) and whether they keep accents
    term_forms: list[list[tuple[str, ...]]] = field(default_factory=list)
    accents: bool = False


@dataclass
class Prepared:
    """What a question's candidates are, before any model has weighed them (cached by training)."""

    query: Query
    candidates: list[UnitCandidate]  # every unit of the passages, excluded ones included
    weights: TermWeights
    span_query: str

    @property
    def usable(self) -> list[UnitCandidate]:
        return [c for c in self.candidates if not c.excluded]


def _figure_asked(query: Query) -> bool:
    return (query.asks("number") or asks_count(query.text)) and not query.wants_list and not query.asks("yesno")


def _counts_asked(query: Query) -> bool:
    """'bao nhiêu người', 'dân số', 'how many': a count of something, not a share."""
    measured = bool(query.measures) and not any(("%",) in m.forms for m in query.measures)
    return measured or asks_count(query.text)


def _gives_share(c: UnitCandidate) -> bool:
    """Every figure of the unit is a share of something it names as a share ("Tỷ lệ hộ dân cư sử
    dụng nước sạch hơn 99%"; a row under a "(%)" label: its plain values are percentages too)."""
    unit = c.unit
    values = " ; ".join(v for v in unit.cells.values() if v != unit.label) if unit.cells else unit.text
    found = stated_figures(values)
    per_cent = "(%)" in unit.text.split(":")[0]  # the row's name with its unit: "Tỷ lệ … (%): Kế hoạch …"
    shares = [f for f in found if f.endswith("%") or (per_cent and "/" not in f)]
    return bool(found) and len(shares) == len(found) and speaks_of_share(unit.label or unit.text)


def doc_label(meta: DocumentMeta | None, fallback: str = "") -> str:
    return meta.label if meta is not None else fallback


class ExtractiveAnswerer:
    def __init__(self, embedder: SentenceEmbedder | None, model: AnswerModel | None = None,
                 stats: TermStats | None = None) -> None:
        self.featurizer = Featurizer(embedder)
        self._model = model
        self.stats = stats or TermStats()
        # How to read a sub-question of a compound question (set by the service: it knows the localities).
        self.analyse_part: Callable[[str, Query], Query] | None = None
        # The passage after a given one (a heading at the end of a passage introduces the next one).
        self.next_passage: Callable[[Chunk], Chunk | None] | None = None
        # A document's closing passages ("Nơi nhận:", the signature block), by document id.
        self.closing_passages: Callable[[str], list[Chunk]] | None = None
        self.extra_hits: list[Hit] = []  # passages fetched while answering (shown and citable)
        self._weights: TermWeights | None = None  # of the question being answered (set by decide)
        self._more = 0  # of the list being answered: items not shown

    @property
    def model(self) -> AnswerModel:
        """The trained models (loaded at the first answer: preparing candidates does not need them)."""
        if self._model is None:
            self._model = AnswerModel.load()
        return self._model

    @model.setter
    def model(self, model: AnswerModel) -> None:
        self._model = model

    # ----- public -----------------------------------------------------------------------
    def answer(self, query: Query, hits: Sequence[Hit], span_query: str | None = None) -> ExtractiveResult:
        return self.decide(self.prepare(query, hits, span_query))

    def prepare(self, query: Query, hits: Sequence[Hit], span_query: str | None = None) -> Prepared:
        """Candidates with their features (and dense cosines); no model applied yet."""
        prepared = Prepared(query, build_candidates(query, hits), TermWeights(query, self.stats), span_query or query.reading)
        self.featurize(query, prepared.usable, prepared.weights, prepared.span_query)
        return prepared

    def decide(self, prepared: Prepared) -> ExtractiveResult:
        """Apply the models: rank the units, answer or refuse, choose the statements."""
        self.extra_hits = []
        query, candidates = prepared.query, prepared.candidates
        if query.unknown_places:
            return ExtractiveResult([], True, f"place not in the reports: {', '.join(query.unknown_places)}",
                                    candidates=candidates, missing_places=list(query.unknown_places))
        usable = prepared.usable
        if not usable:
            reason = "no passage from the locality/period asked" if candidates else "no passage retrieved"
            return ExtractiveResult([], True, reason, candidates=candidates)
        self.rank(usable)
        usable.sort(key=lambda c: c.score, reverse=True)
        self._weights = prepared.weights
        best = usable[0]
        row = question_features(query, usable, prepared.weights, self.stats)
        answerable = float(self.model.answerability.probabilities(row[None])[0])
        features = {"best_probability": round(best.score, 4), "answerable": round(answerable, 4),
                    "retrieval_score": round(float(best.hit.score), 4)}
        if asks_signer(query.text) and self.closing_passages is not None:
            return self._signers(query, usable, candidates, features)
        threshold = self.model.thresholds.answerable_for(query.lang)
        if answerable < threshold:
            reason = f"the passages do not answer it (answerability {answerable:.2f} < {threshold:.2f})"
            return ExtractiveResult([], True, reason, best, candidates, features)
        self._more = 0
        kind, chosen = self.select(query, usable)
        if kind == "factoid" and _figure_asked(query) and not any(stated_figures(c.unit.text) for c in chosen):
            # "bao nhiêu", "how many": a passage about the subject that states no figure does not answer it
            return ExtractiveResult([], True, "the passages state no figure for what is asked", best, candidates, features,
                                    missing_shape="figure")
        if kind == "factoid" and _figure_asked(query) and _counts_asked(query) and not query.asks("percent") and all(_gives_share(c) for c in chosen):
            # "Dân số … bao nhiêu người?" is not answered by "Tỷ lệ dân số sử dụng nước sạch 99,90%"
            return ExtractiveResult([], True, "the passages give a share, not the number asked", best, candidates, features,
                                    missing_shape="count")
        definitions, introduced = self.definitions(query, usable)
        chosen += [c for c in introduced if c not in chosen][: MAX_LIST_STATEMENTS - len(chosen)]
        chosen = self.with_footnotes(query, chosen, usable)
        statements = definitions + [Statement(_statement_text(query, c), c, doc_label(c.meta, c.chunk.doc_id)) for c in chosen]
        result = ExtractiveResult(statements, False, "", best, candidates, features, kind, status=query.status,
                                  asks=set(query.shapes), more=self._more if kind == "list" else 0,
                                  term_forms=[t.forms for t in query.terms], accents=query.accents)
        result.extra_hits = list(self.extra_hits)
        return result

    def _signers(self, query: Query, usable: list[UnitCandidate], candidates: list[UnitCandidate],
                 features: dict[str, float]) -> ExtractiveResult:
        """"Ai ký báo cáo …?": the name under the signature block of the document asked about (the
        best passage's, or each named place's best), read from the document's closing passages; a
        refusal when the block gives only the title (no other unit says who signed)."""
        best = usable[0]
        docs = [best.chunk.doc_id]
        if len(query.localities) >= 2:
            named = [next((c.chunk.doc_id for c in usable if c.chunk.doc_id in place.doc_ids), "") for place in query.localities]
            docs = list(dict.fromkeys(d for d in named if d)) or docs
        statements: list[Statement] = []
        for doc_id in docs:
            found = self._signature(doc_id)
            if found is not None:
                signature, unit = found
                statements.append(Statement(f"{signature.title}: {signature.name}", unit, doc_label(unit.meta, doc_id)))
        if not statements:
            return ExtractiveResult([], True, "the signature block gives no signer's name", best, candidates, features,
                                    missing_shape="signer")
        result = ExtractiveResult(statements, False, "", best, candidates, features, "signer", asks=set(query.shapes),
                                  term_forms=[t.forms for t in query.terms], accents=query.accents)
        result.extra_hits = [s.candidate.hit for s in statements]
        return result

    def _signature(self, doc_id: str) -> tuple[Signature, UnitCandidate] | None:
        """A document's signature with the unit that holds the signer's name, when the block names one."""
        assert self.closing_passages is not None
        units = [(chunk, order, unit) for chunk in self.closing_passages(doc_id) for order, unit in enumerate(chunk.layout)]
        signature = signature_of([unit.text for _, _, unit in units])
        if signature is None or not signature.name:
            return None
        chunk, order, unit = units[signature.name_line]
        hit = Hit(chunk, 0.0, 0, why=["signature block"])
        return signature, UnitCandidate(unit, order, hit, match_tokens(unit.text), set(), match_tokens(unit.text, True))

    # ----- features and ranking ----------------------------------------------------------
    def featurize(self, query: Query, candidates: list[UnitCandidate], weights: TermWeights, span_query: str) -> None:
        self.featurizer.featurize(query, candidates, weights, span_query)

    def rank(self, candidates: list[UnitCandidate]) -> None:
        rows = np.stack([c.features for c in candidates if c.features is not None]) if candidates else np.zeros((0, 0))
        for c, p in zip(candidates, self.model.unit.probabilities(rows)):
            c.score = float(p)

    def _scored(self, query: Query, candidates: list[UnitCandidate], span_query: str) -> list[UnitCandidate]:
        """Fresh copies of ``candidates`` weighed for another (sub-)question."""
        copies = [copy.copy(c) for c in candidates]
        for c in copies:
            c.dense = None
        weights = TermWeights(query, self.stats)
        self.featurize(query, copies, weights, span_query)
        self.rank(copies)
        return sorted(copies, key=lambda c: c.score, reverse=True)

    # ----- choosing the statements -------------------------------------------------------
    def select(self, query: Query, usable: list[UnitCandidate]) -> tuple[str, list[UnitCandidate]]:
        t = self.model.thresholds
        # a unit that only repeats its document's name ("Năng lực pháp luật dân sự của cá nhân", the
        # title of the article the answer is framed with) says nothing the frame does not
        labels: dict[str, str] = {}
        usable = [c for c in usable if not _in_label(c.key, c, labels)] or usable
        best = usable[0]
        # "vì sao … không đạt" asks for the reason a target was missed, not for the missed ones
        if query.status and not (query.asks("cause") or query.asks("remedy")):
            rows = [c for c in usable if c.unit.kind == "row" and c.chunk.doc_id == best.chunk.doc_id and _row_status(c) == query.status]
            # a sub-row ("- 01 xã đạt chuẩn nông thôn mới") is part of its target when that is listed
            listed = {c.unit.label for c in rows}
            rows = [c for c in rows if not c.unit.parent or c.unit.parent not in listed]
            if rows:
                return "status", _in_reading_order(rows)
        if len(query.localities) >= 2:
            # each named place's best unit that is about the question (a term beyond the generic
            # figure words), however far below the other place's: the question asks for both
            weights = self._weights
            assert weights is not None, "decide() sets the weights before selecting"
            wanted = weights.specific or set(range(len(weights.weights)))
            about = [c for c in usable if c.term_hits & wanted]
            chosen = _best_per(about, lambda c: _fold(c.meta.locality if c.meta else ""), 0.0)
            if len(chosen) >= 2:
                return "localities", chosen
        if query.asks("docs"):
            chosen = _best_per(usable, lambda c: c.chunk.doc_id, best.score * t.list_keep)
            return "docs", chosen[:MAX_LIST_STATEMENTS]
        if query.asks("cause") and not cause_cues().search(best.unit.text.lower()):
            # "Tình trạng lấn chiếm ... tái diễn." then "Nguyên nhân:" — the causes follow the problem.
            causes = self._section_after(query, best, usable, ("nguyen nhan",))
            if causes:
                return "list", causes[:MAX_LIST_STATEMENTS]
        if query.asks("remedy") and not query.asks("cause"):
            # the shortcoming, then "Nguyên nhân:", then "Giải pháp thực hiện:" — the remedy follows the
            # problem; a unit under that heading is one step of it: the heading's whole section answers
            heading = _enclosing_heading(best, usable)
            if heading is not None and any(f" {name} " in f" {heading.key} " for name in _REMEDY_HEADINGS):
                remedies = self._introduced_by(query, heading, usable)
            elif not _opens_remedy(best):
                remedies = self._section_after(query, best, usable, _REMEDY_HEADINGS)
            else:
                remedies = []
            if remedies:
                return "list", remedies[:MAX_LIST_STATEMENTS]
        grouped = _row_group(best, usable, query.wants_list)
        if grouped:
            # "13 | Xã Tân Yên" over "- | Sân vận động Cầu Vồng | Thôn …": a row that only names its
            # group says what is in it by the rows under it; a list asked of one of those rows is its group
            self._more = max(0, len(grouped) - MAX_LIST_STATEMENTS)
            return "list", grouped[:MAX_LIST_STATEMENTS]
        introduced = self._introduced_by(query, best, usable)
        if introduced and (query.wants_list or query.asks("cause") or best.unit.kind == "heading"):
            if best.unit.kind != "heading" or not query.wants_list:
                # the sentence that introduces the list frames it ("... một số nhiệm vụ chưa hoàn thành như:");
                # so does a heading asked a fact ("2. Phạm tội thuộc một trong các trường hợp sau đây, thì
                # bị phạt tù từ 03 năm đến 07 năm:" holds the term its items only qualify)
                introduced = [best] + introduced
            limit = MAX_SECTION_ITEMS if best.unit.kind == "heading" else MAX_LIST_STATEMENTS
            self._more = max(0, len(introduced) - limit)
            return "list", introduced[:limit]
        if query.wants_list or query.asks("cause"):
            chosen = _with_citing_unit(best, usable)
            if best.unit.block >= 0 and best.unit.kind == "item":
                # a list answers as a whole: its items, in the report's order
                items = _in_reading_order([c for c in usable if c.hit is best.hit and c.unit.block == best.unit.block
                                           and c.unit.kind == "item"])
                self._more = max(0, len(items) - MAX_LIST_STATEMENTS)
                return "list", items[:MAX_LIST_STATEMENTS]
            if best.unit.block >= 0 and best.unit.kind == "row":
                chosen += [
                    c for c in usable
                    if c is not best and c.hit is best.hit and c.unit.block == best.unit.block
                    and c.unit.kind == "row" and c.score >= best.score * t.list_keep
                ]
            chosen = _with_date_after(query, best, self._complete(query, chosen, usable, MAX_LIST_STATEMENTS), usable)
            return "list", _group_blocks(_drop_repeated_figures(chosen))
        chosen = self._complete(query, _with_citing_unit(best, usable), usable, MAX_STATEMENTS)
        chosen = _with_date_after(query, best, chosen, usable)
        chosen = self._answer_parts(query, chosen, usable)
        if introduced:
            # "… thì thời hạn đó được tính như sau:" announces the answer: its likeliest items follow it
            told = _in_reading_order(sorted((c for c in introduced if c not in chosen), key=lambda c: c.score,
                                            reverse=True)[:INTRODUCED_ITEMS])
            at = chosen.index(best) + 1 if best in chosen else 0
            chosen[at:at] = told
        introducer = _list_introducer(best, usable)
        if introducer is not None and introducer not in chosen:
            # "2. Phạm tội thuộc một trong các trường hợp sau đây, thì bị phạt tù từ 01 năm đến 05 năm:"
            # then "a) Là chỉ huy hoặc sỹ quan;": an item says what it says only with what introduces it
            chosen.insert(0, introducer)
        return "factoid", _drop_repeated_figures(chosen)

    def _section_after(self, query: Query, best: UnitCandidate, usable: list[UnitCandidate],
                       names: tuple[str, ...]) -> list[UnitCandidate]:
        """What the first heading naming one of ``names`` (folded) introduces, when such a heading
        follows the best unit closely (in its passage, or at the start of the next one when the
        reach runs past its end), before any other problem is stated."""
        following = sorted((c for c in usable if c.hit is best.hit and 0 < c.order - best.order <= SECTION_REACH),
                           key=lambda c: c.order)
        found, stopped = _first_heading_named(following, names)
        if found is not None:
            return self._introduced_by(query, found, usable)
        left = SECTION_REACH - (len(best.chunk.layout) - 1 - best.order)
        if stopped or left <= 0:
            return []
        shown = len(self.extra_hits)
        continued = self._next_passage_units(query, best)
        found, _ = _first_heading_named(continued[:left], names)
        if found is not None:
            return self._introduced_by(query, found, continued)
        del self.extra_hits[shown:]  # fetched for nothing: not shown
        return []

    def _answer_parts(self, query: Query, chosen: list[UnitCandidate], usable: list[UnitCandidate]) -> list[UnitCandidate]:
        """A compound question ('... ở mức nào, và bao nhiêu phần trăm ...?'): the best unit for each part."""
        if not query.parts or self.analyse_part is None:
            return chosen
        t = self.model.thresholds
        out = list(chosen)
        for part in query.parts:
            sub = self.analyse_part(part, query)
            ranked = self._scored(sub, usable, part)
            if not ranked:
                continue
            top = ranked[0]
            # what the part asks is already in the answer ("... and what percentage was that?"): a
            # unit of it ranks about as high for the part as the part's best. Holding the part's
            # words is not enough ("… thay thế Quyết định số 25/2025/QĐ-UBND" under "Điều 5. Hiệu
            # lực thi hành" holds "hiệu lực" and no date it takes effect)
            held = max((c.score for c in ranked if any(c.unit is o.unit and c.hit is o.hit for o in out)), default=0.0)
            if held >= top.score - t.part_margin:
                continue
            if len(ranked) > 1 and top.score - ranked[1].score < t.part_margin:
                continue  # no unit stands out for this part
            original = next(c for c in usable if c.unit is top.unit and c.hit is top.hit)
            if original not in out and len(out) < MAX_STATEMENTS + 1:
                out.append(original)
        return out

    def _complete(self, query: Query, chosen: list[UnitCandidate], usable: list[UnitCandidate], limit: int) -> list[UnitCandidate]:
        """Add units that cover question terms the chosen ones do not (answers often span two sentences)."""
        t = self.model.thresholds
        best = chosen[0]
        best_figures = figures(best.unit.text)
        covered = set().union(*(c.term_hits for c in chosen))
        weights = self._weights
        assert weights is not None, "decide() sets the weights before completing"
        for c in usable:
            if len(chosen) >= limit or c.score < best.score - t.complete_within:
                break
            if c in chosen:
                continue
            gain = sum(weights.weights[i] for i in c.term_hits - covered) / weights.total
            # A sentence next to the best one often finishes its answer; one from elsewhere must add more.
            same_passage = c.hit.chunk.chunk_id == best.hit.chunk.chunk_id
            needed = t.min_gain if same_passage or names_asked_columns(query, c) else t.min_gain_elsewhere
            # the same figures and more (the targets table's row for a sentence's figure)
            says_more = bool(best_figures) and best_figures < figures(c.unit.text)
            if gain >= needed or says_more:
                chosen.append(c)
                covered |= c.term_hits
        return chosen

    def _introduced_by(self, query: Query, best: UnitCandidate, usable: list[UnitCandidate]) -> list[UnitCandidate]:
        """What a heading, a sentence ending with ':' or a sentence naming causes introduces: the
        units after it up to the next heading (from the next passage when it ends the passage)."""
        ends_with_colon = best.unit.text.rstrip().endswith(":")
        names_causes = query.asks("cause") and "nguyen nhan" in " " + best.key + " " and best.unit.kind != "footnote"
        if not (best.unit.kind == "heading" or ends_with_colon or names_causes):
            return []
        following = sorted((c for c in usable if c.hit is best.hit and c.order > best.order), key=lambda c: c.order)
        if not following:
            following = self._next_passage_units(query, best)
        # a numbered heading's section runs to the next heading as high or higher ("I." up to "II.",
        # its "1." … "4." inside); an unnumbered one, or a sentence, to the next heading
        depth = heading_rank(best.unit.text) if best.unit.kind == "heading" else 0
        out: list[UnitCandidate] = []
        for c in following:
            inside = depth > 0 and c.unit.kind == "heading" and heading_rank(c.unit.text) > depth
            if (c.unit.kind == "heading" and not inside) or (
                    out and names_causes and not ends_with_colon and c.unit.kind != out[0].unit.kind):
                break
            if names_causes and not ends_with_colon and best.unit.kind != "heading" and c.unit.kind != "item":
                break
            out.append(c)
        return out

    def _next_passage_units(self, query: Query, best: UnitCandidate) -> list[UnitCandidate]:
        if self.next_passage is None:
            return []
        chunk = self.next_passage(best.chunk)
        if chunk is None or chunk.doc_id != best.chunk.doc_id:
            return []
        hit = Hit(chunk=chunk, score=best.hit.score, rank=best.hit.rank, why=[f"continues {best.chunk.chunk_id}"])
        found = [c for c in build_candidates(query, [hit]) if not c.excluded]
        if found:
            self.featurize(query, found, self._weights or TermWeights(query, self.stats), query.reading)
            self.rank(found)
        self.extra_hits.append(hit)
        return sorted(found, key=lambda c: c.order)

    def definitions(self, query: Query, usable: list[UnitCandidate]) -> tuple[list[Statement], list[UnitCandidate]]:
        """'GPMB là viết tắt của gì?': the expansion, cited where a passage writes it out; when that
        passage is a heading ('6. Trung tâm Văn hóa - Thể thao - Học tập cộng đồng Phường:'), what it introduces."""
        out: list[Statement] = []
        introduced: list[UnitCandidate] = []
        for abbreviation, expansions in query.definitions:
            for expansion in expansions:
                form = " " + " ".join(match_tokens(expansion, query.accents)) + " "
                holders = [c for c in usable if form in " " + " ".join(c.words(query.accents)) + " "]
                holder = max(holders, key=lambda c: c.score, default=None)
                if holder is None:
                    continue
                text = (f"{abbreviation} stands for “{expansion}”" if query.is_english
                        else f"{abbreviation} là viết tắt của “{expansion}”")
                out.append(Statement(text, holder, doc_label(holder.meta, holder.chunk.doc_id)))
                if holder.unit.kind == "heading" or holder.unit.text.rstrip().endswith(":"):
                    introduced += self._introduced_by(query, holder, usable)
                break
        return out, introduced

    def with_footnotes(self, query: Query, chosen: list[UnitCandidate], usable: list[UnitCandidate]) -> list[UnitCandidate]:
        """Add the footnote a chosen unit points to (the reports put causes and breakdowns there)."""
        out = list(chosen)
        present = {(c.chunk.doc_id, c.unit.footnote) for c in out if c.unit.footnote}
        for c in chosen[:2]:
            for mark in c.unit.marks:
                key = (c.chunk.doc_id, mark)
                if key in present:
                    continue
                note = next((u for u in usable if u.unit.footnote == mark and u.chunk.doc_id == c.chunk.doc_id), None)
                if note is not None and (query.asks("cause") or query.wants_list or note.score >= c.score):
                    out.insert(out.index(c) + 1, note)
                    present.add(key)
        return out


# --------------------------------------------------------------------------- helpers

SECTION_REACH = 12  # units after a problem within which its "Nguyên nhân" / "Giải pháp" heading is looked for
_REMEDY_HEADINGS = ("giai phap", "bien phap", "khac phuc")


def _first_heading_named(units: Sequence[UnitCandidate], names: tuple[str, ...]) -> tuple[UnitCandidate | None, bool]:
    """The first heading among ``units`` (in reading order) naming one of ``names`` (folded), and
    whether a numbered heading came before any such one (the next problem's section: stop there)."""
    for c in units:
        if c.unit.kind != "heading":
            continue
        if any(f" {name} " in f" {c.key} " for name in names):
            return c, False
        if heading_rank(c.unit.text) > 0:
            return None, True
    return None, False


def _with_citing_unit(best: UnitCandidate, usable: list[UnitCandidate]) -> list[UnitCandidate]:
    """A footnote is read with the sentence that points to it (the figure it explains)."""
    if best.unit.kind != "footnote":
        return [best]
    citing = next((c for c in usable if c.chunk.doc_id == best.chunk.doc_id and best.unit.footnote in c.unit.marks), None)
    return [citing, best] if citing is not None else [best]


def _row_group(best: UnitCandidate, usable: list[UnitCandidate], wants_list: bool) -> list[UnitCandidate]:
    """A row that only names a group (no figure in its cells) and the rows of its table that carry
    its label as their parent, in the report's order: for ``best`` when it is that row, or, when a
    list is asked, one of the rows under it. Empty otherwise."""
    def rows(c: UnitCandidate) -> bool:
        return c.hit is best.hit and c.unit.kind == "row" and c.unit.block == best.unit.block

    if best.unit.kind != "row":
        return []
    head: UnitCandidate | None = best
    if best.unit.parent and wants_list:
        head = next((c for c in usable if rows(c) and c.unit.label == best.unit.parent and c.order < best.order), None)
    if head is None or not head.unit.label or figures(" ".join(head.unit.cells.values())):
        return []
    under = [c for c in usable if rows(c) and c.unit.parent == head.unit.label and c.order > head.order]
    return _in_reading_order([head, *under]) if under else []


def _with_date_after(query: Query, best: UnitCandidate, chosen: list[UnitCandidate],
                     usable: list[UnitCandidate]) -> list[UnitCandidate]:
    """A date asked, and no chosen unit holds one: the unit right after the best, when it holds a
    date ("Tổng hợp kết quả kiểm kê, gửi Bộ Tài chính." then "Thời gian hoàn thành: Trước ngày
    31/5/2026."), follows it — a plan states a task, then its deadline."""
    if not query.asks("date") or any(has_date(c.unit.text) for c in chosen):
        return chosen
    after = next((c for c in usable if c.hit is best.hit and c.order == best.order + 1), None)
    if after is None or after in chosen or not has_date(after.unit.text):
        return chosen
    at = chosen.index(best) + 1 if best in chosen else len(chosen)
    return [*chosen[:at], after, *chosen[at:]]


def _list_introducer(item: UnitCandidate, usable: list[UnitCandidate]) -> UnitCandidate | None:
    """The unit just before the list that ``item`` belongs to, when it ends with ':' (it introduces it)."""
    if item.unit.kind != "item" or item.unit.block < 0:
        return None
    layout = item.chunk.layout
    first = next(i for i, u in enumerate(layout) if u.kind == "item" and u.block == item.unit.block)
    if first == 0 or not layout[first - 1].text.rstrip().endswith(":"):
        return None
    return next((c for c in usable if c.hit is item.hit and c.order == first - 1), None)


def _in_label(words: str, c: UnitCandidate, labels: dict[str, str] | None = None) -> bool:
    """``words`` (folded matching tokens) are part of the name of ``c``'s document, which frames the
    answer; ``labels`` keeps each document's folded name for a call that asks of many units."""
    if not words:
        return False
    doc_id = c.chunk.doc_id
    label = labels.get(doc_id) if labels is not None else None
    if label is None:
        label = " ".join(match_tokens(doc_label(c.meta, doc_id)))
        if labels is not None:
            labels[doc_id] = label
    return f" {words} " in f" {label} "


def _statement_text(query: Query, c: UnitCandidate) -> str:
    """The unit as written; for a "who / which body" question, under the heading that names the
    actor when the unit leaves it to its heading ("5. Sở Xây dựng" over "a) Chủ trì, phối hợp …")."""
    actor = _actor_heading(c) if query.asks("person") else ""
    return f"{actor}: {c.unit.text}" if actor else c.unit.text


def _actor_heading(c: UnitCandidate) -> str:
    """The heading right above a unit (its list's or its section's), numbering dropped, when it
    reads like a name (mixed case: not a section title in capitals) the unit does not repeat."""
    if c.unit.kind not in ("sentence", "item"):
        return ""  # a heading names itself; a table row shows its column names
    heading = c.unit.context or (c.chunk.section_path[-1] if c.chunk.section_path else "")
    heading = without_numbering(heading.strip()).strip(" :.-–")
    letters = [ch for ch in heading if ch.isalpha()]
    if not letters or not any(ch.islower() for ch in letters) or len(heading) > MAX_ACTOR_CHARS:
        return ""
    words = " ".join(match_tokens(heading))
    if f" {words} " in f" {c.key} " or _in_label(words, c):
        return ""
    return heading


def _enclosing_heading(c: UnitCandidate, usable: list[UnitCandidate]) -> UnitCandidate | None:
    """The last heading before ``c`` in its passage."""
    before = [u for u in usable if u.hit is c.hit and u.unit.kind == "heading" and u.order < c.order]
    return max(before, key=lambda u: u.order, default=None)


def _opens_remedy(c: UnitCandidate) -> bool:
    """The unit is a remedy: it starts with a remedy word ("Tập trung …") or sits under a remedy heading."""
    words = tuple(folded_words(c.unit.text))
    context = " " + " ".join(folded_words(c.unit.context)) + " "
    return any(words[: len(form)] == form or f" {' '.join(form)} " in context for form in remedy_starts())



def _fold(text: str) -> str:
    return " ".join(folded_words(text or ""))


def _row_status(c: UnitCandidate) -> str:
    return cell_status(c.unit.status) if c.unit.status else ""


def _in_reading_order(candidates: list[UnitCandidate]) -> list[UnitCandidate]:
    return sorted(candidates, key=lambda c: (c.chunk.doc_id, c.chunk.position, c.order))


def _group_blocks(chosen: list[UnitCandidate]) -> list[UnitCandidate]:
    """Keep the best unit's list together, in the report's order, then the rest by score."""
    if not chosen:
        return chosen
    first = chosen[0]
    block = [c for c in chosen if c.hit is first.hit and c.unit.block == first.unit.block and first.unit.block >= 0]
    if len(block) <= 1:
        return chosen
    rest = [c for c in chosen if c not in block]
    return _in_reading_order(block) + rest


def _best_per(usable: list[UnitCandidate], key_of: Callable[[UnitCandidate], Any], floor: float) -> list[UnitCandidate]:
    chosen: list[UnitCandidate] = []
    keys: set[str] = set()
    for c in usable:
        key = key_of(c)
        if key in keys or c.score < floor:
            continue
        keys.add(key)
        chosen.append(c)
    return chosen


def _drop_repeated_figures(chosen: list[UnitCandidate]) -> list[UnitCandidate]:
    """Leave out a unit whose figures all appear in another chosen unit (the same fact said twice)."""
    kept: list[UnitCandidate] = []
    found = [figures(c.unit.text) for c in chosen]
    for i, c in enumerate(chosen):
        mine = found[i]
        repeated = mine and any(
            j != i and mine <= found[j] and (mine != found[j] or j < i) for j in range(len(chosen))
        )
        if not repeated:
            kept.append(c)
    return kept
