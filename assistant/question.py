"""What a question asks: its language, content terms, figures, places, years and the kind of answer it wants."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Literal

from assistant.units import years_in
from baocao.text import fold_accents, folded_tokens, has_diacritics, nfc, normalize_tone_marks, tokenize

Lang = Literal["vi", "en"]
Status = Literal["missed", "met", ""]

# Folded Vietnamese function words and question words: they say nothing about the topic.
VI_STOPWORDS = set(
    """
    la cua va cac nhung nao gi nhieu the sao vi tai khi o trong co duoc da cho voi theo ve den thi ma mot
    nhu de tu tren hay hoac con lai ra vao nay do dau ai moi bi nen cung deu rang nham
    nam thang ngay cu the hien nay bao gio khong chua phai se dang vay nhe a u ha roi
    lam sang ben dieu viec kia ay tao minh tp toi sau
    """.split()
)
# The same words as written with their marks ("mới" is a stopword, "môi trường" is not).
VI_STOPWORDS_ACCENTED = set(
    """
    là của và các những nào gì nhiều thế sao vì tại khi ở trong có được đã cho với theo về đến thì mà một
    như để từ trên hay hoặc còn lại ra vào này do đó đâu ai mọi mới bị nên cũng đều rằng nhằm
    năm tháng ngày cụ thể hiện nay bao giờ không chưa phải sẽ đang vậy nhé à ừ hả rồi
    làm sang bên điều việc kia ấy tao mình tp tới sau mỗi nơi
    """.split()
)

# Words that name a level of government: the locality itself is matched separately.
LEVEL_WORDS_MARKED = {("thành", "phố"), ("thị", "xã"), ("tỉnh",), ("huyện",), ("phường",), ("xã",), ("quận",), ("tp",),
                      ("ubnd",), ("ủy", "ban", "nhân", "dân"), ("thành",), ("phố",), ("thị",)}
LEVEL_WORDS = {("thanh", "pho"), ("thi", "xa"), ("tinh",), ("huyen",), ("phuong",), ("xa",), ("quan",), ("tp",),
               ("ubnd",), ("uy", "ban", "nhan", "dan"), ("thanh",), ("pho",), ("thi",)}
EN_STOPWORDS = set(
    """
    a an the of in on at to for and or what which who whom whose how much many was were is are be been being did
    does do has have had by with from that this these those its their it as per about according into
    there than then so if any all each some much more most city city's town province ward district
    report reports say says said tell me please give list show when why where during end year month
    """.split()
)
EN_HINTS = set(
    """
    what which who how why when where is are was were did does do the of in and for to with from much many
    according city's plan targets target value rate share estimated report reports budget
    """.split()
)
VI_NOACCENT_HINTS = set(
    """
    la cua va cac nhung nao gi bao nhieu sao vi tai khi trong co duoc da cho voi theo ve den thi nam thang
    ty le ke hoach ngan sach thanh pho phuong xa huyen tinh dat uoc chi tieu
    """.split()
)

_MISSED = re.compile(
    r"\b(?:khong|chua) (?:dat|hoan thanh)\b|\bmissed?\b|\bnot (?:met|achieved|reached|meet|achieve)\b|\bunmet\b|\bfail(?:ed)?\b|\bfell short\b|\bshort of\b"
)
_STATUS_SUBJECT = re.compile(r"\bchi tieu\b|\btargets?\b|\bindicators?\b|\bgoals?\b")

_WANTS_NUMBER = re.compile(
    r"\bbao nhieu\b|\bmay\b|\bty le\b|\bphan tram\b|\bhow (?:much|many)\b|\bwhat (?:share|percentage|proportion|amount|number|value)\b"
    r"|\bpercent(?:age)?\b|\brate\b|\bvalue\b|\bamount\b|\bhow large\b|\bwhat\b[^?]*\btarget\b|\bmuc nao\b|\bo muc\b|\bthe nao so voi\b|\bso voi ke hoach\b"
)
_WANTS_PERCENT = re.compile(r"\bty le\b|\bphan tram\b|\bpercent(?:age)?\b|\bshare\b|\bproportion\b|%")
_WANTS_LIST = re.compile(
    r"\bnhung\b.*\bnao\b|\bcac\b.*\bnao\b|\bnao\b.*\b(?:gom|bao gom)\b|\bwhich\b|\bwhat are\b|\blist\b|\bliet ke\b"
    r"|\bgom nhung\b|\bnhung gi\b|\bcac gi\b|\bo nhung\b|\bnhung viec\b"
)
_WANTS_CAUSE = re.compile(
    r"\bvi sao\b|\btai sao\b|\bnguyen nhan\b|\bwhy\b|\bcauses?\b|\breasons?\b|\bdo dau\b|\bli do\b|\bly do\b"
    r"|\bkhien\b|\bdan den\b|\bvi dau\b|\bwhat led\b|\bdue to what\b"
)
# "thực hiện văn bản nào?", "nghị quyết nào?": a document reference (828-CV/TU, 42/NQ-HĐND) is the answer.
_WANTS_REFERENCE = re.compile(
    r"\b(?:van ban|nghi quyet|cong van|quyet dinh|chi thi|thong tu|nghi dinh|ket luan|chuong trinh)\s+(?:nao|gi|so may|so bao nhieu)\b"
    r"|\bwhich (?:document|resolution|decision|directive|decree|official letter)s?\b"
)
_WANTS_DATE = re.compile(r"\bkhi nao\b|\bbao gio\b|\bngay nao\b|\bthoi gian nao\b|\bwhen\b|\bwhat date\b")
_WANTS_DOCS = re.compile(
    r"\b(?:nhung|cac)\s+(?:bao cao|ke hoach|van ban|tai lieu|dia phuong|noi)\b[^?]*\bnao\b"
    r"|^(?:bao cao|ke hoach|van ban|dia phuong|noi) nao\b|\bwhich (?:reports?|plans?|documents?|localities|places)\b"
)
_MEASURE_STOP = {
    "so", "va", "la", "voi", "trong", "tren", "o", "tai", "cua", "phan", "thi", "nam", "thang", "duoc", "dat",
    "ke", "con", "khi", "nhu", "times", "of", "in", "the", "and",
}
# Measure words that different words of a report express.
MEASURE_SYNONYMS: dict[str, tuple[str, ...]] = {
    "tien": ("dong", "ti", "trieu", "usd"),
    "phan tram": ("%",),
    "ti dong": ("ti",),
    "trieu dong": ("trieu",),
    "trieu usd": ("usd",),
    "nguoi": ("nguoi", "thanh nien", "lao dong", "hoc sinh"),
    "quan": ("quan", "thanh nien", "chi tieu"),
}
MEASURE_SYNONYMS_MARKED: dict[str, tuple[str, ...]] = {
    "tiền": ("đồng", "tỉ", "triệu", "usd"),
    "phần trăm": ("%",),
    "tỉ đồng": ("tỉ",),
    "triệu đồng": ("triệu",),
    "triệu usd": ("usd",),
    "người": ("người", "thanh niên", "lao động", "học sinh"),
    "quân": ("quân", "thanh niên", "chỉ tiêu"),
}
_LOCALITY_PATTERN = re.compile(
    r"(?i:\b(?:thành phố|thanh pho|tp\.?|thị xã|thi xa|tx\.?|huyện|huyen|quận|tỉnh|tinh|phường|phuong|xã))\s+"
    r"((?:[^\W\d_]+|\d+)(?:\s+[^\W\d_]+){0,2})",
)


@dataclass
class Term:
    """A content term of the question: present in a text when any of its forms is (folded syllables)."""

    forms: list[tuple[str, ...]]
    label: str = ""


@dataclass
class Question:
    text: str
    lang: Lang
    accents: bool  # terms keep their diacritics (matched against the reports' marked text)
    terms: list[Term]  # content terms (English phrases mapped to the reports' Vietnamese where known)
    bigrams: list[tuple[str, str]]
    numbers: list[str]  # figures other than years, as written
    years: set[int]
    month: int
    localities: list[str] = field(default_factory=list)  # known localities named (as the store spells them)
    unknown_places: list[str] = field(default_factory=list)  # "thành phố X" with X not in the store
    wants_number: bool = False
    wants_percent: bool = False
    wants_list: bool = False
    wants_cause: bool = False
    wants_date: bool = False
    wants_docs: bool = False
    wants_reference: bool = False  # "văn bản nào", "which resolution": a document number
    status: Status = ""
    measures: list[str] = field(default_factory=list)  # folded "bao nhiêu X" words
    measure_forms: list[list[tuple[str, ...]]] = field(default_factory=list)  # how a passage may write each
    definitions: list[tuple[str, list[str]]] = field(default_factory=list)  # abbreviation asked about -> expansions
    excluded: list[Term] = field(default_factory=list)  # terms the question sets aside ("apart from X")
    parts: list[str] = field(default_factory=list)  # sub-questions of a compound question
    next_period: bool = False  # "năm tới", "next year": the plan part of a report

    @property
    def is_english(self) -> bool:
        return self.lang == "en"


def detect_language(text: str) -> Lang:
    """English when the question reads as English; Vietnamese names inside it do not count."""
    words = re.findall(r"[^\W\d_]+(?:'[a-z]+)?", nfc(text))
    if not words:
        return "vi"
    vi = sum(1 for w in words if has_diacritics(w) or fold_accents(w) in VI_NOACCENT_HINTS)
    en = sum(1 for w in words if not has_diacritics(w) and w.lower() in EN_HINTS)
    return "en" if en > vi else "vi"


_I_Y = re.compile(r"^([tklmshvnd])y$")


def canon(token: str) -> str:
    """One spelling for syllables written with i or y ("tỉ lệ" / "tỷ lệ", "kĩ" / "kỹ")."""
    return _I_Y.sub(r"\1i", token)


_I_Y_TONED = str.maketrans("yýỳỷỹỵ", "iíìỉĩị")
_I_Y_ACCENTED = re.compile(r"^[tklmshvnd][yýỳỷỹỵ]$")


def accent_canon(token: str) -> str:
    """'tỷ' -> 'tỉ', 'kỹ' -> 'kĩ' (lower case, tone marks kept)."""
    return token.translate(_I_Y_TONED) if _I_Y_ACCENTED.match(token) else token


def match_tokens(text: str, accents: bool = False) -> list[str]:
    """Canonical tokens (syllables and whole numbers) for matching questions to passages: lower
    case, one tone-mark style, and accent-folded unless ``accents``.

    Hyphenated words are split ("công nghiệp-xây dựng" matches "công nghiệp – xây dựng").
    """
    out: list[str] = []
    for token in tokenize(text):
        if token[0].isdigit():
            out.append(token)
            continue
        for part in re.split(r"[-/]", token):
            if part:
                out.append(accent_canon(part) if accents else canon(fold_accents(part)))
    return out


def _folded_words(text: str) -> list[str]:
    return [t for t in match_tokens(text) if not t[0].isdigit()]


def _words(text: str, accents: bool) -> list[str]:
    return [t for t in match_tokens(text, accents) if not t[0].isdigit()]


def typed_with_accents(text: str) -> bool:
    """Most syllables of Vietnamese carry a mark; a question typed without them is matched folded."""
    words = [w for w in re.findall(r"[^\W\d_]+", nfc(text))]
    if not words:
        return False
    marked = sum(1 for w in words if has_diacritics(w))
    return marked / len(words) >= 0.25


def is_stopword(word: str, accents: bool) -> bool:
    return word in (VI_STOPWORDS_ACCENTED if accents else VI_STOPWORDS)


DOC_FRAME_WORDS = {"bao", "cao", "ke", "hoach", "van", "ban", "tai", "lieu", "nhac", "de", "cap", "neu", "dia",
                   "phuong", "noi", "report", "plan", "document"}

_QUESTION_PHRASES = re.compile(
    r"\b(?:bao nhieu|nhu the nao|the nao|vi sao|tai sao|la gi|khi nao|bao gio|ra sao|o dau|hay khong|co khong|"
    r"nhung gi|cai gi|so voi|phan tram)\b"
)


def _load_query_tables() -> tuple[Any, Any]:
    """The retriever's glossary (English -> Vietnamese) and abbreviation table, when installed."""
    try:
        from vectorstore.query import load_abbreviations, load_glossary

        return load_glossary(), load_abbreviations()
    except Exception:  # the tables are an optional help: no glossary means English matches by meaning only
        return None, None


_TABLES: tuple[Any, Any] | None = None


def _tables() -> tuple[Any, Any]:
    global _TABLES
    if _TABLES is None:
        _TABLES = _load_query_tables()
    return _TABLES


def analyse(text: str, known_localities: list[str] | None = None, info: Any = None) -> Question:
    """Read a question. ``info`` is the retriever's QueryInfo when there is one (its localities,
    years, month and expansions are used first)."""
    text = nfc(text).strip()
    lang = detect_language(text)
    if info is not None and getattr(info, "lang", None) in ("vi", "vi-noaccent", "en"):
        lang = "en" if info.lang == "en" else "vi"
    folded = " ".join(folded_tokens(text))
    folded_plain = fold_accents(text)
    raw_words = re.findall(r"[a-z][a-z'-]*", folded_plain)
    localities = find_localities(text, known_localities or [])
    for name in [str(n) for n in getattr(info, "locality_names", []) or []]:
        localities.append(name)
    localities = _distinct_places(localities)
    locality_words = {w for loc in localities for w in _folded_words(loc)}
    # English questions are matched through their (accented) Vietnamese translations.
    accents = lang == "en" or typed_with_accents(text)
    glossary, abbreviations = _tables()
    expansions = list(getattr(info, "expansions", []) or [])
    if info is None:
        if lang == "en" and glossary is not None:
            expansions.extend(glossary.translate(text)[0])
        if abbreviations is not None:
            expansions.extend(abbreviations.expand(text))
    terms: list[Term] = []
    ordered: list[str] = []  # content syllables in question order (for bigrams)
    if lang == "en":
        names = _vietnamese_names(text)
        for word in raw_words:
            ordered.append(word if word in names and word not in EN_STOPWORDS else "")
        for expansion in expansions:
            forms = [tuple(_words(alt, accents)) for alt in expansion.alternatives]
            forms = [f for f in forms if f]
            if forms:
                terms.append(Term(forms, str(expansion.found)))
    else:
        for word in _without_question_phrases(_words(text, accents)):
            ordered.append("" if not word or is_stopword(word, accents) else word)
        abbreviation_of = {}
        for expansion in expansions:
            key = tuple(_words(str(expansion.found), accents))
            forms = [key] + [tuple(_words(alt, accents)) for alt in expansion.alternatives]
            abbreviation_of[key] = [f for f in forms if f]
        seen_keys: set[tuple[str, ...]] = set()
        for key, forms in abbreviation_of.items():
            if len(key) == 1:
                terms.append(Term(forms, str(key[0])))
                seen_keys.add(key)
        for word in ordered:
            if word and (word,) not in seen_keys:
                seen_keys.add((word,))
                terms.append(Term([(word,)], word))
    for word in ordered:
        if lang == "en" and word and (word,) not in {t.forms[0] for t in terms}:
            terms.append(Term([(word,)], word))
    wants_docs = bool(_WANTS_DOCS.search(folded))
    if wants_docs:  # "which reports mention X": the topic is X, not the word "report"
        terms = [t for t in terms if not all(set(_fold_form(f)) <= DOC_FRAME_WORDS for f in t.forms)]
    terms = [
        t for t in terms
        if not all(set(_fold_form(f)) <= locality_words or (f in LEVEL_WORDS_MARKED if accents else f in LEVEL_WORDS)
                   or _QUESTION_PHRASES.fullmatch(" ".join(_fold_form(f))) for f in t.forms)
    ]
    bigrams: list[tuple[str, str]] = []
    for a, b in zip(ordered, ordered[1:]):
        if a and b and canon(fold_accents(a)) not in locality_words and canon(fold_accents(b)) not in locality_words \
                and (a, b) not in bigrams:
            bigrams.append((a, b))
    numbers = [n for n in re.findall(r"(?<![\w-])\d+(?:[.,/]\d+)*%?", text) if not re.fullmatch(r"(?:19|20)\d{2}", n)]
    years = years_in(text) | {int(y) for y in re.findall(r"(?<![\d/])\d{1,2}/((?:19|20)\d{2})(?![\d/])", text)}
    month = _month(folded, lang)
    if info is not None:
        years |= {int(y) for y in getattr(info, "years", []) or []}
        month = month or int(getattr(getattr(info, "period", None), "month", 0) or 0)
    numbers = [n for n in numbers if not _is_month_or_place_number(n, folded, month)]
    english = " ".join(raw_words)
    measure_keys, measure_forms = _measures(text, accents)
    status: Status = ""
    if _STATUS_SUBJECT.search(folded) or _STATUS_SUBJECT.search(english):
        if _MISSED.search(folded) or _MISSED.search(english):
            status = "missed"
        elif re.search(r"\bnao\b.*\b(?:dat|hoan thanh)\b|\b(?:dat|hoan thanh)\b.*\bnao\b", folded) or re.search(
            r"\b(?:met|achieved|reached|exceeded)\b", english
        ):
            status = "met"
    q = Question(
        text=text,
        lang=lang,
        accents=accents,
        terms=terms,
        bigrams=bigrams,
        numbers=numbers,
        years=years,
        month=month,
        localities=localities,
        unknown_places=find_unknown_places(text, known_localities or []),
        wants_number=bool(_WANTS_NUMBER.search(folded)),
        wants_percent=bool(_WANTS_PERCENT.search(folded)),
        wants_list=bool(_WANTS_LIST.search(folded)) or status != "",
        wants_cause=bool(_WANTS_CAUSE.search(folded)),
        wants_date=bool(_WANTS_DATE.search(folded)),
        wants_reference=bool(_WANTS_REFERENCE.search(folded) or _WANTS_REFERENCE.search(english)),
        wants_docs=wants_docs,
        status=status,
        measures=measure_keys if lang != "en" else [],
        measure_forms=measure_forms if lang != "en" else [],
    )
    if q.wants_docs:
        q.wants_list = True
    for expansion in expansions:
        found = str(expansion.found)
        if getattr(expansion, "source", "") == "abbreviation" and _looks_abbreviated(found) and _asked_to_define(text, found):
            if found not in [d[0] for d in q.definitions]:
                q.definitions.append((found, [str(a) for a in expansion.alternatives]))
    q.excluded = _excluded_terms(text, q.terms)
    q.next_period = bool(_NEXT_PERIOD.search(folded) or _NEXT_PERIOD.search(english))
    q.parts = split_parts(text)
    return q


def _asked_to_define(text: str, abbreviation: str) -> bool:
    """'GPMB là viết tắt của gì', 'What does GPMB stand for', 'GPMB nghĩa là gì'."""
    folded = fold_accents(text)
    key = re.escape(fold_accents(abbreviation))
    return bool(
        re.search(rf"{key}\W+(?:\w+\W+){{0,2}}(?:viet tat|nghia la|stands? for|means?)\b", folded)
        or re.search(rf"\b(?:what does|what is|meaning of|viet tat cua)\W+(?:\w+\W+){{0,2}}{key}", folded)
    )


# "Ngoài ảnh hưởng của dịch Covid-19, ..." / "(excluding construction)": what the question sets aside.
_EXCLUDING = re.compile(
    r"(?:(?:^|[,;(]\s*)(?:ngoai|khong ke|tru)|(?:^|[\s(,])(?:excluding|except(?: for)?|not including|other than|apart from|besides))"
    r"\s+([^,;:()?]+)"
)


def _excluded_terms(text: str, terms: list[Term]) -> list[Term]:
    """Terms named only in an 'apart from ...' clause of the question (units about them are not the answer)."""
    folded = fold_accents(nfc(text))
    excluded: list[Term] = []
    for match in _EXCLUDING.finditer(folded):
        clause = match.group(1)
        rest = folded[: match.start(1)] + " " + folded[match.end(1):]
        clause_words = set(_folded_words(clause))
        rest_words = set(_folded_words(rest))
        for term in terms:
            words = {w for f in term.forms for w in _fold_form(f)}
            if words & clause_words and not words & rest_words:
                excluded.append(term)
        if not [t for t in terms if t in excluded]:
            # An English clause: the terms are the clause's translations.
            for term in terms:
                if term.label and fold_accents(term.label) in clause:
                    excluded.append(term)
    return excluded


_QUESTION_WORDS = re.compile(r"\b(?:gi|nao|bao nhieu|sao|may|what|which|how|why|when|who|where)\b")


def split_parts(text: str) -> list[str]:
    """The sub-questions of a compound question ('..., và bao nhiêu ...?'); [] for a simple one."""
    folded = fold_accents(nfc(text))
    cuts = [m.start() for m in re.finditer(r",\s*(?:va|and)\s+|;\s+|\?\s+(?=\w)", folded)]
    cuts += [m.start() for m in re.finditer(r"\s(?:va|and)\s", folded)
             if _QUESTION_WORDS.search(folded[: m.start()]) and _QUESTION_WORDS.search(folded[m.end():])]
    if not cuts:
        return []
    parts: list[str] = []
    start = 0
    for cut in sorted(set(cuts)):
        parts.append(text[start:cut])
        start = cut
    parts.append(text[start:])
    parts = [re.sub(r"^[\s,;?]*(?:và|va|and)?\s*", "", p).strip(" ,;?") for p in parts]
    parts = [p for p in parts if len(p.split()) >= 3]
    return parts if len(parts) >= 2 else []


_NEXT_PERIOD = re.compile(r"\bnam (?:toi|sau|ke tiep)\b|\bthoi gian toi\b|\bsap toi\b|\bnext year\b|\bcoming year\b|\bupcoming\b")


def _looks_abbreviated(word: str) -> bool:
    letters = [c for c in word if c.isalpha()]
    return len(letters) >= 2 and sum(1 for c in letters if c.isupper()) >= 2


def _fold_form(form: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(canon(fold_accents(w)) for w in form)


_QUESTION_PHRASE_WORDS = [tuple(p.split()) for p in (
    "bao nhieu", "nhu the nao", "the nao", "vi sao", "tai sao", "la gi", "khi nao", "bao gio", "ra sao", "o dau",
    "hay khong", "co khong", "nhung gi", "cai gi", "so voi", "phan tram")]


def _without_question_phrases(words: list[str]) -> list[str]:
    """The words with question phrases ("bao nhiêu", "thế nào", ...) blanked out, positions kept."""
    folded = [canon(fold_accents(w)) for w in words]
    out = list(words)
    for phrase in _QUESTION_PHRASE_WORDS:
        n = len(phrase)
        for i in range(len(words) - n + 1):
            if tuple(folded[i : i + n]) == phrase:
                for j in range(i, i + n):
                    out[j] = ""
    return out


def _distinct_places(names: list[str]) -> list[str]:
    """One entry per place: 'thành phố Tây Ninh' and 'Tây Ninh' are the same place (the shorter is kept)."""
    out: list[str] = []
    keys: list[str] = []
    for name in names:
        key = " ".join(match_tokens(strip_level(name)))
        if key in keys:
            i = keys.index(key)
            if len(name) < len(out[i]):
                out[i] = name
            continue
        keys.append(key)
        out.append(name)
    return out


def _vietnamese_names(text: str) -> set[str]:
    """Folded words of capitalised runs in an English question ("Hương Trà" -> huong, tra)."""
    names: set[str] = set()
    for run in re.findall(r"(?:\b[^\W\d_][\w]*(?:\s+|$)){1,4}", text):
        words = run.split()
        capitalised = [w for w in words if w[0].isupper()]
        if capitalised and (has_diacritics(run) or len(capitalised) > 1):
            names.update(_folded_words(" ".join(capitalised)))
    return names


def _month(folded: str, lang: Lang) -> int:
    match = re.search(r"\bthang (\d{1,2})\b|\bthang (\d{1,2})/(?:19|20)\d{2}\b", folded)
    if match:
        value = int(match.group(1) or match.group(2))
        return value if 1 <= value <= 12 else 0
    match = re.search(r"\b(\d{1,2})/(?:19|20)\d{2}\b", folded)
    if match and 1 <= int(match.group(1)) <= 12:
        return int(match.group(1))
    if lang != "en":
        return 0
    months = ["january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
              "november", "december"]
    for i, name in enumerate(months, start=1):
        if re.search(rf"\b{name}\b", folded):
            return i
    return 0


def _is_month_or_place_number(number: str, folded: str, month: int) -> bool:
    """'2' in 'tháng 2', '02/2023', 'Phường 2' is not a figure the answer must contain."""
    if re.fullmatch(r"\d{1,2}/(?:19|20)\d{2}", number):
        return True
    if re.search(rf"\b(?:thang|phuong|xa|quan|khu pho|to|ap|khoa|ky hop thu|lan thu) 0?{re.escape(number)}\b", folded):
        return True
    return month != 0 and number.lstrip("0") == str(month) and bool(re.search(rf"\bthang 0?{number}\b", folded))


_COMPOUND_MEASURES = {
    "du an", "chi tieu", "ho so", "ti dong", "trieu dong", "trieu usd", "phan tram", "don thu", "thanh nien",
    "lao dong", "hoc sinh", "cong trinh", "doanh nghiep", "ho gia dinh", "nguoi dan",
}


def _measures(text: str, accents: bool) -> tuple[list[str], list[list[tuple[str, ...]]]]:
    """'bao nhiêu người' -> (['nguoi'], [[('người',), ('thanh', 'niên'), ...]]): the folded measure
    words, and the forms a passage may use for each (with marks when ``accents``)."""
    marked = accent_canon_text(normalize_tone_marks(nfc(text)).lower())
    keys: list[str] = []
    forms: list[list[tuple[str, ...]]] = []
    for match in re.finditer(r"\bbao nhi[eê]u[ \t]+(\w+)(?:[ \t]+(\w+))?", marked):
        first, second = match.group(1), match.group(2) or ""
        folded_first = canon(fold_accents(first))
        if folded_first in _MEASURE_STOP or first.isdigit():
            continue
        two = f"{first} {second}".strip()
        folded_two = " ".join(canon(fold_accents(w)) for w in two.split())
        compound = folded_two in _COMPOUND_MEASURES or folded_two in MEASURE_SYNONYMS
        key_marked, key_folded = (two, folded_two) if compound else (first, folded_first)
        if accents:
            options = [key_marked, *MEASURE_SYNONYMS_MARKED.get(key_marked, ())]
            forms.append([tuple(o.split()) for o in options])
        else:
            options = [key_folded, *MEASURE_SYNONYMS.get(key_folded, ())]
            forms.append([tuple(o.split()) for o in options])
        keys.append(key_folded)
    return keys, forms


def accent_canon_text(text: str) -> str:
    return " ".join(accent_canon(w) for w in text.split(" "))


def find_localities(text: str, known: list[str]) -> list[str]:
    """Known localities named in the text, longest names first, accent-insensitive, whole words."""
    words = folded_tokens(text)
    found: list[str] = []
    taken: set[int] = set()
    for name in sorted(set(known), key=lambda n: -len(n)):
        needle = folded_tokens(name)
        if not needle:
            continue
        for i in range(len(words) - len(needle) + 1):
            positions = set(range(i, i + len(needle)))
            if words[i : i + len(needle)] == needle and not positions & taken:
                taken |= positions
                if name not in found:
                    found.append(name)
                break
    return found


def find_unknown_places(text: str, known: list[str]) -> list[str]:
    """Places named as "thành phố X", "huyện X", ... (X capitalised) that match no known locality."""
    if not known:
        return []
    known_folded = [" ".join(folded_tokens(k)) for k in known]
    unknown: list[str] = []
    for match in _LOCALITY_PATTERN.finditer(text):
        name_words: list[str] = []
        for word in match.group(1).split():
            if not (word[0].isupper() or (word.isdigit() and not name_words)):
                break
            name_words.append(word)
        if not name_words:
            continue
        name = " ".join(name_words)
        candidates = {" ".join(folded_tokens(name)), " ".join(folded_tokens(match.group(0).split(match.group(1))[0] + name))}
        if any(c == k or c.startswith(k + " ") or k.endswith(" " + c) or k.startswith(c + " ")
               for c in candidates for k in known_folded):
            continue
        unknown.append(name)
    return unknown


_LEVEL_PREFIX = re.compile(r"^(?:thành phố|thanh pho|thị xã|thi xa|huyện|huyen|quận|tỉnh|tinh|thị trấn|tp\.?)\s+", re.IGNORECASE)


def strip_level(name: str) -> str:
    """'thành phố Tây Ninh' -> 'Tây Ninh' ('Phường 2' keeps its level: it is part of the name)."""
    return _LEVEL_PREFIX.sub("", name or "").strip()
