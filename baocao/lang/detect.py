"""The language of a question: Vietnamese with diacritics, Vietnamese typed without them, or English."""
from __future__ import annotations

import re
from typing import Literal

from baocao.lang.abbreviations import looks_like_syllable
from baocao.lang.normalize import fold_accents, has_diacritics
from baocao.lang.tables import word_set
from baocao.lang.tokens import is_number, words

Lang = Literal["vi", "vi-noaccent", "en"]
LANGS: tuple[Lang, ...] = ("vi", "vi-noaccent", "en")


def english_markers() -> frozenset[str]:
    return word_set("english_markers.txt")


def detect_language(text: str) -> Lang:
    """English when at least two words (and 15%) are English function words that no Vietnamese
    syllable is, or when one is and most words could not be Vietnamese syllables at all ("Name the
    four art competitions …"); else Vietnamese, typed without diacritics when under 15% of its
    words carry a mark."""
    found = [w.lower() for w in words(text) if not is_number(w)]
    if not found:
        return "vi"
    markers = english_markers()
    bare = [re.split(r"['’]", w)[0] for w in found]
    english = sum(1 for w in bare if w in markers)
    if english >= 2 and english / len(found) >= 0.15:
        return "en"
    if english >= 1 and sum(1 for w in bare if not looks_like_syllable(fold_accents(w))) >= 0.4 * len(found):
        return "en"
    accented = sum(1 for w in found if has_diacritics(w))
    return "vi" if accented / len(found) >= 0.15 else "vi-noaccent"
