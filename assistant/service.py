"""The assistant: a question (+ history + filters) in, a cited :class:`Answer` out.

Two modes. Without an LLM (the default, offline) the answer is composed from the reports' own
sentences, list items, table rows and footnotes (:mod:`assistant.extractive`). With an LLM
(``settings.llm.provider`` openai or ollama) the numbered passages go to a chat model whose
output is then checked (:mod:`assistant.llm`); when the endpoint fails the no-LLM answer is
given instead, with a warning saying why.

Each turn reads the question once: the follow-up is resolved against the history, the result is
read into a :class:`~vectorstore.query.Query`, and that one object goes to the retriever and to
the answerer.
"""
from __future__ import annotations

import re
import threading
import time
from collections.abc import Generator, Iterator
from dataclasses import dataclass, field, replace
from typing import Any

from assistant.compose import Composed, abstention_text, compose_extractive
from assistant.conversation import Resolved, Turn, resolve_followup, topic_words
from assistant.extractive import ExtractiveAnswerer, ExtractiveResult, Prepared
from assistant.llm import CONDENSED_MAX_RATIO, LLMAnswerer, LLMError
from assistant.targets import answer_from_records, route, uncovered_places
from assistant.types import Answer
from baocao.lang.detect import Lang
from baocao.lang.periods import years_in
from baocao.lang.signatures import asks_signer
from baocao.lang.targets import off_target_words
from baocao.models import Chunk, DocumentRecord, TargetRecord
from baocao.protocols import Filters
from baocao.settings import Settings
from vectorstore.hits import Hit
from vectorstore.query import Query
from vectorstore.retriever import Retriever, build_retriever

__all__ = ["Assistant", "Turn", "build_assistant"]

DEFAULT_K = 8
DOCS_K = 16  # "which reports mention ...": look further
PER_LOCALITY_K = 4  # passages searched per locality when a question names several
FOOTNOTE_LOOKAHEAD = 4  # footnote chunks sit right after the passage that cites them

FALLBACK_NOTE_VI = "Không dùng được mô hình ngôn ngữ ({reason}); câu trả lời dưới đây trích trực tiếp từ các báo cáo."
FALLBACK_NOTE_EN = "The language model is unavailable ({reason}); the answer below is quoted directly from the reports."
FALLBACK_CHECKS_VI = "Câu trả lời của mô hình ngôn ngữ không qua được kiểm tra trích dẫn; câu trả lời dưới đây trích trực tiếp từ các báo cáo."
FALLBACK_CHECKS_EN = "The language model's answer failed the citation checks; the answer below is quoted directly from the reports."


@dataclass
class _Run:
    """What one question goes through (shared by answer() and stream())."""

    question: str
    resolved: Resolved
    query: Query
    hits: list[Hit] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    @property
    def lang(self) -> Lang:
        """The language to answer in: the one the user typed this turn in."""
        return self.resolved.lang


@dataclass
class PreparedTurn:
    """A turn up to its answer candidates (features computed, no model applied)."""

    run: _Run
    hits: list[Hit]  # the retrieved passages and the footnotes they point to
    prepared: Prepared


class QuestionRefusedError(ValueError):
    """A question over the work limits (``Settings.max_question_chars``, ``max_k``); str(e) says which."""


class Assistant:
    def __init__(self, retriever: Retriever, settings: Settings, llm: LLMAnswerer | None = None) -> None:
        self.retriever = retriever
        self.settings = settings
        self.store = retriever.store
        self.extractive = ExtractiveAnswerer(retriever.embedder)
        self.extractive.next_passage = self._next_passage
        self.extractive.closing_passages = self.store.closing_chunks
        self.extractive.analyse_part = self._analyse_part
        if llm is None and settings.llm.provider != "none":
            llm = LLMAnswerer.from_settings(settings.llm)
        self.llm = llm
        self.k = DEFAULT_K
        self._lock = threading.Lock()  # one question at a time through the extractive answerer
        self._targets_view: tuple[str, list[TargetRecord]] | None = None  # (store revision, records)

    # ----- public API ---------------------------------------------------------------------
    def answer(self, question: str, history: list[Turn] | None = None, filters: Filters | None = None,
               k: int | None = None) -> Answer:
        final: Answer | None = None
        for piece in self.stream(question, history, filters, k=k):
            if isinstance(piece, Answer):
                final = piece
        assert final is not None
        return final

    def stream(self, question: str, history: list[Turn] | None = None, filters: Filters | None = None,
               k: int | None = None) -> Iterator[str | Answer]:
        """Text pieces as they are produced, then the final :class:`Answer`.

        The final answer's text is authoritative: in LLM mode citation checking can change what
        was streamed (a citation to a passage that does not exist is removed).
        """
        problem = self.settings.question_problem(question) or (self.settings.k_problem(k) if k is not None else "")
        if problem:
            raise QuestionRefusedError(problem)
        started = time.perf_counter()
        routed = self._target_answer(question, history or []) if self.settings.targets_answers else None
        if routed is not None:  # a question about targets the records cover: answered from them
            routed.timings["total"] = round(time.perf_counter() - started, 4)
            yield routed.text
            yield routed
            return
        run = self._understand(question, history or [])
        self._retrieve(run, filters, k or self.k)
        answer: Answer | None = None
        # "who signed" is read off the signature block, which the retrieved passages the model sees
        # rarely hold: the extractive answer gives the name, cited where it stands, or says it is not there
        if self.llm is not None and not asks_signer(run.query.text):
            answer = yield from self._llm_answer(run)
            if answer is not None and answer.mode == "extractive":
                yield answer.text  # the LLM failed: the quoted answer, with the note saying why
        if answer is None:
            answer = self._extractive_answer(run)
            yield answer.text
        answer.timings["total"] = round(time.perf_counter() - started, 4)
        yield answer

    def _target_records(self) -> tuple[list[TargetRecord], list[DocumentRecord]]:
        """The store's target records, read again only when the corpus snapshot moves to a new
        store revision, and the snapshot's document records."""
        snapshot = self.retriever.snapshots.current()
        if self._targets_view is None or self._targets_view[0] != snapshot.revision:
            self._targets_view = (snapshot.revision, self.store.target_records())
        return self._targets_view[1], snapshot.records

    def _target_answer(self, question: str, history: list[Turn]) -> Answer | None:
        """The answer from the target records when the question (a follow-up resolved against the
        history) asks about targets and the records cover what it names (see assistant.targets);
        None sends it to the passage answer."""
        records, documents = self._target_records()
        if not records:
            return None
        resolved = resolve_followup(question, history, self._place_names)
        ask = route(resolved.question, records)
        if ask is None:
            return None
        query = self.retriever.read(resolved.question)
        if query.unknown_places or uncovered_places(ask, records, query.locality_names):
            return None  # a place no report (or no record) covers: the passage answer says so
        if not ask.indicators and off_target_words([" ".join(term.forms[0]) for term in query.terms if term.forms]):
            return None  # about one particular thing ("… giao đủ bao nhiêu chỉ tiêu"): its passage says it
        answer = answer_from_records(resolved.question, ask, records, documents)
        if not answer.citations:
            return None  # nothing in the records answers it: the passages may
        cited = list(dict.fromkeys(c.chunk_id for c in answer.citations))
        chunks = {c.chunk_id: c for c in self.store.get_chunks(cited)}
        answer.passages = [Hit(chunk=chunks[cid], score=1.0, rank=i + 1, why=["target record"])
                           for i, cid in enumerate(c for c in cited if c in chunks)]
        for citation in answer.citations:  # the section its passage sits in, as passage answers give it
            if citation.chunk_id in chunks:
                citation.section = chunks[citation.chunk_id].section
        answer.question = question
        answer.standalone = resolved.question
        answer.context.update(
            localities=resolved.localities or ask.wanted.localities, years=resolved.years or ask.wanted.years,
            topic=resolved.topic, lang=resolved.lang, carried=resolved.carried,
        )
        return answer

    def turn(self, question: str, answer: Answer) -> Turn:
        """The history entry for an answered question."""
        return Turn.from_answer(question, answer)

    # ----- stages --------------------------------------------------------------------------
    def _place_names(self, text: str) -> list[str]:
        return [loc.name for loc in self.retriever.analyser.localities(text)]

    def _understand(self, question: str, history: list[Turn]) -> _Run:
        t0 = time.perf_counter()
        resolved = resolve_followup(question, history, self._place_names)
        warnings: list[str] = []
        timings: dict[str, float] = {}
        if history and self.llm is not None:
            t1 = time.perf_counter()
            try:
                condensed = self.llm.condense(question, history)
                problem = self._condensed_problem(condensed, question, resolved)
                if problem:
                    warnings.append(f"the LLM's standalone question was not used ({problem}); used the rule")
                else:
                    resolved = self._resolved_from_llm(condensed, resolved)
            except LLMError as exc:  # the rule above already resolved it
                warnings.append(f"could not condense the follow-up with the LLM ({_short(exc)}); used the rule")
            timings["condense"] = round(time.perf_counter() - t1, 4)
        query = self.retriever.read(resolved.question)
        timings["understand"] = round(time.perf_counter() - t0, 4)
        return _Run(question, resolved, query, timings=timings, warnings=warnings)

    def _condensed_problem(self, condensed: str, question: str, rule: Resolved) -> str | None:
        """Why the LLM's standalone question cannot replace the rule's (None when it can): it must be
        a question, not an answer, and keep the places and years the rule resolved."""
        if not condensed.strip():
            return "empty"
        if len(condensed) > CONDENSED_MAX_RATIO * max(len(rule.question), len(question)):
            return "longer than a question"
        lost = [p for p in rule.localities if p not in self._place_names(condensed)]
        lost += [str(y) for y in rule.years if not re.search(rf"(?<!\d){y}(?!\d)", condensed)]  # "02/2023" too
        return f"it dropped {', '.join(lost)}" if lost else None

    def _resolved_from_llm(self, condensed: str, rule: Resolved) -> Resolved:
        localities = self._place_names(condensed) or rule.localities
        years = sorted(years_in(condensed)) or rule.years
        return Resolved(condensed, localities, years, topic_words(condensed, localities), rule.lang, rule.carried + ["llm"])

    def _retrieve(self, run: _Run, filters: Filters | None, k: int) -> None:
        """Search once; a question over several localities also searches each of them, and one
        asking which reports mention something searches deeper (every report should get its chance)."""
        t0 = time.perf_counter()
        if run.query.asks("docs"):
            k = max(k, DOCS_K)
        # Without the in-document pass: with it the cross-validated answers were worse (docs/retrieval.md).
        hits = list(self.retriever.search(run.query, k=k, filters=filters or None, within_documents=False))
        places = run.query.locality_names
        if len(places) >= 2 and not (filters or {}).get("locality"):
            for place in places:
                extra = self.retriever.search(
                    run.query, k=PER_LOCALITY_K, filters={**(filters or {}), "locality": place}, within_documents=False,
                )
                hits = _merge_hits(hits, list(extra))
        run.hits = hits
        run.timings["retrieve"] = round(time.perf_counter() - t0, 4)

    def _extractive_answer(self, run: _Run, warnings: list[str] | None = None) -> Answer:
        return self.finish(self.prepare_extractive(run), warnings)

    def prepare(self, question: str, history: list[Turn] | None = None, filters: Filters | None = None,
                k: int | None = None) -> PreparedTurn:
        """A question read, searched and its answer candidates weighed by their features, before any
        trained model decides (the training script prepares once and decides with each fold's model)."""
        run = self._understand(question, history or [])
        self._retrieve(run, filters, k or self.k)
        return self.prepare_extractive(run)

    def prepare_extractive(self, run: _Run) -> PreparedTurn:
        t0 = time.perf_counter()
        hits = self._with_footnotes(run.hits)
        # e5 reads unaccented Vietnamese badly: the spans are compared with the question as the
        # retriever restored it from the corpus's vocabulary, when it did
        span_query = run.query.reading
        with self._lock:
            self.extractive.stats = self.retriever.snapshots.current().stats
            prepared = self.extractive.prepare(run.query, hits, span_query)
        run.timings["extract"] = round(time.perf_counter() - t0, 4)
        return PreparedTurn(run, hits, prepared)

    def finish(self, turn: PreparedTurn, warnings: list[str] | None = None) -> Answer:
        """The cited answer (or refusal) the trained models choose from a prepared turn."""
        run = turn.run
        t0 = time.perf_counter()
        with self._lock:
            self.extractive.stats = self.retriever.snapshots.current().stats
            result = self.extractive.decide(turn.prepared)
        run.timings["decide"] = round(time.perf_counter() - t0, 4)
        t1 = time.perf_counter()
        composed = compose_extractive(result, run.lang, run.hits)
        run.timings["compose"] = round(time.perf_counter() - t1, 4)
        shown = _shown_passages(run.hits, turn.hits + result.extra_hits, composed)
        return Answer(
            question=run.question,
            text=composed.text,
            citations=composed.citations,
            passages=shown,
            abstained=result.abstained,
            mode="extractive",
            grounded=bool(composed.citations) or result.abstained,
            warnings=run.warnings + list(warnings or []),
            timings=dict(run.timings),
            standalone=run.resolved.question,
            context=self._context(run, result),
        )

    def _llm_answer(self, run: _Run) -> Generator[str, None, Answer | None]:
        """Yields the LLM's text pieces; returns the checked Answer, or None to fall back."""
        assert self.llm is not None
        t0 = time.perf_counter()
        passages = self.llm.select_passages(self._with_footnotes(run.hits))
        if not passages:
            return None  # nothing to show the model: the extractive path says so
        pieces: list[str] = []
        try:
            for piece in self.llm.stream(run.resolved.question, passages, run.lang):
                pieces.append(piece)
                yield piece
        except LLMError as exc:
            run.timings["llm"] = round(time.perf_counter() - t0, 4)
            return self._fallback(run, str(exc))
        run.timings["llm"] = round(time.perf_counter() - t0, 4)
        t1 = time.perf_counter()
        checked = self.llm.check("".join(pieces), passages, run.resolved.question, run.lang)
        run.timings["check"] = round(time.perf_counter() - t1, 4)
        if checked.blocked and self.llm.settings.fallback_on_failed_checks:
            return self._fallback_checks(run, checked.warnings, checked.failed)
        text = abstention_text(run.lang, run.hits) if checked.abstained else checked.text
        return Answer(
            question=run.question,
            text=text,
            citations=checked.citations,
            passages=passages,
            abstained=checked.abstained,
            mode="llm",
            grounded=checked.grounded,
            warnings=run.warnings + checked.warnings,
            checks_failed=checked.failed,
            timings=run.timings,
            standalone=run.resolved.question,
            context=self._context(run, None),
        )

    def _fallback(self, run: _Run, reason: str) -> Answer:
        warning = f"LLM unavailable: {reason}; answered without it (extractive)"
        answer = self._extractive_answer(run, [warning])
        note = (FALLBACK_NOTE_EN if run.lang == "en" else FALLBACK_NOTE_VI).format(reason=reason)
        answer.text = f"{note}\n{answer.text}"
        answer.llm_fallback = "unavailable"
        return answer

    def _fallback_checks(self, run: _Run, check_warnings: list[str], failed: list[str]) -> Answer:
        """The LLM's answer failed a check: the extractive answer, with what failed as warnings."""
        warning = f"LLM answer failed the checks ({', '.join(failed)}); answered without it (extractive)"
        answer = self._extractive_answer(run, [*check_warnings, warning])
        note = FALLBACK_CHECKS_EN if run.lang == "en" else FALLBACK_CHECKS_VI
        answer.text = f"{note}\n{answer.text}"
        answer.checks_failed = failed
        answer.llm_fallback = "checks"
        return answer

    # ----- helpers ---------------------------------------------------------------------------
    def _analyse_part(self, part: str, whole: Query) -> Query:
        """A sub-question of a compound question, about the same places and period as the whole."""
        sub = self.retriever.read(part)
        return replace(sub, localities=whole.localities, years=whole.years, period=whole.period, lang=whole.lang)

    def _next_passage(self, chunk: Chunk) -> Chunk | None:
        following = self.store.following(chunk, 1)
        return following[0] if following else None

    def _with_footnotes(self, hits: list[Hit]) -> list[Hit]:
        """The hits plus the footnote passages their text points to (stored as separate chunks)."""
        have = {h.chunk.chunk_id for h in hits}
        extra: list[Hit] = []
        for hit in hits[:5]:
            marks = set(hit.chunk.footnotes or [])
            if not marks or hit.chunk.kind == "footnote":
                continue
            for chunk in self.store.following(hit.chunk, FOOTNOTE_LOOKAHEAD):
                if chunk.kind != "footnote" or chunk.chunk_id in have or not _footnote_markers(chunk) & marks:
                    continue
                have.add(chunk.chunk_id)
                extra.append(Hit(chunk=chunk, score=hit.score, rank=hit.rank, why=[f"footnote of {hit.chunk.chunk_id}"]))
        return hits + extra

    def _context(self, run: _Run, result: ExtractiveResult | None) -> dict[str, Any]:
        context: dict[str, Any] = {
            "localities": run.resolved.localities,
            "years": run.resolved.years,
            "topic": run.resolved.topic,
            "lang": run.resolved.lang,
            "carried": run.resolved.carried,
            "query": run.query.to_dict(),
        }
        if result is not None:
            context["kind"] = result.kind
            context["features"] = result.features
            if result.abstained:
                context["abstain_reason"] = result.reason
        return context


def _merge_hits(first: list[Hit], more: list[Hit]) -> list[Hit]:
    seen = {h.chunk.chunk_id for h in first}
    merged = list(first)
    for hit in more:
        if hit.chunk.chunk_id not in seen:
            seen.add(hit.chunk.chunk_id)
            merged.append(Hit(chunk=hit.chunk, score=hit.score, rank=len(merged) + 1, legs=hit.legs, why=hit.why))
    return merged


def _footnote_markers(chunk: Chunk) -> set[str]:
    return set(chunk.footnotes or []) | {u.footnote for u in chunk.layout if u.footnote}


def _shown_passages(hits: list[Hit], with_notes: list[Hit], composed: Composed) -> list[Hit]:
    """The retrieved passages, plus any footnote passage the answer cites."""
    cited = {c.chunk_id for c in composed.citations}
    ids = {h.chunk.chunk_id for h in hits}
    return list(hits) + [h for h in with_notes if h.chunk.chunk_id in cited and h.chunk.chunk_id not in ids]


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:200]


def build_assistant(settings: Settings) -> Assistant:
    """The assistant over the configured store."""
    return Assistant(build_retriever(settings), settings)
