"""No-LLM answers: pick the reports' own sentences, list items, table rows and footnotes.

Each retrieved passage's units come from its layout (found at ingest, :mod:`ingest.units`); every unit is scored
against the question by meaning (sentence embeddings) and by words (syllables weighted by
rarity, with their diacritics when the question has them, word pairs, figures), plus what the
question asks for (a figure of some kind, a list, causes, a document number, targets missed or
met). Units from another locality, year or month than the question names are left out. The best
units become the answer's statements, each cited; when the best unit is too weak, lacks the
figure asked for or speaks of something else, the answer abstains.

Not thread-safe: the service serialises calls.
"""
from __future__ import annotations

import copy
import re
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from baocao.lang.numbers import figures, has_date, has_document_reference, has_number
from baocao.lang.periods import months_in, years_spoken_of
from baocao.lang.questions import cause_words, cell_status, generic_words, sectors, statuses_in_text
from baocao.lang.tokens import folded_words, match_tokens
from baocao.models import Chunk, DocumentMeta, LayoutUnit
from vectorstore.hits import Hit
from vectorstore.query import Query
from vectorstore.snapshot import TermStats


class SentenceEmbedder(Protocol):
    def embed_passages(self, texts: list[str]) -> np.ndarray: ...

    def embed_query(self, text: str) -> np.ndarray: ...


# --------------------------------------------------------------------------- tuning
# Weights and thresholds, calibrated on the dev set's answerable vs unanswerable questions.
# Few on purpose: each is a principled signal.
LEX_WEIGHT = 0.5  # share of word overlap in a unit's relevance; the rest is meaning
DENSE_FLOOR = 0.74  # e5 cosine at or below which a unit is unrelated
DENSE_CEIL = 0.90  # ... at or above which it is as related as it gets
ABSTAIN_BELOW = 0.45  # best unit relevance under this: the reports do not say (dev: unanswerable <= 0.42, answerable >= 0.47)
COMPLETE_WITHIN = 0.25  # a further unit may join the answer when this close to the best one...
MIN_GAIN = 0.12  # ... and it adds this share of the question's (weighted) terms (same passage)
MIN_GAIN_ELSEWHERE = 0.25  # ... (from another passage)
LIST_KEEP_RATIO = 0.6  # list questions: items of the best unit's list kept above this share of its score
MAX_STATEMENTS = 3
PART_MARGIN = 0.05  # a sub-question's best unit joins the answer when it leads the next one by this much
LOCALITY_FLOOR = 0.8  # a question over several localities: each one's best unit, down to this share of the abstain line
MAX_LIST_STATEMENTS = 8
UNITS_PER_QUESTION = 24  # embedded per question (the lexically closest first); more adds time, not answers
MIN_UNIT_CHARS = 12

# Accent-sensitive: "do" (because) is not "đô"/"độ".
_CAUSE_CUES = re.compile(r"\b(?:" + "|".join(re.escape(w) for w in cause_words()) + r")\b")


class EmbeddingCache:
    """Unit embeddings by text (the same passages come back for related questions)."""

    def __init__(self, embedder: SentenceEmbedder | None, size: int = 20000) -> None:
        self.embedder = embedder
        self.size = size
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()

    def passages(self, texts: list[str]) -> np.ndarray | None:
        if self.embedder is None or not texts:
            return None
        missing = list(dict.fromkeys(t for t in texts if t not in self._cache))
        if missing:
            vectors = self.embedder.embed_passages(missing)
            for text, vector in zip(missing, vectors):
                self._cache[text] = np.asarray(vector, dtype=np.float32)
            while len(self._cache) > self.size:
                self._cache.popitem(last=False)
        for text in texts:
            self._cache.move_to_end(text)
        return np.stack([self._cache[t] for t in texts])

    def query(self, text: str) -> np.ndarray | None:
        if self.embedder is None:
            return None
        return np.asarray(self.embedder.embed_query(text), dtype=np.float32)


# --------------------------------------------------------------------------- candidates


@dataclass
class UnitCandidate:
    unit: LayoutUnit
    order: int  # position among its passage's units
    hit: Hit
    tokens: list[str]  # folded tokens of the unit text
    context_tokens: set[str]  # folded tokens of its headings, section path and document title
    marked_tokens: list[str] = field(default_factory=list)  # the same with diacritics kept
    marked_context: set[str] = field(default_factory=set)
    title_tokens: set[str] = field(default_factory=set)  # the document's title (folded and marked)
    lexical: float = 0.0
    coverage: float = 0.0  # weighted share of content terms in unit + context
    dense: float = 0.0
    bonus: float = 0.0
    score: float = 0.0
    excluded: str = ""  # why the unit cannot answer this question ("locality", "period", ...)
    term_hits: set[int] = field(default_factory=set)  # question terms found in the unit or its context
    notes: list[str] = field(default_factory=list)

    @property
    def chunk(self) -> Chunk:
        return self.hit.chunk

    @property
    def quote(self) -> str:
        return self.hit.chunk.text[self.unit.start : self.unit.end]

    @property
    def meta(self) -> DocumentMeta | None:
        return self.hit.chunk.meta

    @property
    def key(self) -> str:
        return " ".join(self.tokens)

    def words(self, accents: bool) -> list[str]:
        return self.marked_tokens if accents else self.tokens

    def context(self, accents: bool) -> set[str]:
        return self.marked_context if accents else self.context_tokens


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
    kind: str = "factoid"  # factoid | list | status | docs | localities
    extra_hits: list[Hit] = field(default_factory=list)  # passages fetched beyond the retrieved ones
    status: str = ""  # for kind "status": "missed" or "met"


def doc_label(meta: DocumentMeta | None, fallback: str = "") -> str:
    return meta.label if meta is not None else fallback


# --------------------------------------------------------------------------- scoring


class ExtractiveAnswerer:
    def __init__(self, embedder: SentenceEmbedder | None, stats: TermStats | None = None) -> None:
        self.cache = EmbeddingCache(embedder)
        self.stats = stats or TermStats()
        # How to read a sub-question of a compound question (set by the service: it knows the localities).
        self.analyse_part: Callable[[str, Query], Query] | None = None
        # The passage after a given one (a heading at the end of a passage introduces the next one).
        self.next_passage: Callable[[Chunk], Chunk | None] | None = None
        self.extra_hits: list[Hit] = []  # passages fetched while answering (shown and citable)

    # ----- public -----------------------------------------------------------------------
    def answer(self, question: Query, hits: Sequence[Hit], retrieval_query: str | None = None) -> ExtractiveResult:
        self.extra_hits = []
        candidates = self.candidates(question, hits)
        usable = [c for c in candidates if not c.excluded]
        unknown = question.unknown_places
        if unknown:
            return ExtractiveResult([], True, f"place not in the reports: {', '.join(unknown)}", candidates=candidates)
        self.score(question, usable, retrieval_query or question.text)
        usable.sort(key=lambda c: c.score, reverse=True)
        if not usable:
            reason = "no passage from the locality/period asked" if candidates else "no passage retrieved"
            return ExtractiveResult([], True, reason, candidates=candidates)
        best = usable[0]
        features = {
            "best_score": round(best.score, 4),
            "best_lexical": round(best.lexical, 4),
            "best_dense": round(best.dense, 4),
            "best_coverage": round(best.coverage, 4),
            "retrieval_score": round(float(best.hit.score), 4),
            "doc_missing": round(self.missing_in_document(question, best), 4),  # diagnostic only
        }
        abstain, reason = self.should_abstain(question, best, features)
        if abstain:
            return ExtractiveResult([], True, reason, best, candidates, features)
        kind, chosen = self.select(question, usable)
        definitions, introduced = self.definitions(question, usable)
        chosen += [c for c in introduced if c not in chosen][: MAX_LIST_STATEMENTS - len(chosen)]
        chosen = self.with_footnotes(question, chosen, usable)
        statements = definitions + [Statement(c.unit.text, c, doc_label(c.meta, c.chunk.doc_id)) for c in chosen]
        result = ExtractiveResult(statements, False, "", best, candidates, features, kind, status=question.status)
        result.extra_hits = list(self.extra_hits)
        return result

    def missing_in_document(self, question: Query, best: UnitCandidate) -> float:
        """Weighted share of the question's terms found nowhere in the best unit's document."""
        total = 0.0
        missing = 0.0
        for term, weight in zip(question.terms, self._weights):
            present = [self.stats.in_document(best.chunk.doc_id, f, question.accents) for f in term.forms]
            if any(p is None for p in present):
                return 0.0
            total += weight
            if not any(present):
                missing += weight
        return missing / total if total else 0.0

    def definitions(self, question: Query, usable: list[UnitCandidate]) -> tuple[list[Statement], list[UnitCandidate]]:
        """'GPMB là viết tắt của gì?': the expansion, cited where a passage writes it out; when that
        passage is a heading ('6. Trung tâm Văn hóa - Thể thao - Học tập cộng đồng Phường:'), what it introduces."""
        out: list[Statement] = []
        introduced: list[UnitCandidate] = []
        for abbreviation, expansions in question.definitions:
            for expansion in expansions:
                form = " " + " ".join(match_tokens(expansion, question.accents)) + " "
                holders = [c for c in usable if form in " " + " ".join(c.words(question.accents)) + " "]
                holder = max(holders, key=lambda c: c.score, default=None)
                if holder is None:
                    continue
                text = (f"{abbreviation} stands for “{expansion}”" if question.is_english
                        else f"{abbreviation} là viết tắt của “{expansion}”")
                out.append(Statement(text, holder, doc_label(holder.meta, holder.chunk.doc_id)))
                if holder.unit.kind == "heading" or holder.unit.text.rstrip().endswith(":"):
                    introduced += self._introduced_by(question, holder, usable)
                break
        return out, introduced

    # ----- candidates --------------------------------------------------------------------
    def candidates(self, question: Query, hits: Sequence[Hit]) -> list[UnitCandidate]:
        out: list[UnitCandidate] = []
        seen: set[str] = set()
        for hit in hits:
            chunk = hit.chunk
            section = chunk.section
            for order, unit in enumerate(chunk.layout):
                if len(unit.text) < MIN_UNIT_CHARS and unit.kind != "heading":
                    continue
                tokens = match_tokens(unit.text)
                key = " ".join(tokens)
                if key in seen:  # the same text from an overlapping passage
                    continue
                seen.add(key)
                title = f"{chunk.meta.title} {chunk.meta.short_title}" if chunk.meta else ""
                context_text = f"{unit.context} {section} {title}"
                candidate = UnitCandidate(unit, order, hit, tokens, set(match_tokens(context_text)),
                                      match_tokens(unit.text, True), set(match_tokens(context_text, True)),
                                      set(match_tokens(title)) | set(match_tokens(title, True)))
                candidate.excluded = self.exclusion(question, candidate)
                out.append(candidate)
        return out

    def exclusion(self, question: Query, c: UnitCandidate) -> str:
        meta = c.meta
        if meta is not None and question.localities and meta.locality:
            names = {_fold(meta.locality), _fold(meta.parent_locality), _fold(meta.issuer)}
            wanted = {_fold(n) for n in question.locality_names}
            if not any(w and any(w == n or w in n.split(" / ") or _contains_words(n, w) for n in names if n) for w in wanted):
                return "locality"
        if question.years:
            years = unit_years(c.unit, c.chunk)
            if years and not (years & set(question.years)):
                return "period"
        if question.month and meta is not None:
            months = unit_months(c.unit, c.chunk) or ({meta.period_month} if meta.period_month else set())
            if months and question.month not in months:
                return "period"
        return ""

    def score(self, question: Query, candidates: list[UnitCandidate], query_text: str) -> None:
        accents = question.accents
        weights = [self._term_weight(t.forms, accents) for t in question.terms]
        total = sum(weights) or 1.0
        for c in candidates:
            words = c.words(accents)
            context = c.context(accents)
            joined = " " + " ".join(words) + " "
            covered = 0.0
            in_unit = 0.0
            c.term_hits = set()
            for i, (term, weight) in enumerate(zip(question.terms, weights)):
                if any(all(w in c.title_tokens for w in f) for f in term.forms):
                    # words of the document's title name the document, not the answer in it
                    covered += 0.6 * weight
                    c.term_hits.add(i)
                elif any(_has_form(joined, f) for f in term.forms):
                    covered += weight
                    in_unit += weight
                    c.term_hits.add(i)
                elif any(all(w in context for w in f) for f in term.forms):
                    covered += 0.6 * weight
                    c.term_hits.add(i)
            uni = in_unit / total
            c.coverage = covered / total
            bigrams = [b for b in question.bigrams if not (b[0] in c.title_tokens and b[1] in c.title_tokens)]
            if bigrams:
                pairs = set(zip(words, words[1:]))
                bi = sum(1 for b in bigrams if b in pairs) / len(bigrams)
                c.lexical = 0.5 * (0.5 * uni + 0.5 * c.coverage) + 0.5 * bi
            else:  # no word pairs outside the title: words alone
                c.lexical = 0.5 * uni + 0.5 * c.coverage
            c.bonus = self._cue_bonus(question, c)
        self._weights = weights
        self._total_weight = total
        self._dense(question, candidates, query_text)
        for c in candidates:
            dense_part = min(1.0, max(0.0, (c.dense - DENSE_FLOOR) / (DENSE_CEIL - DENSE_FLOOR))) if c.dense else 0.0
            if self.cache.embedder is None:
                c.score = c.lexical + c.bonus
            else:
                c.score = LEX_WEIGHT * c.lexical + (1 - LEX_WEIGHT) * dense_part + c.bonus
            if c.unit.kind == "heading":
                c.score -= 0.05

    def _dense(self, question: Query, candidates: list[UnitCandidate], query_text: str) -> None:
        if self.cache.embedder is None or not candidates:
            return
        # Embedding every unit is the slow part: only the lexically closest and those of the best passages.
        ranked = sorted(candidates, key=lambda c: (c.lexical + c.bonus, -c.hit.rank), reverse=True)
        chosen = ranked[:UNITS_PER_QUESTION]
        chosen_ids = {id(c) for c in chosen}
        chosen += [c for c in candidates if c.hit.rank <= 2 and id(c) not in chosen_ids][:10]
        vectors = self.cache.passages([c.unit.text for c in chosen])
        q_vec = self.cache.query(query_text)
        if vectors is None or q_vec is None:
            return
        sims = vectors @ q_vec / (np.linalg.norm(vectors, axis=1) * (np.linalg.norm(q_vec) or 1.0) + 1e-9)
        for c, sim in zip(chosen, sims):
            c.dense = float(sim)

    def _term_weight(self, forms: list[tuple[str, ...]], accents: bool) -> float:
        best = 0.0
        for form in forms:
            known = [w for w in form if self.stats.known(w, accents)]
            if not known:
                continue
            best = max(best, max(self.stats.idf(w, accents) for w in known))
        return best

    def _cue_bonus(self, question: Query, c: UnitCandidate) -> float:
        unit = c.unit
        joined = " " + " ".join(c.words(question.accents)) + " "
        bonus = 0.0
        if any(_has_form(joined, f) for t in question.excluded for f in t.forms):
            bonus -= 0.15  # about what the question sets aside
        # "kế hoạch bao nhiêu, ước thực hiện bao nhiêu": the question names the table's columns
        bonus += min(0.16, 0.08 * _names_asked_columns(question, c))
        for _, expansions in question.definitions:
            if any(_has_form(joined, tuple(match_tokens(e, question.accents))) for e in expansions):
                bonus += 0.1
        numbered = has_number(unit.text)
        for number in question.numbers:
            if number in unit.text:
                bonus += 0.08
        if question.asks("number") and not question.wants_list:
            bonus += 0.05 if numbered else -0.15
        if question.asks("percent") and "%" in unit.text:
            bonus += 0.04
        if question.measures and numbered:
            ok = any(_measure_present(m.forms, joined, unit.text) for m in question.measures)
            bonus += 0.04 if ok else -0.2
            if any(_counted(m.forms, c.words(question.accents)) for m in question.measures):
                bonus += 0.15  # the answer's shape: "bao nhiêu người" answered by "99 thanh niên"
            if not ok:
                c.notes.append("measure")
        if question.asks("cause"):
            if _CAUSE_CUES.search(unit.text.lower()) or ("nguyen" in c.context_tokens and "nhan" in c.context_tokens):
                bonus += 0.12
            else:
                bonus -= 0.05
        if question.asks("date") and has_date(unit.text):
            bonus += 0.15  # the answer's shape: a date
        if question.asks("reference") and has_document_reference(unit.text):
            bonus += 0.15
        if unit.text.rstrip().endswith(":") and not (question.wants_list or question.asks("cause")):
            bonus -= 0.1  # an introduction ("... như sau:") is not itself an answer
        if question.status and unit.kind == "row":
            status = cell_status(unit.status) if unit.status else ""
            if not status:
                bonus -= 0.1
            elif status == question.status:
                bonus += 0.3
            else:
                bonus -= 0.3
        elif question.status:
            # a report without a targets table says it in prose: "đạt và vượt 10/10 chỉ tiêu",
            # "cơ bản các chỉ tiêu đã đạt được nhưng một số nhiệm vụ chưa hoàn thành như:"
            said = statuses_in_text(unit.text)
            if said:
                bonus += 0.2 if question.status in said else 0.05
        if unit.kind == "footnote" and not unit.text:
            bonus -= 0.3
        meta = c.meta
        if question.asks("next_period") and meta is not None and meta.plan_year > meta.period_year:
            # "năm tới": what the report plans for the year after the one it reports on
            bonus += 0.1 if meta.plan_year in unit_years(unit, c.chunk, ranges=False) else -0.05
        return bonus

    # ----- decisions ---------------------------------------------------------------------
    def should_abstain(self, question: Query, best: UnitCandidate, features: dict[str, float]) -> tuple[bool, str]:
        """Decline instead of answering from a loosely related passage. The signals: how related the
        best unit is; whether it has the kind of figure asked for; whether it has any of the
        question's specific words; whether it speaks of another sector ("ngành công nghiệp" for a
        question on "ngành nông nghiệp"). ``features`` are recorded with the answer."""
        if best.score < ABSTAIN_BELOW:
            return True, f"best passage too weak ({best.score:.2f} < {ABSTAIN_BELOW})"
        if question.measures and "measure" in best.notes:
            return True, f"no figure in {', '.join(m.key for m in question.measures)}"
        durations = any(m.key in ("nam", "thang", "ngay") for m in question.measures)
        if question.asks("number") and not question.wants_list and not has_number(best.unit.text, durations):
            return True, "no figure found"
        generic = generic_words()
        specific = [i for i, t in enumerate(question.terms) if not all(set(_fold_words(f)) <= generic for f in t.forms)]
        if specific and not set(specific) & best.term_hits:
            return True, "none of the question's specific words is in the passage"
        other = self.other_sector(question, best)
        if other:
            return True, f"the passage is about another sector: {other}"
        return False, ""

    @staticmethod
    def other_sector(question: Query, best: UnitCandidate) -> str:
        """'ngành công nghiệp' where the question asks about 'ngành nông nghiệp': the question names a
        sector (ngành / lĩnh vực X) that the unit does not mention while it names another one."""
        asked = sectors(" ".join(match_tokens(question.text)))
        if not asked or question.is_english:
            return ""
        unit = " " + best.key + " "
        named = sectors(best.key)
        for sector in asked:
            if f" {sector} " not in unit and named and sector not in named:
                return f"{', '.join(sorted(named))} (not {sector})"
        return ""

    def select(self, question: Query, usable: list[UnitCandidate]) -> tuple[str, list[UnitCandidate]]:
        best = usable[0]
        if question.status:
            rows = [c for c in usable if c.unit.kind == "row" and c.bonus >= 0.25 and c.hit.chunk.doc_id == best.chunk.doc_id]
            # a sub-row ("- 01 xã đạt chuẩn nông thôn mới") is part of its target when that is listed
            listed = {c.unit.label for c in rows}
            rows = [c for c in rows if not c.unit.parent or c.unit.parent not in listed]
            if rows:
                return "status", _in_reading_order(rows)
        if len(question.localities) >= 2:
            chosen = _best_per(usable, lambda c: _fold(c.meta.locality if c.meta else ""), LOCALITY_FLOOR * ABSTAIN_BELOW)
            if len(chosen) >= 2:
                return "localities", chosen
        if question.asks("docs"):
            chosen = _best_per(usable, lambda c: c.chunk.doc_id, max(ABSTAIN_BELOW, best.score * 0.6))
            return "docs", chosen[:MAX_LIST_STATEMENTS]
        if question.asks("cause") and not _CAUSE_CUES.search(best.unit.text.lower()):
            # "Tình trạng lấn chiếm ... tái diễn." then "Nguyên nhân:" — the causes follow the problem.
            heading = next(
                (c for c in sorted(usable, key=lambda c: c.order)
                 if c.hit is best.hit and c.unit.kind == "heading" and 0 < c.order - best.order <= 8),
                None,
            )
            if heading is not None and "nguyen nhan" in " " + heading.key + " ":
                causes = self._introduced_by(question, heading, usable)
                if causes:
                    return "list", causes[:MAX_LIST_STATEMENTS]
        introduced = self._introduced_by(question, best, usable)
        if introduced and (question.wants_list or question.asks("cause") or best.unit.kind == "heading"):
            if best.unit.kind != "heading":
                # the sentence that introduces the list frames it ("... một số nhiệm vụ chưa hoàn thành như:")
                introduced = [best] + introduced[: MAX_LIST_STATEMENTS - 1]
            return "list", introduced[:MAX_LIST_STATEMENTS]
        if question.wants_list or question.asks("cause"):
            chosen = [best]
            if best.unit.block >= 0 and best.unit.kind in ("item", "row"):
                chosen += [
                    c for c in usable
                    if c is not best and c.hit is best.hit and c.unit.block == best.unit.block
                    and c.unit.kind in ("item", "row") and c.score >= best.score * LIST_KEEP_RATIO
                ]
            chosen = self._complete(question, chosen, usable, MAX_LIST_STATEMENTS)
            return "list", _group_blocks(_drop_repeated_figures(chosen))
        chosen = self._complete(question, [best], usable, MAX_STATEMENTS)
        chosen = self._answer_parts(question, chosen, usable)
        return "factoid", _drop_repeated_figures(chosen)

    def _answer_parts(self, question: Query, chosen: list[UnitCandidate], usable: list[UnitCandidate]) -> list[UnitCandidate]:
        """A compound question ('... ở mức nào, và bao nhiêu phần trăm ...?'): the best unit for each part."""
        if not question.parts or self.analyse_part is None:
            return chosen
        out = list(chosen)
        for part in question.parts:
            sub = self.analyse_part(part, question)
            answered = [copy.copy(c) for c in out]
            self.score(sub, answered, part)
            if sub.terms and set(range(len(sub.terms))) <= set().union(*(c.term_hits for c in answered)):
                continue  # what the part asks is already in the answer ("... and what percentage was that?")
            copies = [copy.copy(c) for c in usable]
            self.score(sub, copies, part)
            ranked = sorted(copies, key=lambda c: c.score, reverse=True)
            if not ranked or ranked[0].score < ABSTAIN_BELOW:
                continue
            best = ranked[0]
            if len(ranked) > 1 and best.score - ranked[1].score < PART_MARGIN:
                continue  # no unit stands out for this part
            original = next(c for c in usable if c.unit is best.unit and c.hit is best.hit)
            if original not in out and len(out) < MAX_STATEMENTS + 1:
                out.append(original)
        self.score(question, usable, question.text)  # the part scores replaced the weights
        return out

    def _complete(self, question: Query, chosen: list[UnitCandidate], usable: list[UnitCandidate], limit: int) -> list[UnitCandidate]:
        """Add units that cover question terms the chosen ones do not (answers often span two sentences)."""
        best = chosen[0]
        best_figures = figures(best.unit.text)
        covered = set().union(*(c.term_hits for c in chosen))
        for c in usable:
            if len(chosen) >= limit or c.score < best.score - COMPLETE_WITHIN:
                break
            if c in chosen:
                continue
            gain = sum(self._weights[i] for i in c.term_hits - covered) / (self._total_weight or 1.0)
            # A sentence next to the best one often finishes its answer; one from elsewhere must add more.
            same_passage = c.hit.chunk.chunk_id == best.hit.chunk.chunk_id
            needed = MIN_GAIN if same_passage or _names_asked_columns(question, c) else MIN_GAIN_ELSEWHERE
            # the same figures and more (the targets table's row for a sentence's figure)
            says_more = bool(best_figures) and best_figures < figures(c.unit.text)
            if gain >= needed or says_more:
                chosen.append(c)
                covered |= c.term_hits
        return chosen

    def _introduced_by(self, question: Query, best: UnitCandidate, usable: list[UnitCandidate]) -> list[UnitCandidate]:
        """What a heading, a sentence ending with ':' or a sentence naming causes introduces: the
        units after it up to the next heading (from the next passage when it ends the passage)."""
        ends_with_colon = best.unit.text.rstrip().endswith(":")
        names_causes = question.asks("cause") and "nguyen nhan" in " " + best.key + " "
        if not (best.unit.kind == "heading" or ends_with_colon or names_causes):
            return []
        following = sorted(
            (c for c in usable if c.hit is best.hit and c.order > best.order), key=lambda c: c.order
        )
        if not following and self.next_passage is not None:
            following = self._next_passage_units(question, best)
        out: list[UnitCandidate] = []
        for c in following:
            if c.unit.kind == "heading" or (out and names_causes and not ends_with_colon and c.unit.kind != out[0].unit.kind):
                break
            if names_causes and not ends_with_colon and best.unit.kind != "heading" and c.unit.kind != "item":
                break
            out.append(c)
        return out

    def _next_passage_units(self, question: Query, best: UnitCandidate) -> list[UnitCandidate]:
        if self.next_passage is None:
            return []
        chunk = self.next_passage(best.chunk)
        if chunk is None or chunk.doc_id != best.chunk.doc_id:
            return []
        hit = Hit(chunk=chunk, score=best.hit.score, rank=best.hit.rank, why=[f"continues {best.chunk.chunk_id}"])
        found = [c for c in self.candidates(question, [hit]) if not c.excluded]
        self.score(question, found, question.text)
        self.extra_hits.append(hit)
        return sorted(found, key=lambda c: c.order)

    def with_footnotes(self, question: Query, chosen: list[UnitCandidate], usable: list[UnitCandidate]) -> list[UnitCandidate]:
        """Add the footnote a chosen unit points to (the reports put causes and breakdowns there)."""
        out = list(chosen)
        present = {(c.chunk.doc_id, c.unit.footnote) for c in out if c.unit.footnote}
        for c in chosen[:2]:
            for mark in c.unit.marks:
                key = (c.chunk.doc_id, mark)
                if key in present:
                    continue
                note = next((u for u in usable if u.unit.footnote == mark and u.chunk.doc_id == c.chunk.doc_id), None)
                if note is not None and (question.asks("cause") or note.score >= c.score):
                    out.insert(out.index(c) + 1, note)
                    present.add(key)
        return out


# --------------------------------------------------------------------------- helpers


def _fold(text: str) -> str:
    return " ".join(folded_words(text or ""))


def _contains_words(haystack: str, needle: str) -> bool:
    return f" {needle} " in f" {haystack} "


def _has_form(joined: str, form: tuple[str, ...]) -> bool:
    return (" " + " ".join(form) + " ") in joined


def _measure_present(forms: Sequence[tuple[str, ...]], joined: str, text: str) -> bool:
    return any((f == ("%",) and "%" in text) or _has_form(joined, f) for f in forms)


def _counted(forms: Sequence[tuple[str, ...]], words: list[str]) -> bool:
    """A figure followed (at most one word later) by one of the measure's forms: '214 chỉ tiêu'."""
    for i, word in enumerate(words):
        if not word[0].isdigit():
            continue
        for form in forms:
            n = len(form)
            if tuple(words[i + 1 : i + 1 + n]) == form or tuple(words[i + 2 : i + 2 + n]) == form:
                return True
    return False


def unit_months(unit: LayoutUnit, chunk: Chunk) -> set[int]:
    """Months a unit's own words or its section name ("NHIỆM VỤ TRỌNG TÂM TRONG THÁNG 03/2023")."""
    for text in (unit.text, unit.context, chunk.section):
        months = months_in(text)
        if months:
            return months
    return set()


def unit_years(unit: LayoutUnit, chunk: Chunk, ranges: bool = True) -> set[int]:
    """The years a unit speaks of: its own words, else its headings/table header, else its section, else its document."""
    for text in (unit.text, unit.context, chunk.section):
        years = years_spoken_of(text, ranges)
        if years:
            return years
    meta = chunk.meta
    if meta is None:
        return set()
    if meta.period_year:
        return {meta.period_year}
    return {y for y in (meta.plan_year, meta.issued_year) if y}


def _fold_words(form: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(match_tokens(" ".join(form)))


def _names_asked_columns(question: Query, c: UnitCandidate) -> int:
    """How many of a table row's column names the question uses."""
    if c.unit.kind != "row" or not c.unit.cells:
        return 0
    asked = set(match_tokens(question.text))
    return sum(1 for name in c.unit.cells if name and set(match_tokens(name)) <= asked)


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


def _best_per(usable: list[UnitCandidate], key_of: Any, floor: float) -> list[UnitCandidate]:
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
