"""Question-set variants for robustness checks.

    python -m evals.variants strip-diacritics QUESTIONS.jsonl OUT.jsonl

``strip-diacritics`` keeps the Vietnamese questions (``lang`` "vi"), writes each in lower case
without diacritics, as people often type them, with ``lang`` "vi-noaccent"; everything else
(evidence, facts, answers) is unchanged, so ``baocao eval OUT.jsonl`` scores them as before.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

from baocao.lang.normalize import fold_accents


def strip_diacritics(lines: list[str]) -> list[str]:
    out: list[str] = []
    for line in lines:
        if not line.strip():
            continue
        row = json.loads(line)
        if row.get("lang") != "vi":
            continue
        row["question"] = fold_accents(row["question"]).lower()
        row["lang"] = "vi-noaccent"
        out.append(json.dumps(row, ensure_ascii=False))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description="Write a variant of a question set.")
    parser.add_argument("variant", choices=["strip-diacritics"])
    parser.add_argument("questions", type=Path)
    parser.add_argument("out", type=Path)
    args = parser.parse_args()
    rows = strip_diacritics(args.questions.read_text(encoding="utf-8").splitlines())
    args.out.write_text("\n".join(rows) + "\n", encoding="utf-8")
    print(f"wrote {len(rows)} questions to {args.out}")


if __name__ == "__main__":
    main()
