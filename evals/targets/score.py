"""Precision and recall of the target extractor (``ingest.targets``) against hand-checked records.

A predicted record **matches** a gold record of the same document when (1) their evidence lines
overlap (one holds the other, markup and spaces aside) and (2) their indicators agree: most of the
shorter one's words are in the longer (accent-folded) — and where both give a % of plan, the same %.
Matching is one-to-one, best pairs first. Precision = matched / predicted, recall = matched / gold.
On the matched pairs the fields are compared as written (status, status_stated, kind, plan, result,
percent_of_plan, direction), and each field's agreement is reported.

    python -m evals.targets.score [--gold evals/targets/gold.jsonl] [--corpus corpus] [--json] [--show]
"""
from __future__ import annotations

import argparse
import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from baocao.lang.normalize import strip_markup
from baocao.lang.targets import fold
from baocao.settings import PROJECT_ROOT, SAMPLE_CORPUS, Settings

GOLD = PROJECT_ROOT / "evals" / "targets" / "gold.jsonl"
FIELDS = ("status", "status_stated", "kind", "plan", "result", "percent_of_plan", "direction")


@dataclass
class Score:
    predicted: int
    gold: int
    matched: int
    field_agreement: dict[str, float]
    by_doc: dict[str, dict[str, int]]
    missed: list[dict[str, Any]] = field(default_factory=list)
    extra: list[dict[str, Any]] = field(default_factory=list)

    @property
    def precision(self) -> float:
        return self.matched / self.predicted if self.predicted else 0.0

    @property
    def recall(self) -> float:
        return self.matched / self.gold if self.gold else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "precision": round(self.precision, 4), "recall": round(self.recall, 4), "predicted": self.predicted,
            "gold": self.gold, "matched": self.matched, "field_agreement": self.field_agreement, "by_doc": self.by_doc,
        }


def _line(text: str) -> str:
    return re.sub(r"\s+", " ", fold(strip_markup(text))).strip(" -+*.")


def _words(text: str) -> set[str]:
    return set(re.findall(r"[a-z0-9]+", fold(text)))


def _lines_overlap(p_line: str, g_line: str) -> bool:
    """One evidence holds the other, or they share a sentence piece of 12+ characters (a sentence
    the layout joined across a line break, where the gold file keeps one line)."""
    if not p_line or not g_line:
        return False
    if p_line in g_line or g_line in p_line:
        return True
    pieces = [x.strip() for x in re.split(r"\.\s", g_line) if len(x.strip()) >= 12]
    return any(x in p_line for x in pieces)


def _match_score(pred: dict[str, Any], gold: dict[str, Any]) -> float:
    if pred["doc"] != gold["doc"]:
        return 0.0
    if not _lines_overlap(_line(pred["evidence"]), _line(gold["evidence"])):
        return 0.0
    pw, gw = _words(pred["indicator"]), _words(gold["indicator"])
    if not pw or not gw:
        return 0.0
    overlap = len(pw & gw) / min(len(pw), len(gw))
    if overlap < 0.6:
        return 0.0
    if pred.get("percent_of_plan") and gold.get("percent_of_plan"):
        if pred["percent_of_plan"].replace(" ", "") != gold["percent_of_plan"].replace(" ", ""):
            return 0.0
    same_values = sum(1 for k in ("plan", "result", "percent_of_plan") if pred.get(k) == gold.get(k))
    return overlap + same_values


def score(predicted: list[dict[str, Any]], gold: list[dict[str, Any]]) -> Score:
    pairs = sorted(
        ((_match_score(p, g), i, j) for i, p in enumerate(predicted) for j, g in enumerate(gold)),
        reverse=True,
    )
    used_p: set[int] = set()
    used_g: set[int] = set()
    matches: list[tuple[int, int]] = []
    for s, i, j in pairs:
        if s <= 0:
            break
        if i in used_p or j in used_g:
            continue
        used_p.add(i)
        used_g.add(j)
        matches.append((i, j))
    agreement = {}
    for name in FIELDS:
        same = sum(1 for i, j in matches if _same(name, predicted[i].get(name), gold[j].get(name)))
        agreement[name] = round(same / len(matches), 4) if matches else 0.0
    by_doc: dict[str, dict[str, int]] = {}
    for g in gold:
        by_doc.setdefault(g["doc"], {"gold": 0, "predicted": 0, "matched": 0})["gold"] += 1
    for p in predicted:
        by_doc.setdefault(p["doc"], {"gold": 0, "predicted": 0, "matched": 0})["predicted"] += 1
    for _, j in matches:
        by_doc[gold[j]["doc"]]["matched"] += 1
    return Score(
        predicted=len(predicted), gold=len(gold), matched=len(matches), field_agreement=agreement, by_doc=by_doc,
        missed=[g for j, g in enumerate(gold) if j not in used_g],
        extra=[p for i, p in enumerate(predicted) if i not in used_p],
    )


def _same(name: str, a: Any, b: Any) -> bool:
    if isinstance(a, str) and isinstance(b, str):
        return a.replace(" ", "") == b.replace(" ", "")
    return bool(a == b)


def read_gold(path: Path = GOLD) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def extract_corpus(corpus: Path, settings: Settings | None = None) -> list[dict[str, Any]]:
    """The extractor's records for every file of ``corpus``, as ingest makes them (same chunking)."""
    from ingest.pipeline import content_hash, discover_files, document_key, parse_file
    from vectorstore.embedders import get_embedder

    settings = settings or Settings()
    embedder = get_embedder(settings)
    files, _ = discover_files([corpus])
    out: list[dict[str, Any]] = []
    for found in files:
        file, doc_id = found.path, document_key(found)
        data = file.read_bytes()
        timings = {"read": 0.0, "chunk": 0.0}
        parsed = parse_file(file, doc_id, data, {}, embedder, settings, timings)
        assert parsed.meta.content_hash == content_hash(data, {})
        for record in parsed.targets:
            row = record.to_dict()
            row["doc"] = file.name
            out.append(row)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m evals.targets.score", description=__doc__.splitlines()[0])
    parser.add_argument("--gold", type=Path, default=GOLD)
    parser.add_argument("--corpus", type=Path, default=SAMPLE_CORPUS)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--show", action="store_true", help="list the gold records missed and the extra ones")
    args = parser.parse_args(argv)
    result = score(extract_corpus(args.corpus), read_gold(args.gold))
    if args.json:
        print(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
    else:
        print(f"precision {result.precision:.3f} ({result.matched}/{result.predicted})  "
              f"recall {result.recall:.3f} ({result.matched}/{result.gold})")
        print("field agreement on matched records: " + ", ".join(f"{k} {v:.2f}" for k, v in result.field_agreement.items()))
        for doc, counts in sorted(result.by_doc.items()):
            print(f"  {doc}: gold {counts['gold']}, predicted {counts['predicted']}, matched {counts['matched']}")
    if args.show:
        for g in result.missed:
            print("MISSED", g["doc"][:3], "|", g["indicator"], "|", g["evidence"][:140])
        for p in result.extra:
            print("EXTRA ", p["doc"][:3], "|", p["indicator"], "|P", p["plan"], "|R", p["result"], "|%",
                  p["percent_of_plan"], "|", p["status"], "|", p["evidence"][:140])
    return 0


if __name__ == "__main__":
    sys.exit(main())
