"""Ingest throughput benchmark: ``python -m benchmarks.ingest [--docs 100]``.

Runs the real pipeline on the sample corpus, then on a synthetic corpus made from it
(documents with varied localities, years and numbers, sections reordered), into fresh
stores, and prints the time split into read/parse, chunk, embed and store, plus the ratio
of the pipeline's throughput to the embedder's raw throughput on the same chunk texts
(measured on an evenly spread sample of ``--raw-sample`` of them; goal: ≥ 0.85).
"""
from __future__ import annotations

import argparse
import json
import random
import re
import tempfile
import time
from functools import partial
from pathlib import Path

from baocao.settings import SAMPLE_CORPUS, Settings
from ingest.pipeline import ingest_paths
from vectorstore.retriever import SearchStack

LOCALITIES = [
    ("thị xã", "Hương Thủy"), ("thành phố", "Bến Tre"), ("huyện", "Châu Thành"), ("thành phố", "Mỹ Tho"),
    ("thị xã", "Sơn Tây"), ("huyện", "Gia Lâm"), ("phường", "Phường 5"), ("xã", "Tân Phú"), ("thành phố", "Vĩnh Long"),
    ("huyện", "Cái Bè"), ("thị xã", "Ninh Hòa"), ("thành phố", "Sóc Trăng"),
]
SOURCE_NAMES = ["Hương Trà", "Hải Dương", "Trà Vinh", "Tây Ninh", "Phường 2"]


def _shift_year(match: re.Match[str], shift: int) -> str:
    return str(2000 + int(match.group(1)) + shift)


def make_synthetic_corpus(folder: Path, n_docs: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    samples = [p.read_text(encoding="utf-8") for p in sorted(SAMPLE_CORPUS.glob("*.txt"))]
    for i in range(n_docs):
        text = samples[i % len(samples)]
        _level, name = LOCALITIES[rng.randrange(len(LOCALITIES))]
        for old in SOURCE_NAMES:
            text = text.replace(old, name)
        shift = rng.choice([-2, -1, 1, 2, 3])
        text = re.sub(r"\b20(2[0-9])\b", partial(_shift_year, shift=shift), text)
        # vary the figures so no two documents are duplicates
        text = re.sub(r"\b(\d{2,3}),(\d{1,2})\b", lambda m: f"{int(m.group(1)) + rng.randrange(9)},{m.group(2)}", text)
        paragraphs = text.split("\n\n")
        head, body = paragraphs[:6], paragraphs[6:]
        cut = rng.randrange(1, max(2, len(body)))
        text = "\n\n".join(head + body[cut:] + body[:cut])  # reorder sections
        (folder / f"synthetic_{i:03d}.txt").write_text(text + f"\n\n(Bản {i})\n", encoding="utf-8")


def run(folder: Path, label: str, raw_sample: int) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as data_dir:
        settings = Settings(data_dir=Path(data_dir))
        stack = SearchStack.open(settings)
        summary = ingest_paths([folder], stack.store, stack.embedder, settings, progress=True)
        texts = [c.embed_text for c in stack.store.all_chunks()]
        # the raw rate is measured on an evenly spread sample of the same texts (all of them when few)
        step = max(1, len(texts) // raw_sample)
        sample = texts[::step][:raw_sample]
        started = time.perf_counter()
        stack.embedder.embed_passages(sample)
        raw_per_chunk = (time.perf_counter() - started) / len(sample)
    chunks = summary.chunks_written
    raw_embed = raw_per_chunk * chunks
    result = {
        "corpus": label,
        "documents": summary.count("new"),
        "failed": summary.count("failed"),
        "chunks": chunks,
        "elapsed_s": round(summary.elapsed, 2),
        "split_s": {k: round(v, 2) for k, v in summary.timings.items()},
        "pipeline_chunks_per_s": round(chunks / summary.elapsed, 2),
        "raw_embed_chunks_per_s": round(chunks / raw_embed, 2),
        "raw_embed_sample": len(sample),
        "ratio_to_raw_embedding": round(raw_embed / summary.elapsed, 3),
    }
    print(json.dumps(result, ensure_ascii=False))
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--docs", type=int, default=100, help="synthetic documents (0 to skip)")
    parser.add_argument("--out", type=Path, help="write the results as JSON here")
    parser.add_argument("--raw-sample", type=int, default=600, help="chunk texts embedded alone to measure the raw rate")
    args = parser.parse_args()
    results = [run(SAMPLE_CORPUS, "sample (5 reports)", args.raw_sample)]
    if args.docs:
        with tempfile.TemporaryDirectory() as folder:
            make_synthetic_corpus(Path(folder), args.docs)
            results.append(run(Path(folder), f"synthetic ({args.docs} documents)", args.raw_sample))
    if args.out:
        args.out.write_text(json.dumps(results, ensure_ascii=False, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
