"""Word pairs the documents use often that the English glossary gives no translation for.

    python -m evals.glossary_gaps corpus ../shared/corpus-extra evals/corpora/synthetic --min-docs 4

Counts each pair of adjacent syllables (neither a stopword nor a number) by the documents it
occurs in and prints the most frequent ones that no glossary entry's Vietnamese side holds: the
checklist the glossary's vocabulary is extended from, chosen from the documents rather than from
any question (docs/retrieval.md, the sixth round's glossary words). Translating them is a person's
work; site chrome and pairs that straddle two words come out too and are skipped by hand.
"""
from __future__ import annotations

import argparse
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

from baocao.lang.glossary import GLOSSARY_FILE
from baocao.lang.normalize import nfc
from baocao.lang.questions import stopwords
from baocao.lang.tables import read_pairs
from baocao.lang.tokens import content_words


def pairs_of(text: str) -> set[str]:
    """The document's pairs of adjacent content syllables ("tài chính")."""
    function_words = stopwords(True)
    found = content_words(nfc(text), accents=True)
    return {f"{a} {b}" for a, b in zip(found, found[1:])
            if a not in function_words and b not in function_words and len(a) > 1 and len(b) > 1}


def glossary_pairs(path: Path = GLOSSARY_FILE) -> set[str]:
    """Every pair of adjacent syllables some entry's Vietnamese side holds."""
    held: set[str] = set()
    for _, translations in read_pairs(path):
        for translation in translations:
            found = content_words(nfc(translation), accents=True)
            held.update(f"{a} {b}" for a, b in zip(found, found[1:]))
    return held


def gaps(files: Iterable[Path], min_docs: int, held: set[str]) -> list[tuple[str, int]]:
    """(pair, documents it occurs in), most frequent first, for the pairs the glossary does not hold."""
    counts: Counter[str] = Counter()
    for path in files:
        counts.update(pairs_of(path.read_text(encoding="utf-8", errors="replace")))
    return [(pair, n) for pair, n in counts.most_common() if n >= min_docs and pair not in held]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("folders", nargs="+", type=Path, help="document folders (read recursively)")
    parser.add_argument("--min-docs", type=int, default=4, help="documents a pair must occur in")
    parser.add_argument("--top", type=int, default=300, help="how many pairs to print")
    args = parser.parse_args(argv)
    files = [p for folder in args.folders for p in sorted(folder.rglob("*")) if p.is_file()]
    if not files:
        parser.error("no documents found in " + ", ".join(map(str, args.folders)))
    for pair, n in gaps(files, args.min_docs, glossary_pairs())[: args.top]:
        print(f"{n}\t{pair}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
