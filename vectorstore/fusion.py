"""Fusing the legs' rankings into one, and the soft boosts from what the query names."""
from __future__ import annotations

from dataclasses import dataclass, field

from baocao.models import parse_chunk_id
from vectorstore.config import RetrievalConfig
from vectorstore.legs import Leg, LegHit
from vectorstore.query import Query
from vectorstore.snapshot import CorpusSnapshot


@dataclass
class FusedCandidate:
    chunk_id: str
    score: float = 0.0
    legs: dict[str, int] = field(default_factory=dict)  # leg name -> rank in that leg
    leg_scores: dict[str, float] = field(default_factory=dict)  # leg name -> raw score in that leg (BM25, cosine)
    matched: list[str] = field(default_factory=list)
    why: list[str] = field(default_factory=list)


def is_live(chunk_id: str, live: dict[str, str]) -> bool:
    """Is this chunk of its document's live generation? (ids not of our scheme: nothing to check)."""
    parsed = parse_chunk_id(chunk_id)
    if parsed is None:
        return True
    doc_id, generation, _ = parsed
    live_generation = live.get(doc_id)
    return live_generation is not None and live_generation.startswith(generation)


def doc_id_of(chunk_id: str) -> str:
    parsed = parse_chunk_id(chunk_id)
    return parsed[0] if parsed else chunk_id


def leading_documents(ordered: list[FusedCandidate], count: int) -> list[str]:
    """The documents of the best candidates, in their order, at most ``count``."""
    documents: list[str] = []
    for candidate in ordered:
        if len(documents) >= count:
            break
        doc_id = doc_id_of(candidate.chunk_id)
        if doc_id not in documents:
            documents.append(doc_id)
    return documents


def contributions(ranked: list[LegHit], config: RetrievalConfig) -> list[float]:
    if config.fusion == "rrf":
        return [1.0 / (config.rrf_k + rank) for rank in range(1, len(ranked) + 1)]
    # "score": each leg's scores scaled to [0, 1] between its top hit and its last candidate
    if not ranked:
        return []
    top, floor = ranked[0].score, ranked[-1].score
    span = top - floor
    if span <= 1e-9:
        return [1.0] * len(ranked)
    return [(h.score - floor) / span for h in ranked]


def fuse(legs: list[Leg], live: dict[str, str], config: RetrievalConfig) -> dict[str, FusedCandidate]:
    """Weighted fusion over the legs (reciprocal rank or normalised score); stale generations dropped."""
    candidates: dict[str, FusedCandidate] = {}
    for leg in legs:
        ranked = [h for h in leg.hits if is_live(h.chunk_id, live)]
        for rank, (hit, contribution) in enumerate(zip(ranked, contributions(ranked, config)), start=1):
            candidate = candidates.setdefault(hit.chunk_id, FusedCandidate(hit.chunk_id))
            candidate.score += leg.weight * contribution
            candidate.legs[leg.name] = rank
            candidate.leg_scores[leg.name] = hit.score
            if hit.matched:
                candidate.matched = hit.matched
    for candidate in candidates.values():
        if "lexical" in candidate.legs and candidate.matched:
            shown = ", ".join(f"'{m}'" for m in candidate.matched[:6])
            candidate.why.append(f"lexical #{candidate.legs['lexical']}: matched {shown}")
        for name in ("dense", "dense_restored", "dense_translated"):
            if name in candidate.legs:
                candidate.why.append(f"{name.replace('_', ' ')} #{candidate.legs[name]}")
    return candidates


# A chunk pushed past its document's last place scores at most this share of that place's score.
DISPLACED_SHARE = 0.5


def rank_within_documents(
    candidates: dict[str, FusedCandidate], legs: list[Leg], live: dict[str, str], config: RetrievalConfig
) -> None:
    """Reorder each leading document's chunks by its own leg (one leg a document, see
    :func:`vectorstore.legs.local_legs`) without moving the document against the others: a chunk
    earns ``leg.weight`` × its normalised rank score × the document's best score, and the
    document's chunks, in that new order, take the scores its chunks had (best first), so every
    place the document held in the ranking stays its, whichever of its chunks fills it. A chunk
    the first stage had not found takes a place only by displacing one; the displaced fall below."""
    for leg in legs:
        ranked = [h for h in leg.hits if is_live(h.chunk_id, live)]
        if not ranked:
            continue
        doc_id = doc_id_of(ranked[0].chunk_id)
        members = [c for c in candidates.values() if doc_id_of(c.chunk_id) == doc_id]
        places = sorted((c.score for c in members), reverse=True)
        if not places or places[0] <= 0:
            continue
        earned = {c.chunk_id: c.score for c in members}
        for rank, (hit, contribution) in enumerate(zip(ranked, contributions(ranked, config)), start=1):
            candidate = candidates.get(hit.chunk_id)
            if candidate is None:
                candidate = candidates[hit.chunk_id] = FusedCandidate(hit.chunk_id, matched=hit.matched)
                members.append(candidate)
            earned[hit.chunk_id] = earned.get(hit.chunk_id, 0.0) + leg.weight * contribution * places[0]
            candidate.legs[leg.name] = rank
            candidate.leg_scores[leg.name] = hit.score
            candidate.why.append(f"in its document #{rank}")
        members.sort(key=lambda c: -earned[c.chunk_id])
        below = places[-1] * DISPLACED_SHARE / (earned[members[0].chunk_id] + 1e-9)
        for position, candidate in enumerate(members):
            # past the document's last place: below it, in the new order
            candidate.score = places[position] if position < len(places) else below * earned[candidate.chunk_id]


def apply_boosts(
    candidates: dict[str, FusedCandidate], query: Query, snapshot: CorpusSnapshot, config: RetrievalConfig
) -> None:
    """Multiply each candidate's score by (1 + the boosts its document earns from the query)."""
    locality_docs = {doc_id for loc in query.localities for doc_id in loc.doc_ids}
    for candidate in candidates.values():
        meta = snapshot.meta_by_id.get(doc_id_of(candidate.chunk_id))
        if meta is None:
            continue
        factor = 1.0
        if meta.doc_id in locality_docs and config.locality_boost:
            factor += config.locality_boost
            candidate.why.append(f"boost: locality {meta.locality}")
        doc_years = {meta.period_year, meta.plan_year} - {0}
        if query.years and doc_years & set(query.years) and config.year_boost:
            factor += config.year_boost
            candidate.why.append(f"boost: year {', '.join(str(y) for y in sorted(doc_years & set(query.years)))}")
        if query.month and meta.period_month == query.month and config.month_boost:
            factor += config.month_boost
            candidate.why.append(f"boost: month {query.month}")
        if query.doc_types and meta.doc_type in query.doc_types and config.doc_type_boost:
            factor += config.doc_type_boost
            candidate.why.append(f"boost: type {meta.doc_type}")
        candidate.score *= factor


def rerank_order(scores: list[float]) -> list[int]:
    """Indices of the candidates, best first; ties keep the earlier (fused) order."""
    return sorted(range(len(scores)), key=lambda i: (-scores[i], i))
