"""The assistant: a question (+ history + filters) in, a cited :class:`Answer` out.

Two modes. Without an LLM (the default, offline) the answer is composed from the reports' own
sentences, list items, table rows and footnotes (:mod:`assistant.extractive`). With an LLM
(``settings.llm.provider`` openai or ollama) the numbered passages go to a chat model whose
output is then checked (:mod:`assistant.llm`); when the endpoint fails the no-LLM answer is
given instead, with a warning saying why.
"""
from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from assistant.compose import Composed, abstention_text, compose_extractive
from assistant.conversation import Resolved, Turn, resolve_followup
from assistant.extractive import CorpusStats, ExtractiveAnswerer, ExtractiveResult
from assistant.question import Question, analyse, strip_level
from assistant.types import Answer
from baocao.models import Chunk
from baocao.settings import Settings
from vectorstore.hits import Hit

__all__ = ["Assistant", "Turn", "build_assistant"]

DEFAULT_K = 8
DOCS_K = 16  # "which reports mention ...": look further
PER_LOCALITY_K = 4  # passages searched per locality when a question names several
FOOTNOTE_LOOKAHEAD = 4  # footnote chunks sit right after the passage that cites them

FALLBACK_NOTE_VI = "Không dùng được mô hình ngôn ngữ ({reason}); câu trả lời dưới đây trích trực tiếp từ các báo cáo."
FALLBACK_NOTE_EN = "The language model is unavailable ({reason}); the answer below is quoted directly from the reports."


@dataclass
class _Run:
    """What one question goes through (shared by answer() and stream())."""

    question: str
    resolved: Resolved
    parsed: Question
    info: Any
    hits: list[Hit] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


class Assistant:
    def __init__(self, retriever: Any, settings: Settings, llm: Any = None) -> None:
        self.retriever = retriever
        self.settings = settings
        self.store = getattr(retriever, "store", None)
        embedder = getattr(self.store, "embedder", None)
        self.extractive = ExtractiveAnswerer(embedder)
        self.extractive.next_passage = self._next_passage
        self.extractive.analyse_part = self._analyse_part
        if llm is None and settings.llm.provider != "none":
            from assistant.llm import LLMAnswerer

            llm = LLMAnswerer.from_settings(settings.llm)
        self.llm = llm
        self.k = DEFAULT_K
        self._store_state: str | tuple[int, int] | None = None
        self._lock = threading.Lock()  # one question at a time through the extractive answerer
        self._localities: list[str] = []
        self._doc_localities: set[str] = set()
        self._parents: dict[str, str] = {}  # "Phường 2" -> "Tây Ninh"

    # ----- public API ---------------------------------------------------------------------
    def answer(self, question: str, history: list[Turn] | None = None, filters: dict | None = None,
               k: int | None = None) -> Answer:
        final: Answer | None = None
        for piece in self.stream(question, history, filters, k=k):
            if isinstance(piece, Answer):
                final = piece
        assert final is not None
        return final

    def stream(self, question: str, history: list[Turn] | None = None, filters: dict | None = None,
               k: int | None = None) -> Iterator[str | Answer]:
        """Text pieces as they are produced, then the final :class:`Answer`.

        The final answer's text is authoritative: in LLM mode citation checking can change what
        was streamed (a citation to a passage that does not exist is removed).
        """
        started = time.perf_counter()
        run = self._understand(question, history or [])
        self._retrieve(run, filters, k or self.k)
        answer: Answer | None = None
        if self.llm is not None:
            answer = yield from self._llm_answer(run)
            if answer is not None and answer.mode == "extractive":
                yield answer.text  # the LLM failed: the quoted answer, with the note saying why
        if answer is None:
            answer = self._extractive_answer(run)
            yield answer.text
        answer.timings["total"] = round(time.perf_counter() - started, 4)
        yield answer

    def turn(self, question: str, answer: Answer) -> Turn:
        """The history entry for an answered question."""
        turn = Turn.from_answer(question, answer)
        return turn

    # ----- stages --------------------------------------------------------------------------
    def _understand(self, question: str, history: list[Turn]) -> _Run:
        t0 = time.perf_counter()
        with self._lock:
            self._refresh_store_state()
        resolved = resolve_followup(question, history, self._localities)
        warnings: list[str] = []
        timings: dict[str, float] = {}
        if history and self.llm is not None:
            t1 = time.perf_counter()
            try:
                condensed = self.llm.condense(question, history)
                if condensed:
                    resolved = _resolved_from_llm(condensed, resolved, self._localities)
            except Exception as exc:  # the rule above already resolved it
                warnings.append(f"could not condense the follow-up with the LLM ({_short(exc)}); used the rule")
            timings["condense"] = round(time.perf_counter() - t1, 4)
        info = None
        parse = getattr(self.retriever, "parse", None)
        if callable(parse):
            try:
                info = parse(resolved.question)
            except Exception:  # query understanding is a help, not a requirement
                info = None
        parsed = analyse(resolved.question, self._localities, info)
        parsed.lang = resolved.lang
        parsed.localities = self._without_parents(parsed.localities)
        timings["understand"] = round(time.perf_counter() - t0, 4)
        return _Run(question, resolved, parsed, info, timings=timings, warnings=warnings)

    def _retrieve(self, run: _Run, filters: dict | None, k: int) -> None:
        """Search once; a question over several localities also searches each of them, and one
        asking which reports mention something searches deeper (every report should get its chance)."""
        t0 = time.perf_counter()
        query = run.resolved.question
        if run.parsed.wants_docs:
            k = max(k, DOCS_K)
        hits = list(self.retriever.search(query, k=k, filters=filters or None))
        places = [p for p in run.parsed.localities if p in self._doc_localities]
        if len(places) >= 2 and not (filters or {}).get("locality"):
            for place in places:
                extra = self.retriever.search(query, k=PER_LOCALITY_K, filters={**(filters or {}), "locality": place})
                hits = _merge_hits(hits, list(extra))
        run.hits = hits
        run.timings["retrieve"] = round(time.perf_counter() - t0, 4)

    def _extractive_answer(self, run: _Run, warnings: list[str] | None = None) -> Answer:
        t0 = time.perf_counter()
        hits = self._with_footnotes(run.hits)
        # e5 reads unaccented Vietnamese badly: the spans are compared with the question as the
        # retriever restored it from the corpus's vocabulary, when it did
        span_query = getattr(run.info, "restored", "") or run.resolved.question
        with self._lock:
            result = self.extractive.answer(run.parsed, hits, span_query)
        run.timings["extract"] = round(time.perf_counter() - t0, 4)
        t1 = time.perf_counter()
        composed = compose_extractive(result, run.parsed.lang, run.hits)
        run.timings["compose"] = round(time.perf_counter() - t1, 4)
        shown = _shown_passages(run.hits, hits + result.extra_hits, composed)
        return Answer(
            question=run.question,
            text=composed.text,
            citations=composed.citations,
            passages=shown,
            abstained=result.abstained,
            mode="extractive",
            grounded=bool(composed.citations) or result.abstained,
            warnings=run.warnings + list(warnings or []),
            timings=run.timings,
            standalone=run.resolved.question,
            context=self._context(run, result),
        )

    def _llm_answer(self, run: _Run) -> Iterator[str | Answer]:
        """Yields the LLM's text pieces; returns the checked Answer, or None to fall back."""
        from assistant.llm import LLMError

        t0 = time.perf_counter()
        passages = self.llm.select_passages(self._with_footnotes(run.hits))
        if not passages:
            return None  # nothing to show the model: the extractive path says so
        pieces: list[str] = []
        try:
            for piece in self.llm.stream(run.resolved.question, passages, run.parsed.lang):
                pieces.append(piece)
                yield piece
        except LLMError as exc:
            run.timings["llm"] = round(time.perf_counter() - t0, 4)
            return self._fallback(run, str(exc))
        run.timings["llm"] = round(time.perf_counter() - t0, 4)
        t1 = time.perf_counter()
        checked = self.llm.check("".join(pieces), passages, run.resolved.question)
        run.timings["check"] = round(time.perf_counter() - t1, 4)
        if checked.abstained:
            text = abstention_text(run.parsed.lang, run.hits)
        else:
            text = checked.text
        return Answer(
            question=run.question,
            text=text,
            citations=checked.citations,
            passages=passages,
            abstained=checked.abstained,
            mode="llm",
            grounded=checked.grounded,
            warnings=run.warnings + checked.warnings,
            timings=run.timings,
            standalone=run.resolved.question,
            context=self._context(run, None),
        )

    def _fallback(self, run: _Run, reason: str) -> Answer:
        warning = f"LLM unavailable: {reason}; answered without it (extractive)"
        answer = self._extractive_answer(run, [warning])
        note = (FALLBACK_NOTE_EN if run.parsed.lang == "en" else FALLBACK_NOTE_VI).format(reason=reason)
        answer.text = f"{note}\n{answer.text}"
        return answer

    # ----- helpers ---------------------------------------------------------------------------
    def _refresh_store_state(self) -> None:
        """Localities and term statistics of the store, recomputed when its contents change."""
        if self.store is None:
            return
        try:
            state = self.store.revision() or (int(self.store.count_chunks()), len(self.store.documents()))
        except Exception:
            return
        if state == self._store_state:
            return
        records = self.store.documents()
        self._localities = known_localities(r.meta for r in records)
        self._doc_localities = {r.meta.locality for r in records if r.meta.locality}
        self._parents = {r.meta.locality: strip_level(r.meta.parent_locality) for r in records if r.meta.parent_locality}
        self.extractive.stats = CorpusStats((c.doc_id, c.text) for c in self.store.all_chunks())
        self._store_state = state

    def _without_parents(self, localities: list[str]) -> list[str]:
        """'Phường 2, thành phố Tây Ninh' names Phường 2; Tây Ninh only says where it is."""
        parents = {_place_key(self._parents.get(name, "")) for name in localities}
        parents -= {_place_key(name) for name in localities if _place_key(self._parents.get(name, "")) == _place_key(name)}
        return [name for name in localities if _place_key(name) not in parents] or localities

    def _analyse_part(self, part: str, whole: Question) -> Question:
        sub = analyse(part, self._localities)
        sub.localities, sub.years, sub.month, sub.lang = whole.localities, whole.years, whole.month, whole.lang
        return sub

    def _next_passage(self, chunk: Chunk) -> Chunk | None:
        if self.store is None:
            return None
        prefix = chunk.chunk_id.rsplit(":", 1)[0]
        try:
            found = self.store.get_chunks([f"{prefix}:{chunk.position + 1:04d}"])
        except Exception:
            return None
        return found[0] if found else None

    def _with_footnotes(self, hits: list[Hit]) -> list[Hit]:
        """The hits plus the footnote passages their text points to (stored as separate chunks)."""
        if self.store is None:
            return hits
        have = {h.chunk.chunk_id for h in hits}
        wanted: list[tuple[str, Hit, set[str]]] = []
        for hit in hits[:5]:
            marks = set(hit.chunk.footnotes or [])
            if not marks or hit.chunk.kind == "footnote":
                continue
            prefix = hit.chunk.chunk_id.rsplit(":", 1)[0]
            for step in range(1, FOOTNOTE_LOOKAHEAD + 1):
                wanted.append((f"{prefix}:{hit.chunk.position + step:04d}", hit, marks))
        ids = [w[0] for w in wanted if w[0] not in have]
        if not ids:
            return hits
        try:
            found = {c.chunk_id: c for c in self.store.get_chunks(list(dict.fromkeys(ids)))}
        except Exception:
            return hits
        extra: list[Hit] = []
        for chunk_id, parent, marks in wanted:
            chunk = found.get(chunk_id)
            if chunk is None or chunk.kind != "footnote" or chunk_id in have:
                continue
            if not set(_footnote_markers(chunk)) & marks:
                continue
            have.add(chunk_id)
            extra.append(Hit(chunk=chunk, score=parent.score, rank=parent.rank, why=[f"footnote of {parent.chunk_id}"]))
        return hits + extra

    def _context(self, run: _Run, result: ExtractiveResult | None) -> dict[str, Any]:
        context: dict[str, Any] = {
            "localities": run.resolved.localities,
            "years": run.resolved.years,
            "topic": run.resolved.topic,
            "lang": run.resolved.lang,
            "carried": run.resolved.carried,
        }
        if run.info is not None and hasattr(run.info, "to_dict"):
            try:
                context["query"] = run.info.to_dict()
            except Exception:
                pass
        if result is not None:
            context["kind"] = result.kind
            context["features"] = result.features
            if result.abstained:
                context["abstain_reason"] = result.reason
        return context


def _place_key(name: str) -> str:
    from assistant.question import match_tokens, strip_level

    return " ".join(match_tokens(strip_level(name)))


def _merge_hits(first: list[Hit], more: list[Hit]) -> list[Hit]:
    seen = {h.chunk.chunk_id for h in first}
    merged = list(first)
    for hit in more:
        if hit.chunk.chunk_id not in seen:
            seen.add(hit.chunk.chunk_id)
            merged.append(Hit(chunk=hit.chunk, score=hit.score, rank=len(merged) + 1, legs=hit.legs, why=hit.why))
    return merged


def _footnote_markers(chunk: Chunk) -> list[str]:
    from assistant.units import SUPERSCRIPT_DIGITS, footnote_marks

    markers = list(chunk.footnotes or [])
    head = re.match(rf"\s*([{SUPERSCRIPT_DIGITS}]+)", chunk.text)
    if head:
        markers += footnote_marks("x" + head.group(1))
    return markers


def _shown_passages(hits: list[Hit], with_notes: list[Hit], composed: Composed) -> list[Hit]:
    """The retrieved passages, plus any footnote passage the answer cites."""
    cited = {c.chunk_id for c in composed.citations}
    shown = list(hits)
    ids = {h.chunk.chunk_id for h in hits}
    shown += [h for h in with_notes if h.chunk.chunk_id in cited and h.chunk.chunk_id not in ids]
    return shown


def _resolved_from_llm(condensed: str, rule: Resolved, known: list[str]) -> Resolved:
    from assistant.conversation import topic_words
    from assistant.question import find_localities
    from assistant.units import years_in

    localities = find_localities(condensed, known) or rule.localities
    years = sorted(years_in(condensed)) or rule.years
    return Resolved(condensed, localities, years, topic_words(condensed, localities), rule.lang, rule.carried + ["llm"])


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:200]


def known_localities(metas: Any) -> list[str]:
    """Locality names of the documents, with and without their level word ("thành phố Tây Ninh", "Tây Ninh")."""
    from assistant.question import strip_level

    names: list[str] = []
    for meta in metas:
        for name in (meta.locality, meta.parent_locality):
            for variant in (name, strip_level(name)):
                if variant and variant not in names:
                    names.append(variant)
    return names


def build_assistant(settings: Settings) -> Assistant:
    """The assistant over the configured store (retriever from :mod:`vectorstore.retriever`)."""
    from vectorstore.retriever import build_retriever

    return Assistant(build_retriever(settings), settings)
