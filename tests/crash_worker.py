"""The crash loop of tests/test_crash_loop.py, run as its own process: ``python -m tests.crash_worker DIR KILLS SEED``.

Imports once, then per round: set each document of a tiny corpus to a random one of two
versions, fork an ingest (the fake embedder), SIGKILL it after a random delay, and fork a
checker that opens the store and reports, per document, which version its live chunks are
(or "mixed"/"missing"). A last round ingests to the end and checks nothing is left over.
One JSON object per line on stdout.
"""
from __future__ import annotations

import json
import os
import random
import signal
import sys
import time
from pathlib import Path
from typing import Any

from baocao.settings import SAMPLE_CORPUS, Settings
from ingest.pipeline import ingest_paths
from tests.test_store import EMBEDDER, open_store

DOCS = sorted(SAMPLE_CORPUS.glob("*.txt"))[:3]
ADDED = "\n\nIII. Bổ sung\n\nMột đoạn mới được thêm vào ở phiên bản thứ hai, với chỉ tiêu 12,5%.\n"


def versions(source: Path) -> tuple[str, str]:
    base = source.read_text(encoding="utf-8")[:6000]
    return base, base + ADDED


def write_corpus(folder: Path, choice: dict[str, int]) -> None:
    for source in DOCS:
        (folder / source.name).write_text(versions(source)[choice[source.name]], encoding="utf-8")


def ingest(settings: Settings, folder: Path) -> None:
    store = open_store(settings)
    ingest_paths([folder], store, EMBEDDER, settings, progress=False)


def live_texts(settings: Settings) -> dict[str, Any]:
    """Per document: its live chunk texts, and the chunks in the store that no live generation owns."""
    store = open_store(settings)
    docs: dict[str, list[str]] = {}
    for chunk in store.all_chunks():
        docs.setdefault(chunk.doc_id, []).append(chunk.text)
    records = {r.meta.doc_id: r.chunk_count for r in store.documents()}
    return {"docs": docs, "records": records, "stored": store.count_chunks()}


def in_child(work: Any, out: Path | None = None) -> int:
    pid = os.fork()
    if pid == 0:
        code = 0
        try:
            result = work()
            if out is not None:
                out.write_text(json.dumps(result, ensure_ascii=False), encoding="utf-8")
        except BaseException as exc:  # report, never return into the parent's loop
            sys.stderr.write(f"child failed: {type(exc).__name__}: {exc}\n")
            code = 1
        os._exit(code)
    return pid


def main(base: Path, rounds: int, seed: int) -> None:
    """Rounds until ``rounds`` ingests were killed (at most 4x that many), then one ingest to the end."""
    rng = random.Random(seed)
    folder, ref_folder = base / "corpus", base / "ref-corpus"
    folder.mkdir(parents=True, exist_ok=True)
    ref_folder.mkdir(parents=True, exist_ok=True)
    settings = Settings(data_dir=base / "data")
    report = base / "report.json"

    # The reference: each version of each document, ingested without interruption.
    reference: dict[str, list[list[str]]] = {d.name: [] for d in DOCS}
    for version in (0, 1):
        write_corpus(ref_folder, {d.name: version for d in DOCS})
        ref_settings = Settings(data_dir=base / f"ref-data-{version}")
        started = time.monotonic()
        _, status = os.waitpid(in_child(lambda s=ref_settings: (ingest(s, ref_folder), live_texts(s))[1], report), 0)
        full = time.monotonic() - started
        assert status == 0, "reference ingest failed"
        texts = json.loads(report.read_text(encoding="utf-8"))["docs"]
        for name in reference:
            reference[name].append(texts[name])
    print(json.dumps({"reference_s": round(full, 2)}), flush=True)

    kills, n = 0, 0
    while True:
        final = kills >= rounds or n >= 4 * rounds  # then one ingest to the end
        choice = {d.name: rng.randint(0, 1) for d in DOCS}
        write_corpus(folder, choice)
        delay = rng.uniform(0.0, full * 2.0)  # from start-up to past the last document
        pid = in_child(lambda: ingest(settings, folder))
        killed, reaped = False, False
        if not final:
            deadline = time.monotonic() + delay
            while time.monotonic() < deadline and not reaped:
                reaped = os.waitpid(pid, os.WNOHANG) != (0, 0)
                time.sleep(0.005)
            if not reaped:
                os.kill(pid, signal.SIGKILL)
                killed = True
                kills += 1
        if not reaped:
            os.waitpid(pid, 0)
        report.unlink(missing_ok=True)
        _, status = os.waitpid(in_child(lambda: live_texts(settings), report), 0)
        if status != 0 or not report.exists():
            print(json.dumps({"round": n, "error": "the store could not be read after the kill"}), flush=True)
            n += 1
            if final:
                break
            continue
        state = json.loads(report.read_text(encoding="utf-8"))
        verdict: dict[str, str] = {}
        for name, refs in reference.items():
            live = state["docs"].get(name)
            if live is None:
                verdict[name] = "missing" if name not in state["records"] else "no chunks"
            elif live in refs:
                verdict[name] = f"v{refs.index(live)}"
            else:
                verdict[name] = "mixed"
        print(json.dumps({"round": n, "final": final, "killed": killed, "delay_s": round(delay, 3),
                          "wanted": {k: f"v{v}" for k, v in choice.items()}, "verdict": verdict,
                          "stored": state["stored"], "live": sum(len(v) for v in state["docs"].values()),
                          "records": state["records"]}), flush=True)
        n += 1
        if final:
            break


if __name__ == "__main__":
    main(Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]))
