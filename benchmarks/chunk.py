"""Read + chunk time (no embedding): ``python -m benchmarks.chunk [FOLDER ...] [--repeat 3]``.

Embedding dominates ingest; this measures the stages before it, as the pipeline runs them
(read_file + extract_metadata, then chunk_document with the embedder's own token counter),
so a change to layout, structure or chunking can be compared before/after. Prints one JSON
line per folder: files, chunks, characters, and the best-of-``repeat`` seconds per stage.
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from baocao.llm_tokens import count_llm_tokens
from baocao.settings import SAMPLE_CORPUS, Settings
from ingest.chunker import chunk_document
from ingest.metadata import extract_metadata
from ingest.readers import SUPPORTED_EXTENSIONS, read_file
from vectorstore.embedders import get_embedder


def _files(folder: Path) -> list[Path]:
    return sorted(
        p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in SUPPORTED_EXTENSIONS and p.name != "README.md"
    )


def measure(folder: Path, repeat: int, settings: Settings) -> dict[str, object]:
    count_tokens = get_embedder(settings).count_tokens
    files = _files(folder)
    best_read, best_chunk, chunks, chars = float("inf"), float("inf"), 0, 0
    for _ in range(repeat):
        read_s = chunk_s = 0.0
        chunks = chars = 0
        for path in files:
            started = time.perf_counter()
            raw = read_file(path)
            meta = extract_metadata(raw.text, path.name)
            read_s += time.perf_counter() - started
            started = time.perf_counter()
            found = chunk_document(
                raw.text, meta, count_tokens, max_tokens=settings.chunk_max_tokens, count_llm_tokens=count_llm_tokens
            )
            chunk_s += time.perf_counter() - started
            chunks += len(found)
            chars += len(raw.text)
        best_read, best_chunk = min(best_read, read_s), min(best_chunk, chunk_s)
    return {
        "folder": str(folder),
        "files": len(files),
        "chunks": chunks,
        "chars": chars,
        "read_s": round(best_read, 3),
        "chunk_s": round(best_chunk, 3),
        "chars_per_s": round(chars / (best_read + best_chunk)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("folders", nargs="*", type=Path, default=[SAMPLE_CORPUS])
    parser.add_argument("--repeat", type=int, default=3, help="runs per folder; the best is reported")
    args = parser.parse_args()
    settings = Settings()
    for folder in args.folders:
        print(json.dumps(measure(folder, args.repeat, settings), ensure_ascii=False))


if __name__ == "__main__":
    main()
