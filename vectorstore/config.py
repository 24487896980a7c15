"""The knobs of the search. The defaults were chosen by the ablation in docs/retrieval.md."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass
class RetrievalConfig:
    lexical_depth: int = 60  # candidates taken from each leg before fusion
    dense_depth: int = 60
    fusion: str = "score"  # "rrf" (reciprocal rank) or "score" (min-max normalised scores)
    rrf_k: float = 60.0
    lexical_weight: float = 1.5
    dense_weight: float = 1.0
    # extra dense queries: diacritics restored (no-accent questions), glossary translation (English)
    restored_weight: float = 1.0
    raw_noaccent_weight: float = 0.0  # the unaccented query itself, next to its restored form
    combine_dense_queries: bool = True  # one search with the mean vector instead of one per form
    translated_weight: float = 0.5
    # BM25 field weights of the query terms
    exact_weight: float = 0.6
    folded_weight: float = 1.0
    bigram_weight: float = 1.0
    restored_exact_weight: float = 1.0  # exact terms of the restored no-accent query
    expansion_weight: float = 0.7  # abbreviation expansions, relative to the query's own words
    glossary_weight: float = 1.0  # translations of an English query
    # soft boosts: the fused score is multiplied by (1 + boost)
    locality_boost: float = 0.3
    year_boost: float = 0.1
    month_boost: float = 0.1
    doc_type_boost: float = 0.0
    rerank_depth: int = 30
    coverage_power: float = 2.0  # lexical weight × (share of the query's syllables the corpus knows) ** power
    # the passage inside the leading documents: their chunks ranked again by the query's terms, each
    # term weighed by how few of its document's chunks hold it (the words every chunk of a plan
    # repeats found the document; the rest of the query finds the passage in it)
    local_documents: int = 2  # how many of the first stage's leading documents
    local_weight: float = 0.75
    local_power: float = 1.0  # term weight × within_document_factor ** power
    local_depth: int = 30
